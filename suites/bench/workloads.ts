// `relaycheck bench --profile <name>` (also `bench relay`): the reference relay under the
// council's workloads on a hardware profile. In: a profile (fixtures/profiles), workloads
// (fixtures/workloads, workload-kinds.ts), how many times each runs, and the backend that
// confines the relay. Out: per workload the steps of offered and achieved rates (msg/s and MB/s)
// with latency p50/p95/p99 end to end (tenant send to sealed answer), errors, the relay's RSS
// growth, a zero-loss check, the baselines at the same offered rates (the back-office service
// straight, no relay; Microsoft's hyco-https listener doing the retrievals, confined alike) and
// the relay/baseline ratios, the issue's targets beside the figures; for the whole run what the
// relay used (peak memory, CPU time, throttling, OOM kills from its cgroup; its VmHWM), the
// profile's exact limits, and Azure's own ceilings. The figures of a workload are those of its
// median run. The simulator, back office and tenant (the load generator) run in this process,
// pinned to the cores the relay does not get. A benchmark, never a test: nothing passes or
// fails on time.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { World } from '../../simulator/src/world';
import { compiledIsFresh, startBenchWorld, type BenchWorld } from './bench-world';
import { REPO_ROOT } from '../lib/scan';
import type { CgroupReadings } from './confine';
import type { DockerEngine } from './docker-engine';
import { BenchError } from './errors';
import { steppedLoad, type StepResult } from './load';
import { median, resetPeak, statusKiB } from './measure';
import {
  describeLimits,
  loadProfile,
  planLimits,
  thisMachine,
  type HardwareProfile,
  type Limits,
  type Machine,
} from './profile';
import { startConfinedProcess, type RelayBackend, type RelayProcess } from './relay-process';
import {
  directDriver,
  loadWorkload,
  relayDriver,
  type Driver,
  type Workload,
  type ZeroLoss,
} from './workload-kinds';

export { workloadNames, loadWorkload, type Workload } from './workload-kinds';

const BIN = join(REPO_ROOT, 'bin', 'relaycheck.js');
/** Bound on the wait for the hyco-https child to listen (ts-node at 1 GHz is slow to start). */
const HYCO_READY_MS = 120_000;

/** Azure's own ceilings, printed beside the figures (docs/protocol: Service Bus quotas). */
export const AZURE_CEILINGS = Object.freeze([
  Object.freeze({ name: 'Service Bus Standard namespace', value: 1000, unit: 'messages/s' }),
  Object.freeze({ name: 'Service Bus Premium, per messaging unit', value: 4, unit: 'MB/s' }),
]);

/** The whole run's targets on min-spec (issue 9): relay peak RSS and never killed. */
export const RELAY_PEAK_TARGET_MIB = 128;

export type Step = StepResult & { readonly mbPerSecond: number };

export interface Baseline {
  readonly name: 'direct' | 'hyco-https';
  readonly description: string;
  readonly steps: readonly Step[];
  /** The first few errors of its steps. */
  readonly errorSamples: readonly string[];
  readonly sustainedPerSecond: number;
  /** The workload's sustained rate through the relay / this one's. */
  readonly ratio: number | undefined;
}

/** One figure against the target the issue sets for it. */
export interface TargetLine {
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  /** Undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

export interface WorkloadResult {
  readonly workload: string;
  readonly description: string;
  readonly kind: Workload['kind'];
  /** Mean bytes of one request body (posts, drops) or one answer (retrievals). */
  readonly unitBytes: number;
  /** The steps of the median run through the relay. */
  readonly steps: readonly Step[];
  /** The best achieved rate of an unsaturated step (the sustained throughput); median of runs. */
  readonly sustainedPerSecond: number;
  readonly sustainedMBPerSecond: number;
  /** Lowest and highest sustained rate of the runs. */
  readonly sustainedRange: readonly [number, number];
  readonly runs: number;
  readonly baselines: readonly Baseline[];
  /** Every run's requests together; undefined when the relay died before the check. */
  readonly zeroLoss: ZeroLoss | undefined;
  /** The relay's peak RSS growth over its RSS before the workload (median of runs), MiB. */
  readonly rssGrowthMiB: number | undefined;
  /** The relay's CPU time per answered request (median of runs), ms. */
  readonly cpuMsPerRequest: number | undefined;
  readonly targets: readonly TargetLine[];
  readonly errorSamples: readonly string[];
}

