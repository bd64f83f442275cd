// Token renewal: at renewAtFraction of the token's lifetime the listener sends
// {"renewToken":{"token":...}} on the control channel with a fresh token, and again one period
// later; a 1008 close (token expired or renewal refused) leads to a reconnect with a new token.
import t from 'tap';
import { parseSasToken, verifySasToken } from '../../src/protocol/sas';
import { setup } from './helpers/setup';

void t.test('the token is renewed at 80% of its lifetime, then every 80% again', async (t) => {
  const s = setup(t, { config: { tokenTtlSeconds: 3600, renewAtFraction: 0.8 } });
  const peer = await s.connect();
  const start = s.scheduler.now();
  const first = parseSasToken(peer.param('sb-hc-token') ?? '');
  s.scheduler.advance(2_880_000 - 1);
  t.equal(peer.pending, 0, 'nothing is sent before 2880 s');
  s.scheduler.advance(1);
  const frame = await peer.nextJson();
  const token = (frame.renewToken as { token: string }).token;
  t.same(Object.keys(frame), ['renewToken']);
  const renewed = verifySasToken(
    token,
    {
      resource: `sb://${s.host}/${s.path}`,
      right: 'Listen',
      rules: [
        {
          keyName: 'RootListen',
          key: s.key,
          rights: new Set(['Listen']),
          scope: `sb://${s.host}/`,
        },
      ],
      maxLifetimeSeconds: 3600,
    },
    { clock: { now: () => s.scheduler.now() } },
  );
  t.equal(renewed.expiresAt, Math.floor((start + 2_880_000) / 1000) + 3600, 'a fresh hour');
  t.ok(renewed.expiresAt > first.se, 'later than the first token');
  const event = await s.events.until('relay:hc:token-renewed');
  t.equal(event.expiresAt, renewed.expiresAt);
  t.notMatch(JSON.stringify(event), /SharedAccessSignature|sig=/, 'the event holds no token');
  s.scheduler.advance(2_880_000);
  t.match(await peer.nextJson(), { renewToken: { token: /^SharedAccessSignature / } });
  t.equal(s.events.list('relay:hc:token-renewed').length, 2);
});

void t.test('a 1008 close from the service leads to a reconnect with a fresh token', async (t) => {
  const s = setup(t, { config: { tokenTtlSeconds: 600 } });
  const peer = await s.connect();
  const firstToken = peer.param('sb-hc-token');
  const disconnected = new Promise((r) => s.listener.once('disconnected', r));
  s.scheduler.advance(100_000);
  peer.close(1008, 'token expired');
  t.match(await disconnected, { code: 'RELAY_E_HC_CLOSED', details: { code: 1008 } });
  t.match(await s.events.until('relay:hc:closed'), { code: 1008, by: 'service' });
  t.match(await s.events.until('relay:hc:reconnect-scheduled'), {
    attempt: 0,
    delayMs: 0,
    reason: 'RELAY_E_HC_CLOSED',
  });
  s.scheduler.advance(0);
  const again = await s.control.nextPeer();
  t.not(again.param('sb-hc-token'), firstToken, 'a new token');
  t.equal(
    parseSasToken(again.param('sb-hc-token') ?? '').se,
    Math.floor(s.scheduler.now() / 1000) + 600,
  );
  await s.events.nth('relay:hc:connected', 2);
  // The renewal clock restarts with the new connection.
  s.scheduler.advance(480_000 - 1);
  t.equal(again.pending, 0);
  s.scheduler.advance(1);
  t.match(await again.nextJson(), { renewToken: {} });
});
