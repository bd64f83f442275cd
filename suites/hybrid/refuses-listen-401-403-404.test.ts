// HC-001: the listener handshake is refused with 401, 403 and 404. In: OUR listener started
// with a key nobody configured, with the Send-only rule, and for a hybrid connection that does
// not exist (maxRefusals 1, so it gives up at the first refusal). Out: the endpoint answers the
// WebSocket handshake 401, 403 and 404 (sim:hc:listener-refused), and the listener reports
// each as its typed error (RELAY_E_HC_UNAUTHORIZED, _FORBIDDEN, _NOT_FOUND): ready() rejects,
// the state is failed, relay:hc:refused and relay:hc:failed carry the status. No control
// channel was ever opened; a correct listener afterwards connects.
import { isHcError } from '../../relay/src/transports';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { RELAY_CHANNELS, SIM_CHANNELS, startHarness, strayKey } from './lib/hc';

void kase('HC-001', async (t) => {
  const h = await startHarness(t);
  const office = backEnd();
  const attempts = [
    {
      what: 'a key nobody configured',
      options: { keyName: 'listen', key: strayKey() },
      status: 401,
      code: 'RELAY_E_HC_UNAUTHORIZED',
    },
    {
      what: 'a rule without Listen (Send only)',
      options: { keyName: 'send', key: h.keys.send },
      status: 403,
      code: 'RELAY_E_HC_FORBIDDEN',
    },
    {
      what: 'a hybrid connection that does not exist',
      options: { path: 'no-such-hc', keyName: 'RootManageSharedAccessKey', key: h.keys.root },
      status: 404,
      code: 'RELAY_E_HC_NOT_FOUND',
    },
  ] as const;

  for (const a of attempts) {
    h.events.clear();
    const listener = await h.listen({
      handler: office.handler,
      ...a.options,
      config: { maxRefusals: 1 },
      ready: false,
    });
    const outcome = await listener.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isHcError(outcome, a.code), `${a.what}: ready() rejects with ${a.code}`);
    if (isHcError(outcome)) t.equal(outcome.details.status, a.status);
    t.equal(listener.state, 'failed', `${a.what}: the listener gave up`);
    t.match(
      h.events.of(SIM_CHANNELS.listenerRefused),
      [{ status: a.status }],
      `${a.what}: the endpoint answered the handshake ${a.status}`,
    );
    t.match(h.events.of(RELAY_CHANNELS.refused), [
      { status: a.status, code: a.code, retryable: false },
    ]);
    t.match(h.events.of(RELAY_CHANNELS.failed), [{ status: a.status, code: a.code }]);
    t.same(h.events.of(RELAY_CHANNELS.connected), [], `${a.what}: no control channel opened`);
    t.same(h.events.of(SIM_CHANNELS.listenerConnected), []);
  }

  // The same endpoint takes a listener whose token is right.
  h.events.clear();
  await h.listen({ handler: office.handler });
  t.match(h.events.of(SIM_CHANNELS.listenerConnected), [{ path: 'hyco', count: 1 }]);
  t.equal((await h.send('hyco/echo')).status, 200, 'and serves through it');
});
