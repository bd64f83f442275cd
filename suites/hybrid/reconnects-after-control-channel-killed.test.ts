// HC-016: OUR listener reconnects after its control channel is killed. In: the simulator's
// control API closes the channel with 1011, then 1001; a TCP proxy in front of the simulator
// drops the connection without a close frame; 1011 once more; then, after the channel has
// been open 30 s (healthyAfterMs), once more. The listener's clock is manual and its jitter
// source fixed (u = 0.5, jitter 0.2), so no delay is waited for. Out: each loss is reported
// (relay:hc:closed with the code, 1006 for the drop) and a reconnect scheduled with the delays
// 0, 1.1, 2.2, 5.5 s (0, 1, 2, 5 s + 10 %), not one millisecond early; after a healthy
// channel the schedule starts again at 0; after every reconnect the listener serves.
import { createServer, connect, type Socket } from 'node:net';
import { ManualScheduler } from '../../simulator/src/cloud/hybrid';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { LinkedRelayScheduler, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

/** A loopback TCP proxy to `port` that can drop every connection it carries. */
async function startProxy(t: tap.Test, port: number): Promise<{ port: number; drop(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => {
        sockets.delete(s);
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no proxy port');
  return {
    port: address.port,
    drop: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

void kase('HC-016', async (t) => {
  const h = await startHarness(t);
  const plain = h.sim.listeners.plain;
  if (plain === undefined) throw new Error('no plain listener');
  const proxy = await startProxy(t, plain.port);
  h.route('plain', proxy.port);
  const clock = new ManualScheduler();
  const office = backEnd();
  await h.listen({
    handler: office.handler,
    scheduler: new LinkedRelayScheduler(clock),
    random: () => 0.5,
  });
  const control = h.sim.control;
  if (control === undefined) throw new Error('the control API is off');
  const closeVia = async (code: number): Promise<void> => {
    const res = await fetch(`${control.url}/listeners/close`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: 'hyco', code, reason: `killed with ${code}` }),
    });
    t.same(await res.json(), { closed: 1 }, `the control API closed the channel with ${code}`);
  };

  const kills = [
    { how: 'close 1011', kill: () => closeVia(1011), code: 1011, delayMs: 0 },
    { how: 'close 1001', kill: () => closeVia(1001), code: 1001, delayMs: 1_100 },
    {
      how: 'a dropped connection',
      kill: () => {
        proxy.drop();
        return Promise.resolve();
      },
      code: 1006,
      delayMs: 2_200,
    },
    { how: 'close 1011 again', kill: () => closeVia(1011), code: 1011, delayMs: 5_500 },
  ];
  let n = 1;
  for (const k of kills) {
    await k.kill();
    t.match(
      await h.events.nth(RELAY_CHANNELS.closed, n),
      { code: k.code, by: 'service' },
      `${k.how}: the listener saw the channel go (${k.code})`,
    );
    t.match(
      await h.events.nth(RELAY_CHANNELS.reconnectScheduled, n),
      { attempt: n - 1, delayMs: k.delayMs, reason: 'RELAY_E_HC_CLOSED' },
      `${k.how}: reconnect in ${k.delayMs} ms`,
    );
    if (k.delayMs > 0) {
      clock.advance(k.delayMs - 1);
      t.equal(h.events.of(RELAY_CHANNELS.connecting).length, n, `${k.how}: not a ms early`);
    }
    clock.advance(k.delayMs === 0 ? 0 : 1);
    await h.events.nth(RELAY_CHANNELS.connected, n + 1);
    await h.events.nth(SIM_CHANNELS.listenerConnected, n + 1);
    const answer = await h.send('hyco/echo', { method: 'POST', body: `after ${k.how}` });
    t.equal(answer.status, 200, `${k.how}: served again`);
    n += 1;
  }

  // A channel that stayed up for healthyAfterMs starts the schedule again at 0.
  clock.advance(30_000);
  await closeVia(1011);
  t.match(await h.events.nth(RELAY_CHANNELS.reconnectScheduled, n), { attempt: 0, delayMs: 0 });
  clock.advance(0);
  await h.events.nth(RELAY_CHANNELS.connected, n + 1);
  t.equal((await h.send('hyco/echo')).status, 200, 'and serves');
  t.equal(h.events.of(RELAY_CHANNELS.refused).length, 0, 'no reconnect was refused');
});
