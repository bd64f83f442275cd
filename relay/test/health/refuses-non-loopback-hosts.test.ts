// The relay's only listening socket stays on loopback: startHealthServer refuses any other
// host with RELAY_E_CONFIG before anything listens (no `listening` event is published), and
// a port already taken is a RELAY_E_HEALTH_LISTEN error rather than a crash.
import diagnostics from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import t from 'tap';
import { isLoopbackHost } from '../../src/config';
import {
  createMetrics,
  HEALTH_CHANNELS,
  startHealthServer,
  type HealthSnapshot,
} from '../../src/health';

const provider = {
  health: (): HealthSnapshot => {
    throw new Error('not asked');
  },
  metrics: createMetrics(),
};

void t.test('non-loopback hosts are refused before listening', async (t) => {
  const published: unknown[] = [];
  const onListen = (m: unknown): void => {
    published.push(m);
  };
  diagnostics.subscribe(HEALTH_CHANNELS.listening, onListen);
  t.teardown(() => {
    diagnostics.unsubscribe(HEALTH_CHANNELS.listening, onListen);
  });
  for (const host of [
    '0.0.0.0',
    '::',
    '',
    '192.0.2.1',
    '2001:db8::1',
    'example.com',
    '127.0.0.1.nip.io',
    '::ffff:192.0.2.1',
    '0177.0.0.1',
    '127.1',
  ]) {
    await t.rejects(
      startHealthServer({ host, port: 0 }, provider),
      {
        code: 'RELAY_E_CONFIG',
        message:
          /^\(health endpoint\): health.host: expected a loopback host \(127.0.0.0\/8, ::1 or localhost\), got /,
        details: { path: 'health.host' },
      },
      JSON.stringify(host),
    );
  }
  t.same(published, [], 'nothing listened');
});

void t.test('a port outside 0-65535 is refused', async (t) => {
  for (const port of [-1, 65536, 1.5, Number.NaN]) {
    await t.rejects(startHealthServer({ host: '127.0.0.1', port }, provider), {
      code: 'RELAY_E_CONFIG',
      details: { path: 'health.port' },
    });
  }
});

void t.test('a port in use is a RELAY_E_HEALTH_LISTEN error', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) =>
        taken.close(() => {
          resolve();
        }),
      ),
  );
  const address = taken.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await t.rejects(startHealthServer({ host: '127.0.0.1', port }, provider), {
    code: 'RELAY_E_HEALTH_LISTEN',
    details: { errno: 'EADDRINUSE', port },
  });
});

void t.test('the loopback test accepts exactly the loopback spellings', (t) => {
  for (const h of [
    '127.0.0.1',
    '127.255.0.9',
    'localhost',
    'LOCALHOST',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ]) {
    t.ok(isLoopbackHost(h), h);
  }
  for (const h of [
    '0.0.0.0',
    '128.0.0.1',
    '127.0.0.256',
    '127.1',
    '0177.0.0.1',
    '127.000.0.1',
    '::',
    '::2',
    '1::1',
    '::ffff:10.0.0.1',
    'localhost.',
    'localhost.example',
    '',
    ' 127.0.0.1',
  ]) {
    t.notOk(isLoopbackHost(h), JSON.stringify(h));
  }
  t.end();
});
