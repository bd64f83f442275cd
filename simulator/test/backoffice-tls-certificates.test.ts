// TLS on the back-office services. In: services served with the simulator's own CA, and with
// the test CA's good and bad certificates (test-certs.ts); clients that trust only one CA.
// Out: the good certificate is accepted; expired, not-yet-valid, wrong-host, self-signed
// and other-CA certificates are each refused with their own reason; a reset fault over TLS
// is still a TCP reset; only TLS 1.2 and later are offered.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import t from 'tap';
import { createTestCertificates, WRONG_HOST } from '../src/cloud/tls/test-certs';
import { rawRequest, startBackOffice, type BackOffice } from '../src/backoffice';

const certs = createTestCertificates({ hosts: ['localhost', '127.0.0.1'] });

async function start(
  t: tap.Test,
  config: Record<string, unknown>,
  options: Parameters<typeof startBackOffice>[1],
): Promise<BackOffice> {
  const bo = await startBackOffice(
    {
      seed: 'tls',
      control: { enabled: false },
      services: { documents: { enabled: false }, 'file-shares': { enabled: false } },
      ...config,
    },
    options,
  );
  t.teardown(() => bo.close());
  return bo;
}

void t.test('the test certificates are what they say', (t) => {
  const ca = new X509Certificate(certs.caPem);
  const good = new X509Certificate(certs.good.cert);
  t.ok(ca.ca && good.checkIssued(ca) && good.verify(ca.publicKey), 'good chains to the CA');
  t.equal(good.checkIP('127.0.0.1'), '127.0.0.1');
  t.ok(
    new Date(new X509Certificate(certs.expired.cert).validTo).getTime() < Date.now(),
    'expired is in the past',
  );
  t.ok(
    new Date(new X509Certificate(certs.notYetValid.cert).validFrom).getTime() > Date.now(),
    'not yet valid is in the future',
  );
  t.equal(new X509Certificate(certs.wrongHost.cert).subjectAltName, `DNS:${WRONG_HOST}`);
  const self = new X509Certificate(certs.selfSigned.cert);
  t.ok(
    self.issuer === self.subject && self.verify(self.publicKey) && !self.checkIssued(ca),
    'self-signed: signed by its own key',
  );
  t.notOk(new X509Certificate(certs.otherCa.cert).checkIssued(ca), 'other CA is not ours');
  t.end();
});

void t.test(
  'a client that trusts only the CA accepts the good certificate and refuses each bad one',
  async (t) => {
    const bo = await start(
      t,
      { tls: { enabled: true } },
      {
        tls: { ...certs.good, caPem: certs.caPem },
        tlsByService: {
          'business-rates': certs.expired,
          benefits: certs.wrongHost,
          'ctb-intake': certs.selfSigned,
          'environmental-health': certs.notYetValid,
          licensing: certs.otherCa,
        },
      },
    );
    t.equal(bo.caPem, certs.caPem);
    const ok = await rawRequest(
      `${bo.url('council-tax')}/accounts/${bo.data.councilTax.references[0] ?? ''}`,
      { ca: certs.caPem },
    );
    t.equal(ok.status, 200, 'good: accepted');
    t.match(bo.url('council-tax'), /^https:\/\/127\.0\.0\.1:\d+$/);
    const expect: [Parameters<BackOffice['url']>[0], string][] = [
      ['business-rates', 'CERT_HAS_EXPIRED'],
      ['benefits', 'ERR_TLS_CERT_ALTNAME_INVALID'],
      ['ctb-intake', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
      ['environmental-health', 'CERT_NOT_YET_VALID'],
      ['licensing', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ];
    for (const [service, code] of expect) {
      const r = await rawRequest(`${bo.url(service)}/x`, { ca: certs.caPem });
      t.equal(r.error, code, `${service}: ${r.message ?? ''}`);
      t.equal(r.status, undefined, 'no HTTP exchange happened');
    }
    t.equal(
      bo.journal.count({ service: 'business-rates' }),
      0,
      'a refused handshake never reaches the journal',
    );
  },
);

void t.test('TLS on with no material: the simulator CA is made, written and trusted', async (t) => {
  const caPath = join(t.testdir(), 'backoffice-ca.pem');
  const bo = await start(
    t,
    { tls: { enabled: true, hosts: ['ctax.borsetshire.local'], caPath } },
    {},
  );
  const pem = readFileSync(caPath, 'utf8');
  t.equal(bo.caPem, pem, 'the CA is exposed and written');
  const r = await rawRequest(
    `${bo.url('council-tax')}/accounts/${bo.data.councilTax.references[0] ?? ''}`,
    { ca: pem },
  );
  t.equal(r.status, 200);
  const named = await rawRequest(
    `${bo.url('benefits')}/claims/${bo.data.benefits.references[0] ?? ''}`,
    {
      ca: pem,
      servername: 'ctax.borsetshire.local',
    },
  );
  t.equal(named.status, 200, 'the logical host name is on the certificate');
  const untrusted = await rawRequest(`${bo.url('council-tax')}/accounts/x`, { ca: certs.caPem });
  t.equal(untrusted.error, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'another CA is not trusted');
});

void t.test('over TLS a reset fault is still a TCP reset, and TLS 1.1 is refused', async (t) => {
  const bo = await start(
    t,
    { tls: { enabled: true } },
    { tls: { ...certs.good, caPem: certs.caPem } },
  );
  bo.faults.add('council-tax', { action: { type: 'reset' } });
  const r = await rawRequest(`${bo.url('council-tax')}/accounts/x`, { ca: certs.caPem });
  t.equal(r.error, 'ECONNRESET');
  const old = await new Promise<string>((resolve) => {
    const s = connect({
      host: '127.0.0.1',
      port: bo.services['council-tax']?.port ?? 0,
      ca: certs.caPem,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
    });
    s.on('secureConnect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      resolve(e.code ?? e.message);
    });
  });
  t.not(old, 'connected', `TLS 1.1 refused (${old})`);
});

void t.test('TLS can be switched on for one service alone', async (t) => {
  const bo = await start(
    t,
    {
      services: {
        'council-tax': { tls: true },
        documents: { enabled: false },
        'file-shares': { enabled: false },
      },
    },
    {},
  );
  t.match(bo.url('council-tax'), /^https:/);
  t.match(bo.url('benefits'), /^http:/);
  t.ok(bo.caPem?.includes('BEGIN CERTIFICATE'), 'the simulator CA was made for it');
  const r = await rawRequest(
    `${bo.url('council-tax')}/accounts/${bo.data.councilTax.references[0] ?? ''}`,
    { ca: bo.caPem ?? '' },
  );
  t.equal(r.status, 200);
});
