// TLS-006, TLS-007: what the relay offers. In: the simulated world (its council-tax back-office
// service on HTTPS) and the reference relay (a child process) whose network map sends every TLS
// endpoint of both namespaces (5671, 443, 9350-9354), and whose council-tax URL sends the back
// office, through raw servers on loopback that read each connection's ClientHello and then
// forward the bytes unchanged to the real endpoint. First in auto mode (the TCP path), then a
// second relay with connectivity mode https (443 only); each carries real work over Service Bus
// and the Hybrid Connections. Out: every ClientHello of every TLS client (probes, the Service Bus
// SDK's AMQPS and AMQP over WebSockets, the Hybrid Connections listener's control and
// rendezvous sockets, the back-office client) lists only TLS 1.2 and 1.3 in supported_versions
// and no RC4, 3DES, DES, NULL, EXPORT, anonymous or MD5 suite; the cloud ones name the logical
// host in SNI.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { NetworkMap } from '../../relay/src/connectivity';
import { writeFileAtomic } from '../../simulator/src/cloud/tls/ca';
import { createTestCertificates } from '../../simulator/src/cloud/tls/test-certs';
import { kase } from '../lib/case';
import {
  helloFindings,
  startHelloServer,
  startTlsService,
  type HelloServer,
} from '../lib/hostile/tls';
import { isEvent, startRelayChild, type RelayChild } from '../lib/relay-child';
import { startRelayWorld, type Json } from '../lib/relay-world';

type Endpoint = NetworkMap['endpoints'][number];

/** What an operator might put in the relay's environment "to reach an old server". */
const WEAK_NODE_OPTIONS = '--tls-min-v1.0 --tls-cipher-list=ALL:@SECLEVEL=0';