export interface RelayLoadResult {
  readonly profile: HardwareProfile;
  readonly machine: Machine;
  readonly limits: Limits;
  readonly limitsText: string;
  readonly backend: RelayBackend;
  /** The relay ran the compiled dist/ (else ts-node: slower to start, more memory). */
  readonly compiled: boolean;
  readonly notes: readonly string[];
  readonly repeats: number;
  readonly ceilings: typeof AZURE_CEILINGS;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly workloads: readonly WorkloadResult[];
  readonly relay: CgroupReadings & {
    readonly vmHwmMiB: number | undefined;
    readonly killed: boolean;
  };
  /** The whole run's targets (relay peak memory, never killed). */
  readonly targets: readonly TargetLine[];
}

export type BackendChoice = 'cgroup' | 'container';

export interface RelayLoadOptions {
  readonly profile: string;
  readonly workloads: readonly string[];
  /** Overrides each workload's step length (the smoke run: a second). */
  readonly stepSeconds?: number;
  /** Only the first N rates of each workload (the smoke run). */
  readonly maxSteps?: number;
  /** Runs of each workload through the relay (figures: the median run); default 3. */
  readonly repeats?: number;
  /** Each workload straight to the back office, once (default true). */
  readonly direct?: boolean;
  /** The retrievals through Microsoft's hyco-https listener, as often as the relay (default true). */
  readonly hyco?: boolean;
  /** What confines the relay: cgroups of ours (default) or a container. */
  readonly backend?: BackendChoice;
  /** The engine of the container backend (found by the caller, who stops it); default: found here. */
  readonly engine?: DockerEngine;
  readonly onProgress?: (line: string) => void;
}

/** Pins this process (the simulator and load generator) to the cores the relay does not get. */
function pinSelf(limits: Limits, machine: Machine): string | undefined {
  if (limits.cpuList === undefined) return undefined;
  const relayFirst = Number(limits.cpuList.split('-')[0]);
  if (!Number.isInteger(relayFirst) || relayFirst === 0) return undefined;
  const list = relayFirst === 1 ? '0' : `0-${String(relayFirst - 1)}`;
  const r = spawnSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], {
    stdio: 'ignore',
  });
  return r.status === 0 && machine.cpus > 1 ? list : undefined;
}

function sustainedOf(steps: readonly StepResult[]): number {
  return Math.max(0, ...steps.filter((s) => !s.saturated).map((s) => s.achievedPerSecond));
}

/** The step the sustained rate came from (the best unsaturated one). */
export function sustainedStep<S extends StepResult>(steps: readonly S[]): S | undefined {
  let best: S | undefined;
  for (const s of steps) {
    if (!s.saturated && (best === undefined || s.achievedPerSecond > best.achievedPerSecond)) {
      best = s;
    }
  }
  return best;
}

interface Run {
  readonly steps: readonly StepResult[];
  readonly sustained: number;
  readonly unitBytes: number;
}

/** One pass of stepped load through a driver. */
async function drive(
  label: string,
  w: Workload,
  driver: Driver,
  options: RelayLoadOptions,
): Promise<Run> {
  const rates = options.maxSteps === undefined ? w.rates : w.rates.slice(0, options.maxSteps);
  const steps = await steppedLoad({
    rates,
    stepMs: (options.stepSeconds ?? w.stepSeconds) * 1000,
    maxInFlight: w.maxInFlight,
    send: (i) => driver.send(i),
    afterStep: () => driver.afterStep(),
    onStep: (s) => {
      options.onProgress?.(
        `${label}: offered ${fr(s.offeredPerSecond)}/s → ${fr(s.achievedPerSecond)}/s, ` +
          `p99 ${s.p99Ms.toFixed(1)} ms${s.saturated ? ' (saturated)' : ''}`,
      );
    },
  });
  return { steps, sustained: sustainedOf(steps), unitBytes: driver.unitBytes() };
}

