// Work the relay must refuse, through one relay run (the reference relay as a child process;
// the environmental-health route's XML limit lowered to 16 KiB so a size refusal fits in a
// Service Bus message). In: sealed work for routes not in the route table (over Service Bus and
// over a Hybrid Connection), and sealed bodies made at run time that fail their content check:
// an entity bomb and an external entity behind a DOCTYPE, a document for another service (wrong
// root), limits broken (depth, attributes, size), a file that is not a PDF, a PDF cut short and
// one with data after its %%EOF. Out: ROUTE-009 and ROUTE-010: each is dead-lettered with the
// expected reason and a description naming the route or the broken rule (the tenant reads them
// off the dead-letter queue), or answered 404 RELAY_E_WORK_ROUTE over the Hybrid Connection;
// the back office (journal, intake stores, file shares, temporary names) recorded nothing.
import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import type { Json } from '../lib/relay-world';
import { deadLetterOf, farEnd, startRouteWorld } from './lib/route-world';

/** The environmental-health route's XML size limit in this run. */
const EH_MAX_BYTES = 16 * 1024;

function lowerEnvironmentalHealthLimit(config: Json): void {
  const routes = config.routes as Json[];
  const eh = routes.find((r) => r.name === 'environmental-health');
  if (eh === undefined) throw new Error('relay.json has no environmental-health route');
  eh.xml = { ...(eh.xml as Json), maxBytes: EH_MAX_BYTES };
}

/** "Billion laughs": ten levels of entities, each ten of the one below, made here and now. */
function entityBomb(root: string): Buffer {
  const nonce = randomBytes(4).toString('hex');
  const levels = [`<!ENTITY lol0 "lol${nonce}">`];
  for (let i = 1; i <= 10; i++) {
    levels.push(`<!ENTITY lol${String(i)} "${`&lol${String(i - 1)};`.repeat(10)}">`);
  }
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE ${root} [\n${levels.join('\n')}\n]>\n` +
      `<${root}><Note>&lol10;</Note></${root}>\n`,
    'utf8',
  );
}

function externalEntity(root: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0"?>\n<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n` +
      `<${root}><Note>&xxe;</Note></${root}>\n`,
    'utf8',
  );
}

function nested(root: string, depth: number): Buffer {
  return Buffer.from(
    `<${root}>${'<Level>'.repeat(depth)}deep${'</Level>'.repeat(depth)}</${root}>`,
    'utf8',
  );
}

function manyAttributes(root: string, count: number): Buffer {
  const attrs = Array.from({ length: count }, (_, i) => `a${String(i)}="${String(i)}"`).join(' ');
  return Buffer.from(`<${root} ${attrs}><Note>x</Note></${root}>`, 'utf8');
}

