// Runs one scenario: the simulated world and the reference relay (a child process, as a user
// runs it), the workload from the tenant's side, the timeline's actions at their times, then the
// expectations once everything has settled. In: a Scenario, the variant (full or fast), the
// speed, the seed, optionally a deliberate defect for the relay (./defects.js), a callback for
// each notable timeline entry. Out: a ScenarioRun record (plan digest, timeline, verdicts,
// tallies); everything started is stopped and removed, whatever happens. IO edge.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseWorldConfig,
  startWorld,
  type World,
  type WorldKeys,
} from '../../../simulator/src/world';
import { defaultNamespaceConfig } from '../../../simulator/src/cloud/servicebus';
import { isEvent, startRelayChild, type RelayChild, type RelayEvent } from '../../lib/relay-child';
import { merge, type Json } from '../../lib/relay-world';
import { effectsOf, tempFiles } from '../../delivery/lib/effects-ledger';
import { runAction, rulesAsInput, type ActionContext, type KeyRing } from './actions';
import { faultLibJs } from './defects-list';
import { ScenarioError } from './errors';
import { check, type DeadLetter, type ObservedEvent, type Verdict } from './expect';
import { scaleDurations, scaleMs, speedFactor, type Speed } from './scale';
import type { Broker, Scenario, StreamKind, Variant } from './schema';
import { canMount, mountShare, type ShareMount } from './share';
import { Timeline, type Lane, type TimelineEntry } from './timeline';
import {
  outgoing,
  planRun,
  send,
  sequenceDigest,
  type Answer,
  type PlanItem,
  type PlannedAction,
  type PlannedSend,
} from './workload';

/** Longest wall wait for a relay to print its ready line or to go live at the start. */
const START_BOUND_MS = 90_000;
/** Longest wall wait for a stopped relay to exit before it is killed. */
const STOP_BOUND_MS = 30_000;
/** The least wall time a run waits to settle, whatever the speed. */
const SETTLE_FLOOR_MS = 30_000;
/** The most events a run keeps for its expectations. */
const EVENT_BOUND = 200_000;

/** The simulator's channels a run records (for expectations and the timeline). */
export const WORLD_CHANNELS: readonly string[] = Object.freeze([
  'sim:sb:deadlettered',
  'sim:sb:lock-lost',
  'sim:sb:lock-expired',
  'sim:sb:lock-renewed',
  'sim:sb:settled',
  'sim:sb:connection',
  'sim:sb:attach',
  'sim:sb:detach',
  'sim:sb:disposition',
  'sim:sb:cbs',
  'sim:sb:dropped',
  'sim:bo:fault',
  'sim:bo:request',
  'sim:bo:file-written',
  'sim:hc:listener-connected',
  'sim:hc:listener-closed',
  'sim:hc:token',
  'sim:hc:timeout',
  'sim:net:fault',
  'sim:net:firewall',
  'sim:net:dns-change',
  'sim:net:reset',
  'sim:tenant:session',
  'sim:tenant:key',
  'sim:tenant:hello',
]);

export type Variation = 'full' | 'fast';

export interface RunOptions {
  readonly variant: Variation;
  readonly speed: Speed;
  /** Default: the scenario's own seed. */
  readonly seed?: number;
  /** A deliberate defect of the relay (suites/fault/lib/defects.js). */
  readonly defect?: string;
  /** Each notable timeline entry as it happens (the live timeline). */
  readonly onEntry?: (e: TimelineEntry) => void;
}

export interface ScenarioTallies {
  readonly sent: number;
  readonly answered: number;
  readonly failed: number;
  readonly deadLettered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly relayStarts: number;
  /** Times the relay lost its Service Bus connection or a Hybrid Connection control channel. */
  readonly reconnects: number;
}

export interface ScenarioRun {
  readonly scenario: {
    readonly name: string;
    readonly case: string;
    readonly title: string;
    readonly symptom: string;
    readonly description: string;
  };
  readonly variant: Variation;
  readonly speed: string;
  readonly factor: number;
  readonly seed: number;
  readonly defect: string | null;
  /** The planned sequence: the same seed gives the same items and digest. */
  readonly sequence: { readonly digest: string; readonly sends: number; readonly actions: number };
  readonly timeline: readonly TimelineEntry[];
  readonly timelineDropped: number;
  readonly verdicts: readonly Verdict[];
  readonly outcome: 'pass' | 'fail';
  /** False when the run's settle bound ended it before the broker and the tenant were quiet. */
  readonly settled: boolean;
  readonly startedAt: string;
  readonly wallMs: number;
  /** The run's length in scenario time. */
  readonly scenarioMs: number;
  readonly tallies: ScenarioTallies;
}

