// The set-up check of an Azure run (`relaycheck run --target azure`), before any case: can the
// tenant's code use the target's namespaces at all? In: a Target and a time bound. Out:
// nothing, or RunError RUN_E_TARGET saying which namespace failed and how (unreachable, key
// refused, an entity missing), so a user sees one clear reason instead of every case failing
// on it. IO: the Service Bus SDK (peeks, sender links, session locks: no message is taken or
// left) and one Send-token request per Hybrid Connection.
import { Agent, request } from 'undici';
import { randomUUID } from 'node:crypto';
import { ServiceBusClient } from '@azure/service-bus';
import { createSasToken } from '../../relay/src/protocol/sas';
import { sdkConnectionString, type Target } from '../lib/target';
import { RunError } from './errors';

function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${String(Math.round(ms / 1000))} s (${what})`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

function clean(text: string): string {
  return text
    .replace(/SharedAccess\w*=[^;\s]*/gi, '[redacted]')
    .replace(/sig=[^&\s]*/gi, 'sig=[redacted]');
}

/**
 * Checks the Service Bus namespace without taking or leaving a message: a peek on each plain
 * queue (Listen, the entity exists and has no sessions), a sender link on each queue the tenant
 * or the relay sends to (Send), and a session lock on a fresh id of each session queue (sessions
 * on). The tenant driver is not used for this: closing its receivers while they are still
 * opening leaves the SDK retrying for a minute.
 */
async function checkServiceBus(target: Target, ms: number): Promise<void> {
  const e = target.entities;
  const client = new ServiceBusClient(sdkConnectionString(target.serviceBus), {
    retryOptions: { maxRetries: 1, timeoutInMs: ms, retryDelayInMs: 1000 },
  });
  let step = `connect to ${target.serviceBus.host}`;
  try {
    const check = async (): Promise<void> => {
      for (const queue of [e.handshake, e.requests]) {
        step = `peek ${queue} (Listen; a queue without sessions)`;
        const receiver = client.createReceiver(queue);
        try {
          await receiver.peekMessages(1);
        } finally {
          await receiver.close();
        }
      }
      for (const queue of [e.handshake, e.handshakeReplies, e.requests, e.replies]) {
        step = `open a sender on ${queue} (Send)`;
        const sender = client.createSender(queue);
        try {
          await sender.createMessageBatch();
        } finally {
          await sender.close();
        }
      }
      for (const queue of [e.handshakeReplies, e.replies]) {
        step = `lock a session of ${queue} (a queue with sessions)`;
        const session = await client.acceptSession(queue, `relaycheck-check-${randomUUID()}`);
        await session.close();
      }
    };
    await bounded(check(), ms, step);
  } catch (caught) {
    // The SDK's retries end in an AggregateError with an empty message: report the last try.
    const errors = (caught as { errors?: unknown }).errors;
    const err: unknown =
      Array.isArray(errors) && errors.length > 0 ? (errors[errors.length - 1] as unknown) : caught;
    const code = (err as { code?: unknown }).code;
    throw new RunError(
      'RUN_E_TARGET',
      `the Service Bus namespace ${target.serviceBus.host} cannot be used: ${step} failed` +
        `${typeof code === 'string' ? ` (${code})` : ''}: ${clean(err instanceof Error ? err.message : String(err)).slice(0, 300)}`,
      { which: 'servicebus' },
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Checks the Azure Relay namespace: each Hybrid Connection answers a Send-token request (with
 * no relay listening yet, "no listener" is the expected answer; 401/403 mean the key or rule is
 * refused; a network error means it cannot be reached).
 */
async function checkRelay(target: Target, ms: number, ca: string | undefined): Promise<void> {
  const hc = target.relayNamespace;
  const host = hc.host.includes(':') ? `[${hc.host}]` : hc.host;
  const agent = new Agent({
    connect: {
      ...(ca === undefined ? {} : { ca }),
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
  });
  try {
    for (const path of target.hybridConnections) {
      const token = createSasToken({
        resource: `http://${hc.host}/${path}`,
        keyName: hc.keyName,
        key: hc.key,
        ttlSeconds: 300,
      });
      let status: number;
      try {
        const res = await request(`https://${host}/${path}`, {
          method: 'GET',
          headers: { ServiceBusAuthorization: token },
          dispatcher: agent,
          headersTimeout: ms,
          bodyTimeout: ms,
        });
        status = res.statusCode;
        await res.body.dump();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        throw new RunError(
          'RUN_E_TARGET',
          `the Azure Relay namespace ${hc.host} cannot be reached (${code === '' ? clean(e instanceof Error ? e.message : String(e)) : code})`,
          { which: 'relay' },
        );
      }
      if (status === 401 || status === 403) {
        throw new RunError(
          'RUN_E_TARGET',
          `the Azure Relay namespace ${hc.host} refused the key ${hc.keyName} for ${path} (HTTP ${String(status)}): the rule needs Send and Listen`,
          { which: 'relay' },
        );
      }
    }
  } finally {
    await agent.close();
  }
}

/** Both namespaces usable, or RUN_E_TARGET. */
export async function checkTarget(target: Target, ms = 60_000, ca?: string): Promise<void> {
  await checkServiceBus(target, ms);
  await checkRelay(target, ms, ca);
}
