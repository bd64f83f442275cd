// The system-level set-up of the relay cases (PORT, IP, HS at system level): the whole
// simulated world in this process (Service Bus, Azure Relay, back office, network model with
// its firewall, the tenant driver) and the reference relay as a child process started the way
// a user starts it (`relaycheck relay --config relay.json`). In: a tap test, world config
// (firewall, seed), changes to the relay config the world wrote (timings, keys, ports). Out:
// the world, the relay child with its event stream, helpers to read /healthz and the network
// model's dial events, and a teardown that stops the relay (by PID) and then the world. In an
// external-relay run (RELAYCHECK_STAGE) the world comes up on the run's stage and no relay is
// started; in an Azure run (RELAYCHECK_TARGET) the world is the back office and a tenant driver
// on the target's namespaces (suites/lib/azure-world.ts), with no network model.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWorldConfig, startWorld, type World } from '../../simulator/src/world';
import type { HealthSnapshot } from '../../relay/src/health';
import { isEvent, startRelayChild, type RelayChild } from './relay-child';
import { channelLog, type ChannelEvent } from './channel-log';
import {
  RELAY_CONNECTION_CHANNELS,
  relayConnected,
  relayConnectionChecks,
  currentStage,
  stageCa,
  stageKeys,
  stageWorldConfig,
  type Stage,
} from './stage';
import { currentTarget, type Target } from './target';
import { startAzureWorld } from './azure-world';

export type Json = Record<string, unknown>;

/** Every guide port, logical. */
export const GUIDE_PORT_LIST: readonly number[] = Object.freeze([
  80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354,
]);
export const TCP_RANGE: readonly number[] = Object.freeze([9350, 9351, 9352, 9353, 9354]);

/** A firewall rule set: accept the selected ranges on `open`, reject or drop the rest. */
export function firewall(
  open: readonly number[],
  closed: { readonly ports: readonly number[]; readonly verdict: 'reject' | 'drop' } = {
    ports: [],
    verdict: 'reject',
  },
): Json {
  return {
    defaultPolicy: 'reject',
    rules: [
      ...(closed.ports.length === 0
        ? []
        : [
            {
              name: `${closed.verdict}-${closed.ports.join('-')}`,
              verdict: closed.verdict,
              destination: 'any',
              ports: closed.ports.map(String),
            },
          ]),
      { name: 'guide-ports', verdict: 'accept', destination: 'any', ports: open.map(String) },
    ],
  };
}

/** A firewall that refuses every port (PORT-007's blocked network, a total outage). */
export const BLOCK_ALL = Object.freeze({
  defaultPolicy: 'reject' as const,
  rules: [{ name: 'block-all', verdict: 'reject' as const, destination: 'any', ports: 'any' }],
});

export interface NetDial {
  readonly host?: string;
  readonly address: string;
  readonly port: number;
  readonly verdict: string;
}

/** One world-side event (Service Bus, Hybrid Connections, tenant) recorded for a case. */
export type WorldEvent = ChannelEvent;

export interface RelayWorld {
  readonly world: World;
  /**
   * The stage when this is an external-relay run (`relaycheck run --relay external`): the relay
   * is someone else's, already running; it is not started, stopped or read from inside.
   */
  readonly stage: Stage | undefined;
  /**
   * The target when this is an Azure run (`relaycheck run --target azure`): the namespaces are
   * the target's, the world holds only the back office and the tenant driver, and there is no
   * network model (netEvents stays empty) and no simulator hook.
   */
  readonly target: Target | undefined;
  /** Settlements, dead letters, tenant sessions and HC listeners seen so far, in order. */
  readonly worldEvents: readonly WorldEvent[];
  /** Resolves with the first world event (already seen or future) matching `match`. */
  waitForWorld(match: (e: WorldEvent) => boolean, what: string): Promise<WorldEvent>;
  /**
   * Resolves when the external relay of a stage run is connected to this world: its handshake
   * session live at the tenant, a receiver on the requests queue and a listener on each Hybrid
   * Connection path.
   */
  externalLive(): Promise<void>;
  readonly dir: string;
  /** The relay config the world wrote, with this case's changes applied. */
  readonly relayConfig: Json;
  readonly relayConfigPath: string;
  /** Every firewall decision of the network model (sim:net:*), in order. */
  readonly netEvents: { readonly channel: string; readonly data: Json }[];
  /** Starts a relay child on `relayConfigPath` (or another config file). */
  startRelay(configPath?: string): RelayChild;
  /** Writes a variant of the relay config (e.g. other keys) and returns its path. */
  writeRelayConfig(name: string, change: (c: Json) => void): string;
  health(relay: RelayChild): Promise<HealthSnapshot>;
  /** Resolves when the relay's session is live (an event, not a poll). */
  live(relay: RelayChild): Promise<void>;
  /**
   * The relay a case drives, connected: the reference relay started on the world's relay.json
   * and live; in an external-relay run none is started (undefined) once the external relay is
   * connected to this world. A case reads the relay's own events only when it gets a child.
   */
  relayUnderTest(): Promise<RelayChild | undefined>;
}

/** Deep-merges `patch` into `target` (objects only; arrays and values replace). */
export function merge(target: Json, patch: Json): void {
  for (const [k, v] of Object.entries(patch)) {
    const cur = target[k];
    if (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof cur === 'object' &&
      cur !== null &&
      !Array.isArray(cur)
    ) {
      merge(cur as Json, v as Json);
    } else {
      target[k] = v;
    }
  }
}