/** A field of an event as text ('' when absent; JSON for anything but a plain value). */
function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Where a relay event goes on the timeline, and whether it is printed live. */
function relayEntry(e: RelayEvent): { lane: Lane; what: string; notable: boolean } | undefined {
  const d = e.data;
  const s = (k: string): string => text(d[k]);
  switch (e.channel) {
    case 'relay:session':
      return {
        lane: 'connection',
        what: `session ${s('state')}${d.code === undefined ? '' : ` (${s('code')})`}`,
        notable: true,
      };
    case 'relay:state':
      return { lane: 'connection', what: `relay ${s('state')}`, notable: true };
    case 'relay:connectivity:mode':
      return {
        lane: 'connection',
        what: `mode ${s('previous')} → ${s('mode')}: ${s('reason')}`,
        notable: true,
      };
    case 'relay:egress:dial':
      return d.verdict === 'allowed'
        ? undefined
        : {
            lane: 'connection',
            what: `dial refused ${s('host')}:${s('port')} (${s('code')})`,
            notable: true,
          };
    case 'relay:hc:connected':
    case 'relay:hc:closed':
    case 'relay:hc:refused':
    case 'relay:hc:ping-timeout':
    case 'relay:hc:token-renewed':
      return {
        lane: 'connection',
        what: `hc ${s('listener')} ${e.channel.slice('relay:hc:'.length)}${d.code === undefined ? '' : ` (${s('code')})`}`,
        notable: e.channel !== 'relay:hc:token-renewed',
      };
    case 'relay:work':
      return {
        lane: 'delivery',
        what: `${s('outcome')} ${s('messageId')}${d.code === undefined ? '' : ` (${s('code')})`}`,
        notable: d.outcome !== 'completed',
      };
    case 'relay:backoffice:breaker':
      return { lane: 'delivery', what: `breaker ${s('service')} ${s('state')}`, notable: true };
    default:
      return undefined;
  }
}

function worldEntry(
  channel: string,
  d: Readonly<Record<string, unknown>>,
): { lane: Lane; what: string; notable: boolean } | undefined {
  const s = (k: string): string => text(d[k]);
  switch (channel) {
    case 'sim:sb:deadlettered':
      return {
        lane: 'delivery',
        what: `dead-lettered ${s('messageId')} (${s('reason')})`,
        notable: true,
      };
    case 'sim:sb:lock-lost':
    case 'sim:sb:lock-expired':
      return {
        lane: 'delivery',
        what: `${channel.slice('sim:sb:'.length)} ${s('messageId')}`,
        notable: true,
      };
    case 'sim:net:dns-change':
      return { lane: 'world', what: `dns ${s('name')}: ${s('from')} → ${s('to')}`, notable: false };
    case 'sim:net:reset':
      return { lane: 'world', what: `connection reset ${s('host')}:${s('port')}`, notable: false };
    case 'sim:bo:fault':
      return { lane: 'world', what: `back office ${s('service')}: ${s('action')}`, notable: false };
    case 'sim:hc:listener-connected':
    case 'sim:hc:listener-closed':
      return {
        lane: 'world',
        what: `azure relay: listener ${s('path')} ${channel.slice('sim:hc:listener-'.length)}${d.code === undefined ? '' : ` (${s('code')})`}`,
        notable: true,
      };
    case 'sim:tenant:session':
      return { lane: 'connection', what: `tenant: session ${s('state')}`, notable: false };
    default:
      return undefined;
  }
}

