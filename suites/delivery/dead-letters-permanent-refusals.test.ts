// DLV-003: permanent failures are dead-lettered with a reason. In: the relay as a child process
// and two refusals by the back office, each a 4xx with an XML error body: a fault rule on
// ctb-intake answering every POST with 400, and licensing's own 413 for a document over its
// intake limit (set to 2 KiB for this case; the relay's own limit is far larger). Out: for each,
// one back-office request and one attempt (no retry, no wait planned, no redelivery), no
// submission, and the request dead-lettered by the relay with reason RELAY_E_BACKOFFICE_REFUSED
// and a description holding the status and the back office's own reason, as the broker
// recorded it and as the tenant reads it from the dead-letter queue.
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { kase } from '../lib/case';
import { isEvent, waitForNth } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import { about, intakeXml, recordEvents, SB, SB_CHANNELS } from './lib/delivery-kit';

const INTAKE_LIMIT = 2048;

async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    const x = e as { code?: unknown; details?: Record<string, unknown> };
    return { code: x.code, ...(x.details ?? {}) };
  }
  return { code: 'none' };
}

void kase('DLV-003', async (t) => {
  const events = recordEvents(t, [...SB_CHANNELS, TENANT_CHANNELS.deadLetter]);
  const rw = await startRelayWorld(t, {
    world: { backOffice: { seed: 42, intake: { maxBodyBytes: INTAKE_LIMIT } } },
  });
  const { tenant, backOffice } = rw.world;
  if (tenant === undefined || backOffice === undefined) throw new Error('world');
  backOffice.faults.add('ctb-intake', {
    action: { type: 'status', status: 400 },
    match: { method: 'POST', pathPrefix: '/changes' },
  });
  const relay = rw.startRelay();
  await rw.live(relay);

  const cases = [
    {
      id: 'dlv3-refused-by-rule',
      route: 'ctb-intake',
      body: intakeXml('CouncilTaxReductionClaim', 'dlv3-1'),
      status: 400,
      reason: 'injected fault: 400 Bad Request',
    },
    {
      id: 'dlv3-refused-as-too-large',
      route: 'licensing',
      body: intakeXml('LicenceApplication', 'dlv3-2', INTAKE_LIMIT + 1000),
      status: 413,
      reason: `the body is over the limit of ${String(INTAKE_LIMIT)} bytes`,
    },
  ];
  const outcomes = await Promise.all(
    cases.map((c) =>
      rejection(
        tenant.sendWork(c.route, c.body, {
          messageId: c.id,
          contentType: 'application/xml',
          timeoutMs: 60_000,
        }),
      ),
    ),
  );
  await waitForNth(
    relay,
    isEvent('relay:work', { outcome: 'dead-lettered' }),
    cases.length,
    'both requests dead-lettered',
  );

  for (const [i, c] of cases.entries()) {
    const out = outcomes[i] ?? {};
    t.equal(out.code, 'SIM_E_TENANT_DEAD_LETTERED', `${c.id}: the tenant learns it was refused`);
    t.equal(out.reason, 'RELAY_E_BACKOFFICE_REFUSED', `${c.id}: reason RELAY_E_BACKOFFICE_REFUSED`);
    t.match(
      out.description,
      `refused the work with ${String(c.status)}: ${c.reason}`,
      `${c.id}: the description holds the status and the back office's reason`,
    );

    const dead = about(events.of(SB.deadLettered), c.id);
    t.same(
      dead.map((e) => [e.reason, e.deliveryCount]),
      [['RELAY_E_BACKOFFICE_REFUSED', 0]],
      `${c.id}: the broker dead-lettered it once, on its first delivery`,
    );
    t.match(dead[0]?.description, String(c.status), `${c.id}: the broker holds the status`);
    t.match(dead[0]?.description, c.reason, `${c.id}: and the reason`);

    const journal = backOffice.journal.byIdempotencyKey(c.id);
    t.same(
      journal.map((e) => [e.service, e.status]),
      [[c.route, c.status]],
      `${c.id}: one back-office request, refused with ${String(c.status)}`,
    );
    t.same(
      relay.events
        .filter((e) => e.channel === 'relay:backoffice:attempt' && e.data.route === c.route)
        .map((e) => e.data),
      [{ service: c.route, route: c.route, attempt: 1, outcome: 'permanent', status: c.status }],
      `${c.id}: one attempt, permanent, no wait planned`,
    );
    t.same(
      relay.events
        .filter((e) => e.channel === 'relay:work' && e.data.messageId === c.id)
        .map((e) => [e.data.outcome, e.data.code]),
      [['dead-lettered', 'RELAY_E_BACKOFFICE_REFUSED']],
      `${c.id}: the relay dead-lettered it and did not abandon it`,
    );
    t.equal(about(events.of(SB.locked), c.id).length, 1, `${c.id}: never redelivered`);
    t.equal(
      backOffice.intake[c.route as 'ctb-intake'].accepted,
      0,
      `${c.id}: no submission was made`,
    );
  }
});
