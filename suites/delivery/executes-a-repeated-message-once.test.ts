// DLV-004: the same message delivered twice executes once. In: a world whose requests queue
// has no duplicate detection (so the broker delivers a resent message id again, as it does
// after a sender's retry outside the detection window), the relay as a child process, and two
// messages each sent twice with the same id: an intake document for ctb-intake and an
// evidence PDF for the file drop. Out: the broker enqueued and delivered each twice; the relay
// ran the work once and answered the second delivery from its record (relay:work completed,
// replayed: true); the back office saw one request and made one submission, the share holds
// one file; the tenant got the same status and the same bytes twice.
import { kase } from '../lib/case';
import { isEvent, waitForNth, type RelayChild } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import {
  about,
  evidencePdf,
  intakeXml,
  namespaceWithRequests,
  receiptField,
  recordEvents,
  SB,
  SB_CHANNELS,
} from './lib/delivery-kit';

function workEvents(relay: RelayChild, id: string): unknown[][] {
  return relay.events
    .filter((e) => e.channel === 'relay:work' && e.data.messageId === id)
    .map((e) => [e.data.outcome, e.data.status, e.data.replayed]);
}

void kase('DLV-004', async (t) => {
  const events = recordEvents(t, SB_CHANNELS);
  const rw = await startRelayWorld(t, {
    world: {
      serviceBus: namespaceWithRequests((requests) => {
        delete requests.duplicateDetectionWindowMs;
      }),
    },
  });
  const { tenant, backOffice } = rw.world;
  if (tenant === undefined || backOffice === undefined) throw new Error('world');
  const relay = rw.startRelay();
  await rw.live(relay);
  const completed = isEvent('relay:work', { outcome: 'completed' });

  // An intake document, twice under one id (each send sealed afresh: only the id repeats).
  const xmlId = 'dlv4-change-1';
  const xml = intakeXml('ChangeOfCircumstances', xmlId);
  const send = () =>
    tenant.sendWork('ctb-intake', xml, {
      messageId: xmlId,
      contentType: 'application/xml',
      timeoutMs: 60_000,
    });
  const first = await send();
  await waitForNth(relay, completed, 1, 'the first delivery completed');
  const second = await send();
  await waitForNth(relay, completed, 2, 'the second delivery completed');

  t.equal(first.status, 201, 'the first delivery made a submission');
  t.equal(second.status, first.status, 'the repeat got the same status');
  t.ok(second.body.equals(first.body), 'and the same bytes');
  t.equal(second.contentType, first.contentType, 'and the same content type');
  t.equal(
    receiptField(second.body, 'Reference'),
    receiptField(first.body, 'Reference'),
    'the same receipt reference',
  );
  t.same(
    workEvents(relay, xmlId),
    [
      ['completed', 201, undefined],
      ['completed', 201, true],
    ],
    'the relay ran it once and answered the repeat from its record',
  );
  t.equal(backOffice.journal.byIdempotencyKey(xmlId).length, 1, 'the back office saw one request');
  t.equal(backOffice.intake['ctb-intake'].accepted, 1, 'one submission');
  t.equal(
    backOffice.intake['ctb-intake'].byIdempotencyKey(xmlId)?.reference,
    receiptField(first.body, 'Reference'),
    'the one the receipt names',
  );
  t.equal(about(events.of(SB.enqueued), xmlId).length, 2, 'the broker took both sends');
  t.same(
    about(events.of(SB.locked), xmlId).map((e) => e.deliveryCount),
    [0, 0],
    'and delivered each of them to the relay',
  );

  // A file drop, twice under one id.
  const fileId = 'dlv4-evidence-1';
  const pdf = evidencePdf(fileId);
  const drop = () =>
    tenant.sendWork('form-evidence', pdf, {
      messageId: fileId,
      contentType: 'application/pdf',
      properties: { formType: 'housing-benefit-claim' },
      timeoutMs: 60_000,
    });
  const firstDrop = await drop();
  await waitForNth(relay, completed, 3, 'the first drop completed');
  const secondDrop = await drop();
  await waitForNth(relay, completed, 4, 'the second drop completed');

  t.equal(firstDrop.status, 201, 'the first drop wrote the file');
  t.equal(secondDrop.status, firstDrop.status, 'the repeat got the same status');
  t.ok(secondDrop.body.equals(firstDrop.body), 'and the same receipt bytes');
  t.same(
    workEvents(relay, fileId),
    [
      ['completed', 201, undefined],
      ['completed', 201, true],
    ],
    'the relay wrote it once and answered the repeat from its record',
  );
  const receipt = JSON.parse(firstDrop.body.toString('utf8')) as Record<string, unknown>;
  const files = await backOffice.files.scan();
  t.same(
    files.map((f) => [f.formType, f.name, f.size, f.sha256]),
    [['housing-benefit-claim', receipt.name, pdf.length, receipt.sha256]],
    'the share holds one file, the one the receipt names',
  );
  t.equal(about(events.of(SB.enqueued), fileId).length, 2, 'the broker took both sends');
  t.equal(about(events.of(SB.locked), fileId).length, 2, 'and delivered both');
  t.same(events.of(SB.duplicate), [], 'the broker dropped nothing as a duplicate');
});
