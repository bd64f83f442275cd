// The set-up and the far-end readings the ROUTE cases share. In: a tap test and optional changes
// to the relay config the world wrote. Out: the world with a live reference relay (a child
// process), its tenant and back office; SHA-256 of bytes; the dead-letter reason and description
// a tenant's sendWork was refused with; a snapshot of everything a back office records (journal,
// intake stores, file shares, temporary names left in the share folders) to show it unchanged.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { BackOffice } from '../../../simulator/src/backoffice';
import { INTAKE_SERVICES } from '../../../simulator/src/backoffice';
import type { TenantDriver } from '../../../simulator/src/cloud/tenant';
import { isEvent, type RelayChild } from '../../lib/relay-child';
import { startRelayWorld, type Json, type RelayWorld } from '../../lib/relay-world';

export interface RouteWorld {
  readonly rw: RelayWorld;
  /** The reference relay child; undefined in an external-relay run (the relay is not ours). */
  readonly relay: RelayChild | undefined;
  readonly tenant: TenantDriver;
  readonly backOffice: BackOffice;
}

/**
 * Starts the world and one relay child on its relay.json (changed by `change` when given) and
 * resolves once the relay's handshake session is live. In an external-relay run it starts no
 * relay: it resolves once the external relay is connected to this world (no `change` there).
 */
export async function startRouteWorld(
  t: tap.Test,
  change: (config: Json) => void,
): Promise<RouteWorld & { readonly relay: RelayChild }>;
export async function startRouteWorld(t: tap.Test): Promise<RouteWorld>;
export async function startRouteWorld(
  t: tap.Test,
  change?: (config: Json) => void,
): Promise<RouteWorld> {
  const rw = await startRelayWorld(t);
  const { tenant, backOffice } = rw.world;
  if (tenant === undefined || backOffice === undefined) {
    throw new Error('the world has no tenant driver or no back office');
  }
  if (change === undefined) {
    return { rw, relay: await rw.relayUnderTest(), tenant, backOffice };
  }
  const relay = rw.startRelay(rw.writeRelayConfig('relay-route.json', change));
  await rw.live(relay);
  return { rw, relay, tenant, backOffice };
}

/**
 * Resolves when the requests message `messageId` was settled `outcome`: with the reference
 * relay, on the relay's own report (relay:work, with `code` when given); with an external
 * relay, on the namespace's record of the settlement (and the dead-letter reason = `code`).
 */
export async function settledBy(
  route: RouteWorld,
  messageId: string,
  outcome: 'completed' | 'dead-lettered',
  code?: string,
): Promise<void> {
  if (route.relay !== undefined) {
    await route.relay.waitFor(
      isEvent('relay:work', {
        via: 'servicebus',
        messageId,
        outcome,
        ...(code === undefined ? {} : { code }),
      }),
      `the relay reporting ${messageId} ${outcome}`,
    );
    return;
  }
  await route.rw.waitForWorld(
    (e) =>
      outcome === 'completed'
        ? e.channel === 'sim:sb:settled' &&
          e.data.messageId === messageId &&
          e.data.outcome === 'completed'
        : e.channel === 'sim:sb:deadlettered' &&
          e.data.messageId === messageId &&
          (code === undefined || e.data.reason === code),
    `the namespace recording ${messageId} ${outcome}`,
  );
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The URL of a running back-office service (loopback), for reading it directly. */
export function serviceUrl(backOffice: BackOffice, name: keyof BackOffice['services']): string {
  const info = backOffice.services[name];
  if (info === undefined) throw new Error(`the back office runs no ${name} service`);
  return info.url;
}

/** Reads a back-office answer directly (bypassing the relay): status, content type and bytes. */
export async function fetchDirect(
  url: string,
): Promise<{ status: number; contentType: string | null; body: Buffer }> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get('content-type'), body };
}

export interface DeadLetter {
  readonly code: string;
  readonly messageId: string;
  readonly reason: string;
  readonly description: string;
}

/**
 * What a sendWork that should be dead-lettered was refused with. Throws when it resolved (the
 * work was done) so a case fails on it.
 */
export async function deadLetterOf(pending: Promise<unknown>): Promise<DeadLetter> {
  let error: unknown;
  try {
    await pending;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error('the work was answered: it was not dead-lettered');
  const e = error as { code?: unknown; details?: Record<string, unknown> };
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    code: text(e.code),
    messageId: text(e.details?.messageId),
    reason: text(e.details?.reason),
    description: text(e.details?.description),
  };
}

/** Files under a dot name (the temporary names of an unfinished write) in every share folder. */
export async function dotFiles(backOffice: BackOffice): Promise<string[]> {
  const out: string[] = [];
  for (const f of backOffice.files.formTypes()) {
    const names = await readdir(f.path).catch(() => [] as string[]);
    for (const name of names) if (name.startsWith('.')) out.push(`${f.folder}/${name}`);
  }
  return out;
}

/** Everything the back office records, counted: equal snapshots mean it recorded nothing. */
export interface FarEnd {
  /** Journal entries ever recorded (requests and files). */
  readonly journal: number;
  /** Submissions accepted per intake service (replays not counted). */
  readonly intake: Readonly<Record<string, number>>;
  /** Files in the share folders: `folder/name sha256`. */
  readonly files: readonly string[];
  readonly dotFiles: readonly string[];
}

export async function farEnd(backOffice: BackOffice): Promise<FarEnd> {
  const intake: Record<string, number> = {};
  for (const s of INTAKE_SERVICES) intake[s] = backOffice.intake[s].accepted;
  const files = (await backOffice.files.scan()).map((f) => `${f.folder}/${f.name} ${f.sha256}`);
  return {
    journal: backOffice.journal.stats().total,
    intake,
    files,
    dotFiles: await dotFiles(backOffice),
  };
}
