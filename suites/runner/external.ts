// Setting up a run against a relay relaycheck did not write (`relaycheck run --relay external`).
// In: the run's output folder, where to write the relay's config, how long to wait. Out: a
// stage (suites/lib/stage.ts) every case world of the run shares, the relay config the user's
// relay must run with (written 0600), what to tell the user (endpoints, key names, CA), and a
// wait that resolves once that relay is connected to a first world — or RUN_E_RELAY_ABSENT.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../simulator/src/cloud/tls/ca';
import { join } from 'node:path';
import { parseWorldConfig, startWorld, type World } from '../../simulator/src/world';
import { CASE_TIMINGS, merge, type Json } from '../lib/relay-world';
import { channelLog } from '../lib/channel-log';
import {
  RELAY_CONNECTION_CHANNELS,
  createStage,
  relayConnected,
  relayConnectionChecks,
  stageCa,
  stageKeys,
  stageWorldConfig,
  type Stage,
} from '../lib/stage';
import { RunError } from './errors';

/** What the user's relay must be given, as the run prints it. */
export interface ExternalRelayBrief {
  readonly relayConfigPath: string;
  readonly caPath: string;
  readonly serviceBus: { readonly host: string; readonly keyName: string };
  readonly hybrid: {
    readonly host: string;
    readonly keyName: string;
    readonly paths: readonly string[];
  };
  readonly tenantId: string;
  readonly backOffice: Readonly<Record<string, string>>;
  /** Logical host:port → the loopback port to dial for it (also in the network map file). */
  readonly endpoints: readonly { readonly name: string; readonly dial: string }[];
  readonly networkMapPath: string;
}

export interface ExternalSetup {
  readonly stage: Stage;
  readonly stageFile: string;
  readonly brief: ExternalRelayBrief;
  /** Resolves once the relay is connected; RUN_E_RELAY_ABSENT after `waitMs`. */
  waitForRelay(waitMs: number): Promise<void>;
  /** Closes the first world (the cases then start their own on the same stage). */
  close(): Promise<void>;
}

const SEED = 42;
/** How often the external relay re-probes its paths (the relay's minimum is 1 s). */
export const EXTERNAL_REPROBE_MS = 2_000;

/** The text that tells the user what their relay must use. Pure. */
export function renderBrief(brief: ExternalRelayBrief, waitMs: number): string {
  const lines = [
    'relaycheck: waiting for your relay (--relay external). Point it at the simulator:',
    `  config file    ${brief.relayConfigPath}   (relaycheck's relay format, mode 0600: it holds the keys)`,
    `  CA to trust    ${brief.caPath}`,
    `  Service Bus    ${brief.serviceBus.host}  SAS key name ${brief.serviceBus.keyName}`,
    `  Azure Relay    ${brief.hybrid.host}  SAS key name ${brief.hybrid.keyName}  paths ${brief.hybrid.paths.join(', ')}`,
    `  tenant         ${brief.tenantId}  (handshake key in the config file)`,
    `  network map    ${brief.networkMapPath}  (logical address:port → loopback; re-read on each dial)`,
    ...brief.endpoints.map((e) => `    ${e.name.padEnd(52)} → ${e.dial}`),
    '  back office',
    ...Object.entries(brief.backOffice).map(([n, u]) => `    ${n.padEnd(24)} ${u}`),
    `The reference relay runs with: relaycheck relay --config ${brief.relayConfigPath}`,
    `Waiting up to ${String(Math.round(waitMs / 1000))} s for its handshake session, requests receiver and listeners...`,
  ];
  return lines.join('\n') + '\n';
}

function field(o: Json, ...path: string[]): unknown {
  let cur: unknown = o;
  for (const k of path) cur = (cur as Json | undefined)?.[k];
  return cur;
}

/** A string field of the relay config, or '' when it is absent. */
function textField(o: Json, ...path: string[]): string {
  const v = field(o, ...path);
  return typeof v === 'string' ? v : '';
}

/**
 * Creates the stage in `<outDir>/external`, starts a first world on it and writes the relay
 * config to `relayConfigPath` (quick reconnect timings, so the relay follows each case's world).
 */
