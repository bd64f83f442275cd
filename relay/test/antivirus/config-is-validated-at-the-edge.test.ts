// The antivirus configuration is validated at the edge: a relative or overlong socket, a host that
// is not loopback, a port, timeout or size out of range, an unknown onUnavailable or field is
// RELAY_E_AV_CONFIG naming the field (details.path); a good one comes back frozen with the
// defaults (fail-closed, 30 s, 64 MiB). Any input at all is parsed or refused with
// RELAY_E_AV_CONFIG, never anything else (property, 1,000 runs). The exported schema embeds.
import fc from 'fast-check';
import t from 'tap';
import { z } from 'zod';
import {
  MAX_SCAN_BYTES,
  antivirusConfigSchema,
  createScanner,
  isLoopbackHost,
  isRelayAvError,
  parseAntivirusConfig,
} from '../../src/work/antivirus';
import { checkProperty } from '../helpers/property';

const SOCKET = { socket: '/run/clamav/clamd.ctl' };

const CASES: readonly (readonly [string, unknown, string])[] = [
  ['nothing', undefined, 'clamd'],
  ['no clamd', { onUnavailable: 'fail-open' }, 'clamd'],
  ['a relative socket', { clamd: { socket: 'clamd.sock' } }, 'clamd.socket'],
  ['an empty socket', { clamd: { socket: '' } }, 'clamd.socket'],
  ['a socket with NUL', { clamd: { socket: '/run/a\0b' } }, 'clamd.socket'],
  ['a socket of 108 bytes', { clamd: { socket: `/${'s'.repeat(107)}` } }, 'clamd.socket'],
  ['a socket and a host', { clamd: { socket: '/a', host: '127.0.0.1' } }, 'clamd'],
  ['a private address', { clamd: { host: '10.0.0.5', port: 3310 } }, 'clamd.host'],
  ['a public address', { clamd: { host: '8.8.8.8', port: 3310 } }, 'clamd.host'],
  ['a name', { clamd: { host: 'clamd.internal', port: 3310 } }, 'clamd.host'],
  ['0.0.0.0', { clamd: { host: '0.0.0.0', port: 3310 } }, 'clamd.host'],
  ['a short IPv4 form', { clamd: { host: '127.1', port: 3310 } }, 'clamd.host'],
  ['an octal IPv4 form', { clamd: { host: '0177.0.0.1', port: 3310 } }, 'clamd.host'],
  ['a leading zero', { clamd: { host: '127.0.0.01', port: 3310 } }, 'clamd.host'],
  ['IPv4-mapped IPv6', { clamd: { host: '::ffff:127.0.0.1', port: 3310 } }, 'clamd.host'],
  ['no port', { clamd: { host: '127.0.0.1' } }, 'clamd.port'],
  ['port 0', { clamd: { host: '127.0.0.1', port: 0 } }, 'clamd.port'],
  ['port 65536', { clamd: { host: '::1', port: 65536 } }, 'clamd.port'],
  ['a port as text', { clamd: { host: '::1', port: '3310' } }, 'clamd.port'],
  ['an unknown policy', { clamd: SOCKET, onUnavailable: 'ignore' }, 'onUnavailable'],
  ['timeoutMs 0', { clamd: SOCKET, timeoutMs: 0 }, 'timeoutMs'],
  ['timeoutMs not whole', { clamd: SOCKET, timeoutMs: 1.5 }, 'timeoutMs'],
  ['timeoutMs over 10 min', { clamd: SOCKET, timeoutMs: 600_001 }, 'timeoutMs'],
  ['maxBytes 0', { clamd: SOCKET, maxBytes: 0 }, 'maxBytes'],
  ['maxBytes over 4 GiB', { clamd: SOCKET, maxBytes: MAX_SCAN_BYTES + 1 }, 'maxBytes'],
  ['an unknown field', { clamd: SOCKET, quarantine: true }, ''],
  ['not an object', 'clamd', ''],
];

