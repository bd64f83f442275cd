// The guide's XML posts through one relay run: sealed XML documents sent by the tenant on the
// requests queue, through the reference relay (a child process), into the three intake services
// of the back office. In: a change of circumstances and a council tax reduction claim
// (ctb-intake), an environmental health case and a licence application, each made at run time
// with non-ASCII text and escaped characters. Out: ROUTE-005..007: each document was POSTed once
// to its service's collection, byte for byte (the submission's SHA-256 and bytes are the tenant's),
// with the message id as Idempotency-Key; the relay completed the message once; the sealed reply
// on the replies queue opens to the very receipt the service made for that submission.
import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { INTAKE_ROUTES, type IntakeServiceName } from '../../simulator/src/backoffice';
import { receiptXml } from '../../simulator/src/backoffice/intake';
import { kase } from '../lib/case';
import { fetchDirect, serviceUrl, settledBy, sha256, startRouteWorld } from './lib/route-world';

void (async () => {
  const route = await startRouteWorld(t);
  const { tenant, backOffice } = route;

  /** A small XML document with root `root`, unique to this run. */
  const documentOf = (root: string, fields: Readonly<Record<string, string>>): Buffer => {
    const inner = Object.entries(fields)
      .map(([name, value]) => `  <${name}>${value}</${name}>`)
      .join('\n');
    return Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
        `<${root} xmlns="urn:relaycheck:tenant:forms:v1" submissionId="${randomUUID()}">\n` +
        `${inner}\n  <Nonce>${randomBytes(8).toString('hex')}</Nonce>\n</${root}>\n`,
      'utf8',
    );
  };

  /** Sends `body` on `route` and checks both ends. */
  const post = async (
    t: tap.Test,
    service: IntakeServiceName,
    body: Buffer,
    root: string,
  ): Promise<void> => {
    const collection = `/${INTAKE_ROUTES[service].collection}`;
    const messageId = `${service}-${randomUUID()}`;
    const before = backOffice.intake[service].accepted;
    const reply = await tenant.sendWork(service, body, {
      messageId,
      contentType: 'application/xml',
    });
    await settledBy(route, messageId, 'completed');
    const entry = await backOffice.journal.waitFor({ service, idempotencyKey: messageId });

    // The far end: one POST, the tenant's bytes, the message id as Idempotency-Key.
    t.equal(entry.method, 'POST', `the ${service} service was sent a POST`);
    t.equal(entry.path, collection, `to its collection ${collection}`);
    t.equal(entry.status, 201, 'which it accepted');
    t.equal(entry.requestBytes, body.length, 'carrying as many bytes as the tenant sent');
    t.equal(
      backOffice.journal.count({ idempotencyKey: messageId }),
      1,
      'the back office was called once for this message',
    );
    const submission = backOffice.intake[service].byIdempotencyKey(messageId);
    if (submission === undefined) {
      t.fail(`no ${service} submission has the message id as Idempotency-Key`);
      return;
    }
    t.equal(backOffice.intake[service].accepted, before + 1, 'exactly one new submission');
    t.equal(
      backOffice.intake[service].list().filter((s) => s.idempotencyKey === messageId).length,
      1,
      'one submission for this message',
    );
    t.equal(submission.root, root, `the service read the root ${root}`);
    t.equal(submission.sha256, sha256(body), 'the submission is the tenant document (SHA-256)');
    t.ok(submission.body.equals(body), 'byte for byte');
    const stored = await fetchDirect(
      `${serviceUrl(backOffice, service)}${collection}/${submission.reference}`,
    );
    t.equal(stored.status, 200, 'the service holds it under its reference');
    t.equal(sha256(stored.body), sha256(body), 'and gives back the same bytes');

    // The tenant: the sealed receipt, exactly as the service wrote it for this submission.
    t.equal(reply.messageId, messageId);
    t.equal(reply.kid, 'k1', 'the reply was sealed under the session key and opened');
    t.equal(reply.status, 201, "the reply carries the service's 201");
    t.match(reply.contentType, /^application\/xml/, 'as XML');
    t.equal(
      reply.body.toString('utf8'),
      receiptXml(service, submission),
      "the reply opens to the service's receipt for this submission",
    );
    t.match(
      reply.body.toString('utf8'),
      `<Sha256>${sha256(body)}</Sha256>`,
      'a receipt whose SHA-256 is that of the document sent',
    );
  };

  await kase('ROUTE-005', async (t) => {
    const account = backOffice.data.councilTax.references[0] ?? '6000000000';
    await post(
      t,
      'ctb-intake',
      documentOf('ChangeOfCircumstances', {
        AccountReference: account,
        Change: 'Moved in with partner &amp; child',
        Name: 'Siân O&apos;Brien-Ñúñez',
        EffectiveFrom: '2025-11-01',
      }),
      'ChangeOfCircumstances',
    );
    await post(
      t,
      'ctb-intake',
      documentOf('CouncilTaxReductionClaim', {
        AccountReference: account,
        HouseholdIncome: '1234.56',
        Note: 'Zoë says &lt;urgent&gt; — “please call”',
      }),
      'CouncilTaxReductionClaim',
    );
  });

  await kase('ROUTE-006', async (t) => {
    await post(
      t,
      'environmental-health',
      documentOf('EnvironmentalHealthCase', {
        Category: 'Noise nuisance',
        Address: '12 Ambridge Row, Borchester BO3 4XY',
        Description: 'Dog barking from 05:00 &amp; music after 23:00 — “every night”',
        Reporter: 'Józef Łukasiewicz',
      }),
      'EnvironmentalHealthCase',
    );
  });

  await kase('ROUTE-007', async (t) => {
    await post(
      t,
      'licensing',
      documentOf('LicenceApplication', {
        Licence: 'Premises licence',
        Premises: 'The Bull &amp; Feathers',
        Applicant: 'Ærin Ødegård',
        Hours: 'Mon–Sat 10:00–23:00',
      }),
      'LicenceApplication',
    );
  });
})();
