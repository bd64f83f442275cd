// PORT-007: every port blocked. In: a world whose firewall refuses everything; the reference
// relay as a child process with reconnect delays 0, 0.5, 1, 2 s (+20% jitter). Out: mode none,
// a per-port diagnosis on /healthz (503, every probed port refused), retry rounds on the
// back-off schedule (each delay within its jitter band), and recovery on its own once the
// firewall opens: a live session with no restart.
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { BLOCK_ALL, firewall, startRelayWorld } from '../lib/relay-world';

void kase('PORT-007', async (t) => {
  const rw = await startRelayWorld(t, { world: { network: { firewall: BLOCK_ALL } } });
  const relay = rw.startRelay();
  const none = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(none.data.mode, 'none', 'nothing works: mode none');
  const url = await relay.healthUrl;
  const res = await fetch(`${url}/healthz`);
  t.equal(res.status, 503, '/healthz answers 503 while nothing works');
  const health = (await res.json()) as Awaited<ReturnType<typeof rw.health>>;
  t.ok(health.ports.length >= 4, 'every probed port has a diagnosis');
  for (const p of health.ports) t.equal(p.outcome, 'refused', `${p.host}:${p.port} refused`);
  t.equal(health.session.state, 'none', 'no session without a transport');

  // Three retry rounds: each announces the next delay from the configured schedule.
  const rounds = [];
  let from = 0;
  for (let i = 0; i < 3; i++) {
    const r = await relay.waitAfter(
      from,
      (e) => e.channel === 'relay:connectivity:round' && e.data.next === 'retry',
      `retry round ${i + 1}`,
    );
    rounds.push(r);
    from = relay.events.indexOf(r) + 1;
  }
  const schedule = [0, 500, 1000, 2000];
  rounds.forEach((r, i) => {
    const delay = Number(r.data.delayMs);
    const base = schedule[Math.min(i, schedule.length - 1)] ?? 0;
    t.ok(
      delay >= base && delay <= base * 1.2 + 1,
      `retry ${i + 1} waits ${delay} ms: within [${base}, ${base * 1.2}] (schedule plus jitter)`,
    );
  });

  const model = rw.world.network;
  if (model === undefined) throw new Error('no network model');
  const mark = relay.events.length;
  await model.firewall.set(firewall([443, 5671, 9350, 9351, 9352, 9353, 9354]));
  await relay.waitAfter(mark, isEvent('relay:connectivity:mode', { mode: 'tcp' }), 'tcp');
  await relay.waitAfter(mark, isEvent('relay:session', { state: 'live' }), 'a live session');
  const after = await rw.health(relay);
  t.ok(after.healthy, 'the relay recovered on its own once the firewall opened');
});
