// Observability of the tenant driver for suites. In: handshake decisions, session changes,
// key changes, request outcomes and dead letters. Out: messages on node:diagnostics_channel
// channels named `sim:tenant:*`. Payloads are flat objects of strings, numbers and booleans;
// a key, token, signature or body is never published, a session id only by 8 characters.
import diagnostics from 'node:diagnostics_channel';

export const TENANT_CHANNELS = Object.freeze({
  /** {tenant, instanceId, outcome: welcome|reject|unanswerable, code?, kid?, sid?, messageId} */
  hello: 'sim:tenant:hello',
  /** {tenant, instanceId, kid, sid, state: live|replaced|dropped|expired, reason?} */
  session: 'sim:tenant:session',
  /** {tenant, kid, state: active|retired, dropped?} */
  key: 'sim:tenant:key',
  /** {tenant, via, route, messageId, outcome: sent|answered|refused|timeout|dead-lettered|failed, status?, code?} */
  work: 'sim:tenant:work',
  /** {tenant, messageId, route?, reason, description} — read from the requests dead-letter queue. */
  deadLetter: 'sim:tenant:dead-letter',
  /** {tenant, code, source, message} — a Service Bus error the driver rode out. */
  fault: 'sim:tenant:fault',
} as const);

export type TenantEventData = Readonly<Record<string, string | number | boolean | undefined>>;

export function publishTenant(
  channel: (typeof TENANT_CHANNELS)[keyof typeof TENANT_CHANNELS],
  data: TenantEventData,
): void {
  const ch = diagnostics.channel(channel);
  if (ch.hasSubscribers) ch.publish(data);
}
