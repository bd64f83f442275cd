// TLS-004, TLS-005: the relay refuses Service Bus and Hybrid Connections endpoints with weak TLS
// or bad certificates, keeps probing per its back-off, and recovers once they are good. In: the
// simulated world and the reference relay (a child process) whose network map (a copy of the
// world's, rewritten per phase) sends every TLS endpoint of both namespaces (5671, 443,
// 9350-9354) to hostile peers on loopback: TLS 1.0-only, TLS 1.1-only, NULL-only and
// anonymous-only servers; raw servers insisting on RC4, 3DES, EXPORT, NULL-MD5; then
// TLS-terminating proxies in front of the simulator's own listeners presenting expired,
// self-signed and wrong-host certificates from a test CA the relay trusts, switched to good
// ones at the end. Out: each probe round is all tls-failed (RELAY_E_EGRESS_TLS), the mode stays
// none, /healthz says so, the rounds follow the configured reconnect delays, the relay's own
// prober names each certificate fault, no application byte passes a proxy and the tenant has
// no session to send work to; with good certificates the relay goes live and answers work.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  connectivitySettings,
  createEgress,
  egressProber,
  type NetworkMap,
} from '../../relay/src/connectivity';
import { systemScheduler } from '../../relay/src/transports/scheduler';
import { writeFileAtomic } from '../../simulator/src/cloud/tls/ca';
import { createTestCertificates } from '../../simulator/src/cloud/tls/test-certs';
import { kase } from '../lib/case';
import {
  ALERT_NAMES,
  negotiated,
  startHelloServer,
  startTlsProxy,
  startTlsService,
  suiteName,
  type HelloServer,
  type TlsProxy,
} from '../lib/hostile/tls';
import { isEvent, startRelayChild, type RelayEvent } from '../lib/relay-child';
import { startRelayWorld, type Json } from '../lib/relay-world';

type Endpoint = NetworkMap['endpoints'][number];

/** The relay's reconnect delays in this file (faster than production: rounds end sooner). */
const DELAYS = [0, 300, 600];
const JITTER = 0.2;

