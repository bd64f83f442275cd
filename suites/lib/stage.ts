// The stage of an external-relay run (`relaycheck run --relay external`): what stays the same
// in every simulated world of the run, so one relay started once by hand connects to each
// world in turn — the secrets, the CA, the back-office ports and the world's folder (so its
// relay.json, network map and file-share folders keep their paths). In: an output folder (to
// create a stage) or RELAYCHECK_STAGE (the stage.json a case process reads). Out: the Stage,
// written 0600 because it holds keys; the world options and config changes a case world uses.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { SERVICE_NAMES } from '../../simulator/src/backoffice/config';
import {
  createCertificateAuthority,
  exportCertificateAuthority,
  importCertificateAuthority,
  writeFileAtomic,
  type CertificateAuthority,
} from '../../simulator/src/cloud/tls/ca';
import type { WorldKeys } from '../../simulator/src/world/config';
import type { ChannelEvent, ChannelLog } from './channel-log';

/** The environment variable naming the stage.json of an external-relay run. */
export const STAGE_ENV = 'RELAYCHECK_STAGE';

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');
const stageSchema = z.strictObject({
  version: z.literal(1),
  /** The folder every world of the run uses (relay.json, network-map.json, ca.pem, shares). */
  worldDir: z.string().min(1),
  keys: z.strictObject({
    rootManageKey: base64,
    relayKey: base64,
    tenantKey: base64,
    handshakeKey: base64,
  }),
  ca: z.strictObject({ certPath: z.string().min(1), keyPath: z.string().min(1) }),
  /** Loopback port of each back-office service, the same in every world. */
  backOfficePorts: z.record(z.string(), z.int().min(1).max(65_535)),
  /** The relay config file the external relay was given. */
  relayConfigPath: z.string().min(1),
});

export type Stage = z.infer<typeof stageSchema>;

/** The stage of this process's run, or undefined when it is not an external-relay run. */
export function currentStage(env: NodeJS.ProcessEnv = process.env): Stage | undefined {
  const file = env[STAGE_ENV];
  if (file === undefined || file === '') return undefined;
  const parsed = stageSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${STAGE_ENV}=${file} is not a stage file: ${parsed.error.message}`);
  }
  return parsed.data;
}

/**
 * Free loopback ports, one per name (listened on at port 0, then closed). Rejects with the
 * first listen error, after closing every listener that did open.
 */
export async function freePorts(names: readonly string[]): Promise<Record<string, number>> {
  const opened = await Promise.allSettled(
    names.map(
      (name) =>
        new Promise<{ name: string; server: Server }>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen({ host: '127.0.0.1', port: 0 }, () => {
            resolve({ name, server });
          });
        }),
    ),
  );
  const servers = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const ports: Record<string, number> = {};
  for (const { name, server } of servers) ports[name] = (server.address() as AddressInfo).port;
  await Promise.all(
    servers.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return ports;
}

/**
 * Makes a stage in `dir` (created): fresh keys and a CA valid for `days`, free back-office
 * ports, and stage.json (0600). Returns the stage and the path of its file.
 */
export async function createStage(
  dir: string,
  relayConfigPath: string,
  days = 7,
): Promise<{ stage: Stage; file: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const ca = exportCertificateAuthority(
    createCertificateAuthority({
      name: 'relaycheck run CA',
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + days * 86_400_000),
    }),
  );
  const certPath = join(dir, 'run-ca.pem');
  const keyPath = join(dir, 'run-ca.key');
  writeFileAtomic(certPath, ca.certPem, 0o644);
  writeFileAtomic(keyPath, ca.keyPem, 0o600);
  const stage: Stage = {
    version: 1,
    worldDir: join(dir, 'world'),
    keys: {
      rootManageKey: randomBytes(32).toString('base64'),
      relayKey: randomBytes(32).toString('base64'),
      tenantKey: randomBytes(32).toString('base64'),
      handshakeKey: randomBytes(32).toString('base64'),
    },
    ca: { certPath, keyPath },
    backOfficePorts: await freePorts(SERVICE_NAMES),
    relayConfigPath,
  };
  const file = join(dir, 'stage.json');
  writeFileAtomic(file, JSON.stringify(stage, null, 2), 0o600);
  return { stage, file };
}

/** The world keys of the stage. */
export function stageKeys(stage: Stage): WorldKeys {
  return {
    rootManageKey: stage.keys.rootManageKey,
    relayKey: stage.keys.relayKey,
    tenantKey: stage.keys.tenantKey,
    handshakeKey: Buffer.from(stage.keys.handshakeKey, 'base64'),
  };
}

/** The stage's CA, to issue each world's server certificates under. */
export function stageCa(stage: Stage): CertificateAuthority {
  return importCertificateAuthority({
    certPem: readFileSync(stage.ca.certPath, 'utf8'),
    keyPem: readFileSync(stage.ca.keyPath, 'utf8'),
  });
}

/** The world config change that puts the back office on the stage's ports. */
export function stageWorldConfig(stage: Stage, seed: number): Record<string, unknown> {
  return {
    backOffice: {
      seed,
      services: Object.fromEntries(
        Object.entries(stage.backOfficePorts).map(([name, port]) => [name, { port }]),
      ),
    },
  };
}

/** The world's channels that show an external relay connecting (see relayConnectionChecks). */
export const RELAY_CONNECTION_CHANNELS: readonly string[] = Object.freeze([
  'sim:tenant:session',
  'sim:sb:receiver-opened',
  'sim:hc:listener-connected',
]);

/** One sign of a connected relay, as a world sees it. */
export interface ConnectionCheck {
  readonly what: string;
  readonly match: (e: ChannelEvent) => boolean;
}

/**
 * What a world sees once a relay is connected: a live handshake session at the tenant, a
 * receiver on the requests queue, a listener on each Hybrid Connection path. Pure.
 */
export function relayConnectionChecks(hcPaths: readonly string[]): readonly ConnectionCheck[] {
  return [
    {
      what: "the relay's live handshake session",
      match: (e) => e.channel === 'sim:tenant:session' && e.data.state === 'live',
    },
    {
      what: 'the relay receiving from the requests queue',
      match: (e) => e.channel === 'sim:sb:receiver-opened' && e.data.entity === 'requests',
    },
    ...hcPaths.map((path) => ({
      what: `the relay listening on ${path}`,
      match: (e: ChannelEvent) => e.channel === 'sim:hc:listener-connected' && e.data.path === path,
    })),
  ];
}

/** Resolves once `log` has seen every check (already or later). */
export async function relayConnected(
  log: ChannelLog,
  checks: readonly ConnectionCheck[],
): Promise<void> {
  await Promise.all(checks.map((c) => log.waitFor(c.match, c.what)));
}
