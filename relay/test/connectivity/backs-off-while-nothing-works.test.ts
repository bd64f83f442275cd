// Retries while no path works. In: a prober that refuses everything, a manual clock, a fixed
// jitter source, the reconnect delays 0, 1, 2, 5, 10, 30 s and jitter 0.2. Out: mode none
// with a per-port diagnosis; the rounds are scheduled at the delays plus jitter (the last
// delay repeats); a round that works ends the back-off and resets it; a prober that throws
// counts as a failed port, never as an unhandled rejection.
import t from 'tap';
import {
  createConnectivity,
  createEgress,
  reconnectDelayFor,
  type Prober,
} from './helpers/connectivity-under-test';
import { FakeSockets, ManualClock, tableProber, testSettings, nextRound } from './helpers/fakes';

async function setup(t: tap.Test, prober: Prober, random = () => 0.5) {
  const settings = testSettings();
  const egress = await createEgress(settings, { sockets: new FakeSockets(), networkMap: null });
  const clock = new ManualClock();
  const conn = createConnectivity(settings, { egress, scheduler: clock, prober, random });
  t.teardown(() => {
    conn.close();
  });
  return { conn, clock };
}

void t.test(
  'nothing works: none, then retries at 0, 1, 2, 5, 10, 30, 30 s plus jitter',
  async (t) => {
    const prober = tableProber({});
    const { conn, clock } = await setup(t, prober);
    const first = await conn.start();
    t.equal(first.mode, 'none');
    t.equal(first.failures, 1);
    t.same(
      first.ports.map((p) => `${p.target}:${p.port} ${p.diagnosis}`),
      [
        'amqp:5671 refused',
        'amqp:443 refused',
        'hc:9352 refused',
        'hc:443 refused',
        'hc:9350 refused',
        'hc:9351 refused',
        'hc:9353 refused',
        'hc:9354 refused',
      ],
    );
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const [pending] = clock.pending();
      if (pending === undefined) break;
      delays.push(pending);
      const round = nextRound(conn);
      clock.advance(pending);
      await round;
    }
    // jitter 0.2 with u = 0.5: each delay is base * 1.1.
    t.same(delays, [0, 1_100, 2_200, 5_500, 11_000, 33_000, 33_000]);
    t.same(
      delays.map((d, i) => d === reconnectDelayFor(i, () => 0.5)),
      delays.map(() => true),
      'the relay uses the same schedule as the Hybrid Connections listener',
    );
    t.equal(conn.snapshot().failures, 8);
  },
);

void t.test('the jitter stays within [base, base * 1.2] for any random source', async (t) => {
  for (const r of [0, 0.999, 1, -1, Number.NaN]) {
    const { conn, clock } = await setup(t, tableProber({}), () => r);
    await conn.start();
    for (let i = 0; i < 3; i++) {
      const round = nextRound(conn);
      clock.runNext();
      await round;
    }
    const [next] = clock.pending();
    t.ok(next !== undefined && next >= 5_000 && next <= 6_000, `random ${r}: ${next}`);
    conn.close();
  }
});

void t.test('a round that works ends the back-off and resets it', async (t) => {
  const prober = tableProber({});
  const { conn, clock } = await setup(t, prober);
  await conn.start();
  for (let i = 0; i < 3; i++) {
    const round = nextRound(conn);
    clock.runNext();
    await round;
  }
  prober.table['amqp:443'] = 'allowed';
  prober.table['hc:443'] = 'allowed';
  const round = nextRound(conn);
  clock.runNext();
  const snap = await round;
  t.equal(snap.mode, 'https');
  t.equal(snap.failures, 0);
  t.match(snap.next, { kind: 'reprobe' });
  prober.table['amqp:443'] = 'refused';
  const again = await conn.reprobe();
  t.equal(again.mode, 'none');
  t.same(clock.pending(), [0], 'the schedule starts again at its first delay');
});

void t.test('a prober that throws is a failed port, not a crash', async (t) => {
  const prober: Prober = () => Promise.reject(new Error('boom'));
  const { conn } = await setup(t, prober);
  const snap = await conn.start();
  t.equal(snap.mode, 'none');
  t.ok(snap.ports.every((p) => p.diagnosis === 'failed' && p.outcome === 'error'));
});