/** Faster probing than production, so cases end soon; the bounds are config, not sleeps. */
export const CASE_TIMINGS: Json = {
  connectivity: {
    probeTimeoutMs: 1500,
    reprobeIntervalMs: 60_000,
    reconnectDelaysMs: [0, 500, 1000, 2000],
    reconnectJitter: 0.2,
  },
};

export async function startRelayWorld(
  t: tap.Test,
  options: { readonly world?: Json; readonly relay?: Json } = {},
): Promise<RelayWorld> {
  const stage = currentStage();
  const target = currentTarget();
  if (stage !== undefined && target !== undefined) {
    throw new Error('an external relay against an Azure target is not supported');
  }
  const dir =
    stage === undefined ? mkdtempSync(join(tmpdir(), 'relaycheck-relay-case-')) : stage.worldDir;
  if (stage !== undefined) {
    if (options.relay !== undefined) {
      throw new Error('this case changes the relay config: it needs the reference relay');
    }
    // The file shares of the previous world of the run: each world starts with empty ones.
    rmSync(join(dir, 'backoffice'), { recursive: true, force: true });
  }
  if (target !== undefined && options.world !== undefined) {
    throw new Error('this case changes the simulated world: it runs against the simulator only');
  }
  const netEvents: { channel: string; data: Json }[] = [];
  const netChannels = ['sim:net:dial', 'sim:net:firewall', 'sim:net:dns-answer'];
  const netSubs = netChannels.map((channel) => {
    const fn = (m: unknown): void => {
      netEvents.push({ channel, data: m as Json });
    };
    diagnostics.subscribe(channel, fn);
    return { channel, fn };
  });
  const worldLog = channelLog(
    ['sim:sb:settled', 'sim:sb:deadlettered', ...RELAY_CONNECTION_CHANNELS],
    'the world',
  );
  const seed = 42;
  let world: World;
  let path: string | undefined;
  if (target !== undefined) {
    const azure = await startAzureWorld(target, seed, dir);
    world = azure.world;
    path = azure.relayFilePath;
  } else {
    const config = parseWorldConfig(
      {
        seed,
        ...(stage === undefined ? {} : stageWorldConfig(stage, seed)),
        ...(options.world ?? {}),
      },
      stage === undefined
        ? {
            rootManageKey: randomBytes(32).toString('base64'),
            relayKey: randomBytes(32).toString('base64'),
            tenantKey: randomBytes(32).toString('base64'),
            handshakeKey: randomBytes(32),
          }
        : stageKeys(stage),
    );
    world = await startWorld(config, {
      dir,
      ...(stage === undefined ? {} : { ca: stageCa(stage) }),
    });
    path = world.relayFilePath;
  }
  t.teardown(async () => {
    await world.close();
    for (const s of netSubs) diagnostics.unsubscribe(s.channel, s.fn);
    worldLog.close();
    if (stage === undefined) rmSync(dir, { recursive: true, force: true });
  });
  const waitForWorld = (match: (e: WorldEvent) => boolean, what: string): Promise<WorldEvent> =>
    worldLog.waitFor(match, what);
  if (path === undefined) throw new Error('the world wrote no relay.json');
  const relayConfig = JSON.parse(readFileSync(path, 'utf8')) as Json;
  merge(relayConfig, CASE_TIMINGS);
  merge(relayConfig, options.relay ?? {});
  const write = (name: string, c: Json): string => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(c, null, 2), { mode: 0o600 });
    return p;
  };
  const relayConfigPath = write('relay-case.json', relayConfig);
  const hcPaths = (relayConfig.hybrid as { paths?: string[] } | undefined)?.paths ?? [];
  const externalLive = async (): Promise<void> => {
    if (stage === undefined) throw new Error('externalLive: this is not an external-relay run');
    await relayConnected(worldLog, relayConnectionChecks(hcPaths));
  };
  // NODE_EXTRA_CA_CERTS as the relay command would set it from tls.caFile: the child is then
  // the relay process itself (no re-run), so its pid is the one PORT-011 inspects.
  const startRelay = (configPath = relayConfigPath): RelayChild => {
    if (stage !== undefined) {
      throw new Error('an external-relay run starts no relay: this case needs the reference relay');
    }
    return startRelayChild(
      t,
      configPath,
      world.caPath === undefined ? {} : { NODE_EXTRA_CA_CERTS: world.caPath },
    );
  };
  return {
    world,
    stage,
    target,
    worldEvents: worldLog.events,
    waitForWorld,
    externalLive,
    dir,
    relayConfig,
    relayConfigPath,
    netEvents,
    startRelay,
    writeRelayConfig: (name, change) => {
      const copy = JSON.parse(JSON.stringify(relayConfig)) as Json;
      change(copy);
      return write(name, copy);
    },
    health: async (relay) => {
      const url = await relay.healthUrl;
      const res = await fetch(`${url}/healthz`);
      return (await res.json()) as HealthSnapshot;
    },
    live: async (relay) => {
      await relay.waitFor(isEvent('relay:session', { state: 'live' }), 'a live session');
    },
    relayUnderTest: async () => {
      if (stage !== undefined) {
        await externalLive();
        return undefined;
      }
      const relay = startRelay(relayConfigPath);
      await relay.waitFor(isEvent('relay:session', { state: 'live' }), 'a live session');
      return relay;
    },
  };
}

/** The logical ports of every connection the network model saw (accepted or not). */
export function dialledPorts(netEvents: RelayWorld['netEvents']): number[] {
  const ports = new Set<number>();
  for (const e of netEvents) {
    const port = e.data.port;
    if (e.channel === 'sim:net:dial' && typeof port === 'number') ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}
