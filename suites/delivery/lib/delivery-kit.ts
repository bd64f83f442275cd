// What the delivery cases DLV-001..004 and DLV-008 share. In: a tap test, the world a case
// started, the channels it watches. Out: a recorder of the in-process world's diagnostics events
// (Service Bus engine `sim:sb:*`, tenant `sim:tenant:*`, back office `sim:bo:*`) with an
// event-driven wait, the requests queue's counts, a Service Bus namespace config whose
// `requests` queue a case may change (keys made at run time), and sample work: intake XML for
// each post-xml route and small evidence PDFs for the file drop.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { defaultNamespaceConfig } from '../../../simulator/src/cloud/servicebus';
import type { World } from '../../../simulator/src/world';
import type { Json } from '../../lib/relay-world';
import { pdfAround } from '../../../relay/test/helpers/pdf-bytes';

export type Event = Readonly<Record<string, unknown>>;

/** Longest wait for an event a case expects (a bound, never how a case synchronises). */
const WAIT_BOUND_MS = 90_000;

export interface Recorder {
  /** Every event seen so far on `channel`, in order. */
  of(channel: string): readonly Event[];
  /** Resolves once `done` holds for the events of `channel` (looked at on each new one). */
  until(channel: string, done: (events: readonly Event[]) => boolean, what: string): Promise<void>;
}

/** Records the events of `channels` until the test ends. */
export function recordEvents(t: tap.Test, channels: readonly string[]): Recorder {
  const seen = new Map<string, Event[]>(channels.map((c) => [c, []]));
  const waiters = new Set<{ channel: string; check: () => void }>();
  const subs = channels.map((channel) => {
    const fn = (m: unknown): void => {
      seen.get(channel)?.push(m as Event);
      for (const w of [...waiters]) if (w.channel === channel) w.check();
    };
    diagnostics.subscribe(channel, fn);
    return { channel, fn };
  });
  t.teardown(() => {
    for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
  });
  const of = (channel: string): readonly Event[] => {
    const events = seen.get(channel);
    if (events === undefined) throw new Error(`${channel} is not recorded`);
    return events;
  };
  return {
    of,
    until: (channel, done, what) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no ${what} within ${String(WAIT_BOUND_MS)} ms`));
        }, WAIT_BOUND_MS);
        const waiter = {
          channel,
          check: () => {
            if (!done(of(channel))) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        waiters.add(waiter);
        waiter.check();
      }),
  };
}

/** The Service Bus engine's channels the cases read. */
export const SB = Object.freeze({
  enqueued: 'sim:sb:enqueued',
  duplicate: 'sim:sb:duplicate',
  locked: 'sim:sb:locked',
  settled: 'sim:sb:settled',
  renewed: 'sim:sb:lock-renewed',
  expired: 'sim:sb:lock-expired',
  lost: 'sim:sb:lock-lost',
  deadLettered: 'sim:sb:deadlettered',
});
export const SB_CHANNELS: readonly string[] = Object.values(SB);

/** Events of `events` about `messageId` on the entity `entity` (default: requests). */
export function about(
  events: readonly Event[],
  messageId: string,
  entity = 'requests',
): readonly Event[] {
  return events.filter((e) => e.messageId === messageId && e.entity === entity);
}

/** What the broker holds for the requests queue now (active, locked, dead-lettered, ...). */
export function requestsQueue(world: World): {
  readonly active: number;
  readonly locked: number;
  readonly deferred: number;
  readonly scheduled: number;
  readonly deadLettered: number;
} {
  const row = world.serviceBus?.engine.listEntities().find((e) => e.path === 'requests');
  if (row === undefined) throw new Error('the world has no requests queue');
  return {
    active: row.active,
    locked: row.locked,
    deferred: row.deferred,
    scheduled: row.scheduled,
    deadLettered: row.deadLettered,
  };
}

/**
 * The world's default Service Bus namespace (the queues a relay needs) as config input, with
 * `change` applied to its `requests` queue (e.g. no duplicate detection, a short lock). The
 * keys are made here at run time; `relaxedLimits` allows a lock shorter than Azure's 5 s.
 */
export function namespaceWithRequests(
  change: (requests: Json) => void,
  options: { readonly relaxedLimits?: boolean } = {},
): Json {
  const key = (): string => randomBytes(32).toString('base64');
  const ns = defaultNamespaceConfig(
    { rootManageKey: key(), relayKey: key(), tenantKey: key() },
    'council-42',
  );
  const input = JSON.parse(JSON.stringify(ns)) as Json;
  delete input.host;
  delete input.maxMessageSizeBytes;
  if (options.relaxedLimits === true) input.relaxedLimits = true;
  const queues = input.queues as Json[];
  const requests = queues.find((q) => q.name === 'requests');
  if (requests === undefined) throw new Error('the default namespace has no requests queue');
  change(requests);
  return input;
}

/** The post-xml routes of the world's relay.json and a root each accepts. */
export const INTAKE_ROUTES: readonly {
  readonly route: string;
  readonly roots: readonly string[];
}[] = Object.freeze([
  { route: 'ctb-intake', roots: ['ChangeOfCircumstances', 'CouncilTaxReductionClaim'] },
  { route: 'environmental-health', roots: ['EnvironmentalHealthCase'] },
  { route: 'licensing', roots: ['LicenceApplication'] },
]);

/** A small, well-formed intake document whose root is `root`; `tag` makes it unique. */
export function intakeXml(root: string, tag: string, padding = 0): Buffer {
  return Buffer.from(
    `<${root} xmlns="urn:relaycheck:cases:dlv:v1">` +
      `<Reference>${tag}</Reference>` +
      `<Name>Mrs O&apos;Brien &amp; family</Name>` +
      `<Notes>${'n'.repeat(padding)}</Notes>` +
      `</${root}>`,
    'utf8',
  );
}

/** A small valid PDF (as the relay's check wants) carrying `tag`. */
export function evidencePdf(tag: string): Buffer {
  return pdfAround(Buffer.from(`(${tag})`, 'latin1'), `evidence ${tag}`);
}

/** The text of an XML element of a back-office receipt (`Reference`, `Sha256`, ...). */
export function receiptField(body: Buffer, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body.toString('utf8'));
  return m?.[1];
}
