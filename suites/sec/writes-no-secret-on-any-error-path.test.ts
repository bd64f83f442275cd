// SEC-006: no secret is written anywhere during a run through every error path (issue 10,
// "Secrets"). In: the world, every SAS token the simulator receives captured where it receives
// it (suites/sec/lib/token-tap.ts), and reference relays as child processes at log level trace,
// all started at once: A, live, driven through refusals — unknown routes over both transports,
// hostile XML, a file that is not a PDF, Hybrid Connections requests with a broken seal, under a
// key id it does not hold and with no seal, a back office answering 500 (a post retried, a
// retrieval given up) and one that is down; B with a wrong handshake key (REJECT); C with a
// retired one (REJECT); D with wrong SAS keys for both namespaces (refused, retrying); E with an
// undecodable tenant key (a config error at start). Out: every secret of the run — tenant
// handshake keys (the world's, the retired, the wrong, the undecodable one), every SAS key of
// both namespaces and the wrong ones (as text and as bytes), every SAS signature the simulator
// received (the relays' among them), the handshake session keys the cloud side holds — looked
// for in raw, base64, base64url, hex and percent-encoded forms in each relay's stdout, stderr and
// event stream, every file under the world's folder (less the config files the test wrote to
// hand the relays their keys), the simulator's event log and the case evidence: none is found.
import { randomBytes, randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join, relative } from 'node:path';
import { request } from 'undici';
import { metadataToHeaders, sealBody } from '../../relay/src/protocol/envelope';
import { createSasToken } from '../../relay/src/protocol/sas';
import { kase } from '../lib/case';
import { CAPTURED_CHANNELS, openCaseEvidence } from '../lib/evidence';
import { isEvent, waitForNth, type RelayChild } from '../lib/relay-child';
import { startRelayWorld, type Json } from '../lib/relay-world';
import { describeFinding, scanForSecretsReport, type NamedSecret } from '../lib/secrets-scan';
import { deadLetterOf } from '../route/lib/route-world';
import { intakeXml } from '../delivery/lib/delivery-kit';
import { evidencePdf } from './lib/samples';
import { installTokenTap } from './lib/token-tap';

const TRACE: Json = {
  log: { level: 'trace' },
  delivery: { attempts: 2, backoff: { baseMs: 10, maxMs: 50, jitter: 0 } },
};

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

function entityBomb(root: string): Buffer {
  const levels = ['<!ENTITY a0 "ha">'];
  for (let i = 1; i <= 8; i++)
    levels.push(`<!ENTITY a${String(i)} "${`&a${String(i - 1)};`.repeat(10)}">`);
  return Buffer.from(
    `<?xml version="1.0"?><!DOCTYPE ${root} [${levels.join('')}]><${root}>&a8;</${root}>`,
  );
}

