// How a dial that passed the policy can still fail, and how it is named. In: fake sockets
// the test drives (silence, errors with Node's codes, an early close) under a manual clock,
// a real closed loopback port, and abort signals. Out: RELAY_E_EGRESS_TIMEOUT naming the
// phase it stopped in (never a wait on the wall clock), _REFUSED, _TLS, _CONNECT,
// _ABORTED; the socket is destroyed on every failure; probes turn them into diagnoses.
import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import {
  classifySocketError,
  createEgress,
  diagnosisOf,
  egressProber,
  probeTargets,
  staticNetworkMap,
  type EgressErrorCode,
} from '../../src/connectivity';
import { FakeSockets, ManualClock, SB_HOST, recordEvents, testSettings } from './helpers/fakes';

function mapTo(port: number, dialPort: number) {
  return staticNetworkMap({
    version: 1,
    hosts: [{ name: SB_HOST, addresses: ['198.51.100.10'] }],
    endpoints: [
      {
        host: SB_HOST,
        logicalAddress: '198.51.100.10',
        port,
        dial: { host: '127.0.0.1', port: dialPort },
        current: true,
      },
    ],
  });
}

async function setup(onOpen: FakeSockets['onOpen']) {
  const sockets = new FakeSockets();
  sockets.onOpen = onOpen;
  const clock = new ManualClock();
  const egress = await createEgress(testSettings(), {
    sockets,
    scheduler: clock,
    networkMap: mapTo(5671, 40000),
  });
  return { egress, sockets, clock };
}

/** Resolves once the fake connector has opened `n` sockets. */
function opened(sockets: FakeSockets, n = 1): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (sockets.opened.length >= n) resolve();
      else setImmediate(check);
    };
    check();
  });
}

void t.test('a TLS handshake that never answers times out in the tls phase', async (t) => {
  const { egress, sockets, clock } = await setup((s) => {
    setImmediate(() => s.emit('connect')); // TCP opens, then silence (a dropping proxy)
  });
  const dial = egress.connect({ host: SB_HOST, port: 5671, purpose: 'probe', timeoutMs: 2_500 });
  await opened(sockets);
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.same(clock.pending(), [2_500], 'one timer, the bound');
  clock.advance(2_500);
  await t.rejects(dial, {
    code: 'RELAY_E_EGRESS_TIMEOUT',
    details: { phase: 'tls', timeoutMs: 2_500 },
    message: /no TLS handshake within 2500 ms/,
  });
  t.ok(sockets.opened[0]?.destroyed, 'the socket was destroyed');
});

void t.test('a TCP connect that never completes times out in the tcp phase', async (t) => {
  const { egress, sockets, clock } = await setup(() => undefined);
  const dial = egress.connect({ host: SB_HOST, port: 5671, purpose: 'probe', timeoutMs: 100 });
  await opened(sockets);
  clock.advance(100);
  await t.rejects(dial, { code: 'RELAY_E_EGRESS_TIMEOUT', details: { phase: 'tcp' } });
});

