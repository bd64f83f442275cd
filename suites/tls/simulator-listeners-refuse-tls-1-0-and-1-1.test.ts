// TLS-008, TLS-009: the simulator's own TLS listeners refuse TLS 1.0 and 1.1. In: the simulated
// world (no relay) with a back-office service on HTTPS; Node tls clients forced to TLS 1.0 and to
// TLS 1.1 at security level 0, whose ClientHello a raw server on loopback reads on the way (so
// the old version really left the client), against the Hybrid Connections 443 and TCP listeners
// and the back-office service (SB-022 does the Service Bus ones); then `openssl s_client -tls1`
// and `-tls1_1 -cipher DEFAULT@SECLEVEL=0 -msg` against every TLS listener, Service Bus
// included. Out: each old handshake ends with a fatal protocol_version alert sent by the server
// after the client's ClientHello (never "no protocols available", a refusal by the local
// OpenSSL), the Hybrid Connections simulator publishes sim:hc:tls for it, and TLS 1.2 with the
// simulator's CA is accepted by every listener, by Node and by openssl.
import { execFile } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import t from 'tap';
import { kase } from '../lib/case';
import { helloFindings, startHelloServer } from '../lib/hostile/tls';
import { startRelayWorld } from '../lib/relay-world';

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

type Version = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2';

/** One Node handshake at exactly `version`: its protocol, or the error code. */
function handshake(
  port: number,
  ca: string,
  version: Version,
): Promise<{ ok: true; protocol: string | null } | { ok: false; code: string }> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca,
      minVersion: version,
      maxVersion: version,
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      resolve({ ok: true, protocol: socket.getProtocol() });
      socket.destroy();
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      resolve({ ok: false, code: e.code ?? e.message });
      socket.destroy();
    });
  });
}

/** Runs openssl s_client with stdin closed; resolves with its whole output (never rejects). */
function sClient(openssl: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(
      openssl,
      ['s_client', ...args],
      { timeout: 15_000, env: { PATH: process.env.PATH ?? '' } },
      (_error, stdout, stderr) => {
        resolve(`${stdout}\n${stderr}`);
      },
    );
    child.stdin?.end();
  });
}