void (async () => {
  const rw = await startRelayWorld(t);
  const { tenant, backOffice } = rw.world;
  const worldCaPath = rw.world.caPath;
  const mapPath = rw.world.networkMapPath;
  if (tenant === undefined || backOffice === undefined || worldCaPath === undefined) {
    throw new Error('the world has no tenant, back office or CA');
  }
  if (mapPath === undefined) throw new Error('the world has no network map');
  const sbHost = (rw.relayConfig.serviceBus as { host: string }).host;
  const hcHost = (rw.relayConfig.hybrid as { host: string }).host;
  const worldCa = readFileSync(worldCaPath, 'utf8');
  const certs = createTestCertificates({ hosts: [sbHost, hcHost, 'localhost', '127.0.0.1'] });

  // The world's map; the TLS endpoints of both namespaces are the ones sent elsewhere.
  const worldMap = JSON.parse(readFileSync(mapPath, 'utf8')) as NetworkMap;
  const tlsPorts: Record<string, readonly number[]> = {
    [sbHost]: [5671, 443],
    [hcHost]: [443, 9350, 9351, 9352, 9353, 9354],
  };
  const isTls = (e: Endpoint): boolean => tlsPorts[e.host]?.includes(e.port) === true;
  const key = (host: string, port: number): string => `${host}:${String(port)}`;
  const tlsEndpoints = worldMap.endpoints.filter(isTls);
  t.equal(tlsEndpoints.length, 8, 'the world maps the eight TLS endpoints of both namespaces');
  const relayMapPath = join(rw.dir, 'network-map-tls.json');
  /** Writes the relay's map: each TLS endpoint to the loopback port `portOf` names. */
  const route = (portOf: (e: Endpoint) => number): void => {
    const endpoints = worldMap.endpoints.map((e) =>
      isTls(e) ? { ...e, dial: { host: '127.0.0.1', port: portOf(e) } } : e,
    );
    writeFileAtomic(relayMapPath, JSON.stringify({ ...worldMap, endpoints }, null, 2));
  };
  /** The group of an endpoint: the primary kinds a phase gives each a different server. */
  const group = (e: Endpoint): 'sb5671' | 'sb443' | 'hcTcp' | 'hc443' =>
    e.host === sbHost ? (e.port === 5671 ? 'sb5671' : 'sb443') : e.port === 443 ? 'hc443' : 'hcTcp';

  // Phase 1 (TLS-004): old versions and weak suites, really spoken.
  const level0 = 'DEFAULT@SECLEVEL=0';
  const weakServers = {
    sb5671: await startTlsService(t, {
      ...certs.good,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1',
      ciphers: level0,
    }),
    sb443: await startTlsService(t, {
      ...certs.good,
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: level0,
    }),
    hcTcp: await startTlsService(t, {
      ...certs.good,
      maxVersion: 'TLSv1.2',
      ciphers: 'eNULL:@SECLEVEL=0',
    }),
    hc443: await startTlsService(t, {
      ...certs.good,
      maxVersion: 'TLSv1.2',
      ciphers: 'aNULL:!eNULL:@SECLEVEL=0',
      dhparam: 'auto',
    }),
  };
  const weakLabels = {
    sb5671: 'TLS 1.0 only',
    sb443: 'TLS 1.1 only',
    hcTcp: 'NULL suites only',
    hc443: 'anonymous suites only',
  };
  // Phase 2 (TLS-004): ServerHellos insisting on suites OpenSSL 3 cannot serve.
  const insistOn = { sb5671: 0x0005, sb443: 0x000a, hcTcp: 0x0008, hc443: 0x0001 } as const;
  const insisting = {} as Record<keyof typeof insistOn, HelloServer>;
  for (const [g, suite] of Object.entries(insistOn) as [keyof typeof insistOn, number][]) {
    insisting[g] = await startHelloServer(t, { kind: 'server-hello', suite });
  }
  // Phase 3 (TLS-005): TLS proxies in front of the world's own endpoints, bad certificates.
  const badCert = {
    sb5671: certs.expired,
    sb443: certs.selfSigned,
    hcTcp: certs.wrongHost,
    hc443: certs.expired,
  };
  const certLabels = {
    sb5671: 'expired',
    sb443: 'self-signed',
    hcTcp: 'for another host',
    hc443: 'expired',
  };
  const proxies = new Map<string, TlsProxy>();
  for (const e of tlsEndpoints) {
    proxies.set(
      key(e.host, e.port),
      await startTlsProxy(t, badCert[group(e)], {
        host: e.dial.host,
        port: e.dial.port,
        servername: e.host,
        ca: worldCa,
      }),
    );
  }
  const proxyOf = (e: Endpoint): TlsProxy => {
    const p = proxies.get(key(e.host, e.port));
    if (p === undefined) throw new Error(`no proxy for ${key(e.host, e.port)}`);
    return p;
  };

  route((e) => weakServers[group(e)].port);
  const bundle = join(rw.dir, 'ca-and-test-ca.pem');
  writeFileSync(bundle, `${worldCa.trim()}\n${certs.caPem}`);
  const configPath = rw.writeRelayConfig('relay-tls-cloud.json', (c: Json) => {
    (c.egress as Json).networkMapFile = relayMapPath;
    c.tls = { caFile: bundle };
    (c.connectivity as Json).reconnectDelaysMs = DELAYS;
    (c.connectivity as Json).reconnectJitter = JITTER;
  });
  const relay = startRelayChild(t, configPath, { NODE_EXTRA_CA_CERTS: bundle });

  /**
   * The probes of a whole round that started after the event index `from` (the round after
   * the first round that ends after it), and that round's event.
   */
  const nextFullRound = async (
    from: number,
  ): Promise<{ probes: RelayEvent[]; round: RelayEvent }> => {
    const first = await relay.waitAfter(from, isEvent('relay:connectivity:round'), 'a probe round');
    const at = relay.events.indexOf(first);
    const round = await relay.waitAfter(
      at + 1,
      isEvent('relay:connectivity:round'),
      'the next probe round',
    );
    const probes = relay.events
      .slice(at + 1, relay.events.indexOf(round))
      .filter((e) => e.channel === 'relay:connectivity:probe');
    return { probes, round };
  };
  const allTlsFailed = (tt: tap.Test, probes: RelayEvent[], what: string): void => {
    const ports = probes.map(
      (p) => `${String(p.data.target)}:${String(p.data.port)}=${String(p.data.diagnosis)}`,
    );
    tt.equal(
      probes.length,
      8,
      `${what}: the round probed 5671, 443 and 9350-9354 (${ports.join(' ')})`,
    );
    tt.ok(
      probes.every(
        (p) => p.data.diagnosis === 'tls-failed' && p.data.code === 'RELAY_E_EGRESS_TLS',
      ),
      `${what}: every probe is tls-failed with RELAY_E_EGRESS_TLS`,
    );
  };
  const noMode = (tt: tap.Test): void => {
    tt.notOk(
      relay.events.some((e) => e.channel === 'relay:connectivity:mode' && e.data.mode !== 'none'),
      'no connectivity mode was chosen',
    );
    tt.notOk(
      relay.events.some((e) => isEvent('relay:session', { state: 'live' })(e)),
      'no handshake session went live',
    );
    tt.equal(relay.process.exitCode, null, 'the relay is still running');
  };

  await kase('TLS-004', async (t) => {
    for (const [g, server] of Object.entries(weakServers) as [
      keyof typeof weakServers,
      (typeof weakServers)['sb5671'],
    ][]) {
      const spoken = await negotiated(server.port, {
        servername: sbHost,
        ...(g === 'hc443' ? { ciphers: 'aNULL:@SECLEVEL=0' } : { ca: certs.caPem }),
      });
      t.notMatch(
        spoken,
        { error: String },
        `${weakLabels[g]}: the server really speaks it (${JSON.stringify(spoken)})`,
      );
    }
    const one = await nextFullRound(0);
    allTlsFailed(t, one.probes, 'TLS 1.0, TLS 1.1, NULL and anonymous endpoints');
    for (const [g, server] of Object.entries(weakServers) as [
      keyof typeof weakServers,
      (typeof weakServers)['sb5671'],
    ][]) {
      const seen = await server.waitForClientError();
      t.match(
        seen.reason,
        g === 'sb5671' || g === 'sb443' ? /unsupported protocol/ : /no shared cipher/,
        `${weakLabels[g]}: the server saw the relay's handshake fail (${seen.reason})`,
      );
      t.same(server.requests, [], `${weakLabels[g]}: nothing was sent to it`);
    }
    const health = await rw.health(relay);
    t.equal(health.mode, 'none', '/healthz: mode none');
    t.ok(
      health.ports.filter((p) => p.port !== 80).every((p) => p.outcome === 'tls-failed'),
      `/healthz: every TLS port tls-failed (${health.ports.map((p) => `${p.purpose}:${String(p.port)}=${p.outcome}`).join(' ')})`,
    );

    const mark = relay.events.length;
    route((e) => insisting[group(e)].port);
    const two = await nextFullRound(mark);
    allTlsFailed(t, two.probes, 'endpoints insisting on RC4, 3DES, EXPORT and NULL-MD5');
    for (const [g, server] of Object.entries(insisting) as [keyof typeof insistOn, HelloServer][]) {
      const alert = await server.waitForAlert();
      t.match(
        alert,
        { level: 2, description: 47, otherBytes: 0 },
        `${suiteName(insistOn[g])}: the relay answered with a fatal ${ALERT_NAMES.get(alert.description ?? -1) ?? '?'} alert and nothing else`,
      );
      t.ok(
        server.hellos.every((h) => h.hello?.cipherSuites.includes(insistOn[g]) === false),
        `${suiteName(insistOn[g])}: never offered by the relay`,
      );
    }
    noMode(t);
  });

  await kase('TLS-005', async (t) => {
    const mark = relay.events.length;
    route((e) => proxyOf(e).port);
    const bad = await nextFullRound(mark);
    allTlsFailed(t, bad.probes, 'expired, self-signed and wrong-host certificates');
    const later = await nextFullRound(relay.events.indexOf(bad.round));
    allTlsFailed(t, later.probes, 'and again on the next round');
    for (const round of [bad.round, later.round]) {
      const f = Number(round.data.failures);
      const base = DELAYS[Math.min(f - 1, DELAYS.length - 1)] ?? 0;
      const delay = Number(round.data.delayMs);
      t.ok(
        round.data.next === 'retry' && delay >= base && delay <= Math.floor(base * (1 + JITTER)),
        `round ${String(round.data.round)} (failure ${f}): the next try in ${delay} ms, within the back-off [${base}, ${Math.floor(base * (1 + JITTER))}]`,
      );
    }
    const health = await rw.health(relay);
    t.equal(health.mode, 'none', '/healthz: mode none');
    t.ok(
      health.ports
        .filter((p) => p.port !== 80)
        .every((p) => p.outcome === 'tls-failed' && p.detail === 'RELAY_E_EGRESS_TLS'),
      `/healthz: every TLS port tls-failed, RELAY_E_EGRESS_TLS`,
    );
    for (const [k, p] of proxies) {
      t.equal(p.upstreams(), 0, `${k}: no connection was carried through to the namespace`);
      t.equal(p.bytesFromClient(), 0, `${k}: no application byte came from the relay`);
    }
    const ref = backOffice.data.councilTax.references[0] ?? '';
    const send = () =>
      tenant.sendWork('council-tax', Buffer.alloc(0), {
        properties: { path: `/accounts/${ref}` },
        timeoutMs: 60_000,
      });
    await t.rejects(
      send(),
      { message: /no relay session is live/ },
      'the tenant has no relay session to send work to: no message moves',
    );
    t.equal(
      backOffice.journal.count({ service: 'council-tax' }),
      0,
      'nothing reached the back office',
    );
    noMode(t);

    // The relay's own prober against the same proxies names each certificate fault.
    const egress = await createEgress(
      connectivitySettings({
        ...rw.relayConfig,
        egress: { ...(rw.relayConfig.egress as Json), networkMapFile: relayMapPath },
      } as Parameters<typeof connectivitySettings>[0]),
      { extraCa: [worldCa, certs.caPem] },
    );
    for (const [g, host, port, want] of [
      ['sb5671', sbHost, 5671, /certificate has expired|CERT_HAS_EXPIRED/],
      ['sb443', sbHost, 443, /self[- ]signed/],
      ['hcTcp', hcHost, 9352, /altnames|does not match|ERR_TLS_CERT_ALTNAME_INVALID/],
      ['hc443', hcHost, 443, /certificate has expired|CERT_HAS_EXPIRED/],
    ] as const) {
      const r = await egressProber(egress)(
        {
          target: g.startsWith('sb') ? 'amqp' : 'hc',
          host,
          port,
          path: port === 443 ? 'https' : 'tcp',
          role: 'primary',
        },
        { timeoutMs: 10_000, scheduler: systemScheduler },
      );
      t.match(
        r,
        { diagnosis: 'tls-failed', code: 'RELAY_E_EGRESS_TLS', reason: want },
        `${host}:${port} (${certLabels[g]}): ${r.reason ?? ''}`,
      );
    }

    // Good certificates: the relay goes live on a later round and answers the waiting work.
    const fixed = relay.events.length;
    for (const p of proxies.values()) p.setTls(certs.good);
    const mode = await relay.waitAfter(
      fixed,
      isEvent('relay:connectivity:mode', { mode: 'tcp' }),
      'the tcp mode once the certificates are good',
    );
    t.equal(mode.data.previous, 'none', 'the relay moved from none to tcp');
    await relay.waitAfter(fixed, isEvent('relay:session', { state: 'live' }), 'a live session');
    const reply = await send();
    t.equal(reply.status, 200, 'work sent once the certificates are good is answered 200');
    t.equal(
      backOffice.journal.count({ service: 'council-tax' }),
      1,
      'and reached the back office once',
    );
    const through = [...proxies.values()].reduce((n, p) => n + p.upstreams(), 0);
    t.ok(through > 0, `the relay's connections now pass the proxies (${through} carried)`);
  });
})();
