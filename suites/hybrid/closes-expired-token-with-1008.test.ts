// HC-009: a control channel whose token expires is closed with 1008, and OUR listener comes
// back with a fresh token. In: 60 s tokens; the simulator and the listener on one manual
// clock, the listener's timers held so it cannot renew; then the control API's
// expire-token. Out: at expiry the endpoint closes the channel with 1008 (sim:hc:token
// expired); the listener reports RELAY_E_HC_CLOSED (1008), schedules a reconnect (0 s first),
// connects again with a token that verifies, and serves; the control API's early expiry does
// the same (the next delay, 1 s, on the manual clock).
import { ManualScheduler } from '../../simulator/src/cloud/hybrid';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { LinkedRelayScheduler, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-009', async (t) => {
  const clock = new ManualScheduler();
  const relayScheduler = new LinkedRelayScheduler(clock);
  const h = await startHarness(t, { clock });
  const office = backEnd();
  const listener = await h.listen({
    handler: office.handler,
    scheduler: relayScheduler,
    random: () => 0,
    config: { tokenTtlSeconds: 60 },
  });
  const first = await h.events.until(SIM_CHANNELS.listenerConnected);

  // The token runs out; the listener's renewal timer is held, so it does not renew.
  relayScheduler.hold();
  clock.advance(Number(first.expiresAt) * 1000 - clock.now());
  t.match(await h.events.until(SIM_CHANNELS.token, (e) => e.action === 'expired'), {
    code: 'SIM_E_HC_TOKEN_EXPIRED',
  });
  t.match(await h.events.until(SIM_CHANNELS.listenerClosed), { code: 1008, by: 'service' });
  t.match(await h.events.until(RELAY_CHANNELS.closed), { code: 1008, by: 'service' });
  const scheduled = await h.events.until(RELAY_CHANNELS.reconnectScheduled);
  t.match(scheduled, { attempt: 0, delayMs: 0, reason: 'RELAY_E_HC_CLOSED' });
  t.equal(relayScheduler.release(), 0, 'the held renewal died with its channel');

  clock.advance(0);
  await h.events.nth(RELAY_CHANNELS.connected, 2);
  const second = await h.events.nth(SIM_CHANNELS.listenerConnected, 2);
  t.ok(
    Number(second.expiresAt) > Number(first.expiresAt),
    'the listener reconnected with a fresh token',
  );
  t.equal(listener.state, 'connected');
  t.equal((await h.send('hyco/echo')).status, 200, 'and serves again');

  // The control API ends the channel as an expired token would.
  const control = h.sim.control;
  if (control === undefined) throw new Error('the control API is off');
  const res = await fetch(`${control.url}/listeners/expire-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ path: 'hyco' }),
  });
  t.same(await res.json(), { expired: 1 });
  t.match(await h.events.nth(RELAY_CHANNELS.closed, 2), { code: 1008, by: 'service' });
  const next = await h.events.nth(RELAY_CHANNELS.reconnectScheduled, 2);
  t.match(next, { attempt: 1, delayMs: 1_000, reason: 'RELAY_E_HC_CLOSED' });
  clock.advance(999);
  t.equal(h.events.of(RELAY_CHANNELS.connected).length, 2, 'not before its delay');
  clock.advance(1);
  await h.events.nth(RELAY_CHANNELS.connected, 3);
  t.equal((await h.send('hyco/echo')).status, 200, 'it serves after the early expiry too');
  t.equal(h.events.of(SIM_CHANNELS.listenerRefused).length, 0, 'no reconnect was refused');
});
