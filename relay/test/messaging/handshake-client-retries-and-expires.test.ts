// The handshake client's schedule, on a fake namespace and a manual clock. In: HELLOs answered
// or left unanswered by a HandshakeVerifier granting 100 s sessions. Out: an unanswered HELLO
// times out after answerTimeoutMs (RELAY_E_SESSION_TIMEOUT) and is retried with the reconnect
// delays (0, 1, 2 s ...); a WELCOME makes the session live (gate and events); renewal starts at
// 80 s; while renewals fail the session stays live until its end, then it expires (down,
// relay:session expired) and the work gate closes.
import diagnostics from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { HandshakeClient, MESSAGING_CHANNELS, TenantKeys } from '../../src/messaging';
import { HandshakeVerifier } from '../../src/protocol/handshake';
import { FakeNamespace, flush, ManualClock } from './lib/fakes';

const TENANT = 'council-42';

function setup(t: tap.Test) {
  const clock = new ManualClock();
  const key = randomBytes(32);
  const verifier = new HandshakeVerifier(
    { tenants: { [TENANT]: [{ kid: 'k1', key }] }, ttlSeconds: 100 },
    { clock },
  );
  const ns = new FakeNamespace();
  let answering = false;
  ns.answer = (hello) => {
    if (!answering) return undefined;
    const r = verifier.verify(hello.body as Buffer);
    return r.ok ? r.welcome : r.reject;
  };
  const client = new HandshakeClient(
    { tenant: TENANT, instanceId: 'relay-a', answerTimeoutMs: 5_000, reconnectJitter: 0 },
    {
      serviceBus: ns.client(),
      keys: new TenantKeys([{ kid: 'k1', key }]),
      scheduler: clock,
      random: () => 0,
    },
  );
  const events: Record<string, unknown>[] = [];
  const onEvent = (m: unknown): void => {
    events.push(m as Record<string, unknown>);
  };
  diagnostics.subscribe(MESSAGING_CHANNELS.session, onEvent);
  const gate: boolean[] = [];
  client.onChange((live) => gate.push(live));
  t.teardown(async () => {
    diagnostics.unsubscribe(MESSAGING_CHANNELS.session, onEvent);
    await client.close();
  });
  /** Advances in 500 ms steps, letting the client's async work run between steps. */
  const run = async (ms: number): Promise<void> => {
    for (let done = 0; done < ms; done += 500) {
      clock.advance(Math.min(500, ms - done));
      await flush();
    }
    clock.advance(0); // timers set at the last step for "now"
    await flush();
  };
  return {
    clock,
    ns,
    client,
    events,
    gate,
    run,
    answer: (on: boolean) => {
      answering = on;
    },
  };
}

void t.test('an unanswered HELLO times out and is retried with the reconnect delays', async (t) => {
  const { ns, client, events, gate, run, answer } = setup(t);
  client.start();
  await flush();
  t.equal(ns.sent.length, 1, 'the first HELLO goes out at once');
  t.equal(ns.sent[0]?.entity, 'handshake');
  t.equal(client.state, 'handshaking');

  await run(5_000);
  t.match(
    events.filter((e) => e.state === 'failed'),
    [{ code: 'RELAY_E_SESSION_TIMEOUT', attempt: 1, delayMs: 0 }],
  );
  t.equal(ns.sent.length, 2, 'retried at once (first delay 0 s)');
  await run(5_000);
  t.match(
    events.filter((e) => e.state === 'failed'),
    [{ delayMs: 0 }, { attempt: 2, delayMs: 1_000 }],
  );
  t.equal(ns.sent.length, 2, 'the next try waits 1 s');
  answer(true);
  await run(1_000);
  t.equal(ns.sent.length, 3);
  t.ok(client.isLive(), 'the answered HELLO gives a live session');
  t.same(gate, [true], 'the gate opened once');
  t.equal(events.at(-1)?.state, 'live');
});

void t.test('a session whose renewals fail stays live to its end, then expires', async (t) => {
  const { ns, client, events, gate, run, answer } = setup(t);
  answer(true);
  client.start();
  await flush();
  const first = client.session;
  if (first === undefined) throw new Error('no session');
  t.equal(first.ttl, 100);
  answer(false);
  const downs: string[] = [];
  client.on('down', (reason) => downs.push(reason));

  await run(79_500);
  t.equal(ns.sent.length, 1, 'no renewal before 80 s');
  await run(500);
  t.equal(ns.sent.length, 2, 'renewal HELLO at 80 s');
  await run(15_000); // 95 s: renewals keep failing
  t.ok(client.isLive(), 'still live at 95 s');
  t.same(gate, [true]);
  t.ok(ns.sent.length >= 4, 'renewal retried');
  await run(5_500); // past 100 s
  t.notOk(client.isLive(), 'not live after the ttl');
  t.same(gate, [true, false], 'the gate closed');
  t.same(downs, ['expired']);
  t.match(
    events.filter((e) => e.state === 'expired'),
    [{ instanceId: 'relay-a', kid: 'k1' }],
  );
  t.equal(client.state, 'expired');
});

void t.test('REJECT closes the gate and schedules a slow retry', async (t) => {
  const { ns, client, clock, events, gate } = setup(t);
  ns.answer = () => '{"v":1,"t":"reject"}';
  const error = await client.rehandshake().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(error, { code: 'RELAY_E_SESSION_REJECTED', details: { kid: 'k1' } });
  t.equal(client.state, 'rejected');
  t.same(gate, [], 'never live, so the gate never opened');
  t.ok(clock.pending().includes(60_000), 'the next attempt is in 60 s (rejectRetryMs)');
  t.match(events.at(-1), { state: 'rejected', code: 'RELAY_E_SESSION_REJECTED' });
});

void t.test('an answer to an older HELLO is skipped', async (t) => {
  const { ns, client, answer } = setup(t);
  ns.preload('relay-a', '{"v":1,"t":"reject"}', 'an-older-hello');
  answer(true);
  const session = await client.rehandshake();
  t.equal(session.kid, 'k1', 'the stale REJECT did not count: the WELCOME made a session');
  t.ok(client.isLive());
});

void t.test('an answer that is not a WELCOME fails with its handshake code', async (t) => {
  const { ns, client } = setup(t);
  ns.answer = () => '{"v":1,"t":"welcome"}';
  const error = await client.rehandshake().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(error, { code: 'RELAY_E_SESSION_ANSWER', details: { hsCode: 'HS_E_FORMAT' } });
  t.notOk(client.isLive());
});

void t.test('close() during a handshake stops it with RELAY_E_SESSION_CLOSED', async (t) => {
  const { client } = setup(t);
  const attempt = client.rehandshake();
  const live = client.whenLive();
  await flush();
  await client.close();
  t.match(await attempt.catch((e: unknown) => e), { code: 'RELAY_E_SESSION_CLOSED' });
  t.match(await live.catch((e: unknown) => e), { code: 'RELAY_E_SESSION_CLOSED' });
  t.equal(client.state, 'closed');
});