void t.test('socket errors are classified by their code', async (t) => {
  const cases: [string, EgressErrorCode, 'tcp' | 'tls'][] = [
    ['ECONNREFUSED', 'RELAY_E_EGRESS_REFUSED', 'tcp'],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'RELAY_E_EGRESS_TLS', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'RELAY_E_EGRESS_TLS', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'RELAY_E_EGRESS_TLS', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'RELAY_E_EGRESS_TLS', 'tls'],
    ['CERT_HAS_EXPIRED', 'RELAY_E_EGRESS_TLS', 'tls'],
    ['ECONNRESET', 'RELAY_E_EGRESS_CONNECT', 'tls'],
    ['EHOSTUNREACH', 'RELAY_E_EGRESS_CONNECT', 'tcp'],
  ];
  for (const [errno, code, phase] of cases) {
    const { egress, sockets } = await setup((s) => {
      setImmediate(() => {
        if (phase === 'tls') s.emit('connect');
        s.emit(
          'error',
          Object.assign(new Error(`${errno} happened\nsecond line`), { code: errno }),
        );
      });
    });
    const e = await egress.connect({ host: SB_HOST, port: 5671, purpose: 'p' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    t.match(e, { code, details: { errno, phase } }, errno);
    t.notMatch((e as Error).message, /second line/, 'one line of the cause');
    t.ok(sockets.opened[0]?.destroyed);
  }
  t.equal(
    classifySocketError(undefined, { host: 'h', port: 1, purpose: 'p' }, 'tcp').code,
    'RELAY_E_EGRESS_CONNECT',
  );
});

void t.test('a socket closed before it was ready is RELAY_E_EGRESS_CONNECT', async (t) => {
  const { egress } = await setup((s) => {
    setImmediate(() => s.emit('close', false));
  });
  await t.rejects(egress.connect({ host: SB_HOST, port: 5671, purpose: 'p' }), {
    code: 'RELAY_E_EGRESS_CONNECT',
    message: /closed before it was ready/,
  });
});

void t.test('a dial can be cancelled, before or during the attempt', async (t) => {
  const { egress, sockets } = await setup(() => undefined);
  const before = new AbortController();
  before.abort();
  await t.rejects(
    egress.connect({ host: SB_HOST, port: 5671, purpose: 'p', signal: before.signal }),
    {
      code: 'RELAY_E_EGRESS_ABORTED',
    },
  );
  t.equal(sockets.opened.length, 0, 'nothing opened for a cancelled dial');
  const during = new AbortController();
  const dial = egress.connect({ host: SB_HOST, port: 5671, purpose: 'p', signal: during.signal });
  await opened(sockets);
  during.abort();
  await t.rejects(dial, { code: 'RELAY_E_EGRESS_ABORTED' });
  t.ok(sockets.opened[0]?.destroyed);
});

void t.test('a real closed loopback port is refused (ECONNREFUSED)', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  const egress = await createEgress(testSettings(), { networkMap: mapTo(5671, port) });
  await t.rejects(egress.connect({ host: SB_HOST, port: 5671, purpose: 'p', tls: false }), {
    code: 'RELAY_E_EGRESS_REFUSED',
  });
});

void t.test('plain TCP connects resolve on connect with no TLS version', async (t) => {
  const server = createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  const { port } = server.address() as AddressInfo;
  const egress = await createEgress(testSettings(), { networkMap: mapTo(5671, port) });
  const c = await egress.connect({ host: SB_HOST, port: 5671, purpose: 'p', tls: false });
  t.equal(c.tlsVersion, undefined);
  t.equal(c.socket.remotePort, port);
  c.socket.destroy();
});

void t.test('probes map failures to diagnoses and publish the outcome', async (t) => {
  t.equal(diagnosisOf('RELAY_E_EGRESS_PORT'), 'egress-refused');
  t.equal(diagnosisOf('RELAY_E_EGRESS_RANGE'), 'egress-refused');
  t.equal(diagnosisOf('RELAY_E_EGRESS_UNMAPPED'), 'egress-refused');
  t.equal(diagnosisOf('RELAY_E_EGRESS_REFUSED'), 'refused');
  t.equal(diagnosisOf('RELAY_E_EGRESS_TIMEOUT'), 'timed-out');
  t.equal(diagnosisOf('RELAY_E_EGRESS_TLS'), 'tls-failed');
  t.equal(diagnosisOf('RELAY_E_EGRESS_DNS'), 'failed');
  const rec = recordEvents(['relay:connectivity:probe']);
  t.teardown(rec.stop);
  const { egress, clock } = await setup((s) => {
    setImmediate(() => {
      s.emit('connect');
      s.emit('secureConnect');
    });
  });
  const probe = egressProber(egress);
  const [amqps, wss] = probeTargets(egress.settings);
  if (amqps === undefined || wss === undefined) throw new Error('no targets');
  const ok = await probe(amqps, { timeoutMs: 1_000, scheduler: clock });
  t.match(ok, { diagnosis: 'allowed', outcome: 'ok', tlsVersion: 'TLSv1.3', port: 5671 });
  const unmapped = await probe(wss, { timeoutMs: 1_000, scheduler: clock });
  t.match(unmapped, {
    diagnosis: 'egress-refused',
    outcome: 'egress',
    code: 'RELAY_E_EGRESS_UNMAPPED',
  });
  t.match(
    rec.events.map((e) => e.data),
    [
      { target: 'amqp', port: 5671, outcome: 'ok' },
      { target: 'amqp', port: 443, outcome: 'egress', code: 'RELAY_E_EGRESS_UNMAPPED' },
    ],
  );
});
