// TLS checks of every probe (and every dial): local TLS servers standing for a logical
// endpoint through a network map, with certificates from the simulator's test CA. In: a
// server that speaks only TLS 1.0/1.1 (OpenSSL 3 in Node 20 still allows it at security
// level 0: checked first with a client that permits it), a TLS 1.2-only server, and
// certificates for the wrong name, for the loopback address only, and one from a CA that
// was not configured. Out: each is `tls-failed` (RELAY_E_EGRESS_TLS); the good certificate
// is `allowed` with TLS 1.2+, though the socket went to 127.0.0.1: the name checked is the
// logical host; a TLSv1.3 minimum refuses the TLS 1.2-only server.
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TlsOptions } from 'node:tls';
import t from 'tap';
import {
  connectivitySettings,
  createEgress,
  egressProber,
  staticNetworkMap,
  type ProbeResult,
  type TlsMinVersion,
} from '../../relay/src/connectivity';
import { systemScheduler } from '../../relay/src/transports/scheduler';
import { createTestCertificates } from '../../simulator/src/cloud/tls/test-certs';

const HOST = 'council-42.servicebus.windows.net';
const ADDRESS = '51.140.146.50';
const certs = createTestCertificates({ hosts: [HOST] });

async function tlsServer(t: tap.Test, options: TlsOptions): Promise<number> {
  const server: Server = createServer(options, (socket) => {
    socket.on('error', () => undefined);
    socket.end();
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function probe(
  port: number,
  options: { readonly ca?: boolean; readonly minVersion?: TlsMinVersion } = {},
): Promise<ProbeResult> {
  const settings = connectivitySettings({
    serviceBus: { host: HOST, keyName: 'relay', key: 'unused' },
    egress: { ranges: { prefixes: ['51.140.146.48/29'] } },
    tls: { minVersion: options.minVersion ?? 'TLSv1.2' },
  });
  const egress = await createEgress(settings, {
    extraCa: options.ca === false ? [] : [certs.caPem],
    networkMap: staticNetworkMap({
      version: 1,
      hosts: [{ name: HOST, addresses: [ADDRESS] }],
      endpoints: [
        {
          host: HOST,
          logicalAddress: ADDRESS,
          port: 5671,
          dial: { host: '127.0.0.1', port },
          current: true,
        },
      ],
    }),
  });
  return egressProber(egress)(
    { target: 'amqp', host: HOST, port: 5671, path: 'tcp', role: 'primary' },
    { timeoutMs: 10_000, scheduler: systemScheduler },
  );
}

void t.test('a server offering only TLS 1.0/1.1 fails the probe as tls-failed', async (t) => {
  const port = await tlsServer(t, {
    ...certs.good,
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0',
  });
  // The server really speaks TLS 1.1 to a client that allows it.
  const old = await new Promise<string | null>((resolve, reject) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      servername: HOST,
      ca: certs.caPem,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    s.once('secureConnect', () => {
      resolve(s.getProtocol());
      s.destroy();
    });
    s.once('error', reject);
  });
  t.equal(old, 'TLSv1.1', 'OpenSSL in this Node still negotiates TLS 1.1 when both sides allow it');

  const r = await probe(port);
  t.match(r, { diagnosis: 'tls-failed', outcome: 'tls', code: 'RELAY_E_EGRESS_TLS' });
  t.match(r.reason, /protocol version|unsupported protocol/i);
});

void t.test('the good certificate is allowed, checked against the logical host', async (t) => {
  const port = await tlsServer(t, certs.good);
  const r = await probe(port);
  t.match(r, { diagnosis: 'allowed', outcome: 'ok', code: undefined });
  t.match(r.tlsVersion, /^TLSv1\.[23]$/);
});

void t.test('a certificate for another name, or only for the dialled address, fails', async (t) => {
  const wrong = await probe(await tlsServer(t, certs.wrongHost));
  t.match(wrong, { diagnosis: 'tls-failed', code: 'RELAY_E_EGRESS_TLS' });
  t.match(wrong.reason, /ERR_TLS_CERT_ALTNAME_INVALID|does not match|altnames/i);
  const loopbackOnly = await probe(await tlsServer(t, certs.issue({ hosts: ['127.0.0.1'] })));
  t.match(
    loopbackOnly,
    { diagnosis: 'tls-failed' },
    'valid for 127.0.0.1, where the socket went, but not for the logical host',
  );
});

void t.test('a certificate from a CA that was not configured fails', async (t) => {
  const port = await tlsServer(t, certs.good);
  t.match(await probe(port, { ca: false }), { diagnosis: 'tls-failed' }, 'no CA configured');
  t.match(
    await probe(await tlsServer(t, certs.otherCa)),
    { diagnosis: 'tls-failed' },
    'another CA',
  );
  t.match(await probe(await tlsServer(t, certs.expired)), { diagnosis: 'tls-failed' }, 'expired');
});

void t.test('minVersion TLSv1.3 refuses a server that stops at TLS 1.2', async (t) => {
  const port = await tlsServer(t, { ...certs.good, maxVersion: 'TLSv1.2' });
  t.match(await probe(port), { diagnosis: 'allowed', tlsVersion: 'TLSv1.2' });
  t.match(await probe(port, { minVersion: 'TLSv1.3' }), {
    diagnosis: 'tls-failed',
    code: 'RELAY_E_EGRESS_TLS',
  });
});