function oversized(root: string, bytes: number): Buffer {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<${root}><Description>`;
  const tail = `</Description></${root}>\n`;
  const text = 'Noise from the unit next door, every night. '.repeat(Math.ceil(bytes / 44) + 1);
  return Buffer.from(`${head}${text}${tail}`, 'utf8');
}

/** A body whose content check must fail, and how. */
interface Refused {
  readonly what: string;
  readonly route: string;
  readonly body: Buffer;
  readonly properties: Readonly<Record<string, string>>;
  readonly code: 'RELAY_E_CONTENT_XML' | 'RELAY_E_CONTENT_PDF';
  readonly rule: string;
}

void (async () => {
  const { relay, tenant, backOffice } = await startRouteWorld(t, lowerEnvironmentalHealthLimit);

  /** Waits for the relay's own report that it dead-lettered `messageId` with `code`. */
  const reported = (messageId: string, code: string): Promise<unknown> =>
    relay.waitFor(
      isEvent('relay:work', { via: 'servicebus', messageId, outcome: 'dead-lettered', code }),
      `the relay dead-lettering ${messageId} with ${code}`,
    );

  await kase('ROUTE-009', async (t) => {
    const before = await farEnd(backOffice);
    const ref = backOffice.data.councilTax.references[0];
    if (ref === undefined) throw new Error('no council tax account');

    // Over Service Bus: one with an XML body, one shaped like a retrieval.
    const unknown: { route: string; body: Buffer; properties: Record<string, string> }[] = [
      {
        route: 'planning-applications',
        body: Buffer.from(
          '<PlanningApplication><Site>Field by the mill</Site></PlanningApplication>',
        ),
        properties: {},
      },
      {
        route: 'council-tax-admin',
        body: Buffer.alloc(0),
        properties: { path: `/accounts/${ref}` },
      },
    ];
    for (const u of unknown) {
      const messageId = `${u.route}-${randomUUID()}`;
      const dead = await deadLetterOf(
        tenant.sendWork(u.route, u.body, { messageId, properties: u.properties }),
      );
      t.equal(dead.code, 'SIM_E_TENANT_DEAD_LETTERED', `${u.route}: the request was dead-lettered`);
      t.equal(dead.messageId, messageId, 'the tenant matched the dead letter to its request');
      t.equal(dead.reason, 'RELAY_E_WORK_ROUTE', 'with reason RELAY_E_WORK_ROUTE');
      t.match(dead.description, u.route, 'and a description naming the route');
      await reported(messageId, 'RELAY_E_WORK_ROUTE');
      t.same(backOffice.journal.byIdempotencyKey(messageId), [], 'no back office saw it');
    }

    // Over the Hybrid Connection: a sealed call on the council-tax connection naming a route
    // the relay does not have.
    const messageId = `hc-unknown-${randomUUID()}`;
    const reply = await tenant.call(`/council-tax/accounts/${ref}`, {
      method: 'GET',
      route: 'planning-applications',
      messageId,
    });
    t.equal(reply.status, 404, 'over the Hybrid Connection it is answered 404');
    t.notOk(reply.sealed, 'a plain refusal, not a sealed answer');
    const refusal = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
    t.equal(refusal.code, 'RELAY_E_WORK_ROUTE', 'with the code RELAY_E_WORK_ROUTE');
    t.match(refusal.message, 'planning-applications', 'and a message naming the route');
    await relay.waitFor(
      isEvent('relay:work', { via: 'hybrid', messageId, code: 'RELAY_E_WORK_ROUTE' }),
      'the relay reporting the refusal',
    );
    t.same(backOffice.journal.byIdempotencyKey(messageId), [], 'no back office saw it');

    t.same(await farEnd(backOffice), before, 'the back office recorded nothing at all');
  });

  await kase('ROUTE-010', async (t) => {
    const before = await farEnd(backOffice);
    const pdfBody = randomBytes(2048);
    const refused: Refused[] = [
      {
        what: 'an entity bomb behind a DOCTYPE',
        route: 'ctb-intake',
        body: entityBomb('ChangeOfCircumstances'),
        properties: {},
        code: 'RELAY_E_CONTENT_XML',
        rule: 'doctype',
      },
      {
        what: 'an external entity behind a DOCTYPE',
        route: 'licensing',
        body: externalEntity('LicenceApplication'),
        properties: {},
        code: 'RELAY_E_CONTENT_XML',
        rule: 'doctype',
      },
      {
        what: "another service's document (wrong root)",
        route: 'licensing',
        body: Buffer.from('<ChangeOfCircumstances><Note>x</Note></ChangeOfCircumstances>'),
        properties: {},
        code: 'RELAY_E_CONTENT_XML',
        rule: 'root',
      },
      {
        what: 'elements nested 100 deep (limit 64)',
        route: 'environmental-health',
        body: nested('EnvironmentalHealthCase', 100),
        properties: {},
        code: 'RELAY_E_CONTENT_XML',
        rule: 'depth',
      },
      {
        what: '100 attributes on one element (limit 64)',
        route: 'ctb-intake',
        body: manyAttributes('CouncilTaxReductionClaim', 100),
        properties: {},
        code: 'RELAY_E_CONTENT_XML',
        rule: 'attributes',
      },
      {
        what: `a case over the route's ${String(EH_MAX_BYTES)}-byte limit`,
        route: 'environmental-health',
        body: oversized('EnvironmentalHealthCase', EH_MAX_BYTES + 1024),
        properties: {},
        code: 'RELAY_E_CONTENT_XML',
        rule: 'size',
      },
      {
        what: 'a file that is not a PDF (a ZIP that ends in %%EOF)',
        route: 'form-evidence',
        body: Buffer.concat([
          Buffer.from('PK\x03\x04', 'latin1'),
          pdfBody,
          Buffer.from('\n%%EOF\n'),
        ]),
        properties: { formType: 'missed-bin-collection' },
        code: 'RELAY_E_CONTENT_PDF',
        rule: 'magic',
      },
      {
        what: 'a PDF cut short (no %%EOF)',
        route: 'form-evidence',
        body: Buffer.concat([Buffer.from('%PDF-1.7\n', 'latin1'), pdfBody]),
        properties: { formType: 'missed-bin-collection' },
        code: 'RELAY_E_CONTENT_PDF',
        rule: 'trailer',
      },
      {
        what: 'a PDF with 4 KiB appended after its %%EOF',
        route: 'form-evidence',
        body: Buffer.concat([
          Buffer.from('%PDF-1.7\n', 'latin1'),
          pdfBody,
          Buffer.from('\n%%EOF\n', 'latin1'),
          randomBytes(4096),
        ]),
        properties: { formType: 'blue-badge-application' },
        code: 'RELAY_E_CONTENT_PDF',
        rule: 'trailer',
      },
    ];
    const formTypes = new Set(backOffice.files.formTypes().map((f) => f.formType));
    for (const r of refused) {
      const formType = r.properties.formType;
      if (formType !== undefined) t.ok(formTypes.has(formType), `${formType} is a form type`);
      const messageId = `${r.route}-${r.rule}-${randomUUID()}`;
      const dead = await deadLetterOf(
        tenant.sendWork(r.route, r.body, { messageId, properties: r.properties }),
      );
      t.equal(dead.code, 'SIM_E_TENANT_DEAD_LETTERED', `${r.what}: dead-lettered`);
      t.equal(dead.reason, r.code, `with reason ${r.code}`);
      t.match(
        dead.description,
        new RegExp(`^(XML|PDF) refused \\(${r.rule}\\): \\S`),
        `and a description naming the rule "${r.rule}" (${dead.description})`,
      );
      await reported(messageId, r.code);
      t.same(backOffice.journal.byIdempotencyKey(messageId), [], 'no back office saw it');
    }

    const after = await farEnd(backOffice);
    t.same(after.intake, before.intake, 'no intake service recorded a submission');
    t.same(after.files, before.files, 'no file landed in any share folder');
    t.same(after.dotFiles, [], 'no temporary file was left behind');
    t.equal(after.journal, before.journal, 'the back office journal recorded nothing');
  });
})();