/** The median run by sustained rate (the lower middle of an even count). */
function medianRun<R extends { readonly sustained: number }>(runs: readonly R[]): R | undefined {
  const sorted = [...runs].sort((a, b) => a.sustained - b.sustained);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const withMB = (steps: readonly StepResult[], unitBytes: number): Step[] =>
  steps.map((s) => ({ ...s, mbPerSecond: (s.achievedPerSecond * unitBytes) / 1e6 }));

const f0 = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-GB') : '—';
const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '—');
/** A rate: two decimals below 10/s (0.25/s stays 0.25). */
const fr = (v: number): string => (Number.isFinite(v) ? v.toFixed(Math.abs(v) < 10 ? 2 : 1) : '—');

/** The issue's targets of a workload beside what was measured. */
export function workloadTargets(
  w: Workload,
  r: {
    readonly steps: readonly Step[];
    readonly sustainedPerSecond: number;
    readonly sustainedMBPerSecond: number;
    readonly zeroLoss: ZeroLoss | undefined;
    readonly rssGrowthMiB: number | undefined;
  },
): TargetLine[] {
  const lines: TargetLine[] = [];
  const t = w.targets;
  if (t.sustainedPerSecond !== undefined) {
    lines.push({
      what: `${w.name}: sustained rate`,
      target: `≥ ${f0(t.sustainedPerSecond)}/s`,
      measured: `${f0(r.sustainedPerSecond)}/s`,
      met: r.sustainedPerSecond >= t.sustainedPerSecond,
    });
  }
  if (t.sustainedMBPerSecond !== undefined) {
    lines.push({
      what: `${w.name}: sustained MB/s`,
      target: `≥ ${f1(t.sustainedMBPerSecond)} MB/s`,
      measured: `${f1(r.sustainedMBPerSecond)} MB/s`,
      met: r.sustainedMBPerSecond >= t.sustainedMBPerSecond,
    });
  }
  if (t.p99Ms !== undefined) {
    const at = sustainedStep(r.steps);
    lines.push({
      what: `${w.name}: p99 latency at the sustained rate`,
      target: `≤ ${f0(t.p99Ms)} ms`,
      measured:
        at === undefined
          ? 'no unsaturated step'
          : `${f1(at.p99Ms)} ms at ${f0(at.offeredPerSecond)}/s`,
      met: at === undefined ? false : at.p99Ms <= t.p99Ms,
    });
  }
  if (t.rssGrowthMiB !== undefined) {
    lines.push({
      what: `${w.name}: relay peak RSS growth`,
      target: `≤ ${f0(t.rssGrowthMiB)} MiB`,
      measured: r.rssGrowthMiB === undefined ? 'not measured' : `${f1(r.rssGrowthMiB)} MiB`,
      met: r.rssGrowthMiB === undefined ? undefined : r.rssGrowthMiB <= t.rssGrowthMiB,
    });
  }
  lines.push({
    what: `${w.name}: zero loss`,
    target: 'every accepted request delivered exactly once',
    measured:
      r.zeroLoss === undefined
        ? 'not checked'
        : `${String(r.zeroLoss.answered)} answered, ${String(r.zeroLoss.missing)} missing, ${String(r.zeroLoss.duplicated)} duplicated, ${String(r.zeroLoss.deadLettered)} dead-lettered`,
    met:
      r.zeroLoss === undefined
        ? undefined
        : r.zeroLoss.missing === 0 && r.zeroLoss.duplicated === 0,
  });
  return lines;
}

