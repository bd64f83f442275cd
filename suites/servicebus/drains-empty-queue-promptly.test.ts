// SB-016: drain. In: receiveMessages with maxWaitTimeInMs on an empty queue (the SDK then
// sends a flow with drain=true). Out: the simulator answers the drain at once, the call
// resolves [] soon after maxWaitTimeInMs, and the link stays usable for the next message.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-016', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  const receiver = sb.createReceiver('q1');
  const started = Date.now();
  const none = await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 });
  const took = Date.now() - started;
  t.same(none, [], 'an empty queue gives []');
  // Not before the wait ran out; how soon after is a benchmark matter, not a pass/fail one
  // (a drain the simulator never answered would hang here until tap's timeout).
  t.ok(took >= 250, `resolved after the wait (${took} ms)`);

  const again = await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 });
  t.same(again, [], 'and again on the same link');
  await sb.createSender('q1').sendMessages({ body: 'after drain' });
  const [msg] = await receiver.receiveMessages(10, { maxWaitTimeInMs: 5000 });
  t.equal(msg?.body, 'after drain', 'the drained link still receives');
  if (msg !== undefined) await receiver.completeMessage(msg);
});