void t.test('bad configuration is RELAY_E_AV_CONFIG naming the field', (t) => {
  for (const [what, input, path] of CASES) {
    for (const parse of [parseAntivirusConfig, createScanner]) {
      let error: unknown;
      try {
        parse(input as never);
      } catch (e) {
        error = e;
      }
      t.ok(isRelayAvError(error, 'RELAY_E_AV_CONFIG'), `${what}: RELAY_E_AV_CONFIG`);
      t.equal(
        (error as { details?: { path?: unknown } }).details?.path,
        path,
        `${what}: details.path is '${path}'`,
      );
      if (path !== '') t.match((error as Error).message, path, `${what}: the message names it`);
    }
  }
  t.end();
});

void t.test('good configuration comes back frozen with the defaults', (t) => {
  const c = parseAntivirusConfig({ clamd: SOCKET });
  t.same(c, {
    clamd: SOCKET,
    onUnavailable: 'fail-closed',
    timeoutMs: 30_000,
    maxBytes: 64 * 1024 * 1024,
  });
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.clamd), 'frozen');
  t.equal(parseAntivirusConfig(c), c, 'a parsed config passes as it is');
  t.equal(createScanner(c).config, c, 'the scanner keeps it');
  for (const host of ['127.0.0.1', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', 'localhost']) {
    t.match(
      parseAntivirusConfig({ clamd: { host, port: 3310 }, onUnavailable: 'fail-open' }),
      { clamd: { host, port: 3310 }, onUnavailable: 'fail-open' },
      `${host} is loopback`,
    );
  }
  t.end();
});

void t.test('isLoopbackHost accepts loopback only', (t) => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '::0:1', 'localhost'])
    t.ok(isLoopbackHost(h), h);
  for (const h of [
    '',
    '128.0.0.1',
    '126.255.255.255',
    '::',
    '::2',
    'LOCALHOST',
    'localhost.',
    '127.0.0.1 ',
    '::1%lo',
    '[::1]',
  ])
    t.notOk(isLoopbackHost(h), JSON.stringify(h));
  t.end();
});

void t.test('the schema embeds in a larger config', (t) => {
  const outer = z.strictObject({ antivirus: antivirusConfigSchema.optional() });
  t.match(outer.parse({ antivirus: { clamd: SOCKET } }), {
    antivirus: { clamd: SOCKET, onUnavailable: 'fail-closed' },
  });
  t.notOk(outer.safeParse({ antivirus: { clamd: { host: '10.1.1.1', port: 1 } } }).success);
  t.end();
});

void t.test('any input is parsed or refused with RELAY_E_AV_CONFIG', (t) => {
  const near = fc.record(
    {
      clamd: fc.oneof(
        fc.record({ socket: fc.oneof(fc.string(), fc.constant('/run/clamd.sock')) }),
        fc.record(
          {
            host: fc.oneof(
              fc.constantFrom('127.0.0.1', '::1', 'localhost'),
              fc.string(),
              fc.ipV4(),
              fc.ipV6(),
            ),
            port: fc.oneof(fc.integer({ min: -10, max: 70_000 }), fc.double()),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
      onUnavailable: fc.oneof(fc.constantFrom('fail-closed', 'fail-open'), fc.anything()),
      timeoutMs: fc.oneof(fc.integer({ min: -1, max: 700_000 }), fc.anything()),
      maxBytes: fc.oneof(fc.integer(), fc.double(), fc.anything()),
    },
    { requiredKeys: [] },
  );
  checkProperty(
    t,
    fc.property(
      fc.oneof(near, fc.anything({ withObjectString: true, withNullPrototype: true })),
      (input) => {
        try {
          const c = parseAntivirusConfig(input);
          return Object.isFrozen(c) && ('socket' in c.clamd || isLoopbackHost(c.clamd.host));
        } catch (e) {
          return isRelayAvError(e, 'RELAY_E_AV_CONFIG') && typeof e.details.path === 'string';
        }
      },
    ),
    1000,
  );
  t.end();
});
