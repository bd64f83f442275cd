// TLS-001..003: the relay refuses back-office services with weak TLS. In: the simulated world
// and the reference relay (a child process) whose route table points routes at hostile HTTPS
// peers made here on loopback: TLS 1.0-only and TLS 1.1-only servers, NULL-only and
// anonymous-only servers (OpenSSL at security level 0, each first shown to negotiate what it
// is said to with a client that allows it), raw servers that answer the relay's ClientHello
// with a ServerHello insisting on RC4, 3DES, EXPORT or NULL-MD5 (suites OpenSSL 3 no longer
// serves), and a second simulator back office serving one certificate per service (expired,
// self-signed, wrong host, good) from a test CA the relay trusts. Out: each hostile route is
// answered 503 RELAY_E_BACKOFFICE_TRANSIENT naming the OpenSSL code over the Hybrid
// Connection, relay:backoffice:attempt events carry it, Service Bus work on a refused route is
// retried per the back-off and circuit breaker until Service Bus dead-letters it, no hostile
// peer ever receives an HTTP request, and the relay keeps answering its good routes.
import { readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { startBackOffice } from '../../simulator/src/backoffice';
import { createTestCertificates } from '../../simulator/src/cloud/tls/test-certs';
import { kase } from '../lib/case';
import {
  ALERT_NAMES,
  negotiated,
  startHelloServer,
  startTlsService,
  suiteName,
  type HelloServer,
} from '../lib/hostile/tls';
import { isEvent, startRelayChild, type RelayChild } from '../lib/relay-child';
import { startRelayWorld, type Json } from '../lib/relay-world';
import { deadLetterOf } from '../route/lib/route-world';

/** Codes of a failed TLS handshake or certificate check, as OpenSSL and Node name them. */
const TLS_ERRNO = /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED|UNABLE_TO_|SELF_SIGNED)/;

