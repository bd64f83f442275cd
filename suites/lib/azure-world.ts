// The world of a case in an Azure run (`relaycheck run --target azure`): the council's side
// only. The namespaces are the target's (real Azure, or whatever the connection strings name);
// here run the back office (loopback), the tenant driver connected to the target's namespaces
// with the same code the simulated world uses, and the relay config a reference relay runs
// with: the target's hosts and keys, no network map (the relay resolves and dials for real),
// the target's ranges and CA. In: a Target, a seed, a folder. Out: a World whose tenant is that
// driver (no simulated namespace, network model or hooks), the relay.json path; close() stops
// the driver, then the back office.
import { randomBytes } from 'node:crypto';
import { ServiceBusClient, type PeekMessagesOptions } from '@azure/service-bus';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTAKE_ROUTES } from '../../simulator/src/backoffice';
import { startTenantDriver } from '../../simulator/src/cloud/tenant';
import { writeFileAtomic } from '../../simulator/src/cloud/tls/ca';
import { parseWorldConfig, startWorld, type World } from '../../simulator/src/world';
import { backOfficeRoutes, relayFileConfig } from '../../simulator/src/world/relay-file';
import { sdkConnectionString, type Target } from './target';

export interface AzureWorld {
  /** The back office and the tenant driver; no simulated namespace or network. */
  readonly world: World;
  /** relay.json for a reference relay against the target (mode 0600). */
  readonly relayFilePath: string;
}

/** The tenant driver's options for the target (the caller may override the timeouts). */
export function tenantOptions(target: Target): Parameters<typeof startTenantDriver>[0] {
  const hc = target.relayNamespace;
  const host = hc.host.includes(':') ? `[${hc.host}]` : hc.host;
  return {
    tenant: target.tenant.id,
    keys: [{ kid: target.tenant.kid, key: target.tenant.key }],
    entities: { ...target.entities },
    // A request the relay dead-letters fails its sendWork with the reason, not a timeout.
    watchDeadLetters: true,
    serviceBus: { connectionString: sdkConnectionString(target.serviceBus) },
    hybrid: {
      url: `https://${host}`,
      host: hc.host,
      keyName: hc.keyName,
      key: hc.key,
      ...(target.caFile === undefined ? {} : { ca: readFileSync(target.caFile, 'utf8') }),
    },
  };
}

export async function startAzureWorld(
  target: Target,
  seed: number,
  dir: string,
): Promise<AzureWorld> {
  // Only the back office is simulated; the keys asked for are those of parts left out.
  const config = parseWorldConfig(
    { seed, serviceBus: false, hybrid: false, network: false, tenant: false },
    {
      rootManageKey: randomBytes(32).toString('base64'),
      relayKey: randomBytes(32).toString('base64'),
      tenantKey: randomBytes(32).toString('base64'),
      handshakeKey: randomBytes(32),
    },
  );
  const base = await startWorld(config, { dir });
  const backOffice = base.backOffice;
  if (backOffice === undefined) {
    await base.close();
    throw new Error('the back office did not start');
  }
  let tenant: Awaited<ReturnType<typeof startTenantDriver>>;
  try {
    tenant = await startTenantDriver(tenantOptions(target));
  } catch (e) {
    await base.close();
    throw e;
  }
  const relay = relayFileConfig({
    tenant: {
      id: target.tenant.id,
      keys: [{ kid: target.tenant.kid, secret: Buffer.from(target.tenant.key, 'base64') }],
    },
    serviceBus: target.serviceBus,
    hybrid: { ...target.relayNamespace, paths: target.hybridConnections },
    backOffice: Object.fromEntries(Object.values(backOffice.services).map((s) => [s.name, s.url])),
    ranges: target.ranges,
    caFile: target.caFile,
    ...backOfficeRoutes(backOffice, INTAKE_ROUTES),
    entities: target.entities,
  });
  const relayFilePath = join(dir, 'relay.json');
  writeFileAtomic(relayFilePath, JSON.stringify(relay, null, 2) + '\n', 0o600);
  const world: World = {
    ...base,
    tenant,
    caPath: target.caFile,
    relayFilePath,
    close: async () => {
      await tenant.close();
      await base.close();
    },
  };
  return { world, relayFilePath };
}

/**
 * The message ids a queue (or its dead-letter queue) of the target holds now, read by peeking
 * (nothing is taken): what a case checks at the far end of a real namespace, where the
 * simulator's own records are not there to read. At most `max` messages are looked at.
 */
export async function peekMessageIds(
  target: Target,
  queue: string,
  options: { readonly deadLetter?: boolean; readonly max?: number } = {},
): Promise<string[]> {
  const client = new ServiceBusClient(sdkConnectionString(target.serviceBus));
  try {
    const receiver = client.createReceiver(
      queue,
      options.deadLetter === true ? { subQueueType: 'deadLetter' } : {},
    );
    const ids: string[] = [];
    let from: PeekMessagesOptions['fromSequenceNumber'];
    const max = options.max ?? 1000;
    while (ids.length < max) {
      const batch = await receiver.peekMessages(
        Math.min(250, max - ids.length),
        from === undefined ? {} : { fromSequenceNumber: from },
      );
      if (batch.length === 0) break;
      for (const m of batch) ids.push(String(m.messageId));
      const last = batch[batch.length - 1]?.sequenceNumber;
      if (last === undefined) break;
      from = last.add(1);
    }
    await receiver.close();
    return ids;
  } finally {
    await client.close();
  }
}