void kase('SEC-006', async (t) => {
  const evidence = openCaseEvidence('SEC-006 the whole run');
  evidence.watch(t);
  const simLog: string[] = [];
  const subs = CAPTURED_CHANNELS.filter((c) => !c.startsWith('relay:')).map((channel) => {
    const fn = (m: unknown): void => {
      simLog.push(`${channel} ${JSON.stringify(m)}`);
    };
    diagnostics.subscribe(channel, fn);
    return { channel, fn };
  });
  const tap = installTokenTap();
  t.teardown(() => {
    tap.restore();
    for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
  });

  const gonePort = await closedPort();
  const rw = await startRelayWorld(t, { relay: TRACE });
  const { world, dir } = rw;
  const { tenant, backOffice, hybrid } = world;
  const tenantCfg = world.config.tenant;
  const hcSend = world.config.hybrid?.authorizationRules.find((r) => r.keyName === 'cloud-tenant');
  const front = hybrid?.listeners.plain;
  if (
    tenant === undefined ||
    backOffice === undefined ||
    hybrid === undefined ||
    tenantCfg === undefined ||
    hcSend === undefined ||
    front === undefined
  ) {
    throw new Error('the world lacks a tenant, back office or Hybrid Connections');
  }
  const kid = tenantCfg.keys[0]?.kid ?? 'k1';
  const tenantKey = tenantCfg.keys[0]?.secret;
  if (tenantKey === undefined) throw new Error('no tenant key');

  // Secrets made for this run's error paths.
  const wrongHandshakeKey = randomBytes(32);
  const retiredKey = randomBytes(32);
  const wrongSbKey = randomBytes(32).toString('base64');
  const wrongHcKey = randomBytes(32).toString('base64');
  const undecodableKey = randomBytes(31).toString('base64');
  const strayEnvelopeKey = randomBytes(32);

  const configs: string[] = [
    rw.relayConfigPath,
    join(dir, 'relay.json'),
    join(dir, 'relay-config.json'),
  ];
  const variant = (name: string, change: (c: Json) => void): string => {
    const path = rw.writeRelayConfig(name, change);
    configs.push(path);
    return path;
  };
  const relays: { name: string; relay: RelayChild }[] = [];
  const start = (name: string, path: string): RelayChild => {
    const relay = rw.startRelay(path);
    relays.push({ name, relay });
    return relay;
  };
  const keysOf = (c: Json): Json[] => (c.tenant as { keys: Json[] }).keys;
  // B and C listen on the documents connection only: A's requests go to council-tax, to A.
  const onlyDocuments = (c: Json): void => {
    (c.hybrid as Json).paths = ['documents'];
  };

  // A: the relay that does the work, with a route to a back office that is down.
  const a = start(
    'A',
    variant('relay-a.json', (c) => {
      (c.backOffice as Json).gone = `http://127.0.0.1:${String(gonePort)}`;
      (c.routes as Json[]).push({ name: 'gone', use: 'retrieve', service: 'gone' });
      c.idempotency = { file: 'idempotency.jsonl' };
    }),
  );
  const sessionKeys: { name: string; value: Buffer }[] = [];
  const keepSessionKeys = (): void => {
    for (const s of tenant.sessions()) {
      const key = tenant.verifier.liveSession(tenant.tenant, s.sid)?.key;
      if (key !== undefined && !sessionKeys.some((k) => k.value.equals(key))) {
        sessionKeys.push({ name: `session key of ${s.instanceId}`, value: key });
      }
    }
  };

  // B, C, D, E: each fails in its own way, beside A (all started at once).
  tenant.addKey('k-retired', retiredKey);
  tenant.retireKey('k-retired');
  const b = start(
    'B',
    variant('relay-b.json', (c) => {
      keysOf(c)[0] = { kid, secret: wrongHandshakeKey.toString('base64') };
      onlyDocuments(c);
    }),
  );
  const c = start(
    'C',
    variant('relay-c.json', (c) => {
      (c.tenant as Json).keys = [{ kid: 'k-retired', secret: retiredKey.toString('base64') }];
      onlyDocuments(c);
    }),
  );
  const d = start(
    'D',
    variant('relay-d.json', (c) => {
      (c.serviceBus as Json).key = wrongSbKey;
      (c.hybrid as Json).key = wrongHcKey;
    }),
  );
  const e = start(
    'E',
    variant('relay-e.json', (c) => {
      keysOf(c)[0] = { kid, secret: undecodableKey };
    }),
  );
  await rw.live(a);
  keepSessionKeys();

  // A's error paths.
  const ref = backOffice.data.councilTax.references[0];
  if (ref === undefined) throw new Error('no council tax account');
  const dead = async (route: string, body: Buffer, properties: Record<string, string> = {}) =>
    deadLetterOf(
      tenant.sendWork(route, body, { messageId: `sec6-${route}-${randomUUID()}`, properties }),
    );
  t.equal((await dead('planning-applications', Buffer.from('<x/>'))).reason, 'RELAY_E_WORK_ROUTE');
  t.equal(
    (await dead('ctb-intake', entityBomb('ChangeOfCircumstances'))).reason,
    'RELAY_E_CONTENT_XML',
    'an entity bomb is dead-lettered',
  );
  t.equal(
    (
      await dead(
        'licensing',
        Buffer.from(
          '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><LicenceApplication>&e;</LicenceApplication>',
        ),
      )
    ).reason,
    'RELAY_E_CONTENT_XML',
    'an external entity is dead-lettered',
  );
  t.equal(
    (
      await dead('form-evidence', Buffer.concat([Buffer.from('MZ'), randomBytes(2048)]), {
        formType: 'housing-benefit-claim',
      })
    ).reason,
    'RELAY_E_CONTENT_PDF',
    'a file that is not a PDF is dead-lettered',
  );
  const dropped = await tenant.sendWork('form-evidence', await evidencePdf('sec6'), {
    properties: { formType: 'housing-benefit-claim' },
  });
  t.equal(dropped.status, 201, 'a genuine PDF is dropped');

  // The back office answers 500 once to a post (retried) and twice to a retrieval (given up).
  backOffice.faults.set('ctb-intake', [{ action: { type: 'status', status: 500 }, count: 1 }]);
  const retried = await tenant.sendWork('ctb-intake', intakeXml('ChangeOfCircumstances', 'sec6'));
  t.equal(retried.status, 201, 'a post retried after a 500 is made');
  backOffice.faults.set('council-tax', [{ action: { type: 'status', status: 500 }, count: 2 }]);
  const failed = await tenant.call(`/council-tax/accounts/${ref}`, {
    method: 'GET',
    route: 'council-tax',
  });
  t.ok(
    failed.status >= 500,
    `a retrieval the back office fails twice is answered ${String(failed.status)}`,
  );
  const down = await tenant.call(`/council-tax/accounts/${ref}`, { method: 'GET', route: 'gone' });
  t.ok(
    down.status >= 500,
    `a retrieval from a back office that is down is answered ${String(down.status)}`,
  );
  const unknown = await tenant.call(`/council-tax/accounts/${ref}`, {
    method: 'GET',
    route: 'planning-applications',
  });
  t.equal(unknown.status, 404, 'an unknown route over the Hybrid Connection is answered 404');

  // Hybrid Connections requests with a broken seal, under a key id the relay does not hold,
  // and with no seal at all.
  const hcToken = createSasToken({
    resource: `http://${hybrid.host}/council-tax`,
    keyName: hcSend.keyName,
    key: hcSend.key,
    ttlSeconds: 600,
  });
  const raw = async (headers: Record<string, string>, body: Buffer): Promise<number> => {
    const res = await request(`${front.url}/council-tax/changes`, {
      method: 'POST',
      headers: { ...headers, servicebusauthorization: hcToken, 'content-type': 'application/xml' },
      body,
    });
    await res.body.dump();
    return res.statusCode;
  };
  for (const [what, key, keyId, flip] of [
    ['a flipped bit', tenantKey, kid, true],
    ['a key id the relay does not hold', strayEnvelopeKey, 'k-stray', false],
  ] as const) {
    const messageId = `sec6-hc-${randomUUID()}`;
    const sealed = sealBody(
      { tenant: tenantCfg.id, messageId, route: 'ctb-intake', direction: 'c2r', key, kid: keyId },
      intakeXml('ChangeOfCircumstances', messageId),
    );
    const body = Buffer.from(sealed.sealed);
    if (flip) body[10] = (body[10] ?? 0) ^ 1;
    const status = await raw(
      {
        ...metadataToHeaders(sealed.metadata),
        'rc-message-id': messageId,
        'rc-route': 'ctb-intake',
      },
      body,
    );
    t.equal(status, 403, `a Hybrid Connections request with ${what} is answered 403`);
  }
  t.equal(
    await raw(
      { 'rc-message-id': `sec6-plain-${randomUUID()}`, 'rc-route': 'ctb-intake' },
      intakeXml('ChangeOfCircumstances', 'plain'),
    ),
    403,
    'and a plain one',
  );
  keepSessionKeys();

  // The others' failures, each seen.
  await b.waitFor(isEvent('relay:session', { state: 'rejected' }), 'B refused (wrong key)');
  t.pass('B, with a wrong handshake key, was refused');
  await c.waitFor(isEvent('relay:session', { state: 'rejected' }), 'C refused (retired key)');
  t.pass('C, with a retired key, was refused');
  await waitForNth(d, isEvent('relay:session', { state: 'failed' }), 2, 'D retrying');
  await waitForNth(d, isEvent('relay:hc:refused'), 2, 'D refused by Hybrid Connections');
  t.pass('D, with wrong SAS keys, was refused and retried on both namespaces');
  const exit = await e.exited;
  t.not(exit.code, 0, `E stopped at start on its config error (exit ${String(exit.code)})`);
  t.match(e.stderr(), /RELAY_E_CONFIG[^\n]*tenant\.keys\[0\]\.secret/, 'and named the field');
  for (const r of relays) await r.relay.stop();

  // Every secret of the run.
  const secrets: NamedSecret[] = [
    ...tenantCfg.keys.map((k) => ({ name: `tenant key ${k.kid}`, value: k.secret })),
    { name: 'retired tenant key', value: retiredKey },
    { name: 'wrong handshake key (B)', value: wrongHandshakeKey },
    { name: 'undecodable tenant key (E)', value: undecodableKey },
    { name: 'stray envelope key', value: strayEnvelopeKey },
    ...sessionKeys,
  ];
  const sasKey = (name: string, key: string): NamedSecret[] => [
    { name, value: key },
    { name: `${name} (bytes)`, value: Buffer.from(key, 'base64') },
  ];
  for (const r of world.config.serviceBus?.authorizationRules ?? []) {
    secrets.push(...sasKey(`Service Bus key ${r.keyName}`, r.key));
  }
  for (const r of world.config.hybrid?.authorizationRules ?? []) {
    secrets.push(...sasKey(`Hybrid Connections key ${r.keyName}`, r.key));
  }
  secrets.push(...sasKey('wrong Service Bus key (D)', wrongSbKey));
  secrets.push(...sasKey('wrong Hybrid Connections key (D)', wrongHcKey));
  const signatures = tap.tokens.filter((s) => s.signature !== undefined);
  const relayRules = new Set(['relay', 'council-relay']);
  t.ok(
    signatures.some((s) => s.at === 'sb-cbs' && relayRules.has(s.keyName)),
    'the Service Bus signatures of the relays were captured at the simulator',
  );
  t.ok(
    signatures.some((s) => s.at === 'hc-upgrade' && relayRules.has(s.keyName)),
    'and their Hybrid Connections ones',
  );
  signatures.forEach((s, i) => {
    if (s.signature !== undefined) {
      secrets.push({
        name: `SAS signature #${String(i)} (${s.at}, ${s.keyName})`,
        value: s.signature,
      });
    }
  });
  t.ok(sessionKeys.length > 0, 'the session keys were read at the cloud side');

  const texts = relays.flatMap(({ name, relay }) => [
    { name: `relay ${name} stdout`, text: relay.stdout() },
    { name: `relay ${name} stderr`, text: relay.stderr() },
    { name: `relay ${name} events`, text: relay.events.map((e) => JSON.stringify(e)).join('\n') },
  ]);
  texts.push({ name: 'simulator event log', text: simLog.join('\n') });
  texts.push({ name: 'case evidence', text: JSON.stringify(evidence.finish()) });
  const report = scanForSecretsReport([dir], texts, secrets, { exclude: configs });
  t.same(
    [...report.excluded].sort(),
    [...configs].sort(),
    'the only files left out are the configs that handed the relays their keys',
  );
  t.ok(
    report.files.some((f) => f.endsWith('idempotency.jsonl')),
    "the relay's idempotency store was read",
  );
  t.ok(
    report.files.some((f) => f.includes(join(dir, 'backoffice'))),
    'and the file shares',
  );
  t.match(a.stderr(), /"level":20,/, 'relay A logged its debug lines (on stderr)');
  t.comment(
    `${String(secrets.length)} secrets (${String(signatures.length)} SAS signatures) in ${String(report.files.length)} files and ${String(report.texts.length)} texts, ${String(report.bytes)} bytes`,
  );
  t.comment(`files read: ${report.files.map((f) => relative(dir, f)).join(', ')}`);
  t.same(report.findings.map(describeFinding), [], 'no secret in any form anywhere');
  // The control: the same scan over the files that were left out finds the keys in them.
  const control = scanForSecretsReport(configs, [], secrets).findings;
  t.ok(
    control.some((f) => f.secret.startsWith('tenant key')) &&
      control.some((f) => f.secret.startsWith('Service Bus key relay')) &&
      control.some((f) => f.secret.startsWith('wrong Hybrid Connections key')),
    'the same scan finds the keys in the config files that were left out',
  );
});