void (async () => {
  const rw = await startRelayWorld(t);
  const { tenant, backOffice } = rw.world;
  if (tenant === undefined || backOffice === undefined || rw.world.caPath === undefined) {
    throw new Error('the world has no tenant, back office or CA');
  }
  const certs = createTestCertificates({ hosts: ['localhost', '127.0.0.1'] });
  const level0 = 'DEFAULT@SECLEVEL=0';

  // Old versions and weak suites, really spoken (shown below with a permissive client).
  const v10 = await startTlsService(t, {
    ...certs.good,
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1',
    ciphers: level0,
  });
  const v11 = await startTlsService(t, {
    ...certs.good,
    minVersion: 'TLSv1.1',
    maxVersion: 'TLSv1.1',
    ciphers: level0,
  });
  const nullOnly = await startTlsService(t, {
    ...certs.good,
    maxVersion: 'TLSv1.2',
    ciphers: 'eNULL:@SECLEVEL=0',
  });
  const anonOnly = await startTlsService(t, {
    ...certs.good,
    maxVersion: 'TLSv1.2',
    ciphers: 'aNULL:!eNULL:@SECLEVEL=0',
    dhparam: 'auto',
  });
  // Suites OpenSSL 3.0 cannot serve (RC4, 3DES, EXPORT are not built; NULL-MD5 needs an RSA
  // certificate, and the simulator's CA makes ECDSA ones): a ServerHello that insists on them.
  const insisting: Record<string, { suite: number; server: HelloServer }> = {};
  for (const [route, suite] of [
    ['tls-rc4', 0x0005],
    ['tls-3des', 0x000a],
    ['tls-export', 0x0008],
    ['tls-null-md5', 0x0001],
  ] as const) {
    insisting[route] = {
      suite,
      server: await startHelloServer(t, { kind: 'server-hello', suite }),
    };
  }

  // A second simulator back office: one certificate per service, from the test CA.
  const badBackOffice = await startBackOffice(
    {
      services: {
        'council-tax': { enabled: true },
        'business-rates': { enabled: true },
        benefits: { enabled: true },
        documents: { enabled: true },
        'ctb-intake': { enabled: false },
        'environmental-health': { enabled: false },
        licensing: { enabled: false },
        'file-shares': { enabled: false },
      },
      control: { enabled: false },
      files: { runDir: join(rw.dir, 'cert-back-office') },
    },
    {
      tlsByService: {
        'council-tax': certs.expired,
        'business-rates': certs.selfSigned,
        benefits: certs.wrongHost,
        documents: certs.good,
      },
    },
  );
  t.teardown(() => badBackOffice.close());

  // Hostile route → base URL. The four retrieval routes keep their Hybrid Connections.
  const hostile: Record<string, string> = {
    'council-tax': v10.url(),
    benefits: v11.url(),
    'tls-null': nullOnly.url(),
    'tls-anon': anonOnly.url(),
    'cert-expired': badBackOffice.url('council-tax'),
    'cert-self-signed': badBackOffice.url('business-rates'),
    'cert-wrong-host': badBackOffice.url('benefits'),
  };
  for (const [route, { server }] of Object.entries(insisting)) {
    hostile[route] = `https://localhost:${server.port}`;
  }
  // The relay trusts the world's CA and the test CA, through its config and the environment.
  const bundle = join(rw.dir, 'ca-and-test-ca.pem');
  writeFileSync(bundle, `${readFileSync(rw.world.caPath, 'utf8').trim()}\n${certs.caPem}`);
  const configPath = rw.writeRelayConfig('relay-tls-back-office.json', (c: Json) => {
    const services = c.backOffice as Record<string, string>;
    Object.assign(services, hostile, { documents: badBackOffice.url('documents') });
    const routes = c.routes as Json[];
    for (const name of Object.keys(hostile)) {
      if (!routes.some((r) => r.name === name))
        routes.push({ name, use: 'retrieve', service: name });
    }
    c.tls = { caFile: bundle };
    // Quick retries: two attempts a call, short waits, and a breaker that opens after three
    // failures for a quarter of a second (a delivery refused while it is open is held that long).
    c.delivery = {
      attempts: 2,
      backoff: { baseMs: 20, maxMs: 100, factor: 2, jitter: 0.2 },
      breaker: { failureThreshold: 3, openMs: 250 },
    };
  });
  const relay: RelayChild = startRelayChild(t, configPath, { NODE_EXTRA_CA_CERTS: bundle });
  await rw.live(relay);

  /** A Hybrid Connections GET on `route` through the business-rates connection. */
  const callRoute = async (route: string, path = '/probe') => {
    const reply = await tenant.call(`/business-rates${path}`, { method: 'GET', route });
    let answer: { code?: unknown; message?: unknown } = {};
    try {
      answer = JSON.parse(reply.body.toString('utf8')) as typeof answer;
    } catch {
      // not a refusal
    }
    return {
      status: reply.status,
      code: answer.code,
      message: typeof answer.message === 'string' ? answer.message : '',
    };
  };

  /** The relay refused `route` over HC with a typed error naming a TLS failure; returns errno. */
  const refusedOverHc = async (tt: tap.Test, route: string, errno: RegExp): Promise<void> => {
    const r = await callRoute(route);
    tt.equal(r.status, 503, `${route}: answered 503 over the Hybrid Connection`);
    tt.equal(r.code, 'RELAY_E_BACKOFFICE_TRANSIENT', `${route}: with a typed error`);
    tt.match(r.message, errno, `${route}: naming the TLS failure: "${r.message}"`);
    const attempts = relay.events.filter(
      (e) =>
        e.channel === 'relay:backoffice:attempt' &&
        e.data.service === route &&
        e.data.outcome === 'transient',
    );
    tt.ok(attempts.length >= 1, `${route}: relay:backoffice:attempt events were published`);
    tt.ok(
      attempts.every((e) => typeof e.data.errno === 'string' && TLS_ERRNO.test(e.data.errno)),
      `${route}: every attempt failed on TLS (${[...new Set(attempts.map((e) => String(e.data.errno)))].join(', ')})`,
    );
  };

  /** The world's own routes still answer: plain business-rates, and TLS documents (good cert). */
  const stillServing = async (tt: tap.Test): Promise<void> => {
    const ref = backOffice.data.businessRates.references[0] ?? '';
    const br = await tenant.call(`/business-rates/properties/${ref}`, { method: 'GET' });
    tt.equal(br.status, 200, 'business-rates (another route) is still answered 200');
    tt.equal(relay.process.exitCode, null, 'the relay is still running');
  };

  await kase('TLS-001', async (t) => {
    for (const [label, server, version] of [
      ['TLS 1.0', v10, 'TLSv1'],
      ['TLS 1.1', v11, 'TLSv1.1'],
    ] as const) {
      const spoken = await negotiated(server.port, { ca: certs.caPem });
      t.match(spoken, { protocol: version }, `the ${label} service really speaks ${version}`);
    }
    await refusedOverHc(t, 'council-tax', /ERR_SSL_|protocol version/i);
    await refusedOverHc(t, 'benefits', /ERR_SSL_|protocol version/i);
    for (const [label, server] of [
      ['TLS 1.0', v10],
      ['TLS 1.1', v11],
    ] as const) {
      const seen = await server.waitForClientError();
      t.match(
        seen.reason,
        /unsupported protocol|protocol version/i,
        `${label} service: it saw the handshake fail (${seen.code ?? ''}: ${seen.reason})`,
      );
      t.same(server.requests, [], `${label} service: no HTTP request reached it`);
    }

    // Over Service Bus: the work is retried (back-off, then the breaker) and dead-lettered by
    // Service Bus after its maximum delivery count; the relay does not exit.
    const messageId = `tls-001-${randomUUID()}`;
    const dead = await deadLetterOf(
      tenant.sendWork('council-tax', Buffer.alloc(0), {
        messageId,
        properties: { path: '/accounts/1' },
        timeoutMs: 60_000,
      }),
    );
    t.equal(
      dead.reason,
      'MaxDeliveryCountExceeded',
      'Service Bus dead-lettered the work after its deliveries',
    );
    const abandoned = relay.events.filter(
      (e) =>
        e.channel === 'relay:work' &&
        e.data.messageId === messageId &&
        e.data.outcome === 'abandoned',
    );
    t.ok(
      abandoned.length >= 2,
      `the relay abandoned each delivery for a later one (${abandoned.length} deliveries)`,
    );
    t.ok(
      abandoned.every((e) => /^RELAY_E_BACKOFFICE_(TRANSIENT|OPEN)$/.test(String(e.data.code))),
      `with typed codes (${[...new Set(abandoned.map((e) => String(e.data.code)))].join(', ')})`,
    );
    const waits = relay.events.filter(
      (e) =>
        e.channel === 'relay:backoffice:attempt' &&
        e.data.service === 'council-tax' &&
        typeof e.data.delayMs === 'number',
    );
    t.ok(
      waits.length >= 1,
      `a failed attempt was followed by a back-off wait (${waits.map((e) => String(e.data.delayMs)).join(', ')} ms)`,
    );
    t.ok(
      relay.events.some((e) =>
        isEvent('relay:backoffice:breaker', { service: 'council-tax', state: 'open' })(e),
      ),
      "council-tax's circuit breaker opened after repeated TLS failures",
    );
    t.same(v10.requests, [], 'still no HTTP request reached the TLS 1.0 service');
    await stillServing(t);
  });

  await kase('TLS-002', async (t) => {
    const nullSpoken = await negotiated(nullOnly.port, {
      ca: certs.caPem,
      ciphers: 'eNULL:@SECLEVEL=0',
    });
    t.match(
      nullSpoken,
      { cipher: /NULL/ },
      `the NULL service really negotiates a NULL suite (${JSON.stringify(nullSpoken)})`,
    );
    const anonSpoken = await negotiated(anonOnly.port, { ciphers: 'aNULL:@SECLEVEL=0' });
    t.match(
      anonSpoken,
      { cipher: /anon/ },
      `the anonymous service really negotiates an anon suite (${JSON.stringify(anonSpoken)})`,
    );
    for (const [route, server] of [
      ['tls-null', nullOnly],
      ['tls-anon', anonOnly],
    ] as const) {
      const before = server.handshakes();
      await refusedOverHc(t, route, /ERR_SSL_|handshake failure/i);
      const seen = await server.waitForClientError();
      t.match(
        seen.reason,
        /no shared cipher/i,
        `${route}: the server found no shared cipher (${seen.reason})`,
      );
      t.equal(server.handshakes(), before, `${route}: no handshake with the relay completed`);
      t.same(server.requests, [], `${route}: no HTTP request reached it`);
    }
    for (const [route, { suite, server }] of Object.entries(insisting)) {
      await refusedOverHc(t, route, /ERR_SSL_(UNKNOWN|WRONG)_CIPHER_RETURNED|cipher returned/i);
      const alert = await server.waitForAlert();
      t.match(
        alert,
        { level: 2, description: 47, otherBytes: 0 },
        `${route}: the relay answered a ServerHello choosing ${suiteName(suite)} with a fatal ${ALERT_NAMES.get(alert.description ?? -1) ?? '?'} alert and nothing else`,
      );
      const offered = server.hellos.every((h) => h.hello?.cipherSuites.includes(suite) === false);
      t.ok(
        offered,
        `${route}: the relay never offered ${suiteName(suite)} (OpenSSL 3 cannot serve it: the server insisted)`,
      );
    }
    await stillServing(t);
  });

  await kase('TLS-003', async (t) => {
    for (const [route, service, errno] of [
      ['cert-expired', 'council-tax', 'CERT_HAS_EXPIRED'],
      ['cert-self-signed', 'business-rates', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
      ['cert-wrong-host', 'benefits', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ] as const) {
      await refusedOverHc(t, route, new RegExp(errno));
      t.equal(
        badBackOffice.journal.count({ service }),
        0,
        `${route}: the simulator's ${service} service (serving that certificate) recorded no request`,
      );
    }
    // Retries and the breaker: repeated certificate failures open it (and it keeps probing).
    for (let i = 0; i < 3; i++) await callRoute('cert-expired');
    t.ok(
      relay.events.some((e) =>
        isEvent('relay:backoffice:breaker', { service: 'cert-expired', state: 'open' })(e),
      ),
      'cert-expired: the circuit breaker opened after repeated certificate failures',
    );
    t.equal(
      badBackOffice.journal.count({ service: 'council-tax' }),
      0,
      'still nothing reached the expired-certificate service',
    );

    // A good certificate from the same CA is served: the refusals were for the certificates.
    const doc = `/documents/documents/council-tax/${badBackOffice.data.councilTax.references[0] ?? ''}/bill.pdf`;
    const good = await tenant.call(doc, { method: 'GET' });
    t.equal(
      good.status,
      200,
      'documents (a good certificate from the same test CA) is answered 200',
    );
    t.equal(
      badBackOffice.journal.count({ service: 'documents' }),
      1,
      'and reached the documents service once',
    );
    await stillServing(t);
  });
})();
