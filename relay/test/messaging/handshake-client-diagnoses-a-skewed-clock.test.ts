// The relay's diagnosis of its own clock (FAULT-009). In: a cloud side (HandshakeVerifier, 120 s
// window) on one manual clock, the relay's handshake client on another set ahead or behind it,
// and a fake namespace stamping every answer with the cloud clock as its enqueued time. Out: at
// ±5 min the REJECT becomes RELAY_E_SESSION_CLOCK whose message says how far off the clock is,
// that it is outside the ±120 s window and to fix NTP (event and details carry clockAheadMs), and
// the slow retry stays; at +60 s the session goes live with a warning that the clock drifts; a
// clock in step gives a plain session, a wrong key stays RELAY_E_SESSION_REJECTED, and an
// answer without an enqueued time gives no reading. Also readClockSkew's verdicts at the bounds.
import diagnostics from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { HandshakeClient, MESSAGING_CHANNELS, TenantKeys } from '../../src/messaging';
import { readClockSkew } from '../../src/messaging/clock-skew';
import { HandshakeVerifier } from '../../src/protocol/handshake';
import { FakeNamespace, flush, ManualClock } from './lib/fakes';

const TENANT = 'council-42';
const CLOUD_NOW = 1_700_000_000_000;

function setup(t: tap.Test, aheadMs: number, options: { wrongKey?: boolean } = {}) {
  const cloud = new ManualClock(CLOUD_NOW);
  const relayClock = new ManualClock(CLOUD_NOW + aheadMs);
  const key = randomBytes(32);
  const verifier = new HandshakeVerifier(
    { tenants: { [TENANT]: [{ kid: 'k1', key }] }, ttlSeconds: 3600 },
    { clock: cloud },
  );
  const ns = new FakeNamespace();
  ns.answer = (hello) => {
    const r = verifier.verify(hello.body as Buffer);
    return r.ok ? r.welcome : r.reject;
  };
  ns.enqueuedAt = () => new Date(cloud.now());
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    }),
  );
  const client = new HandshakeClient(
    { tenant: TENANT, instanceId: 'relay-a', answerTimeoutMs: 5_000, reconnectJitter: 0 },
    {
      serviceBus: ns.client(),
      keys: new TenantKeys([{ kid: 'k1', key: options.wrongKey === true ? randomBytes(32) : key }]),
      scheduler: relayClock,
      random: () => 0,
      logger,
    },
  );
  const events: Record<string, unknown>[] = [];
  const onEvent = (m: unknown): void => {
    events.push(m as Record<string, unknown>);
  };
  diagnostics.subscribe(MESSAGING_CHANNELS.session, onEvent);
  t.teardown(async () => {
    diagnostics.unsubscribe(MESSAGING_CHANNELS.session, onEvent);
    await client.close();
  });
  return { ns, client, events, lines, relayClock };
}

function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

void t.test('a clock 5 minutes fast: REJECT diagnosed as the clock, with the fix', async (t) => {
  const { client, events, lines, relayClock } = setup(t, 300_000);
  const error = await refusal(client.rehandshake());
  t.match(error, {
    code: 'RELAY_E_SESSION_CLOCK',
    details: { kid: 'k1', tenant: TENANT, clockAheadMs: 300_000 },
  });
  const message = (error as Error).message;
  t.match(message, /REJECT\) for tenant council-42 under key id k1/);
  t.match(message, /clock is about 300 s ahead of the Service Bus namespace's/);
  t.match(message, /outside the ±120 s the cloud side allows/);
  t.match(message, /HS_E_SKEW/);
  t.match(message, /NTP/);
  t.equal(client.state, 'rejected');
  t.notOk(client.isLive());
  t.match(events.at(-1), {
    state: 'rejected',
    code: 'RELAY_E_SESSION_CLOCK',
    clockAheadMs: 300_000,
  });
  t.ok(relayClock.pending().includes(60_000), 'tried again in 60 s (rejectRetryMs), as a REJECT');
  const logged = lines.find((l) => l.code === 'RELAY_E_SESSION_CLOCK');
  t.match(logged, { level: 50, msg: /about 300 s ahead/ }, 'logged as an error with the reading');
});

void t.test('a clock 5 minutes slow: the same diagnosis, "behind"', async (t) => {
  const { client, events } = setup(t, -300_000);
  const error = await refusal(client.rehandshake());
  t.match(error, { code: 'RELAY_E_SESSION_CLOCK', details: { clockAheadMs: -300_000 } });
  t.match((error as Error).message, /about 300 s behind the Service Bus namespace's/);
  t.match(events.at(-1), { state: 'rejected', clockAheadMs: -300_000 });
});

void t.test('a clock 60 s fast: inside the window, live, with a warning', async (t) => {
  const { client, events, lines } = setup(t, 60_000);
  const session = await client.rehandshake();
  t.equal(session.kid, 'k1');
  t.ok(client.isLive());
  t.match(events.at(-1), { state: 'live', clockAheadMs: 60_000 });
  const warning = lines.find((l) => l.level === 40 && typeof l.msg === 'string');
  t.match(warning, {
    clockAheadMs: 60_000,
    msg: /clock: this relay's clock is about 60 s ahead.*inside the ±120 s handshake window.*NTP/,
  });
});

void t.test('a clock in step: a plain live session, no reading published', async (t) => {
  const { client, events, lines } = setup(t, 2_000);
  await client.rehandshake();
  t.equal(events.at(-1)?.state, 'live');
  t.notOk('clockAheadMs' in (events.at(-1) ?? {}), 'no clock reading in the event');
  t.notOk(
    lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('clock:')),
    'no warning',
  );
});

void t.test('a wrong key with the clock in step stays a key refusal', async (t) => {
  const { client, events } = setup(t, 0, { wrongKey: true });
  const error = await refusal(client.rehandshake());
  t.match(error, { code: 'RELAY_E_SESSION_REJECTED' });
  t.match((error as Error).message, /key id k1 is active/);
  t.match(events.at(-1), { state: 'rejected', code: 'RELAY_E_SESSION_REJECTED' });
});

void t.test('without an enqueued time there is no reading (a REJECT stays a REJECT)', async (t) => {
  const { ns, client } = setup(t, 300_000);
  ns.enqueuedAt = undefined;
  const error = await refusal(client.rehandshake());
  t.match(error, { code: 'RELAY_E_SESSION_REJECTED' });
  await flush();
});

void t.test('readClockSkew: verdicts at the bounds of a 120 s window', (t) => {
  const w = 120_000;
  t.equal(readClockSkew(1_000, undefined, w), undefined, 'no stamp, no reading');
  t.equal(readClockSkew(Number.NaN, 1_000, w), undefined, 'no clock, no reading');
  t.match(readClockSkew(30_000, 0, w), { aheadMs: 30_000, verdict: 'ok' });
  t.match(readClockSkew(30_001, 0, w), { verdict: 'drifting' });
  t.match(readClockSkew(0, 30_001, w), { aheadMs: -30_001, verdict: 'drifting' });
  t.match(readClockSkew(120_000, 0, w), { verdict: 'drifting' }, 'the window itself is inside');
  t.match(readClockSkew(120_001, 0, w), { verdict: 'outside', text: /about 120 s ahead/ });
  t.match(readClockSkew(0, 400_000, w), { verdict: 'outside', text: /about 400 s behind/ });
  t.end();
});
