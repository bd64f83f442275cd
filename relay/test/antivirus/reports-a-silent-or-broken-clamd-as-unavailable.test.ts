// A clamd that hangs (never answers), answers garbage or closes the connection at once is
// RELAY_E_AV_UNAVAILABLE under fail-closed and 'unscanned' under fail-open, for scans and for
// ping(); the hang ends after timeoutMs (small here; no timing is asserted) and the connection is
// closed afterwards; a peer that sends more than 4 KiB without a NUL is not clamd either. The
// fakes are net servers (unix sockets, loopback TCP): no clamd is needed.
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { createScanner, isRelayAvError } from '../../src/work/antivirus';
import { startFakeClamd, type FakeBehaviour } from './lib/clamd';
import { avEvents, rejection, streamOf } from './lib/fixture';

const CASES: readonly (readonly [FakeBehaviour, RegExp])[] = [
  ['hang', /timed out before its answer/],
  ['garbage', /not an INSTREAM reply/],
  ['close', /closed the connection/],
];

for (const [behaviour, why] of CASES) {
  void t.test(`a clamd that answers '${behaviour}' is unavailable`, async (t) => {
    const fake = await startFakeClamd(behaviour);
    t.teardown(() => fake.stop());
    const events = avEvents(t);
    // Small for the hang; generous for the others, whose answer must win over the timeout.
    const config = {
      clamd: { socket: fake.socket },
      timeoutMs: behaviour === 'hang' ? 150 : 20_000,
    };
    const closed = createScanner(config);
    const open = createScanner({ ...config, onUnavailable: 'fail-open' });

    const body = streamOf(randomBytes(40 * 1024));
    const e = await rejection(closed.scan(body));
    t.ok(isRelayAvError(e, 'RELAY_E_AV_UNAVAILABLE'), 'fail-closed: RELAY_E_AV_UNAVAILABLE');
    t.match((e as Error).message, why);
    t.ok(body.destroyed, 'the body was consumed or destroyed');
    await fake.idle();
    t.equal(fake.open(), 0, 'no connection left open');
    t.match(events.at(-1), { verdict: 'failed', code: 'RELAY_E_AV_UNAVAILABLE' });

    const outcome = await open.scan(streamOf(randomBytes(1024)));
    t.match(outcome, { verdict: 'unscanned', code: 'RELAY_E_AV_UNAVAILABLE', why });
    t.match(events.at(-1), { verdict: 'unscanned', code: 'RELAY_E_AV_UNAVAILABLE' });

    const p = await rejection(closed.ping());
    t.ok(isRelayAvError(p, 'RELAY_E_AV_UNAVAILABLE'), 'ping: RELAY_E_AV_UNAVAILABLE');
    t.match(p, { http: 503, details: { step: 'ping' } });
    await fake.idle();
    t.equal(fake.open(), 0, 'no connection left open');
  });
}

void t.test('an empty body to a closing clamd is unavailable too', async (t) => {
  const fake = await startFakeClamd('close');
  t.teardown(() => fake.stop());
  const scanner = createScanner({ clamd: { socket: fake.socket }, timeoutMs: 20_000 });
  const e = await rejection(scanner.scan(streamOf(Buffer.alloc(0))));
  t.ok(isRelayAvError(e, 'RELAY_E_AV_UNAVAILABLE'), 'RELAY_E_AV_UNAVAILABLE');
});

void t.test('a peer that talks on and on without a NUL is unavailable', async (t) => {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.end(Buffer.alloc(64 * 1024, 0x41));
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
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const scanner = createScanner({ clamd: { host: '127.0.0.1', port }, timeoutMs: 20_000 });
  const e = await rejection(scanner.scan(streamOf(randomBytes(1024))));
  t.ok(isRelayAvError(e, 'RELAY_E_AV_UNAVAILABLE'), 'RELAY_E_AV_UNAVAILABLE');
  t.match((e as Error).message, /more than 4 KiB/);
  t.notMatch((e as Error).message, 'AAAA', 'what it said is not quoted');
});
