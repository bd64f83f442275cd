// SB-020: topics. In: a topic with a subscription taking everything and one with a
// correlation filter on subject; messages sent to the topic. Out: each subscription receives
// its own copy of every matching message (topic/Subscriptions/name), settled independently.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-020', async (t) => {
  const { client } = await startSim(t, {
    queues: [],
    topics: [
      {
        name: 'events',
        subscriptions: [
          { name: 'all' },
          {
            name: 'ctax',
            rules: [{ name: 'ctax-only', filter: { type: 'correlation', subject: 'ctax' } }],
          },
        ],
      },
    ],
  });
  const sb = client();
  await sb.createSender('events').sendMessages([
    { body: 1, subject: 'ctax' },
    { body: 2, subject: 'nndr' },
    { body: 3, subject: 'ctax' },
  ]);
  const all = sb.createReceiver('events', 'all');
  const ctax = sb.createReceiver('events', 'ctax');
  const gotAll = await all.receiveMessages(10, { maxWaitTimeInMs: 1000 });
  const gotCtax = await ctax.receiveMessages(10, { maxWaitTimeInMs: 1000 });
  t.same(
    gotAll.map((m): unknown => m.body),
    [1, 2, 3],
    'the catch-all subscription gets every message',
  );
  t.same(
    gotCtax.map((m): unknown => m.body),
    [1, 3],
    'the correlation filter selects by subject',
  );
  for (const m of gotCtax) await ctax.completeMessage(m);
  const first = gotAll[0];
  if (first === undefined) throw new Error('nothing received');
  await all.abandonMessage(first);
  const [again] = await all.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  t.equal(again?.deliveryCount, 1, 'subscriptions settle independently');
});
