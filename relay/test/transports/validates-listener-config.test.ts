// The listener's configuration is validated at the edge: wss on 443 or 9352 (plain ws only with
// the development flag), a valid hybrid connection path and key name, bounded numbers; the
// result is frozen and carries the listen URL and the token audience. Errors name the field and
// never echo the key.
import t from 'tap';
import { isHcError } from '../../src/transports/errors';
import { parseHcListenerConfig } from '../../src/transports/hc-config';
import { listenUrl } from '../../src/transports/hc-frames';

const base = {
  endpoint: 'wss://council-42.servicebus.windows.net',
  path: 'council-tax',
  keyName: 'RootListen',
  key: 'k3y-that-must-never-be-echoed',
};

function refusal(input: Record<string, unknown>): { path: unknown; message: string } {
  try {
    parseHcListenerConfig(input);
  } catch (e) {
    if (isHcError(e, 'RELAY_E_HC_CONFIG')) return { path: e.details.path, message: e.message };
    throw e;
  }
  throw new Error('accepted');
}

void t.test('defaults are filled in and the result is frozen', (t) => {
  const c = parseHcListenerConfig(base);
  t.ok(Object.isFrozen(c));
  t.ok(Object.isFrozen(c.reconnectDelaysMs));
  t.same(c.reconnectDelaysMs, [0, 1000, 2000, 5000, 10000, 30000]);
  t.match(c, {
    scheme: 'wss',
    host: 'council-42.servicebus.windows.net',
    port: 443,
    baseUrl: 'wss://council-42.servicebus.windows.net/$hc/council-tax',
    tokenResource: 'http://council-42.servicebus.windows.net/council-tax',
    tokenTtlSeconds: 3600,
    renewAtFraction: 0.8,
    pingIntervalMs: 210_000,
    responseDeadlineMs: 55_000,
    maxConcurrent: 16,
    tokenPlacement: 'header',
    insecure: false,
  });
  t.equal(
    listenUrl(parseHcListenerConfig({ ...base, listenerId: 'relay-1' }), undefined),
    'wss://council-42.servicebus.windows.net/$hc/council-tax?sb-hc-action=listen&sb-hc-id=relay-1',
  );
  t.end();
});

void t.test('wss on 443 and 9352 and ws with the development flag are accepted', (t) => {
  t.equal(
    parseHcListenerConfig({ ...base, endpoint: 'wss://council-42.servicebus.windows.net:443' })
      .port,
    443,
  );
  const tcp = parseHcListenerConfig({
    ...base,
    endpoint: 'wss://council-42.servicebus.windows.net:9352',
  });
  t.equal(tcp.port, 9352);
  t.equal(tcp.baseUrl, 'wss://council-42.servicebus.windows.net:9352/$hc/council-tax');
  t.equal(
    tcp.tokenResource,
    'http://council-42.servicebus.windows.net/council-tax',
    'signed without the port',
  );
  const dev = parseHcListenerConfig({ ...base, endpoint: 'ws://127.0.0.1:8080', insecure: true });
  t.equal(dev.baseUrl, 'ws://127.0.0.1:8080/$hc/council-tax');
  t.equal(
    parseHcListenerConfig({ ...base, path: 'orgs/42/council.tax_v2' }).baseUrl.endsWith(
      '/$hc/orgs/42/council.tax_v2',
    ),
    true,
  );
  t.end();
});

void t.test('bad values are refused with the offending field named', (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ endpoint: 'wss://council-42.servicebus.windows.net:5671' }, 'endpoint'],
    [{ endpoint: 'ws://127.0.0.1:8080' }, 'endpoint'],
    [{ endpoint: 'https://council-42.servicebus.windows.net' }, 'endpoint'],
    [{ endpoint: 'wss://council-42.servicebus.windows.net/$hc/x' }, 'endpoint'],
    [{ endpoint: 'wss://council-42.servicebus.windows.net?x=1' }, 'endpoint'],
    [{ endpoint: 'wss://user:pw@council-42.servicebus.windows.net' }, 'endpoint'],
    [{ endpoint: 'not a url' }, 'endpoint'],
    [{ path: '' }, 'path'],
    [{ path: '../etc' }, 'path'],
    [{ path: 'a b' }, 'path'],
    [{ path: 'a/../b' }, 'path'],
    [{ path: 'a//b' }, 'path'],
    [{ keyName: 'bad\nname' }, 'keyName'],
    [{ key: '' }, 'key'],
    [{ maxConcurrent: 0 }, 'maxConcurrent'],
    [{ responseDeadlineMs: 61_000 }, 'responseDeadlineMs'],
    [{ renewAtFraction: 0.99 }, 'renewAtFraction'],
    [{ tokenTtlSeconds: 9 }, 'tokenTtlSeconds'],
    [{ reconnectJitter: 1.5 }, 'reconnectJitter'],
    [{ tokenPlacement: 'cookie' }, 'tokenPlacement'],
    [{ unexpected: true }, '(top level)'],
  ];
  for (const [override, path] of cases) {
    const r = refusal({ ...base, ...override });
    t.equal(r.path, path, `${JSON.stringify(override)} → ${path}`);
    t.notMatch(r.message, /k3y-that-must-never-be-echoed/);
  }
  t.end();
});

void t.test('a non-object is refused', (t) => {
  for (const input of [null, 42, 'wss://x', []]) {
    t.equal(refusal(input as unknown as Record<string, unknown>).path, '(top level)');
  }
  t.end();
});
