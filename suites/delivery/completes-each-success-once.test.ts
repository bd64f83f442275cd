// DLV-001: a back-office success is completed exactly once. In: the world with its default
// back office and the reference relay as a child process; 24 intake documents over the three
// post-xml routes (every accepted root) and 3 evidence PDFs for the file drop, all sent at once
// over Service Bus with distinct message ids. Out, per message id: one back-office request (or
// one file in its form type's folder), one submission, one sealed reply that names it, one
// completion; the requests queue and its dead-letter queue end empty and nothing was ever
// dead-lettered or abandoned. Against a real namespace (--target azure) the broker's own
// records are not there: the relay's completions and a peek of both queues stand in for them.
import { randomBytes } from 'node:crypto';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { kase } from '../lib/case';
import { latencies, recordMetric } from '../lib/evidence';
import { isEvent, waitForNth } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import { peekMessageIds } from '../lib/azure-world';
import {
  about,
  evidencePdf,
  INTAKE_ROUTES,
  intakeXml,
  receiptField,
  recordEvents,
  requestsQueue,
  SB,
  SB_CHANNELS,
} from './lib/delivery-kit';

const PER_ROUTE = 8;
const FORM_TYPES = ['housing-benefit-claim', 'missed-bin-collection', 'blue-badge-application'];

