// TLS settings of every outbound connection. In: the configured minimum version and CA
// material. Out: rejectUnauthorized is always true, minVersion is the configured one (never
// below TLSv1.2), the CA is added to Node's root store (not instead of it), the server name
// and the certificate check use the logical host whatever address is dialled, and a CA
// file with no certificate, or an unreadable one, is RELAY_E_EGRESS_CA.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates, type PeerCertificate } from 'node:tls';
import t from 'tap';
import { createEgress, loadCaFile, parseCaBundle, tlsClientOptions } from '../../src/connectivity';
import { HC_HOST, RANGES, SB_HOST, testSettings } from './helpers/fakes';

// A syntactically valid certificate is needed for the CA checks: Node's first root.
const SOME_CA = rootCertificates[0] ?? '';

void t.test('verification is always on and the configured minimum is used', (t) => {
  for (const minVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    const o = tlsClientOptions({ minVersion, extraCa: [] }, SB_HOST);
    t.equal(o.rejectUnauthorized, true);
    t.equal(o.minVersion, minVersion);
    t.equal(o.servername, SB_HOST);
    t.equal(o.ca, undefined, 'no CA configured: Node default store');
  }
  t.end();
});

void t.test('the CA is added to the root store, not substituted for it', (t) => {
  const o = tlsClientOptions({ minVersion: 'TLSv1.2', extraCa: [SOME_CA] }, SB_HOST);
  const ca = o.ca as string[];
  t.equal(ca.length, rootCertificates.length + 1);
  t.equal(ca[ca.length - 1], SOME_CA);
  t.end();
});

void t.test('the certificate is checked against the logical host, not the dialled address', (t) => {
  const o = tlsClientOptions({ minVersion: 'TLSv1.2', extraCa: [] }, SB_HOST);
  const check = o.checkServerIdentity;
  if (check === undefined) throw new Error('no identity check');
  const cert = { subject: { CN: SB_HOST }, subjectaltname: `DNS:${SB_HOST}` } as PeerCertificate;
  t.equal(check('127.0.0.1', cert), undefined, 'a certificate for the logical name passes');
  const other = { subject: { CN: HC_HOST }, subjectaltname: `DNS:${HC_HOST}` } as PeerCertificate;
  t.type(check(SB_HOST, other), Error, 'a certificate for another name fails');
  const literal = tlsClientOptions({ minVersion: 'TLSv1.2', extraCa: [] }, '[2001:db8:1::5]');
  t.equal(literal.servername, undefined, 'no SNI for an address literal');
  t.end();
});

void t.test('CA bundles must hold parseable certificates', async (t) => {
  t.same(parseCaBundle(`${SOME_CA}\n${SOME_CA}`, 'two.pem').length, 2);
  t.throws(() => parseCaBundle('nothing here', 'empty.pem'), {
    code: 'RELAY_E_EGRESS_CA',
    message: /empty\.pem: no PEM certificate/,
  });
  t.throws(
    () => parseCaBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'bad.pem'),
    { code: 'RELAY_E_EGRESS_CA', message: /certificate 1 does not parse/ },
  );
  const dir = mkdtempSync(join(tmpdir(), 'relay-conn-ca-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  await t.rejects(loadCaFile(join(dir, 'missing.pem')), {
    code: 'RELAY_E_EGRESS_CA',
    message: /cannot read it \(ENOENT\)/,
  });
  const file = join(dir, 'ca.pem');
  writeFileSync(file, SOME_CA);
  const egress = await createEgress(
    testSettings({ egress: { ranges: { prefixes: RANGES } }, tls: { caFile: file } }),
    { networkMap: null },
  );
  t.same(
    egress.trust.extraCa,
    [SOME_CA.trim()].map((p) => p),
    'the CA file is read at start',
  );
});
