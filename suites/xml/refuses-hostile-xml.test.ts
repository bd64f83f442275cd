// Hostile XML through one relay run (the reference relay as a child process, its three XML
// routes' size limit lowered to 96 KiB so that every oversize body still fits in a Standard
// Service Bus message). In: every form of every attack of suites/lib/hostile/xml.ts, made here
// for the route's root and limits, sealed by the tenant and sent on the requests queue (the
// 100,000-deep forms, larger than a Standard message, as sealed POSTs over the Hybrid
// Connection); the ones that name a URL point it at a canary HTTP server on 127.0.0.1 (port 0)
// that records every request. Out: XML-001..014: each form is dead-lettered with reason
// RELAY_E_CONTENT_XML and a description naming its rule, and the relay reports it so (over the
// Hybrid Connection: answered 422 with the code and rule, after the relay read a small part of
// it); the back office recorded nothing (journal, intake stores, file shares, temporary names);
// the canary recorded zero requests. XML-015: a good document per route is then still taken.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import t from 'tap';
import { INTAKE_ROUTES, type IntakeServiceName } from '../../simulator/src/backoffice';
import { kase } from '../lib/case';
import { hostileXmlOf, type HostileXml, type XmlAttack } from '../lib/hostile/xml';
import { isEvent } from '../lib/relay-child';
import type { Json } from '../lib/relay-world';
import { deadLetterOf, farEnd, sha256, startRouteWorld } from '../route/lib/route-world';

/** The XML routes' size limit in this run (a Standard message holds 256 KB). */
const MAX_BYTES = 96 * 1024;
/** Bodies larger than this go over the Hybrid Connection. */
const SERVICE_BUS_BODY = 200 * 1024;
/** The most of a 100,000-deep body the relay may read before refusing it (a frame or four). */
const HYBRID_READ_BOUND = 64 * 1024;
/** The Hybrid Connection the relay listens on (its target path does not matter to post-xml). */
const CONNECTION = 'council-tax';

/** Each XML route and the root its first document kind has. */
const ROUTES: readonly { readonly route: IntakeServiceName; readonly root: string }[] = [
  { route: 'licensing', root: 'LicenceApplication' },
  { route: 'ctb-intake', root: 'ChangeOfCircumstances' },
  { route: 'environmental-health', root: 'EnvironmentalHealthCase' },
];

/** `body` in pieces of `size` bytes (views), for a streamed upload. */
function* pieces(body: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

function lowerXmlLimits(config: Json): void {
  for (const r of config.routes as Json[]) {
    if (r.use === 'post-xml') r.xml = { ...(r.xml as Json), maxBytes: MAX_BYTES };
  }
}

/** A loopback HTTP server that records every request: no hostile body may make anyone call it. */
async function startCanary(t: tap.Test): Promise<{ url: (tag: string) => string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    hits.push(`${req.method ?? '?'} ${req.url ?? '?'}`);
    res.writeHead(200, { 'content-type': 'application/xml-dtd' });
    res.end('<!ENTITY send "canary">');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: (tag) => `http://127.0.0.1:${String(port)}/canary/${tag}`, hits };
}

