// HC-005: a 50 MB PDF both ways. In: a POST whose 50 MB body (deterministic bytes made at run
// time from a seed, never committed) is streamed by the sender with a Content-Length, asking
// the back end for a 50 MB PDF in return. Out: the request goes by rendezvous and reaches the
// back end byte for byte; the 50 MB response is streamed back by OUR listener over the same
// rendezvous socket in fragments with back-pressure and reaches the sender byte for byte
// (sha-256 both ways). Streaming is shown by order, not time: the endpoint had the response
// frame while the back end had produced only part of the document, and the listener's
// rendezvous opened while the sender had uploaded only part of the body.
// Known buffering (docs): `ws` joins the request message in the listener (up to
// maxRequestBytes) and the simulator holds a response message whole before answering.
import { kase } from '../lib/case';
import { recordMetric } from '../lib/evidence';
import { backEnd } from './lib/backend';
import { SeededSource, seededSha256 } from './lib/bytes';
import { MIB, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

const SIZE = 50 * 1000 * 1000;

void kase('HC-005', async (t) => {
  const h = await startHarness(t);
  const office = backEnd();
  await h.listen({ handler: office.handler, config: { maxRequestBytes: 64 * MIB } });

  const upload = new SeededSource('hc-005-up', SIZE, { pdf: true });
  // Read at the moment of the event (a microtask later: no I/O in between).
  const responseFrameSeen = h.events
    .until(
      SIM_CHANNELS.frame,
      (e) => e.verb === 'response' && e.channel === 'rendezvous' && e.direction === 'in',
    )
    .then(() => office.sources[0]?.produced);
  const rendezvousOpen = h.events
    .until(RELAY_CHANNELS.rendezvous, (e) => e.event === 'open')
    .then(() => upload.produced);

  // Evidence only, never asserted on (and never awaited): each direction's throughput, from
  // the send to the listener holding the whole request, and from the response's first frame
  // at the endpoint to the sender holding the whole answer.
  const sentAt = performance.now();
  let requestInAt: number | undefined;
  let responseHeadAt: number | undefined;
  void h.events.until(RELAY_CHANNELS.requestReceived).then(() => {
    requestInAt = performance.now();
  });
  void h.events
    .until(
      SIM_CHANNELS.frame,
      (e) => e.verb === 'response' && e.channel === 'rendezvous' && e.direction === 'in',
    )
    .then(() => {
      responseHeadAt = performance.now();
    });
  const answer = await h.send('hyco/pdf?bytes=50000000&seed=hc-005-down', {
    method: 'POST',
    body: upload,
    headers: { 'Content-Type': 'application/pdf', 'Content-Length': String(SIZE) },
    hashOnly: true,
  });
  const answeredAt = performance.now();
  const mibPerS = (from: number, to: number): number =>
    SIZE / MIB / (Math.max(to - from, 1) / 1000);
  if (requestInAt !== undefined && responseHeadAt !== undefined) {
    recordMetric({
      name: 'upload: sender to back end',
      unit: 'MiB/s',
      kind: 'samples',
      values: [mibPerS(sentAt, requestInAt)],
    });
    recordMetric({
      name: 'download: back end to sender',
      unit: 'MiB/s',
      kind: 'samples',
      values: [mibPerS(responseHeadAt, answeredAt)],
    });
  }

  t.equal(answer.status, 200);
  t.equal(answer.headers['content-type'], 'application/pdf');
  t.equal(answer.bytes, SIZE, 'the sender got 50 MB');
  t.equal(
    answer.sha256,
    seededSha256('hc-005-down', SIZE, { pdf: true }),
    'the response arrived byte for byte (sha-256)',
  );
  const upSha = seededSha256('hc-005-up', SIZE, { pdf: true });
  t.equal(office.served[0]?.size, SIZE, 'the back end got 50 MB');
  t.equal(office.served[0]?.sha256, upSha, 'the request arrived byte for byte (sha-256)');
  t.equal(answer.headers['x-request-sha256'], upSha);

  t.match(h.events.of(SIM_CHANNELS.request), [{ route: 'rendezvous', bodyBytes: SIZE }]);
  t.match(h.events.of(RELAY_CHANNELS.requestReceived), [{ mode: 'rendezvous', size: SIZE }]);
  t.match(h.events.of(RELAY_CHANNELS.responseSent), [
    { mode: 'rendezvous', bytes: SIZE, status: 200 },
  ]);
  t.match(h.events.of(SIM_CHANNELS.response), [{ status: 200, bodyBytes: SIZE }]);
  t.same(
    h.events.of(SIM_CHANNELS.rendezvous, (e) => e.event === 'opened').map((e) => e.kind),
    ['request'],
    'one rendezvous socket carried the request and its response',
  );

  const producedAtHead = (await responseFrameSeen) ?? SIZE;
  t.ok(
    producedAtHead < SIZE / 2,
    `the response was committed while the document was still being made (${producedAtHead} of ${SIZE} bytes)`,
  );
  const uploadedAtOpen = await rendezvousOpen;
  t.ok(
    uploadedAtOpen < SIZE / 2,
    `the endpoint streamed the request (${uploadedAtOpen} of ${SIZE} bytes uploaded when the rendezvous opened)`,
  );
});
