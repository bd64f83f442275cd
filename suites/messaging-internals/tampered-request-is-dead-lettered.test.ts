// Tampered envelopes. In: requests sealed for council-tax with the tenant's key, then changed on
// the way: one bit of the sealed body flipped; the same sealed body moved to another route
// (subject and rc-route business-rates). Out: the relay never calls its handler; each request is
// dead-lettered with deadLetterReason RELAY_E_WORK_ENVELOPE and a description naming ENV_E_AUTH,
// which the tenant reads from requests/$DeadLetterQueue with the SDK; relay:work says so.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { metadataToHeaders, sealBody } from '../../relay/src/protocol/envelope';
import { newTenantKey, startWorld, TENANT } from './lib/world';

void t.test('a tampered request is dead-lettered with a reason the tenant can read', async (t) => {
  const world = await startWorld(t);
  const k1 = newTenantKey();
  await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
  let handled = 0;
  const relay = world.startRelay({
    keys: [{ kid: 'k1', key: k1 }],
    handler: () => {
      handled++;
      return Promise.resolve({ status: 200, body: Buffer.from('should not happen') });
    },
  });
  await relay.handshake.whenLive();

  const seal = (messageId: string): ReturnType<typeof sealBody> =>
    sealBody(
      { tenant: TENANT, messageId, route: 'council-tax', direction: 'c2r', key: k1, kid: 'k1' },
      Buffer.from('{"account":"CT-1001"}'),
    );
  const flippedId = randomUUID();
  const flipped = seal(flippedId);
  flipped.sealed[3] = (flipped.sealed[3] ?? 0) ^ 0x01;
  const movedId = randomUUID();
  const moved = seal(movedId);

  const sender = world.client('tenant').createSender('requests');
  const common = { replyTo: 'replies', replyToSessionId: 'tenant-test' };
  await sender.sendMessages([
    {
      ...common,
      messageId: flippedId,
      subject: 'council-tax',
      body: flipped.sealed,
      applicationProperties: { ...metadataToHeaders(flipped.metadata), 'rc-route': 'council-tax' },
    },
    {
      ...common,
      messageId: movedId,
      subject: 'business-rates',
      body: moved.sealed,
      applicationProperties: { ...metadataToHeaders(moved.metadata), 'rc-route': 'business-rates' },
    },
  ]);

  const dlq = world.client('tenant').createReceiver('requests', {
    subQueueType: 'deadLetter',
    skipParsingBodyAsJson: true,
  });
  const dead = new Map<string, { reason?: string; description?: string }>();
  for (let i = 0; i < 4 && dead.size < 2; i++) {
    const batch = await dlq.receiveMessages(2 - dead.size, { maxWaitTimeInMs: 10_000 });
    for (const m of batch) {
      dead.set(String(m.messageId), {
        reason: m.deadLetterReason,
        description: m.deadLetterErrorDescription,
      });
      await dlq.completeMessage(m);
    }
  }
  for (const [id, what] of [
    [flippedId, 'a flipped bit'],
    [movedId, 'a body moved to another route'],
  ] as const) {
    const d = dead.get(id);
    t.equal(d?.reason, 'RELAY_E_WORK_ENVELOPE', `${what}: dead-lettered as an envelope refusal`);
    t.match(d?.description, /^ENV_E_AUTH: /, `${what}: the description names ENV_E_AUTH`);
  }
  t.equal(handled, 0, 'the handler never ran');
  t.match(
    world.events
      .of(MESSAGING_CHANNELS.work)
      .map((e) => [e.messageId, e.outcome, e.code])
      .sort(),
    [
      [flippedId, 'dead-lettered', 'RELAY_E_WORK_ENVELOPE'],
      [movedId, 'dead-lettered', 'RELAY_E_WORK_ENVELOPE'],
    ].sort(),
  );
  const left = await world.client().createReceiver('requests').peekMessages(2);
  t.equal(left.length, 0, 'neither request stays on the queue');
});
