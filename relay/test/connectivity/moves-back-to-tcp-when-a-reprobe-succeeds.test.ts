// Auto-detect over time. In: a prober answering from a table the test changes, a manual
// clock, and the configured mode. Out: TCP is chosen when its path works; with 5671 blocked
// the relay runs on 443 and re-probes every reprobeIntervalMs, moving back to TCP once 5671
// works again; reprobe() runs a round at once and joins a running one; a fixed https mode
// never schedules a re-probe; close() stops the timers; the snapshot carries the diagnosis.
import t from 'tap';
import { createConnectivity, createEgress, type ModeChange } from '../../src/connectivity';
import {
  FakeSockets,
  ManualClock,
  recordEvents,
  tableProber,
  testSettings,
  nextRound,
} from './helpers/fakes';

const ALL_OK = {
  'amqp:5671': 'allowed',
  'amqp:443': 'allowed',
  'hc:9352': 'allowed',
  'hc:443': 'allowed',
  'hc:9350': 'allowed',
  'hc:9351': 'allowed',
  'hc:9353': 'allowed',
  'hc:9354': 'allowed',
} as const;

async function setup(t: tap.Test, mode: 'auto' | 'tcp' | 'https' = 'auto') {
  const settings = testSettings({
    connectivity: { mode, reprobeIntervalMs: 60_000, probeTimeoutMs: 1_000 },
  });
  const egress = await createEgress(settings, { sockets: new FakeSockets(), networkMap: null });
  const clock = new ManualClock();
  const prober = tableProber({ ...ALL_OK });
  const conn = createConnectivity(settings, {
    egress,
    scheduler: clock,
    prober,
    random: () => 0.5,
  });
  const modes: ModeChange[] = [];
  conn.on('mode', (m) => modes.push(m));
  t.teardown(() => {
    conn.close();
  });
  return { conn, clock, prober, modes };
}

void t.test('everything open: tcp is chosen and no timer is left running', async (t) => {
  const rec = recordEvents(['relay:connectivity:probe', 'relay:connectivity:mode']);
  t.teardown(rec.stop);
  const { conn, clock, prober } = await setup(t);
  const snap = await conn.start();
  t.equal(snap.mode, 'tcp');
  t.equal(prober.calls.length, 8, 'every port of the round was probed');
  t.same(clock.pending(), [], 'in tcp mode nothing is scheduled');
  t.equal(snap.ports.length, 8);
  t.ok(snap.ports.every((p) => p.diagnosis === 'allowed'));
  t.same(
    rec.events.filter((e) => e.channel === 'relay:connectivity:mode').map((e) => e.data),
    [{ mode: 'tcp', previous: 'unknown', reason: 'tcp path works', amqp: 'tcp', hc: 'tcp' }],
  );
  t.equal(rec.events.filter((e) => e.channel === 'relay:connectivity:probe').length, 8);
  t.same(
    (JSON.parse(JSON.stringify(snap)) as { ports: unknown[] }).ports[0],
    {
      target: 'amqp',
      host: 'council-42.servicebus.windows.net',
      port: 5671,
      path: 'tcp',
      role: 'primary',
      diagnosis: 'allowed',
      outcome: 'ok',
      ms: 0,
      at: clock.now(),
    },
    'the snapshot is plain JSON for /healthz',
  );
});

void t.test('5671 blocked: https, then the periodic re-probe moves back to tcp', async (t) => {
  const { conn, clock, prober, modes } = await setup(t);
  prober.table['amqp:5671'] = 'refused';
  const first = await conn.start();
  t.equal(first.mode, 'https');
  t.match(first.reason, /tcp path: amqp:5671 refused/);
  t.same(clock.pending(), [60_000], 'a re-probe is scheduled after reprobeIntervalMs');
  t.match(first.next, { kind: 'reprobe', delayMs: 60_000 });

  // Still blocked at the first re-probe: stays on https, schedules the next one.
  let round = nextRound(conn);
  clock.advance(60_000);
  t.equal((await round).mode, 'https');
  t.same(clock.pending(), [60_000]);

  prober.table['amqp:5671'] = 'allowed';
  round = nextRound(conn);
  clock.advance(60_000);
  t.equal((await round).mode, 'tcp', 'moved back to tcp');
  t.same(clock.pending(), [], 'no re-probe in tcp mode');
  t.same(
    modes.map((m) => `${m.previous}->${m.mode}`),
    ['unknown->https', 'https->tcp'],
  );
  t.equal(conn.snapshot().rounds, 3);
});

void t.test('reprobe() runs at once, cancels the timer and joins a running round', async (t) => {
  const { conn, clock, prober } = await setup(t);
  prober.table['hc:9352'] = 'timed-out';
  await conn.start();
  t.equal(conn.mode, 'https');
  t.same(clock.pending(), [60_000]);
  prober.table['hc:9352'] = 'allowed';
  const a = conn.reprobe();
  const b = conn.reprobe();
  t.equal(a, b, 'a second call joins the running round');
  t.equal((await a).mode, 'tcp');
  t.same(clock.pending(), [], 'the scheduled re-probe was cancelled');
  t.equal(prober.calls.length, 16, 'two rounds in all');
});

void t.test('a transport drop in tcp mode: reprobe() can move to https', async (t) => {
  const { conn, prober, modes } = await setup(t);
  await conn.start();
  prober.table['amqp:5671'] = 'timed-out';
  const snap = await conn.reprobe();
  t.equal(snap.mode, 'https');
  t.match(
    snap.ports.find((p) => p.port === 5671 && p.target === 'amqp'),
    { diagnosis: 'timed-out', outcome: 'timeout' },
  );
  t.same(
    modes.map((m) => m.mode),
    ['tcp', 'https'],
  );
});

void t.test(
  'a fixed https mode never schedules a re-probe; a fixed tcp mode never picks 443',
  async (t) => {
    const https = await setup(t, 'https');
    t.equal((await https.conn.start()).mode, 'https', 'https even though tcp works');
    t.same(https.clock.pending(), []);

    const tcp = await setup(t, 'tcp');
    tcp.prober.table['amqp:5671'] = 'refused';
    const snap = await tcp.conn.start();
    t.equal(snap.mode, 'none', '443 works, but the mode is fixed to tcp');
    t.equal(snap.amqp, 'none');
    t.match(snap.next, { kind: 'retry' });
  },
);

void t.test('close() stops the timers and later calls do not probe', async (t) => {
  const { conn, clock, prober } = await setup(t);
  prober.table['amqp:5671'] = 'refused';
  await conn.start();
  t.same(clock.pending(), [60_000]);
  conn.close();
  t.same(clock.pending(), []);
  const calls = prober.calls.length;
  await conn.reprobe();
  t.equal(prober.calls.length, calls, 'no probe after close');
});

void t.test('start() twice after a round returns the snapshot without probing again', async (t) => {
  const { conn, prober } = await setup(t);
  await conn.start();
  await conn.start();
  t.equal(prober.calls.length, 8);
});