/** Starts the relay in the chosen backend and waits until it says it is healthy. */
async function startRelay(
  bench: BenchWorld,
  limits: Limits,
  engine: DockerEngine | undefined,
): Promise<RelayProcess> {
  const args = [BIN, 'relay', '--config', bench.relayConfigPath];
  let relay: RelayProcess;
  if (engine !== undefined) {
    const c = await import('./container');
    // The repository is mounted read-only by default; the world's folder read-write.
    relay = await c.startContainerRelay({
      engine,
      limits,
      args,
      env: bench.relayEnv,
      binds: [bench.dir],
    });
  } else {
    relay = startConfinedProcess({ limits, command: process.execPath, args, env: bench.relayEnv });
  }
  try {
    await bench.waitHealthy(() => relay.alive());
  } catch (e) {
    await relay.stop();
    throw new BenchError(
      'BENCH_E_RELAY',
      `the relay did not become healthy: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return relay;
}

/** Microsoft's hyco-https listener on `connection`, confined like the relay; resolves when listening. */
async function startHyco(
  world: World,
  connection: string,
  limits: Limits,
  env: NodeJS.ProcessEnv,
): Promise<RelayProcess> {
  const hybrid = world.hybrid;
  const bo = world.backOffice;
  if (hybrid === undefined || bo === undefined) throw new Error('the world has no hybrid');
  const compiled = join(REPO_ROOT, 'dist', 'suites', 'bench', 'hyco-listener.js');
  // Through -e: a .ts main module would go through a test runner's ESM hooks and fail.
  const entry =
    compiledIsFresh() && existsSync(compiled)
      ? `require(${JSON.stringify(compiled)}).main()`
      : `require('ts-node/register/transpile-only');require(${JSON.stringify(join(__dirname, 'hyco-listener.ts'))}).main()`;
  const args = ['-e', entry];
  const p = startConfinedProcess({
    limits,
    command: process.execPath,
    args,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ...env,
      HYCO_URI: hybrid.listenerUrl(connection, 'https'),
      HYCO_TOKEN: hybrid.token(connection, { right: 'Listen', ttlSeconds: 24 * 3600 }),
      HYCO_PATH: connection,
      HYCO_TARGET: bo.url(connection === 'documents' ? 'documents' : 'council-tax'),
      NODE_NO_WARNINGS: '1',
      // Not a test runner's loaders (tap's would take the .ts entry as ESM).
      NODE_OPTIONS: '',
    },
  });
  const { stdout, stderr } = p.child;
  if (stdout === null || stderr === null) throw new Error('no pipes to the hyco-https child');
  let errors = '';
  stderr.on('data', (c: Buffer) => {
    errors = (errors + c.toString('utf8')).slice(-2000);
  });
  const listening = await new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: stdout });
    const timer = setTimeout(() => {
      resolve(false);
    }, HYCO_READY_MS);
    lines.on('line', (line) => {
      if (line.includes('LISTENING')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    p.child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!listening) {
    const alive = p.alive();
    await p.stop();
    throw new BenchError(
      'BENCH_E_RELAY',
      `the hyco-https listener ${alive ? `did not listen within ${String(HYCO_READY_MS / 1000)} s` : 'exited'}` +
        (errors.trim() === '' ? '' : `: ${errors.trim()}`),
    );
  }
  return p;
}

/** The retrieval straight through the Hybrid Connection's sender front (unsealed: hyco-https). */
function hycoDriver(world: World, w: Workload): Driver {
  const hybrid = world.hybrid;
  const bo = world.backOffice;
  if (hybrid === undefined || bo === undefined || w.kind !== 'retrieve') {
    throw new Error('hyco-https runs the retrievals only');
  }
  const refs = bo.data.councilTax.references;
  const token = hybrid.token(w.route, { right: 'Send', ttlSeconds: 24 * 3600 });
  const base = hybrid.senderUrl(w.route, 'plain');
  let bytes = 0;
  let count = 0;
  return {
    send: async (i) => {
      const ref = refs[i % refs.length] ?? '';
      const res = await fetch(`${base}${w.path.replace(/\{ref\}/g, ref)}`, {
        headers: { ServiceBusAuthorization: token },
      });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`status ${String(res.status)}`);
      bytes += body.byteLength;
      count += 1;
    },
    afterStep: () => Promise.resolve(),
    unitBytes: () => (count === 0 ? 0 : bytes / count),
    check: () => Promise.resolve(undefined),
  };
}

interface RelayRun extends Run {
  readonly zeroLoss: ZeroLoss | undefined;
  readonly rssGrowthMiB: number | undefined;
  /** The relay's peak RSS during this run (VmHWM after the reset before it), MiB. */
  readonly peakRssMiB: number | undefined;
  /** The relay's CPU time (its cgroup's) per answered request in this run, ms. */
  readonly cpuMsPerRequest: number | undefined;
  readonly errorSamples: readonly string[];
}

async function relayRun(
  world: World,
  w: Workload,
  relay: RelayProcess,
  label: string,
  options: RelayLoadOptions,
): Promise<RelayRun> {
  world.backOffice?.journal.clear();
  const pid = relay.pid;
  const base = pid === undefined ? NaN : statusKiB(pid, 'VmRSS');
  const canReset = pid !== undefined && resetPeak(pid);
  const driver = relayDriver(world, w, randomBytes(3).toString('hex'));
  const cpuBefore = relay.readings().cpuNs;
  const run = await drive(label, w, driver, options);
  const cpuAfter = relay.readings().cpuNs;
  const answered = run.steps.reduce((a, x) => a + x.answered, 0);
  const hwm = canReset && relay.alive() ? statusKiB(pid, 'VmHWM') : NaN;
  const zeroLoss = relay.alive() ? await driver.check() : undefined;
  return {
    ...run,
    zeroLoss,
    rssGrowthMiB: Number.isFinite(hwm - base) ? (hwm - base) / 1024 : undefined,
    peakRssMiB: Number.isFinite(hwm) ? hwm / 1024 : undefined,
    cpuMsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || answered === 0
        ? undefined
        : (cpuAfter - cpuBefore) / 1e6 / answered,
    errorSamples: run.steps.flatMap((s) => s.errorSamples).slice(0, 3),
  };
}

export async function runRelayLoad(options: RelayLoadOptions): Promise<RelayLoadResult> {
  const startedAt = new Date().toISOString();
  const profile = loadProfile(options.profile);
  const workloads = options.workloads.map((n) => loadWorkload(n));
  const repeats = options.repeats ?? 3;
  const backendChoice = options.backend ?? 'cgroup';
  const machine = thisMachine();
  const limits = planLimits(profile, machine);
  const pinned = pinSelf(limits, machine);
  // One engine per run (testcontainers holds one per process), stopped at the end.
  let engine: DockerEngine | undefined = options.engine;
  const ownEngine = engine === undefined;
  if (backendChoice === 'container' && engine === undefined) {
    const e = await import('./docker-engine');
    const found = await e.findOrStartEngine();
    if (found.engine === undefined) throw new BenchError('BENCH_E_ENGINE', found.reason);
    engine = found.engine;
  }
  let bench: BenchWorld;
  try {
    bench = await startBenchWorld('relaycheck-bench-load-');
  } catch (e) {
    if (ownEngine) await engine?.stop();
    throw e;
  }
  const world = bench.world;
  const notes: string[] = [...(engine?.notes ?? [])];
  let relay: RelayProcess | undefined;
  try {
    relay = await startRelay(bench, limits, engine);
    const backend = relay.backend;
    notes.push(...relay.notes);
    const runs = new Map<string, RelayRun[]>(workloads.map((w) => [w.name, []]));
    for (let r = 0; r < repeats && relay.alive(); r++) {
      for (const w of workloads) {
        if (!relay.alive()) break;
        const label = repeats > 1 ? `${w.name} (run ${String(r + 1)}/${String(repeats)})` : w.name;
        runs.get(w.name)?.push(await relayRun(world, w, relay, label, options));
      }
    }
    const killed = !relay.alive();
    if (killed) notes.push('the relay DIED during the run: the later workloads did not run');
    const vmHwm = relay.pid === undefined || killed ? NaN : statusKiB(relay.pid, 'VmHWM');
    const readings = relay.readings();
    await relay.stop();
    relay = undefined;

    // The baselines: the back office straight (once), then hyco-https with the relay stopped.
    const direct = new Map<string, Run>();
    if (options.direct !== false) {
      for (const w of workloads) {
        const d = directDriver(world, w, randomBytes(3).toString('hex'));
        direct.set(w.name, await drive(`${w.name} direct`, w, d, options));
      }
    }
    const hyco = new Map<string, Run[]>();
    if (options.hyco !== false && engine !== undefined) {
      notes.push('the hyco-https baseline runs in cgroups of ours, not in a container');
    }
    if (options.hyco !== false) {
      for (const w of workloads) {
        // The small retrievals only: hyco-https 1.4.5 answers 200 KB bills through rendezvous,
        // and about half of those came back 504 from the endpoint in a check run (not a baseline).
        if (w.kind !== 'retrieve' || w.route !== 'council-tax') continue;
        let listener: RelayProcess;
        try {
          listener = await startHyco(world, w.route, limits, bench.relayEnv);
        } catch (e) {
          // The relay's figures are already measured: a baseline that cannot start loses none.
          notes.push(
            `the hyco-https baseline of ${w.name} did not run: ${e instanceof Error ? e.message : String(e)}`,
          );
          continue;
        }
        try {
          const list: Run[] = [];
          for (let r = 0; r < repeats && listener.alive(); r++) {
            list.push(await drive(`${w.name} hyco-https`, w, hycoDriver(world, w), options));
          }
          hyco.set(w.name, list);
        } finally {
          await listener.stop();
        }
      }
    }

    const results: WorkloadResult[] = [];
    for (const w of workloads) {
      const list = runs.get(w.name) ?? [];
      const mid = medianRun(list);
      if (mid === undefined) continue;
      const sustained = median(list.map((x) => x.sustained));
      const unitBytes = mid.unitBytes;
      const steps = withMB(mid.steps, unitBytes);
      const baselines: Baseline[] = [];
      const d = direct.get(w.name);
      if (d !== undefined) {
        baselines.push({
          name: 'direct',
          description: 'the same requests straight to the back-office service, no relay (one run)',
          steps: withMB(d.steps, d.unitBytes),
          errorSamples: d.steps.flatMap((x) => x.errorSamples).slice(0, 3),
          sustainedPerSecond: d.sustained,
          ratio: d.sustained > 0 ? sustained / d.sustained : undefined,
        });
      }
      const h = hyco.get(w.name) ?? [];
      const hMid = medianRun(h);
      if (hMid !== undefined) {
        const hs = median(h.map((x) => x.sustained));
        baselines.push({
          name: 'hyco-https',
          description:
            'Microsoft’s hyco-https 1.4.5 listener fetching the same answers from the back office, confined alike (no handshake, no sealing, no checks; median run)',
          steps: withMB(hMid.steps, hMid.unitBytes),
          errorSamples: hMid.steps.flatMap((x) => x.errorSamples).slice(0, 3),
          sustainedPerSecond: hs,
          ratio: hs > 0 ? sustained / hs : undefined,
        });
      }
      const losses = list.map((x) => x.zeroLoss);
      const zeroLoss = losses.some((l) => l === undefined)
        ? undefined
        : losses.reduce<ZeroLoss>(
            (a, l) => ({
              answered: a.answered + (l?.answered ?? 0),
              missing: a.missing + (l?.missing ?? 0),
              duplicated: a.duplicated + (l?.duplicated ?? 0),
              deadLettered: a.deadLettered + (l?.deadLettered ?? 0),
            }),
            { answered: 0, missing: 0, duplicated: 0, deadLettered: 0 },
          );
      const growths = list.flatMap((x) => (x.rssGrowthMiB === undefined ? [] : [x.rssGrowthMiB]));
      const rssGrowthMiB = growths.length === 0 ? undefined : median(growths);
      const cpus = list.flatMap((x) =>
        x.cpuMsPerRequest === undefined ? [] : [x.cpuMsPerRequest],
      );
      const cpuMsPerRequest = cpus.length === 0 ? undefined : median(cpus);
      const sustainedMBPerSecond = (sustained * unitBytes) / 1e6;
      const sustainedValues = list.map((x) => x.sustained);
      results.push({
        workload: w.name,
        description: w.description,
        kind: w.kind,
        unitBytes,
        steps,
        sustainedPerSecond: sustained,
        sustainedMBPerSecond,
        sustainedRange: [Math.min(...sustainedValues), Math.max(...sustainedValues)],
        runs: list.length,
        baselines,
        zeroLoss,
        rssGrowthMiB,
        cpuMsPerRequest,
        targets: workloadTargets(w, {
          steps,
          sustainedPerSecond: sustained,
          sustainedMBPerSecond,
          zeroLoss,
          rssGrowthMiB,
        }),
        errorSamples: list.flatMap((x) => x.errorSamples).slice(0, 3),
      });
    }
    const compiled = compiledIsFresh();
    notes.push(
      ...(compiled
        ? []
        : ['the relay ran through ts-node (dist/ missing or stale): run npm run build first']),
      ...(pinned === undefined
        ? ['the simulator and load generator share the relay’s cores']
        : [`the simulator, back office and load generator run on core ${pinned}`]),
      ...(repeats > 1
        ? [
            `each workload ran ${String(repeats)} times through the relay: its figures are the median run’s; the direct baseline ran once`,
          ]
        : []),
    );
    // VmHWM is reset before each workload: the run's peak is the highest of the workloads'.
    const peaks = [...runs.values()]
      .flat()
      .flatMap((x) => (x.peakRssMiB === undefined ? [] : [x.peakRssMiB]));
    if (Number.isFinite(vmHwm)) peaks.push(vmHwm / 1024);
    const vmHwmMiB = peaks.length === 0 ? undefined : Math.max(...peaks);
    return {
      profile,
      machine,
      limits,
      limitsText: describeLimits(limits, machine, profile),
      backend,
      compiled,
      notes,
      repeats,
      ceilings: AZURE_CEILINGS,
      startedAt,
      finishedAt: new Date().toISOString(),
      workloads: results,
      relay: { ...readings, vmHwmMiB, killed },
      targets: [
        {
          // Peak RSS is VmHWM: the cgroup's peak also counts the page cache of the files the
          // relay wrote into the shares (reclaimable, and charged up to the limit).
          what: 'relay peak RSS across the whole run (VmHWM)',
          target: `≤ ${String(RELAY_PEAK_TARGET_MIB)} MiB`,
          measured: vmHwmMiB === undefined ? 'not measured' : `${f1(vmHwmMiB)} MiB`,
          met: vmHwmMiB === undefined ? undefined : vmHwmMiB <= RELAY_PEAK_TARGET_MIB,
        },
        {
          what: 'the relay is never killed by the memory limit',
          target: '0 OOM kills, alive at the end',
          measured: `${readings.oomKills === undefined ? '—' : String(readings.oomKills)} OOM kills, ${killed ? 'DIED' : 'alive at the end'}`,
          met: !killed && (readings.oomKills ?? 0) === 0,
        },
      ],
    };
  } finally {
    await relay?.stop().catch(() => undefined);
    await bench.close();
    if (ownEngine) await engine?.stop();
  }
}

const pct = (r: number | undefined): string => (r === undefined ? '—' : `${(r * 100).toFixed(0)}%`);

/** The result as text: the profile, one table per workload, the summary with the ratios. */
export function renderRelayLoad(r: RelayLoadResult): string {
  const lines = [
    `profile ${r.profile.name}: ${r.profile.description}`,
    `  limits: ${r.limitsText} (backend ${r.backend})`,
    ...r.notes.map((n) => `  note: ${n}`),
    '',
  ];
  for (const w of r.workloads) {
    lines.push(`${w.workload}: ${w.description}`);
    lines.push('  offered/s  achieved/s    MB/s   p50 ms   p95 ms   p99 ms  errors  shed');
    for (const s of w.steps) {
      lines.push(
        `  ${fr(s.offeredPerSecond).padStart(9)}  ${fr(s.achievedPerSecond).padStart(10)}  ${f1(s.mbPerSecond).padStart(6)}  ${f1(s.p50Ms).padStart(7)}  ${f1(s.p95Ms).padStart(7)}  ${f1(s.p99Ms).padStart(7)}  ${String(s.errors).padStart(6)}  ${String(s.shed).padStart(4)}${s.saturated ? '  saturated' : ''}`,
      );
    }
    for (const e of w.errorSamples.slice(0, 2)) lines.push(`  error: ${e.slice(0, 200)}`);
    for (const b of w.baselines) {
      const last = b.steps[b.steps.length - 1];
      lines.push(
        `  ${b.name}: sustained ${fr(b.sustainedPerSecond)}/s` +
          (last?.saturated === false
            ? ` (not saturated at ${fr(last.offeredPerSecond)}/s, the last rate offered)`
            : '') +
          `; relay / ${b.name} ${pct(b.ratio)}`,
      );
      for (const e of b.errorSamples.slice(0, 1))
        lines.push(`    ${b.name} error: ${e.slice(0, 200)}`);
    }
    lines.push(
      `  sustained ${fr(w.sustainedPerSecond)}/s, ${f1(w.sustainedMBPerSecond)} MB/s` +
        (w.runs > 1
          ? ` (median of ${String(w.runs)} runs; ${fr(w.sustainedRange[0])}–${fr(w.sustainedRange[1])}/s)`
          : '') +
        `; relay RSS growth ${w.rssGrowthMiB === undefined ? '—' : `${f1(w.rssGrowthMiB)} MiB`}` +
        `; relay CPU ${w.cpuMsPerRequest === undefined ? '—' : `${w.cpuMsPerRequest.toFixed(2)} ms`} per request`,
    );
    lines.push('');
  }
  const mib = (b: number | undefined): string =>
    b === undefined ? '—' : (b / 1024 / 1024).toFixed(1);
  lines.push(
    `relay: peak memory ${mib(r.relay.memoryPeakBytes)} MiB (cgroup, page cache of written files included), peak RSS (VmHWM) ${r.relay.vmHwmMiB === undefined ? '—' : r.relay.vmHwmMiB.toFixed(1)} MiB, ` +
      `CPU ${r.relay.cpuNs === undefined ? '—' : (r.relay.cpuNs / 1e9).toFixed(1)} s, throttled periods ${String(r.relay.throttledPeriods ?? '—')}, ` +
      `OOM kills ${String(r.relay.oomKills ?? '—')}${r.relay.killed ? ', the relay DIED during the run' : ''}`,
    `Azure's own ceilings: ${r.ceilings.map((c) => `${c.name} ${f0(c.value)} ${c.unit}`).join('; ')}.`,
    '',
    'summary (relay figures: sustained rate of the median run; ratios: relay / baseline)',
    '  workload            sustained/s      MB/s   p99 ms   direct/s  relay/direct  hyco/s  relay/hyco  loss',
  );
  for (const w of r.workloads) {
    const d = w.baselines.find((b) => b.name === 'direct');
    const h = w.baselines.find((b) => b.name === 'hyco-https');
    const at = sustainedStep(w.steps);
    const loss =
      w.zeroLoss === undefined
        ? '—'
        : w.zeroLoss.missing + w.zeroLoss.duplicated === 0
          ? 'none'
          : `${String(w.zeroLoss.missing)} missing, ${String(w.zeroLoss.duplicated)} dup`;
    lines.push(
      `  ${w.workload.padEnd(18)} ${fr(w.sustainedPerSecond).padStart(11)}  ${f1(w.sustainedMBPerSecond).padStart(8)}  ${(at === undefined ? '—' : f1(at.p99Ms)).padStart(7)}  ${(d === undefined ? '—' : fr(d.sustainedPerSecond)).padStart(9)}  ${pct(d?.ratio).padStart(12)}  ${(h === undefined ? '—' : fr(h.sustainedPerSecond)).padStart(6)}  ${pct(h?.ratio).padStart(10)}  ${loss}`,
    );
  }
  lines.push('', 'targets (stated, never pass/fail)');
  for (const t of [...r.workloads.flatMap((w) => w.targets), ...r.targets]) {
    const verdict = t.met === undefined ? 'not measured' : t.met ? 'met' : 'MISSED';
    lines.push(`  ${t.what}: ${t.target}; measured ${t.measured}: ${verdict}`);
  }
  return lines.join('\n') + '\n';
}