/** The relay config the world wrote, with the scenario's (scaled) patch. */
function relayConfigFor(world: World, variant: Variant, factor: number): Json {
  const path = world.relayFilePath;
  if (path === undefined) throw new Error('the world wrote no relay.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Json;
  merge(config, scaleDurations(variant.relay as Json, factor));
  return config;
}

/**
 * The world's default Service Bus namespace with the scenario's requests queue (lock duration,
 * max delivery count); below Azure's 5 s lock (an accelerated run) the limits are relaxed.
 */
function namespaceWith(keys: WorldKeys, broker: Broker): Json {
  const ns = JSON.parse(JSON.stringify(defaultNamespaceConfig(keys, 'council-42'))) as Json;
  delete ns.host;
  delete ns.maxMessageSizeBytes;
  const requests = (ns.queues as Json[]).find((q) => q.name === 'requests');
  if (requests === undefined) throw new Error('the default namespace has no requests queue');
  if (broker.lockDurationMs !== undefined) requests.lockDurationMs = broker.lockDurationMs;
  if (broker.maxDeliveryCount !== undefined) requests.maxDeliveryCount = broker.maxDeliveryCount;
  if ((broker.lockDurationMs ?? 60_000) < 5000) ns.relaxedLimits = true;
  return ns;
}

/** An address for `dns: move outside`: in the service-tag file, outside the relay's selection. */
function outsideFinder(): (host: 'servicebus' | 'relay') => string {
  // AzureCloud.uksouth (4.158.0.0/15) is published for UK South but is not a ServiceBus range:
  // a relay that allows ServiceBus.UKSouth/UKWest only must refuse it.
  return (host) => (host === 'servicebus' ? '4.158.0.10' : '4.158.0.11');
}

/** Runs `scenario`; never leaves a process, a mount or a folder behind. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioRun> {
  const variant = options.variant === 'fast' ? scenario.fast : scenario.full;
  const factor = speedFactor(options.speed, scenario.maxSpeed);
  const seed = options.seed ?? scenario.seed;
  if (scenario.needs.includes('root') && !canMount()) {
    throw new ScenarioError(
      'SCENARIO_E_SETUP',
      `${scenario.name} needs root (it mounts a small file system for the share)`,
      { name: scenario.name },
    );
  }
  const plan = planRun(variant, seed);
  const digest = sequenceDigest(plan, seed);
  const startedAt = new Date().toISOString();
  const wall0 = performance.now();
  const cleanups: (() => unknown)[] = [];
  const subs: { channel: string; fn: (m: unknown) => void }[] = [];
  const dir = mkdtempSync(join(tmpdir(), `relaycheck-scenario-${scenario.name}-`));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const timeline = new Timeline(factor, () => performance.now(), options.onEntry);
  const events: ObservedEvent[] = [];
  let eventsDropped = 0;
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  const record = (source: 'relay' | 'world', channel: string, data: Record<string, unknown>) => {
    if (events.length < EVENT_BOUND) events.push({ t: timeline.now(), source, channel, data });
    else eventsDropped += 1;
    poke();
  };
  try {
    let share: ShareMount | undefined;
    const usesShare = variant.timeline.some((s) => s.action === 'share');
    if (usesShare) {
      share = await mountShare(join(dir, 'backoffice', 'shares'));
      const mounted = share;
      cleanups.push(() => mounted.unmount());
    }
    const handshakeKey = randomBytes(32);
    const keys0 = {
      rootManageKey: randomBytes(32).toString('base64'),
      relayKey: randomBytes(32).toString('base64'),
      tenantKey: randomBytes(32).toString('base64'),
      handshakeKey,
    };
    const worldInput = scaleDurations(variant.world, factor) as Json;
    const broker = scaleDurations(variant.broker, factor);
    if (
      worldInput.serviceBus === undefined &&
      (broker.lockDurationMs !== undefined || broker.maxDeliveryCount !== undefined)
    ) {
      worldInput.serviceBus = namespaceWith(keys0, broker);
    }
    const config = parseWorldConfig({ seed, ...worldInput }, keys0);
    for (const channel of WORLD_CHANNELS) {
      const fn = (m: unknown): void => {
        const data = (m ?? {}) as Record<string, unknown>;
        record('world', channel, data);
        const entry = worldEntry(channel, data);
        if (entry !== undefined)
          timeline.add(entry.lane, entry.what, { source: channel, notable: entry.notable });
      };
      diagnostics.subscribe(channel, fn);
      subs.push({ channel, fn });
    }
    const world = await startWorld(config, { dir });
    cleanups.push(() => world.close());
    const tenant = world.tenant;
    if (tenant === undefined) throw new Error('the world has no tenant');
    const tenantId = config.tenant?.id ?? '';
    const keys: KeyRing = {
      keys: [{ kid: config.tenant?.keys[0]?.kid ?? 'k1', secret: handshakeKey, retired: false }],
    };

    // The relay under test: one child at a time; its events all go to one record.
    const baseConfig = relayConfigFor(world, variant, factor);
    const writeConfig = (name: string, c: Json): string => {
      const p = join(dir, name);
      writeFileSync(p, JSON.stringify(c, null, 2), { mode: 0o600 });
      return p;
    };
    const basePath = writeConfig('relay-scenario.json', baseConfig);
    const owner = { teardown: (fn: () => unknown) => cleanups.push(fn) };
    let relay: RelayChild | undefined;
    let relayStarts = 0;
    let relayLog = '';
    const startRelay = async (o: {
      readonly clockOffsetMs: number;
      readonly keys: 'unchanged' | 'current' | 'retired-only';
      readonly wait?: 'ready' | 'session';
    }): Promise<string> => {
      let path = basePath;
      if (o.keys !== 'unchanged') {
        const chosen = keys.keys
          .filter((k) => (o.keys === 'current' ? !k.retired : k.retired))
          .reverse();
        if (chosen.length === 0) throw new Error(`no ${o.keys} tenant keys to start a relay with`);
        const c = JSON.parse(JSON.stringify(baseConfig)) as Json;
        c.tenant = {
          id: tenantId,
          keys: chosen
            .slice(0, 2)
            .map((k) => ({ kid: k.kid, secret: k.secret.toString('base64') })),
        };
        path = writeConfig(`relay-scenario-${String(relayStarts + 1)}.json`, c);
      }
      const n = ++relayStarts;
      const env: Record<string, string> = {};
      if (world.caPath !== undefined) env.NODE_EXTRA_CA_CERTS = world.caPath;
      if (o.clockOffsetMs !== 0) env.RELAYCHECK_CLOCK_OFFSET_MS = String(o.clockOffsetMs);
      if (options.defect !== undefined) env.RELAYCHECK_DEFECT = options.defect;
      // Each module of the relay from dist/ when its compiled file is fresh (bin/dist-first.js),
      // not only when all of dist/ is: a relay restarted ten times in a run starts in a second
      // or two instead of transpiling every source again each time.
      const preloads = [distFirstJs()];
      if (o.clockOffsetMs !== 0 || options.defect !== undefined) {
        preloads.push(faultLibJs('relay-preload.js'));
      }
      env.NODE_OPTIONS = [process.env.NODE_OPTIONS ?? '', ...preloads.map((p) => `--require ${p}`)]
        .join(' ')
        .trim();
      const child = startRelayChild(owner, path, env, (e) => {
        record('relay', e.channel, { ...e.data, relay: n });
        const entry = relayEntry(e);
        if (entry !== undefined) {
          timeline.add(entry.lane, entry.what, {
            source: `relay #${String(n)}`,
            notable: entry.notable,
          });
        }
      });
      relay = child;
      void child.exited.then(({ code, signal }) => {
        relayLog += child.stderr();
        timeline.add('connection', `relay #${String(n)} exited (${String(code ?? signal)})`, {
          source: `relay #${String(n)}`,
        });
        poke();
      });
      await bounded(child.healthUrl, START_BOUND_MS, `relay #${String(n)} to start`);
      let outcome = '';
      if (o.wait === 'session') {
        const settledStates = ['live', 'rejected', 'failed', 'expired'];
        const e = await bounded(
          child.waitFor(
            (x) => x.channel === 'relay:session' && settledStates.includes(String(x.data.state)),
            'a handshake outcome',
          ),
          START_BOUND_MS,
          `relay #${String(n)}'s first handshake outcome`,
        );
        outcome = `; session ${String(e.data.state)}`;
      }
      const skew =
        o.clockOffsetMs === 0
          ? ''
          : ` with its clock ${o.clockOffsetMs > 0 ? '+' : ''}${String(o.clockOffsetMs / 1000)}s`;
      const defect = options.defect === undefined ? '' : ` (defect ${options.defect})`;
      return `relay #${String(n)} started (pid ${String(child.pid)})${skew}${defect}${outcome}`;
    };
    const stopRelay = async (signal: 'kill' | 'term' | 'none'): Promise<string> => {
      const r = relay;
      if (signal === 'none' || r === undefined) return '';
      if (r.process.exitCode !== null || r.process.signalCode !== null) return 'relay already gone';
      const n = relayStarts;
      if (signal === 'kill') {
        await r.kill();
        return `relay #${String(n)} killed (SIGKILL)`;
      }
      const exit = await Promise.race([
        r.stop(),
        new Promise<undefined>((resolve) => {
          setTimeout(() => {
            resolve(undefined);
          }, STOP_BOUND_MS).unref();
        }),
      ]);
      if (exit === undefined) {
        await r.kill();
        return `relay #${String(n)} did not stop within ${String(STOP_BOUND_MS / 1000)}s of SIGTERM: killed`;
      }
      return `relay #${String(n)} stopped (SIGTERM, exit ${String(exit.code ?? exit.signal)})`;
    };

    const first = await startRelay({ clockOffsetMs: 0, keys: 'unchanged' });
    const firstRelay: RelayChild | undefined = relay;
    if (firstRelay === undefined) throw new Error('no relay started');
    await bounded(
      firstRelay.waitFor(isEvent('relay:session', { state: 'live' }), 'a live session'),
      START_BOUND_MS,
      'the relay to go live',
    );
    timeline.start();
    timeline.add('action', `${first}; live`, { data: { digest } });

    const ctx: ActionContext = {
      world,
      factor,
      relay: { stop: stopRelay, start: startRelay },
      keys,
      share,
      startRules: rulesAsInput(world),
      outsideAddress: outsideFinder(),
      hosts: {
        servicebus: world.serviceBus?.host ?? '',
        relay: world.hybrid?.host ?? '',
      },
    };

    // The plan: sends go out at their time (not awaited); actions run one at a time, in order.
    const answers = new Map<string, Answer>();
    const pending: Promise<void>[] = [];
    const stepTimes = new Map<string, number>();
    const sends: PlannedSend[] = [];
    const streamOf = (s: PlannedSend) => {
      const st = variant.workload[s.stream];
      if (st === undefined) throw new Error(`no stream ${String(s.stream)}`);
      return st;
    };
    const runSend = (s: PlannedSend): void => {
      sends.push(s);
      const out = outgoing(s, streamOf(s), world);
      const timeoutMs = scaleMs(streamOf(s).timeout, factor);
      timeline.add('workload', `send ${s.id}`, { notable: false });
      pending.push(
        send(tenant, out, timeoutMs, () => performance.now()).then((a) => {
          answers.set(a.id, a);
          if (!a.ok) {
            timeline.add(
              'workload',
              `request ${a.id} failed: ${a.status === undefined ? '' : `${String(a.status)} `}${(a.detail ?? '').slice(0, 120)}`,
            );
          }
          poke();
        }),
      );
    };
    const runPlannedAction = async (a: PlannedAction): Promise<void> => {
      const t = timeline.now();
      if (a.name !== undefined && !stepTimes.has(a.name)) stepTimes.set(a.name, t);
      try {
        const what = await runAction(a.action, a.args as never, ctx);
        timeline.add('action', `${what}${a.note === undefined ? '' : ` — ${a.note}`}`, {
          data: { step: a.step, repeat: a.repeat, planned: a.t },
        });
      } catch (e) {
        timeline.add('action', `${a.action} FAILED: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
    };
    await executePlan(
      plan,
      factor,
      runSend,
      runPlannedAction,
      (a) => variant.timeline[a.step]?.background === true,
    );
    const lastPlanned = plan.at(-1)?.t ?? 0;
    timeline.add('check', 'workload sent and timeline done; waiting for the run to settle', {
      notable: true,
    });

    // Settle: every request answered (or given up) and the requests queue quiet.
    const sbKinds: readonly StreamKind[] = ['lookups', 'posts', 'drops', 'poison'];
    const usesSb = sends.some((s) => sbKinds.includes(s.kind));
    const quiet = (): boolean => {
      if (answers.size < sends.length) return false;
      if (!usesSb) return true;
      const row = world.serviceBus?.engine.listEntities().find((e) => e.path === 'requests');
      return row !== undefined && row.active + row.locked + row.scheduled === 0;
    };
    const settled = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        waiters.delete(onPoke);
        clearTimeout(timer);
        resolve(ok);
      };
      const onPoke = (): void => {
        if (quiet()) done(true);
      };
      // A bound on giving up, never a timing check: at least SETTLE_FLOOR_MS of wall time, so a
      // loaded machine does not end an accelerated run before the broker could finish.
      const timer = setTimeout(
        () => {
          done(false);
        },
        Math.max(scaleMs(variant.settle, factor), SETTLE_FLOOR_MS),
      );
      waiters.add(onPoke);
      onPoke();
    });
    timeline.add(
      'check',
      settled
        ? 'settled'
        : `did not settle within ${String(variant.settle / 1000)}s (scenario time)`,
    );
    await Promise.race([
      Promise.all(pending),
      new Promise((resolve) => setTimeout(resolve, 1000).unref()),
    ]);

    // What the far ends hold.
    const planned = sends.flatMap((s) => {
      const p = outgoing(s, streamOf(s), world).planned;
      return p === undefined ? [] : [p];
    });
    const effects = await effectsOf(world, planned);
    const folders = (world.backOffice?.files.formTypes() ?? []).map((f) => f.path);
    const temps = await tempFiles(folders);
    // Every message the requests queue dead-lettered over the run, from the broker's events:
    // the tenant driver reads (and completes) its dead-letter queue, which may be empty by now.
    const field = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const deadLetters: DeadLetter[] = events.flatMap((e) => {
      const messageId = field(e.data.messageId);
      return e.source === 'world' &&
        e.channel === 'sim:sb:deadlettered' &&
        e.data.entity === 'requests' &&
        messageId !== undefined
        ? [{ messageId, reason: field(e.data.reason), description: field(e.data.description) }]
        : [];
    });
    // The relay's log so far (the live one's and every earlier one's).
    const liveLog = relay?.process.exitCode === null ? relay.stderr() : '';
    const verdicts = check(variant.expect, {
      events,
      sends,
      answers,
      effects,
      deadLetters,
      tempFiles: temps,
      stepTimes,
      relayLog: relayLog + liveLog,
    });
    for (const v of verdicts) {
      timeline.add('check', `${v.pass ? 'PASS' : 'FAIL'} ${v.what}: ${v.observed}`);
    }
    const reconnects = events.filter(
      (e) =>
        e.source === 'relay' &&
        ((e.channel === 'relay:state' && e.data.state === 'transport-lost') ||
          e.channel === 'relay:hc:closed'),
    ).length;
    const failed = sends.filter((s) => answers.get(s.id)?.ok !== true).length;
    return {
      scenario: {
        name: scenario.name,
        case: scenario.case,
        title: scenario.title,
        symptom: scenario.symptom,
        description: scenario.description,
      },
      variant: options.variant,
      speed: String(options.speed),
      factor,
      seed,
      defect: options.defect ?? null,
      sequence: {
        digest,
        sends: plan.filter((p) => p.type === 'send').length,
        actions: plan.filter((p) => p.type === 'action').length,
      },
      timeline: [...timeline.entries],
      timelineDropped: [...timeline.dropped.values()].reduce((a, b) => a + b, 0) + eventsDropped,
      verdicts,
      outcome: verdicts.every((v) => v.pass) ? 'pass' : 'fail',
      settled,
      startedAt,
      wallMs: Math.round(performance.now() - wall0),
      scenarioMs: Math.max(lastPlanned, timeline.now()),
      tallies: {
        sent: sends.length,
        answered: sends.length - failed,
        failed,
        deadLettered: deadLetters.length,
        lost: effects.lost.length,
        duplicated: effects.duplicated.length,
        relayStarts,
        reconnects,
      },
    };
  } finally {
    for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // Each cleanup runs whatever an earlier one did.
      }
    }
  }
}

/** bin/dist-first.js, found from the sources or from dist/ by walking up to the repository. */
function distFirstJs(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'bin', 'dist-first.js');
    if (existsSync(candidate)) return candidate;
    dir = join(dir, '..');
  }
  throw new Error('bin/dist-first.js is missing');
}

/** Resolves with `p`, or rejects after `ms` saying what was awaited. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no ${what} within ${String(ms / 1000)} s`));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * Carries out the plan against the wall clock: item i at scaled time t_i after the start. Sends
 * go out without waiting; an action waits for the one before it (a late action runs at once),
 * and the sends after it wait for it too, unless it runs in the background (`background`).
 */
async function executePlan(
  plan: readonly PlanItem[],
  factor: number,
  runSend: (s: PlannedSend) => void,
  runPlannedAction: (a: PlannedAction) => Promise<void>,
  inBackground: (a: PlannedAction) => boolean = () => false,
): Promise<void> {
  const t0 = performance.now();
  const until = (scenarioMs: number): Promise<void> => {
    const wait = t0 + scenarioMs / factor - performance.now();
    return wait <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
  };
  // The actions in order, one at a time; a failure surfaces at the next await of the chain.
  let actions: Promise<void> = Promise.resolve();
  for (const item of plan) {
    await until(item.t);
    if (item.type === 'send') {
      runSend(item);
      continue;
    }
    const next = actions.then(() => runPlannedAction(item));
    actions = next;
    if (!inBackground(item)) await next;
    else next.catch(() => undefined); // awaited (and thrown) with the chain below
  }
  await actions;
}
