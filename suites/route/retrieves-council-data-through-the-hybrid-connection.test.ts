// The guide's synchronous uses through one relay run: sealed GETs over the Hybrid Connections
// the world has (council-tax, business-rates, benefits, documents) through the reference relay
// (a child process) to the back office. In: account, property and claim references of the
// world's data sets, an unknown claim, three document kinds from a few KB to 8 MiB, and one
// document the back office cuts off half way. Out: ROUTE-001..004: each answer opens at the
// tenant to the bytes the service gives when read directly (SHA-256), the back office journalled
// exactly one request per call at that path with the call's message id as Idempotency-Key, and a
// document the back office breaks off mid-body was already being streamed (status 200 committed).
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { luhn } from '../../simulator/src/backoffice/references';
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { fetchDirect, serviceUrl, sha256, startRouteWorld } from './lib/route-world';

void (async () => {
  const { relay, tenant, backOffice } = await startRouteWorld(t);
  const data = backOffice.data;

  /**
   * One sealed GET over the Hybrid Connection `connection` for the service path `path`, the
   * same read made directly, and the journal entry of the relayed one.
   */
  const retrieve = async (
    t: tap.Test,
    connection: string,
    service: 'council-tax' | 'business-rates' | 'benefits' | 'documents',
    path: string,
  ) => {
    const messageId = `${connection}-${randomUUID()}`;
    const reply = await tenant.call(`/${connection}${path}`, { method: 'GET', messageId });
    const entry = await backOffice.journal.waitFor({ service, idempotencyKey: messageId });
    const direct = await fetchDirect(`${serviceUrl(backOffice, service)}${path}`);
    const [pathname = '', query = ''] = path.split('?');
    t.equal(entry.method, 'GET', 'the back office was asked with GET');
    t.equal(entry.path, pathname, `the request reached the ${service} service at ${pathname}`);
    t.equal(entry.query, query, 'with the query as sent');
    t.equal(
      backOffice.journal.count({ idempotencyKey: messageId }),
      1,
      'exactly one request carried the message id as Idempotency-Key',
    );
    t.ok(reply.sealed, 'the answer came back sealed and opened at the tenant');
    t.equal(reply.messageId, messageId);
    t.equal(reply.status, direct.status, `the status is the service's own (${direct.status})`);
    t.equal(entry.status, direct.status, 'the journal shows the same status');
    t.equal(
      reply.headers['content-type'],
      direct.contentType ?? undefined,
      "the content type is the service's",
    );
    t.equal(reply.body.length, direct.body.length, `${direct.body.length} bytes, as the service`);
    t.equal(sha256(reply.body), sha256(direct.body), 'the same bytes (SHA-256) as the service');
    return { reply, direct, entry };
  };

  await kase('ROUTE-001', async (t) => {
    const refs = data.councilTax.references.slice(0, 2);
    t.equal(refs.length, 2, 'the world has council tax accounts');
    for (const ref of refs) {
      const { reply } = await retrieve(t, 'council-tax', 'council-tax', `/accounts/${ref}`);
      t.equal(reply.status, 200);
      t.match(
        reply.body.toString('utf8'),
        new RegExp(`<CouncilTaxAccount [^>]*reference="${ref}"`),
        'the XML is the account asked for',
      );
    }
  });

  await kase('ROUTE-002', async (t) => {
    const refs = data.businessRates.references.slice(0, 2);
    t.equal(refs.length, 2, 'the world has business rates properties');
    for (const ref of refs) {
      const { reply } = await retrieve(t, 'business-rates', 'business-rates', `/properties/${ref}`);
      t.equal(reply.status, 200);
      t.match(
        reply.body.toString('utf8'),
        new RegExp(`<BusinessRatesAccount [^>]*propertyReference="${ref}"`),
        'the XML is the property asked for',
      );
    }
  });

  await kase('ROUTE-003', async (t) => {
    const ref = data.benefits.references[0];
    if (ref === undefined) throw new Error('the world has no benefits claim');
    const { reply } = await retrieve(t, 'benefits', 'benefits', `/claims/${ref}`);
    t.equal(reply.status, 200);
    t.match(
      reply.body.toString('utf8'),
      new RegExp(`<BenefitsClaim [^>]*claimNumber="${ref}"`),
      'the XML is the claim asked for',
    );

    // A well-formed claim number (Luhn check digit right) that the data set does not hold.
    let unknown = '';
    for (let serial = 1_000_000; serial < 1_100_000 && unknown === ''; serial++) {
      const candidate = `${String(serial)}${String(luhn(String(serial)))}`;
      if (!data.benefits.has(candidate)) unknown = candidate;
    }
    t.not(unknown, '', 'a well-formed claim number the data set does not hold');
    const missing = await retrieve(t, 'benefits', 'benefits', `/claims/${unknown}`);
    t.equal(missing.reply.status, 404, "an unknown claim is answered with the service's 404");
    t.match(
      missing.reply.body.toString('utf8'),
      /<Code>SIM_E_BO_NOT_FOUND<\/Code>/,
      "the body is the service's own <Error>",
    );
  });

  await kase('ROUTE-004', async (t) => {
    const ct = data.councilTax.references[0];
    const br = data.businessRates.references[0];
    const bn = data.benefits.references[0];
    if (ct === undefined || br === undefined || bn === undefined) throw new Error('no references');
    const documents = [
      { path: `/documents/council-tax/${ct}/bill.pdf`, size: undefined },
      { path: `/documents/benefits/${bn}/letter.pdf?size=256K`, size: 256 * 1024 },
      {
        path: `/documents/council-tax/${ct}/payment-schedule.pdf?size=8M`,
        size: 8 * 1024 * 1024,
      },
    ];
    for (const doc of documents) {
      const { reply } = await retrieve(t, 'documents', 'documents', doc.path);
      t.equal(reply.status, 200, `${doc.path}: 200`);
      t.equal(reply.body.subarray(0, 5).toString('latin1'), '%PDF-', 'it is a PDF');
      if (doc.size === undefined) {
        t.ok(reply.body.length < 64 * 1024, `a plain document of a few KB (${reply.body.length})`);
      } else {
        t.equal(reply.body.length, doc.size, `exactly the size asked for (${doc.size} bytes)`);
      }
    }

    // Streamed, not buffered whole: the back office declares 8 MiB and breaks off after half.
    // A relay that streams has already committed its answer (status 200) when the break comes,
    // so the answer fails mid-body; one that read the document whole first would have met the
    // break before answering and refused with an error status instead. (Its memory is measured
    // by the benchmarks, not here.)
    const path = `/documents/business-rates/${br}/bill.pdf?size=8M`;
    backOffice.faults.add('documents', {
      action: { type: 'truncate' },
      match: { method: 'GET', pathPrefix: `/documents/business-rates/${br}/bill.pdf` },
      count: 1,
      label: 'ROUTE-004 cut half way',
    });
    const messageId = `documents-cut-${randomUUID()}`;
    const outcome = await tenant.call(`/documents${path}`, { method: 'GET', messageId }).then(
      (r) => ({ answered: true as const, status: r.status, bytes: r.body.length }),
      (e: unknown) => ({ answered: false as const, code: (e as { code?: unknown }).code }),
    );
    const cut = await backOffice.journal.waitFor({
      service: 'documents',
      idempotencyKey: messageId,
    });
    t.equal(cut.outcome, 'truncated', 'the back office broke the document off');
    // That it streams is the reference relay's own report; an external relay's is not ours.
    if (relay !== undefined) {
      const work = await relay.waitFor(
        isEvent('relay:work', { via: 'hybrid', messageId, code: 'RELAY_E_WORK_HANDLER' }),
        'the relay reporting the answer that broke mid-stream',
      );
      t.equal(
        work.data.status,
        200,
        'the relay had committed its answer before the back office body ended: it streams',
      );
    }
    // The simulated Azure Relay hands a response body to the sender as one WebSocket message,
    // so the tenant gets the service's 502 (or a cut read): never a document.
    t.notOk(
      outcome.answered && outcome.status === 200,
      `the tenant never opened a document out of the broken one (${JSON.stringify(outcome)})`,
    );
  });
})();
