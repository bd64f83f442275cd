// hybrid.tokenTtlSeconds (FAULT-011): the lifetime of the Hybrid Connections listeners' SAS
// tokens. In: the sample config with and without the field, at and outside its bounds. Out: the
// default is 3600 s (Microsoft's clients); 10 s to 86400 s are accepted and carried into the
// loaded config (the relay hands it to each listener, which renews at 80% of it); 9 s and 86401 s
// are refused naming hybrid.tokenTtlSeconds; the listener's own config accepts 10 s too.
import t from 'tap';
import { isRelayConfigError, parseRelayConfig } from '../../src/config';
import { parseHcListenerConfig } from '../../src/transports/hc-config';
import { sample, setPath } from './helpers/sample';

void t.test('the default lifetime is an hour', (t) => {
  const s = sample();
  const c = parseRelayConfig(s.config, { file: 'relay.json', env: s.env });
  t.equal(c.hybrid.tokenTtlSeconds, 3600);
  t.end();
});

void t.test('10 s to a day are accepted and carried into the loaded config', (t) => {
  for (const ttl of [10, 600, 86_400]) {
    const s = sample();
    setPath(s.config, ['hybrid', 'tokenTtlSeconds'], ttl);
    const c = parseRelayConfig(s.config, { file: 'relay.json', env: s.env });
    t.equal(c.hybrid.tokenTtlSeconds, ttl, `${String(ttl)} s`);
  }
  t.end();
});

void t.test('below 10 s or above a day is refused with the path', (t) => {
  for (const ttl of [9, 86_401, 1.5]) {
    const s = sample();
    setPath(s.config, ['hybrid', 'tokenTtlSeconds'], ttl);
    let error: unknown;
    try {
      parseRelayConfig(s.config, { file: 'relay.json', env: s.env });
    } catch (e) {
      error = e;
    }
    t.ok(isRelayConfigError(error), `${String(ttl)} s refused`);
    if (isRelayConfigError(error)) t.equal(error.details.path, 'hybrid.tokenTtlSeconds');
  }
  t.end();
});

void t.test("the listener's own config takes the same lowest lifetime", (t) => {
  const base = {
    endpoint: 'wss://council-42-relay.servicebus.windows.net',
    path: 'council-tax',
    keyName: 'relay',
    key: 'a-key',
  };
  t.equal(parseHcListenerConfig({ ...base, tokenTtlSeconds: 10 }).tokenTtlSeconds, 10);
  t.throws(() => parseHcListenerConfig({ ...base, tokenTtlSeconds: 9 }), {
    code: 'RELAY_E_HC_CONFIG',
  });
  t.end();
});