void (async () => {
  const rw = await startRelayWorld(t, {
    world: { backOffice: { seed: 42, services: { documents: { tls: true } } } },
  });
  const { serviceBus, hybrid, backOffice } = rw.world;
  const worldCaPath = rw.world.caPath;
  if (serviceBus === undefined || hybrid === undefined || backOffice === undefined) {
    throw new Error('the world has no Service Bus, Hybrid Connections or back office');
  }
  if (worldCaPath === undefined || hybrid.caPem === undefined) {
    throw new Error('the world has no CA');
  }
  const boCa = backOffice.caPem;
  const documents = backOffice.services.documents;
  if (boCa === undefined || documents?.tls !== true) {
    throw new Error('the documents service does not serve HTTPS');
  }
  const boCaPath = join(rw.dir, 'back-office-ca.pem');
  writeFileSync(boCaPath, boCa);
  const hcHttps = hybrid.listeners.https?.port;
  const hcTcp = hybrid.listeners.tcp?.port;
  const sbTls = serviceBus.listeners.tls?.port;
  const sbWs = serviceBus.listeners.websocket?.port;
  if (hcHttps === undefined || hcTcp === undefined || sbTls === undefined || sbWs === undefined) {
    throw new Error('a TLS listener of the world is missing');
  }
  const hcTls: { listener: string; error: string }[] = [];
  const onHcTls = (m: unknown): void => {
    hcTls.push(m as { listener: string; error: string });
  };
  diagnostics.subscribe('sim:hc:tls', onHcTls);
  t.teardown(() => {
    diagnostics.unsubscribe('sim:hc:tls', onHcTls);
  });

  await kase('TLS-008', async (t) => {
    const listeners = [
      {
        name: 'Hybrid Connections 443 (https)',
        port: hcHttps,
        ca: hybrid.caPem ?? '',
        hc: 'https',
      },
      {
        name: 'Hybrid Connections 9350-9354 (tcp)',
        port: hcTcp,
        ca: hybrid.caPem ?? '',
        hc: 'tcp',
      },
      { name: 'back office documents (HTTPS)', port: documents.port, ca: boCa, hc: undefined },
    ];
    for (const l of listeners) {
      // The forced client goes through a raw server that reads its ClientHello and forwards it.
      const peek = await startHelloServer(t, { kind: 'forward', host: '127.0.0.1', port: l.port });
      for (const [version, legacy] of [
        ['TLSv1', 'TLSv1'],
        ['TLSv1.1', 'TLSv1.1'],
      ] as const) {
        const seen = peek.hellos.length;
        const before = hcTls.length;
        const r = await handshake(peek.port, l.ca, version);
        t.same(
          r,
          { ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' },
          `${l.name}: ${version} is refused by a protocol_version alert from the server`,
        );
        const hello = peek.hellos[seen]?.hello;
        t.same(
          hello === undefined ? undefined : helloFindings(hello).versions,
          [legacy],
          `${l.name}: the client's ClientHello offered only ${legacy} (it was sent, not refused locally)`,
        );
        if (l.hc !== undefined) {
          t.ok(
            hcTls.slice(before).some((e) => e.listener === l.hc && /protocol/i.test(e.error)),
            `${l.name}: the simulator published sim:hc:tls for it`,
          );
        }
      }
      t.same(
        await handshake(l.port, l.ca, 'TLSv1.2'),
        { ok: true, protocol: 'TLSv1.2' },
        `${l.name}: TLS 1.2 with the simulator's CA is accepted`,
      );
    }
  });

  await kase(
    'TLS-009',
    async (t) => {
      const openssl = OPENSSL ?? 'openssl';
      const listeners = [
        { name: 'Service Bus AMQPS (5671)', port: sbTls, caFile: worldCaPath },
        { name: 'Service Bus AMQP over WebSockets (443)', port: sbWs, caFile: worldCaPath },
        { name: 'Hybrid Connections 443 (https)', port: hcHttps, caFile: worldCaPath },
        { name: 'Hybrid Connections 9350-9354 (tcp)', port: hcTcp, caFile: worldCaPath },
        { name: 'back office documents (HTTPS)', port: documents.port, caFile: boCaPath },
      ];
      for (const l of listeners) {
        const target = ['-connect', `127.0.0.1:${String(l.port)}`, '-servername', 'localhost'];
        for (const [flag, label] of [
          ['-tls1', 'TLS 1.0'],
          ['-tls1_1', 'TLS 1.1'],
        ] as const) {
          const out = await sClient(openssl, [
            ...target,
            flag,
            '-cipher',
            'DEFAULT@SECLEVEL=0',
            '-msg',
          ]);
          t.match(
            out,
            new RegExp(`>>> ${label}, Handshake \\[length [0-9a-f]+\\], ClientHello`),
            `${l.name}: openssl s_client ${flag} sent a ${label} ClientHello`,
          );
          t.match(
            out,
            /<<< TLS 1\.[01], Alert \[length 0002\], fatal protocol_version/,
            `${l.name}: ${flag} was answered by the server with a fatal protocol_version alert (a refusal by the server)`,
          );
          t.notMatch(
            out,
            /no protocols available|no ciphers available/,
            `${l.name}: ${flag} was not refused by the local OpenSSL`,
          );
        }
        const good = await sClient(openssl, [
          ...target,
          '-tls1_2',
          '-CAfile',
          l.caFile,
          '-verify_return_error',
        ]);
        t.match(good, /Protocol\s*:\s*TLSv1\.2/, `${l.name}: -tls1_2 negotiates TLS 1.2`);
        t.match(
          good,
          /Verify return code: 0 \(ok\)/,
          `${l.name}: with the simulator's CA verified`,
        );
      }
    },
    OPENSSL === undefined
      ? {
          skip: 'openssl is not installed (no /usr/bin/openssl or /usr/local/bin/openssl): the Node half of this check is TLS-008 and SB-022',
        }
      : {},
  );
})();
