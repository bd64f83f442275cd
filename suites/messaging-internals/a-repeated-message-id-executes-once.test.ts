// Exactly-once effect for a message id (DLV, internals). In: requests sent with the same
// messageId twice; a file-backed idempotency store kept across a relay restart; the same id on
// another route. Out: the handler runs once per (id, route); the repeat is answered from the
// record with the same status and body (relay:work completed, replayed: true), also by a new
// relay on the same store file; the same id on another route is other work and runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MESSAGING_CHANNELS, type WorkHandler } from '../../relay/src/messaging';
import { openFileIdempotencyStore } from '../../relay/src/work/idempotency';
import { newTenantKey, startWorld } from './lib/world';

function counting(): { handler: WorkHandler; runs: string[] } {
  const runs: string[] = [];
  let n = 0;
  return {
    runs,
    handler: (route, body) => {
      n += 1;
      runs.push(`${route}:${body.toString()}`);
      return Promise.resolve({
        status: 201,
        body: Buffer.from(`<Created n="${n}"/>`),
        contentType: 'application/xml',
      });
    },
  };
}

void t.test('the same message id sent twice runs once and is answered twice', async (t) => {
  const world = await startWorld(t);
  const k1 = newTenantKey();
  const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
  const { handler, runs } = counting();
  const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }], handler });
  await relay.handshake.whenLive();

  const first = await tenant.sendWork('council-tax', Buffer.from('CT-1'), { messageId: 'dup-1' });
  const second = await tenant.sendWork('council-tax', Buffer.from('CT-1'), { messageId: 'dup-1' });
  t.same(runs, ['council-tax:CT-1'], 'the handler ran once');
  t.equal(second.status, first.status);
  t.equal(second.body.toString(), '<Created n="1"/>', 'the repeat got the recorded answer');
  t.equal(second.contentType, 'application/xml');

  const other = await tenant.sendWork('business-rates', Buffer.from('BR-1'), {
    messageId: 'dup-1',
  });
  t.equal(other.body.toString(), '<Created n="2"/>', 'the same id on another route is run');
  await world.events.until(
    MESSAGING_CHANNELS.work,
    (e) => e.outcome === 'completed' && e.route === 'business-rates',
  );
  t.match(
    world.events.of(MESSAGING_CHANNELS.work).map((e) => [e.route, e.outcome, e.replayed]),
    [
      ['council-tax', 'completed', undefined],
      ['council-tax', 'completed', true],
      ['business-rates', 'completed', undefined],
    ],
  );
});

void t.test('a file store answers a repeat after the relay restarted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-dlv-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'idempotency.jsonl');
  const world = await startWorld(t);
  const k1 = newTenantKey();
  const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });

  const before = counting();
  const storeA = await openFileIdempotencyStore(path);
  const a = world.startRelay({
    keys: [{ kid: 'k1', key: k1 }],
    handler: before.handler,
    store: storeA,
  });
  await a.handshake.whenLive();
  const first = await tenant.sendWork('council-tax', Buffer.from('CT-9'), { messageId: 'dup-9' });
  await world.events.until(MESSAGING_CHANNELS.work, (e) => e.outcome === 'completed');
  await a.close();
  await storeA.close();

  const after = counting();
  const storeB = await openFileIdempotencyStore(path);
  t.teardown(() => storeB.close());
  t.equal(storeB.info.loaded, 1, 'the record was read back from the file');
  const b = world.startRelay({
    instanceId: 'relay-b',
    keys: [{ kid: 'k1', key: k1 }],
    handler: after.handler,
    store: storeB,
  });
  await b.handshake.whenLive();
  const again = await tenant.sendWork('council-tax', Buffer.from('CT-9'), { messageId: 'dup-9' });
  t.same(after.runs, [], 'the new relay did not run it again');
  t.equal(again.body.toString(), first.body.toString(), 'and answered with the recorded body');
});
