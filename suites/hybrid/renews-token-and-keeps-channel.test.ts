// HC-008: the listener renews its token before it expires and keeps the channel. In: OUR
// listener with 60 s tokens (renewal at 80 %: 48 s), the simulator and the listener on one
// manual clock. Out: at 48 s the listener sends renewToken (relay:hc:token-renewed), the
// endpoint accepts it without a reply (sim:hc:token renewed, later expiry); the clock then
// passes the first token's expiry and the channel stays open (no expiry, no close, one
// connection all along) and serves a request; a second renewal follows 48 s after the first.
import { ManualScheduler } from '../../simulator/src/cloud/hybrid';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { LinkedRelayScheduler, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-008', async (t) => {
  const clock = new ManualScheduler();
  const h = await startHarness(t, { clock });
  const office = backEnd();
  await h.listen({
    handler: office.handler,
    scheduler: new LinkedRelayScheduler(clock),
    config: { tokenTtlSeconds: 60, renewAtFraction: 0.8 },
  });
  const connected = await h.events.until(SIM_CHANNELS.listenerConnected);
  const firstExpiry = Number(connected.expiresAt);
  t.ok(firstExpiry * 1000 - clock.now() <= 60_000, 'the first token lives at most 60 s');

  clock.advance(47_999);
  t.same(h.events.of(RELAY_CHANNELS.tokenRenewed), [], 'no renewal before 48 s');
  clock.advance(1);
  const renewedAt = clock.now();
  const renewed = await h.events.until(SIM_CHANNELS.token, (e) => e.action === 'renewed');
  t.ok(Number(renewed.expiresAt) > firstExpiry, 'the endpoint took a token that lives longer');
  t.match(await h.events.until(RELAY_CHANNELS.tokenRenewed), {
    expiresAt: Number(renewed.expiresAt),
  });
  t.same(
    h.events.of(SIM_CHANNELS.frame, (e) => e.direction === 'out' && e.channel === 'control'),
    [],
    'no reply to renewToken',
  );

  // Past the first token's expiry.
  clock.advance(firstExpiry * 1000 - clock.now() + 1_000);
  t.equal((await h.send('hyco/echo')).status, 200, 'the channel serves after the first expiry');
  t.same(
    h.events.of(SIM_CHANNELS.token, (e) => e.action !== 'renewed'),
    [],
    'no expiry, no refusal',
  );
  t.same(h.events.of(SIM_CHANNELS.listenerClosed), [], 'the channel was never closed');
  t.equal(h.events.of(RELAY_CHANNELS.connecting).length, 1, 'one connection all along');
  const view = h.sim.endpoint.listeners({ path: 'hyco' });
  t.equal(view.length, 1);
  t.equal(view[0]?.expiresAt, Number(renewed.expiresAt), 'the endpoint holds the new expiry');

  // And again, 48 s after the first renewal.
  clock.advance(renewedAt + 48_000 - clock.now());
  await h.events.nth(SIM_CHANNELS.token, 2, (e) => e.action === 'renewed');
  t.pass('a second renewal followed');
  t.same(h.events.of(SIM_CHANNELS.listenerClosed), []);
});