void kase('DLV-001', async (t) => {
  const events = recordEvents(t, [...SB_CHANNELS, TENANT_CHANNELS.work]);
  const rw = await startRelayWorld(t);
  const { tenant, backOffice } = rw.world;
  if (tenant === undefined || backOffice === undefined) throw new Error('world');
  // The reference relay (a child), or an external relay already connected (then undefined).
  const relay = await rw.relayUnderTest();

  // A real namespace remembers message ids for its duplicate-detection window (10 minutes):
  // there every run needs its own ids, or a second run's messages are dropped as duplicates.
  const runTag = rw.target === undefined ? '' : `-${randomBytes(4).toString('hex')}`;
  const xml = INTAKE_ROUTES.flatMap(({ route, roots }) =>
    Array.from({ length: PER_ROUTE }, (_, i) => {
      const root = roots[i % roots.length] ?? '';
      const id = `dlv1-${route}-${String(i)}${runTag}`;
      return { id, route, body: intakeXml(root, id) };
    }),
  );
  const files = FORM_TYPES.map((formType, i) => ({
    id: `dlv1-file-${String(i)}${runTag}`,
    formType,
    body: evidencePdf(`dlv1-${String(i)}`),
  }));
  for (const f of FORM_TYPES) {
    t.ok(backOffice.files.folderOf(f) !== undefined, `${f} is a form type of the file shares`);
  }

  // Evidence only, never asserted on: each message's send-to-sealed-reply time.
  const sendToReply = latencies();
  const [xmlReplies, fileReplies] = await Promise.all([
    Promise.all(
      xml.map((m) =>
        sendToReply.time(() =>
          tenant.sendWork(m.route, m.body, {
            messageId: m.id,
            contentType: 'application/xml',
            timeoutMs: 60_000,
          }),
        ),
      ),
    ),
    Promise.all(
      files.map((f) =>
        sendToReply.time(() =>
          tenant.sendWork('form-evidence', f.body, {
            messageId: f.id,
            contentType: 'application/pdf',
            properties: { formType: f.formType },
            timeoutMs: 60_000,
          }),
        ),
      ),
    ),
  ]);
  recordMetric({
    name: `send to sealed reply (${String(xml.length + files.length)} messages at once)`,
    unit: 'ms',
    kind: 'samples',
    values: sendToReply.values,
  });
  const total = xml.length + files.length;
  // A reply goes before its completion: wait for every completion, then count.
  if (relay !== undefined) {
    await waitForNth(
      relay,
      isEvent('relay:work', { outcome: 'completed' }),
      total,
      'every request completed',
    );
  }
  // The simulator's broker records every settlement; a real namespace (--target azure) does
  // not tell, so there the relay's own completions above are what is waited for.
  const broker = rw.target === undefined;
  if (broker) {
    await events.until(
      SB.settled,
      (es) =>
        es.filter((e) => e.entity === 'requests' && e.outcome === 'completed').length >= total,
      'every completion settled at the broker',
    );
  }

  for (const [i, m] of xml.entries()) {
    const reply = xmlReplies[i];
    const journal = backOffice.journal.byIdempotencyKey(m.id);
    const submission = backOffice.intake[m.route as 'ctb-intake'].byIdempotencyKey(m.id);
    t.equal(reply?.status, 201, `${m.id}: the reply says created`);
    t.equal(journal.length, 1, `${m.id}: one back-office request`);
    t.equal(journal[0]?.service, m.route, `${m.id}: to its own service`);
    t.equal(journal[0]?.status, 201, `${m.id}: accepted`);
    t.ok(submission?.body.equals(m.body), `${m.id}: one submission, the bytes sent`);
    t.equal(
      reply === undefined ? undefined : receiptField(reply.body, 'Reference'),
      submission?.reference,
      `${m.id}: the sealed reply names that submission`,
    );
  }
  for (const { route } of INTAKE_ROUTES) {
    const store = backOffice.intake[route as 'ctb-intake'];
    t.equal(store.accepted, PER_ROUTE, `${route}: ${String(PER_ROUTE)} submissions, no more`);
  }

  const scanned = await backOffice.files.scan();
  t.equal(scanned.length, files.length, 'one file per file drop, nothing else in the shares');
  for (const [i, f] of files.entries()) {
    const reply = fileReplies[i];
    const receipt = JSON.parse(reply?.body.toString('utf8') ?? '{}') as Record<string, unknown>;
    const found = scanned.filter((s) => s.formType === f.formType);
    t.equal(reply?.status, 201, `${f.id}: the reply says created`);
    t.equal(receipt.replayed, false, `${f.id}: written by this delivery`);
    t.equal(found.length, 1, `${f.id}: one file in the ${f.formType} folder`);
    t.equal(found[0]?.name, receipt.name, `${f.id}: under the name the reply gives`);
    t.equal(found[0]?.size, f.body.length, `${f.id}: the bytes sent`);
    t.equal(found[0]?.sha256, receipt.sha256, `${f.id}: the digest the reply gives`);
  }

  const ids = [...xml.map((m) => m.id), ...files.map((f) => f.id)];
  const tenantWork = events.of(TENANT_CHANNELS.work);
  // The reference relay's own account; an external relay's is not ours to read.
  const relayWork = relay?.events.filter((e) => e.channel === 'relay:work');
  for (const id of ids) {
    t.equal(
      tenantWork.filter((e) => e.messageId === id && e.outcome === 'answered').length,
      1,
      `${id}: one sealed reply reached the tenant`,
    );
    if (relayWork !== undefined) {
      t.same(
        relayWork.filter((e) => e.data.messageId === id).map((e) => e.data.outcome),
        ['completed'],
        `${id}: completed once, never abandoned or dead-lettered`,
      );
    }
    if (broker) {
      t.equal(about(events.of(SB.locked), id).length, 1, `${id}: delivered by the broker once`);
    }
  }
  t.same(
    tenantWork.filter((e) => e.outcome === 'orphan'),
    [],
    'no reply nobody asked for (a second reply would be one)',
  );
  if (rw.target !== undefined) {
    // A real namespace: what its queues still hold, peeked (other traffic may share them).
    const mine = new Set(ids);
    const left = await peekMessageIds(rw.target, rw.target.entities.requests);
    const dead = await peekMessageIds(rw.target, rw.target.entities.requests, {
      deadLetter: true,
    });
    t.same(
      left.filter((id) => mine.has(id)),
      [],
      'none of them is left on the requests queue',
    );
    t.same(
      dead.filter((id) => mine.has(id)),
      [],
      'none of them was dead-lettered',
    );
    return;
  }
  t.same(
    events.of(SB.deadLettered).filter((e) => e.entity === 'requests'),
    [],
    'nothing was ever dead-lettered',
  );
  t.same(
    requestsQueue(rw.world),
    { active: 0, locked: 0, deferred: 0, scheduled: 0, deadLettered: 0 },
    'the requests queue and its dead-letter queue are empty',
  );
});