void (async () => {
  const rw = await startRelayWorld(t, {
    world: { backOffice: { seed: 42, services: { 'council-tax': { tls: true } } } },
  });
  const { tenant, backOffice } = rw.world;
  const worldCaPath = rw.world.caPath;
  const mapPath = rw.world.networkMapPath;
  if (tenant === undefined || backOffice === undefined || worldCaPath === undefined) {
    throw new Error('the world has no tenant, back office or CA');
  }
  if (mapPath === undefined || backOffice.caPem === undefined) {
    throw new Error('the world has no network map or no back-office CA');
  }
  const councilTax = backOffice.services['council-tax'];
  if (councilTax?.tls !== true) throw new Error('the council-tax service does not serve HTTPS');
  const sbHost = (rw.relayConfig.serviceBus as { host: string }).host;
  const hcHost = (rw.relayConfig.hybrid as { host: string }).host;

  // A peek server in front of each TLS endpoint of the two namespaces and the back office.
  const worldMap = JSON.parse(readFileSync(mapPath, 'utf8')) as NetworkMap;
  const tlsPorts: Record<string, readonly number[]> = {
    [sbHost]: [5671, 443],
    [hcHost]: [443, 9350, 9351, 9352, 9353, 9354],
  };
  const isTls = (e: Endpoint): boolean => tlsPorts[e.host]?.includes(e.port) === true;
  const peeks = new Map<string, { endpoint: Endpoint; server: HelloServer }>();
  for (const e of worldMap.endpoints.filter(isTls)) {
    const server = await startHelloServer(t, {
      kind: 'forward',
      host: e.dial.host,
      port: e.dial.port,
    });
    peeks.set(`${e.host}:${String(e.port)}`, { endpoint: e, server });
  }
  t.equal(peeks.size, 8, 'a peek server in front of each of the eight TLS endpoints');
  const peekOf = (host: string, port: number): HelloServer => {
    const p = peeks.get(`${host}:${String(port)}`);
    if (p === undefined) throw new Error(`no peek server for ${host}:${String(port)}`);
    return p.server;
  };
  const backOfficePeek = await startHelloServer(t, {
    kind: 'forward',
    host: councilTax.host,
    port: councilTax.port,
  });
  const relayMapPath = join(rw.dir, 'network-map-peek.json');
  writeFileAtomic(
    relayMapPath,
    JSON.stringify({
      ...worldMap,
      endpoints: worldMap.endpoints.map((e) =>
        isTls(e) ? { ...e, dial: { host: '127.0.0.1', port: peekOf(e.host, e.port).port } } : e,
      ),
    }),
  );
  // A TLS 1.0-only service (TLS-010), with a certificate from a test CA the relay trusts.
  const certs = createTestCertificates({ hosts: ['localhost', '127.0.0.1'] });
  const v10 = await startTlsService(t, {
    ...certs.good,
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1',
    ciphers: 'DEFAULT@SECLEVEL=0',
  });
  const bundle = join(rw.dir, 'ca-and-back-office-ca.pem');
  writeFileSync(
    bundle,
    `${readFileSync(worldCaPath, 'utf8').trim()}\n${backOffice.caPem.trim()}\n${certs.caPem}`,
  );
  const configFor = (name: string, mode: 'auto' | 'https'): string =>
    rw.writeRelayConfig(name, (c: Json) => {
      (c.egress as Json).networkMapFile = relayMapPath;
      (c.connectivity as Json).mode = mode;
      c.tls = { caFile: bundle };
      (c.backOffice as Json)['council-tax'] = `https://127.0.0.1:${String(backOfficePeek.port)}`;
      (c.backOffice as Json)['tls-v1-0'] = v10.url();
      (c.routes as Json[]).push({ name: 'tls-v1-0', use: 'retrieve', service: 'tls-v1-0' });
      c.delivery = { attempts: 2, backoff: { baseMs: 20, maxMs: 100, factor: 2, jitter: 0.2 } };
    });
  const ref = backOffice.data.councilTax.references[0] ?? '';
  const docRef = backOffice.data.councilTax.references[1] ?? ref;

  /** Carries work both ways: Service Bus to council-tax (HTTPS), HC retrievals small and large. */
  const work = async (tt: tap.Test): Promise<void> => {
    const reply = await tenant.sendWork('council-tax', Buffer.alloc(0), {
      properties: { path: `/accounts/${ref}` },
      timeoutMs: 60_000,
    });
    tt.equal(reply.status, 200, 'Service Bus work to the HTTPS council-tax service is answered');
    const small = await tenant.call(`/council-tax/accounts/${ref}`, { method: 'GET' });
    tt.equal(small.status, 200, 'a small Hybrid Connections retrieval is answered');
    const large = await tenant.call(
      `/documents/documents/council-tax/${docRef}/bill.pdf?size=256K`,
      { method: 'GET' },
    );
    tt.equal(large.status, 200, 'a 256 KiB document over the Hybrid Connection is answered');
  };

  /**
   * Checks every ClientHello a server captured from index `from` on: readable, TLS 1.2+ only,
   * no weak or unknown suite, SNI as given (null: left to the caller). Returns how many.
   */
  const clean = (
    tt: tap.Test,
    label: string,
    server: HelloServer,
    from: number,
    /** The SNI every hello must carry; null: checked by the caller. */
    sni: string | undefined | null,
  ): number => {
    const captured = server.hellos.slice(from);
    const hellos = captured.flatMap((c) => (c.hello === undefined ? [] : [c.hello]));
    tt.equal(
      hellos.length,
      captured.length,
      `${label}: every connection opened with a ClientHello`,
    );
    const findings = hellos.map(helloFindings);
    const versions = [...new Set(findings.map((f) => f.versions.join('+')))];
    tt.same(
      findings.flatMap((f) => f.oldVersions),
      [],
      `${label}: ${hellos.length} ClientHello(s), supported_versions ${versions.join(' / ')}: nothing below TLS 1.2`,
    );
    tt.same(
      findings.flatMap((f) => [...f.weak, ...f.unknown]),
      [],
      `${label}: no RC4, 3DES, DES, NULL, EXPORT, anon or MD5 suite offered (${findings[0]?.suites.length ?? 0} suites)`,
    );
    if (sni !== null) {
      tt.ok(
        hellos.every((h) => h.serverName === sni),
        `${label}: SNI ${sni ?? '(none: an address literal)'}`,
      );
    }
    return hellos.length;
  };

  /** The purposes the relay dialled a peek server for (relay:egress:dial events). */
  const purposes = (relay: RelayChild, server: HelloServer): string[] => [
    ...new Set(
      relay.events
        .filter(
          (e) =>
            e.channel === 'relay:egress:dial' &&
            e.data.verdict === 'allowed' &&
            e.data.dial === `127.0.0.1:${String(server.port)}`,
        )
        .map((e) => String(e.data.purpose)),
    ),
  ];

  const marks = new Map<HelloServer, number>();
  const mark = (): void => {
    for (const { server } of peeks.values()) marks.set(server, server.hellos.length);
    marks.set(backOfficePeek, backOfficePeek.hellos.length);
  };

  await kase('TLS-006', async (t) => {
    const relay = startRelayChild(t, configFor('relay-peek-auto.json', 'auto'), {
      NODE_EXTRA_CA_CERTS: bundle,
    });
    await rw.live(relay);
    const mode = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
    t.equal(mode.data.mode, 'tcp', 'the relay works over the TCP path');
    await work(t);

    const sb5671 = peekOf(sbHost, 5671);
    const count5671 = clean(t, `Service Bus ${sbHost}:5671`, sb5671, 0, null);
    // The probe names the logical host; the SDK, given the map's loopback target as its
    // customEndpointAddress (simulator only: in production it dials the logical name), sends
    // the address it dialled, 127.0.0.1, as its server name.
    const names = sb5671.hellos.map((h) => h.hello?.serverName ?? '(none)');
    t.ok(
      names.includes(sbHost) && names.every((n) => n === sbHost || n === '127.0.0.1'),
      `5671 SNI: ${names.join(', ')} (the probe: the logical host; the SDK through customEndpointAddress: 127.0.0.1)`,
    );
    t.ok(count5671 >= 2, `5671: the probe and the SDK's AMQPS connection (${count5671} hellos)`);
    t.ok(
      ['probe', 'servicebus-amqps'].every((p) => purposes(relay, sb5671).includes(p)),
      `5671 was dialled for ${purposes(relay, sb5671).join(', ')}`,
    );
    const hc9352 = peekOf(hcHost, 9352);
    const count9352 = clean(t, `Hybrid Connections ${hcHost}:9352`, hc9352, 0, hcHost);
    t.ok(
      count9352 >= 3,
      `9352: the probe, the listeners' control channels and rendezvous (${count9352} hellos; dialled for ${purposes(relay, hc9352).join(', ')})`,
    );
    for (const [host, port] of [
      [sbHost, 443],
      [hcHost, 443],
      [hcHost, 9350],
      [hcHost, 9351],
      [hcHost, 9353],
      [hcHost, 9354],
    ] as const) {
      const n = clean(t, `probe of ${host}:${String(port)}`, peekOf(host, port), 0, host);
      t.ok(n >= 1, `${host}:${String(port)} was probed with TLS (${n} hellos)`);
    }
    const bo = clean(t, 'back-office HTTPS (council-tax)', backOfficePeek, 0, undefined);
    t.ok(bo >= 1, `the back-office client's HTTPS calls (${bo} hellos)`);
    await relay.stop();
    mark();
  });

  await kase('TLS-007', async (t) => {
    mark();
    const relay = startRelayChild(t, configFor('relay-peek-https.json', 'https'), {
      NODE_EXTRA_CA_CERTS: bundle,
    });
    await rw.live(relay);
    const mode = await relay.waitFor(
      isEvent('relay:connectivity:mode', { mode: 'https' }),
      'mode https',
    );
    t.equal(mode.data.mode, 'https', 'the relay works over 443 only');
    await work(t);

    const sb443 = peekOf(sbHost, 443);
    const sb = clean(t, `Service Bus ${sbHost}:443`, sb443, marks.get(sb443) ?? 0, sbHost);
    t.ok(
      purposes(relay, sb443).includes('servicebus-wss'),
      `443 dialled for AMQP over WebSockets (${purposes(relay, sb443).join(', ')}; ${sb} hellos)`,
    );
    const hc443 = peekOf(hcHost, 443);
    const hc = clean(t, `Hybrid Connections ${hcHost}:443`, hc443, marks.get(hc443) ?? 0, hcHost);
    t.ok(
      hc >= 2,
      `443: the listeners' control channels and rendezvous (${hc} hellos; dialled for ${purposes(relay, hc443).join(', ')})`,
    );
    const sb5671 = purposes(relay, peekOf(sbHost, 5671));
    t.notOk(
      sb5671.includes('servicebus-amqps'),
      `in https mode 5671 carries no AMQPS (dialled for: ${sb5671.join(', ') || 'nothing'})`,
    );
    await relay.stop();
  });

  await kase('TLS-010', async (t) => {
    mark();
    const relay = startRelayChild(t, configFor('relay-peek-weak-defaults.json', 'https'), {
      NODE_EXTRA_CA_CERTS: bundle,
      NODE_OPTIONS: WEAK_NODE_OPTIONS,
    });
    await rw.live(relay);
    let environ = '';
    try {
      environ = readFileSync(`/proc/${String(relay.pid)}/environ`, 'utf8');
    } catch {
      // not Linux: the flags are still in the child's environment, unread
    }
    const options = environ.split('\0').find((v) => v.startsWith('NODE_OPTIONS='));
    t.ok(
      environ === '' ||
        WEAK_NODE_OPTIONS.split(' ').every((flag) => options?.includes(flag) === true),
      `the relay process runs with ${options ?? `NODE_OPTIONS=${WEAK_NODE_OPTIONS}`}`,
    );
    await work(t);
    const refused = await tenant.call('/council-tax/probe', { method: 'GET', route: 'tls-v1-0' });
    let answer: { code?: string; message?: string } = {};
    try {
      answer = JSON.parse(refused.body.toString('utf8')) as typeof answer;
    } catch {
      // an answer from the service itself: the check below fails on it
    }

    t.equal(refused.status, 503, 'a TLS 1.0-only back-office service is still refused (503)');
    t.match(
      answer,
      { code: 'RELAY_E_BACKOFFICE_TRANSIENT', message: /ERR_SSL_/ },
      `with a typed error naming the TLS failure: "${answer.message ?? ''}"`,
    );
    t.same(v10.requests, [], 'no HTTP request reached the TLS 1.0 service');
    for (const [label, server, sni] of [
      [`Service Bus ${sbHost}:443 (AMQP over WebSockets)`, peekOf(sbHost, 443), sbHost],
      [`Hybrid Connections ${hcHost}:443`, peekOf(hcHost, 443), hcHost],
      [`probe of ${sbHost}:5671`, peekOf(sbHost, 5671), sbHost],
      [`probe of ${hcHost}:9352`, peekOf(hcHost, 9352), hcHost],
      ['back-office HTTPS (council-tax)', backOfficePeek, undefined],
    ] as const) {
      const n = clean(t, label, server, marks.get(server) ?? 0, sni);
      t.ok(n >= 1, `${label}: ${n} ClientHello(s) under ${WEAK_NODE_OPTIONS}`);
    }
    await relay.stop();
  });
})();