void (async () => {
  const { relay, tenant, backOffice } = await startRouteWorld(t, lowerXmlLimits);
  const canary = await startCanary(t);

  /** One form sent over Service Bus: dead-lettered with its rule, reported, never delivered. */
  const overServiceBus = async (
    t: tap.Test,
    h: HostileXml,
    route: IntakeServiceName,
    body: Buffer,
    messageId: string,
  ): Promise<void> => {
    const dead = await deadLetterOf(
      tenant.sendWork(route, body, { messageId, contentType: 'application/xml' }),
    );
    t.equal(dead.code, 'SIM_E_TENANT_DEAD_LETTERED', `${h.name}: dead-lettered`);
    t.equal(dead.messageId, messageId, `${h.name}: the dead letter is this request`);
    t.equal(dead.reason, 'RELAY_E_CONTENT_XML', `${h.name}: reason RELAY_E_CONTENT_XML`);
    t.match(
      dead.description,
      new RegExp(`^XML refused \\(${h.rule}\\): \\S`),
      `${h.name}: the description names rule ${h.rule} (${dead.description.slice(0, 120)})`,
    );
    await relay.waitFor(
      isEvent('relay:work', {
        via: 'servicebus',
        messageId,
        outcome: 'dead-lettered',
        code: 'RELAY_E_CONTENT_XML',
      }),
      `the relay dead-lettering ${messageId}`,
    );
    t.same(backOffice.journal.byIdempotencyKey(messageId), [], `${h.name}: no back office saw it`);
  };

  /** One form sent over the Hybrid Connection: answered 422 with its rule after a small read. */
  const overHybrid = async (
    t: tap.Test,
    h: HostileXml,
    route: IntakeServiceName,
    body: Buffer,
    messageId: string,
  ): Promise<void> => {
    const from = relay.events.length;
    let reply: Awaited<ReturnType<typeof tenant.call>> | undefined;
    try {
      reply = await tenant.call(`/${CONNECTION}/intake`, {
        method: 'POST',
        route,
        messageId,
        body: Readable.from(pieces(body, 16 * 1024)),
        headers: { 'content-type': 'application/xml' },
      });
    } catch (e) {
      // The relay answers 422 and drops the rendezvous long before the upload ends; the sender
      // front then ends the sender's connection too, and a sender still uploading may see the
      // connection closed before it reads the answer (a lost race, not a relay failure: the
      // relay's own events below show the refusal either way).
      if ((e as { code?: unknown }).code !== 'SIM_E_TENANT_TRANSPORT') throw e;
      t.comment(`${h.name}: the sender front closed the upload before the 422 was read`);
    }
    if (reply !== undefined) {
      t.equal(reply.status, 422, `${h.name}: answered 422 over the Hybrid Connection`);
      t.notOk(reply.sealed, `${h.name}: a plain refusal, not a sealed answer`);
      const refusal = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      t.equal(refusal.code, 'RELAY_E_CONTENT_XML', `${h.name}: code RELAY_E_CONTENT_XML`);
      t.match(
        refusal.message,
        new RegExp(`^XML refused \\(${h.rule}\\): `),
        `${h.name}: rule ${h.rule}`,
      );
    }
    await relay.waitFor(
      isEvent('relay:work', { via: 'hybrid', messageId, code: 'RELAY_E_CONTENT_XML' }),
      `the relay reporting the refusal of ${messageId}`,
    );
    const checked = relay.events
      .slice(from)
      .find((e) => e.channel === 'relay:content' && e.data.outcome === 'refused');
    const bytes = Number(checked?.data.bytes);
    t.equal(checked?.data.rule, h.rule, `${h.name}: the relay's check refused it with ${h.rule}`);
    t.ok(
      bytes > 0 && bytes <= HYBRID_READ_BOUND,
      `${h.name}: after reading ${String(bytes)} of its ${String(body.length)} bytes`,
    );
    t.same(backOffice.journal.byIdempotencyKey(messageId), [], `${h.name}: no back office saw it`);
  };

  /** Sends every form of `attack` (Service Bus ones at once, Hybrid ones one by one). */
  const refuses = async (t: tap.Test, attack: XmlAttack): Promise<void> => {
    const before = await farEnd(backOffice);
    const hitsBefore = canary.hits.length;
    const forms = hostileXmlOf(attack);
    t.ok(forms.length >= 2, `${String(forms.length)} forms of ${attack}`);
    const sent = forms.map((h, i) => {
      const { route, root } = ROUTES[i % ROUTES.length] ?? { route: 'licensing', root: 'x' };
      const messageId = `xml-${attack}-${String(i)}-${randomUUID()}`;
      const body = h.make(root, { url: canary.url(messageId), limits: { maxBytes: MAX_BYTES } });
      if (h.fetches) t.ok(body.includes(canary.url(messageId)), `${h.name}: names the canary`);
      return { h, route, body, messageId };
    });
    await Promise.all(
      sent
        .filter((s) => s.body.length <= SERVICE_BUS_BODY)
        .map((s) => overServiceBus(t, s.h, s.route, s.body, s.messageId)),
    );
    for (const s of sent.filter((x) => x.body.length > SERVICE_BUS_BODY)) {
      await overHybrid(t, s.h, s.route, s.body, s.messageId);
    }
    const after = await farEnd(backOffice);
    t.same(after.intake, before.intake, 'no intake service recorded a submission');
    t.equal(after.journal, before.journal, 'the back office journal recorded nothing');
    t.same(after.files, before.files, 'no file landed in any share folder');
    t.same(after.dotFiles, [], 'no temporary file was left behind');
    t.same(canary.hits.slice(hitsBefore), [], 'the canary server recorded zero requests');
  };

  await kase('XML-001', (t) => refuses(t, 'external-entity-file'));
  await kase('XML-002', (t) => refuses(t, 'external-entity-url'));
  await kase('XML-003', (t) => refuses(t, 'remote-dtd'));
  await kase('XML-004', (t) => refuses(t, 'billion-laughs'));
  await kase('XML-005', (t) => refuses(t, 'quadratic-blowup'));
  await kase('XML-006', (t) => refuses(t, 'xinclude'));
  await kase('XML-007', (t) => refuses(t, 'deep-nesting'));
  await kase('XML-008', (t) => refuses(t, 'oversize-body'));
  await kase('XML-009', (t) => refuses(t, 'oversize-attribute'));
  await kase('XML-010', (t) => refuses(t, 'oversize-name'));
  await kase('XML-011', (t) => refuses(t, 'truncated'));
  await kase('XML-012', (t) => refuses(t, 'encoding-bom'));
  await kase('XML-013', (t) => refuses(t, 'illegal-characters'));
  await kase('XML-014', (t) => refuses(t, 'wrong-root'));

  await kase('XML-015', async (t) => {
    for (const { route, root } of ROUTES) {
      const messageId = `xml-good-${route}-${randomUUID()}`;
      const body = Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="urn:relaycheck:tenant:forms:v1">` +
          `<Name>Siân Llŷr</Name><Note>after the hostile bodies &amp; still served</Note>` +
          `<Nonce>${randomUUID()}</Nonce></${root}>\n`,
        'utf8',
      );
      const before = backOffice.intake[route].accepted;
      const reply = await tenant.sendWork(route, body, {
        messageId,
        contentType: 'application/xml',
      });
      await relay.waitFor(
        isEvent('relay:work', { via: 'servicebus', messageId, outcome: 'completed' }),
        `the relay completing ${messageId}`,
      );
      t.equal(reply.status, 201, `${route}: the intake accepted it`);
      t.equal(backOffice.intake[route].accepted, before + 1, `${route}: one new submission`);
      const submission = backOffice.intake[route].byIdempotencyKey(messageId);
      t.equal(submission?.sha256, sha256(body), `${route}: byte for byte`);
      t.equal(
        backOffice.journal.count({ idempotencyKey: messageId }),
        1,
        `${route}: the back office was called once, at ${INTAKE_ROUTES[route].collection}`,
      );
    }
    t.same(canary.hits, [], 'the canary server recorded zero requests over the whole run');
  });
})();