export async function setUpExternal(
  outDir: string,
  relayConfigPath: string,
): Promise<ExternalSetup> {
  const { stage, file: stageFile } = await createStage(join(outDir, 'external'), relayConfigPath);
  const log = channelLog(RELAY_CONNECTION_CHANNELS, 'the simulator');
  let world: World;
  try {
    world = await startWorld(
      parseWorldConfig({ seed: SEED, ...stageWorldConfig(stage, SEED) }, stageKeys(stage)),
      { dir: stage.worldDir, ca: stageCa(stage) },
    );
  } catch (e) {
    log.close();
    throw new RunError(
      'RUN_E_WORLD',
      `the simulated world could not start: ${e instanceof Error ? e.message : String(e)}`,
      { path: stage.worldDir },
    );
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    log.close();
    await world.close();
  };
  try {
    const config = writeRelayConfig(world, stage, relayConfigPath);
    const brief = briefOf(config, world, relayConfigPath);
    const checks = relayConnectionChecks(brief.hybrid.paths);
    return {
      stage,
      stageFile,
      brief,
      waitForRelay: (waitMs) => {
        // The user's own relay may never come: the wait is bounded (a deadline, not a sync).
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const missing = checks.filter((c) => !log.events.some(c.match)).map((c) => c.what);
            reject(
              new RunError(
                'RUN_E_RELAY_ABSENT',
                `no relay connected within ${String(Math.round(waitMs / 1000))} s: never saw ` +
                  `${missing.join(', ')} (start it with the config ${relayConfigPath})`,
                { path: relayConfigPath },
              ),
            );
          }, waitMs);
        });
        return Promise.race([relayConnected(log, checks), deadline]).finally(() => {
          clearTimeout(timer);
        });
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Writes the relay config of `world` to `path` (0600), with quick reconnect timings. */
function writeRelayConfig(world: World, stage: Stage, path: string): Json {
  const relayFile = world.relayFilePath;
  if (relayFile === undefined) {
    throw new RunError('RUN_E_WORLD', 'the simulated world wrote no relay config', {
      path: stage.worldDir,
    });
  }
  const config = JSON.parse(readFileSync(relayFile, 'utf8')) as Json;
  merge(config, CASE_TIMINGS);
  // Between two case worlds nothing answers for a moment: the relay must probe again soon
  // rather than after the production interval, or it idles through the next case.
  merge(config, { connectivity: { reprobeIntervalMs: EXTERNAL_REPROBE_MS } });
  try {
    // Whole or not at all, and 0600 even when a file of another mode was there (it holds keys).
    writeFileAtomic(path, JSON.stringify(config, null, 2) + '\n', 0o600);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new RunError('RUN_E_OUT_DIR', `cannot write the relay config ${path} (${errno})`, {
      path,
      errno,
    });
  }
  return config;
}

/** What the user's relay must be told, from its config and the world. Pure. */
function briefOf(config: Json, world: World, relayConfigPath: string): ExternalRelayBrief {
  return {
    relayConfigPath,
    caPath: textField(config, 'tls', 'caFile') || (world.caPath ?? ''),
    serviceBus: {
      host: textField(config, 'serviceBus', 'host'),
      keyName: textField(config, 'serviceBus', 'keyName'),
    },
    hybrid: {
      host: textField(config, 'hybrid', 'host'),
      keyName: textField(config, 'hybrid', 'keyName'),
      paths: (field(config, 'hybrid', 'paths') as string[] | undefined) ?? [],
    },
    tenantId: textField(config, 'tenant', 'id'),
    backOffice: (field(config, 'backOffice') as Record<string, string> | undefined) ?? {},
    endpoints: [...(world.network?.endpoints.values() ?? [])]
      .filter((e) => e.current)
      .map((e) => ({
        name: `${e.host} ${e.logicalAddress}:${String(e.port)}`,
        dial: `${e.dial.host}:${String(e.dial.port)}`,
      })),
    networkMapPath: textField(config, 'egress', 'networkMapFile'),
  };
}
