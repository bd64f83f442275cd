// DLV-008: a circuit breaker stops calls to a failing service and recovers. In: a relay whose
// back-office client makes one attempt per delivery and opens a service's breaker after 3
// transient failures for 2 s; the world's requests queue as it is (max delivery count 10);
// environmental-health answering 503 to every POST until the case switches that off; six case
// documents. Out: the breaker of environmental-health opens after three failures; while it is
// open no request reaches the service: the work is held, its lock renewed, waiting for a probe
// (a call that waits two open periods gives up, attempt outcome `open`, and its message is
// abandoned), never dead-lettered; once the service is back, a half-open probe closes the
// breaker and every document is delivered once: one accepted request and one submission per
// message id, a 201 reply each.
import { kase } from '../lib/case';
import { isEvent, waitForNth } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import { about, intakeXml, receiptField, recordEvents, SB, SB_CHANNELS } from './lib/delivery-kit';

const SERVICE = 'environmental-health';
const MESSAGES = 6;
const OPEN_MS = 2000;

void kase('DLV-008', async (t) => {
  const events = recordEvents(t, SB_CHANNELS);
  const rw = await startRelayWorld(t, {
    relay: { delivery: { attempts: 1, breaker: { failureThreshold: 3, openMs: OPEN_MS } } },
  });
  const { tenant, backOffice } = rw.world;
  if (tenant === undefined || backOffice === undefined) throw new Error('world');
  const down = backOffice.faults.add(SERVICE, {
    action: { type: 'status', status: 503 },
    match: { method: 'POST', pathPrefix: '/cases' },
    label: 'environmental health is down',
  });
  const relay = rw.startRelay();
  await rw.live(relay);

  const ids = Array.from({ length: MESSAGES }, (_, i) => `dlv8-case-${String(i)}`);
  const bodies = ids.map((id) => intakeXml('EnvironmentalHealthCase', id));
  const send = (i: number) => {
    const reply = tenant.sendWork(SERVICE, bodies[i] ?? Buffer.alloc(0), {
      messageId: ids[i] ?? '',
      contentType: 'application/xml',
      timeoutMs: 90_000,
    });
    // A rejection is looked at below; keep it from being reported as unhandled meanwhile.
    reply.catch(() => undefined);
    return reply;
  };
  const attempt = (outcome?: string) =>
    isEvent('relay:backoffice:attempt', {
      service: SERVICE,
      ...(outcome === undefined ? {} : { outcome }),
    });
  const breaker = (state: string) =>
    isEvent('relay:backoffice:breaker', { service: SERVICE, state });

  // One message while the service is down: each delivery is one failing request, until the
  // third failure opens the breaker.
  const replies = [send(0)];
  const opened = await relay.waitFor(breaker('open'), 'the breaker opened');
  const all = relay.events;
  t.same(
    all
      .slice(0, all.indexOf(opened))
      .filter(attempt())
      .map((e) => [e.data.outcome, e.data.status]),
    [
      ['transient', 503],
      ['transient', 503],
    ],
    'two transient failures before it opened (the third, which opened it, is reported after)',
  );

  // More work while it is open: it is held, its lock renewed, and nothing reaches the service.
  for (let i = 1; i < MESSAGES; i++) replies.push(send(i));
  const later = ids.slice(1);
  await events.until(
    SB.renewed,
    (renewed) => later.every((id) => about(renewed, id).length > 0),
    'every later message held with its lock renewed',
  );
  t.pass('every message sent while the breaker was open was held, its lock renewed');
  backOffice.faults.remove(down);
  const closed = await relay.waitFor(breaker('closed'), 'the breaker closed again');
  const results = await Promise.all(replies);
  await waitForNth(
    relay,
    isEvent('relay:work', { outcome: 'completed' }),
    MESSAGES,
    'every message completed',
  );

  const attempts = all.filter(attempt());
  const refused = attempts.filter((e) => e.data.outcome === 'open');
  t.equal(
    backOffice.journal.count({ service: SERVICE }),
    attempts.length - refused.length,
    'the back office saw the attempts the breaker let through, and none of those it refused',
  );
  // The attempt whose failure opened the breaker is reported just after the state change it
  // caused; every attempt after it, until the breaker is half-open, was refused.
  const states = all.filter((e) => e.channel === 'relay:backoffice:breaker');
  for (const [i, e] of states.entries()) {
    if (e.data.state !== 'open') continue;
    const next = states[i + 1] ?? closed;
    const [opener, ...rest] = all.slice(all.indexOf(e) + 1, all.indexOf(next)).filter(attempt());
    t.equal(opener?.data.outcome, 'transient', 'a transient failure opened the breaker');
    t.ok(
      rest.every((a) => a.data.outcome === 'open'),
      `no request went out while it was open (${String(rest.length)} refused)`,
    );
  }
  const failedFast = all.filter(
    (e) =>
      e.channel === 'relay:work' &&
      e.data.outcome === 'abandoned' &&
      e.data.code === 'RELAY_E_BACKOFFICE_OPEN',
  );
  t.equal(
    failedFast.length,
    refused.length,
    `each delivery that gave up waiting for the breaker was abandoned (${String(refused.length)})`,
  );
  t.same(
    all.filter((e) => e.channel === 'relay:work' && e.data.outcome === 'dead-lettered'),
    [],
    'the relay dead-lettered nothing',
  );
  t.same(
    events.of(SB.deadLettered).filter((e) => e.entity === 'requests'),
    [],
    'nor did the broker: no message ran out of deliveries while the breaker was open',
  );

  // Recovery: a half-open probe that succeeds closes the breaker.
  t.same(
    states.slice(-2).map((e) => e.data.state),
    ['half-open', 'closed'],
    'it closed from half-open',
  );
  const halfOpen = states.at(-2);
  const probe = all
    .slice(halfOpen === undefined ? 0 : all.indexOf(halfOpen))
    .find((e) => attempt()(e) && e.data.outcome !== 'open');
  t.match(probe?.data, { outcome: 'success', status: 201 }, 'its probe succeeded');
  t.ok(
    probe !== undefined && all.indexOf(probe) > all.indexOf(closed),
    'and closed it (its success is reported after the state change it caused)',
  );

  // Then every message delivered once.
  const store = backOffice.intake[SERVICE];
  t.equal(store.accepted, MESSAGES, `${String(MESSAGES)} submissions, one per message`);
  for (const [i, id] of ids.entries()) {
    const reply = results[i];
    const submission = store.byIdempotencyKey(id);
    t.equal(reply?.status, 201, `${id}: answered 201`);
    t.equal(
      backOffice.journal.entries({ idempotencyKey: id, status: 201 }).length,
      1,
      `${id}: one accepted request`,
    );
    t.ok(submission?.body.equals(bodies[i] ?? Buffer.alloc(0)), `${id}: one submission`);
    t.equal(
      reply === undefined ? undefined : receiptField(reply.body, 'Reference'),
      submission?.reference,
      `${id}: the reply names it`,
    );
    t.equal(
      about(events.of(SB.settled), id).filter((e) => e.outcome === 'completed').length,
      1,
      `${id}: completed once`,
    );
  }
});
