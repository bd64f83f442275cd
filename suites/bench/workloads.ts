// `relaycheck bench relay`: the reference relay under the council's workloads on a hardware
// profile. In: a profile (fixtures/profiles) and workloads (fixtures/workloads: XML posts
// through Service Bus, retrievals through the Hybrid Connection), each at stepped offered
// rates. Out: per workload and step, offered and achieved rates (msg/s and MB/s), latency
// p50/p95/p99 end to end (tenant send to sealed answer), errors, what the relay used (peak
// memory, CPU time, throttling, OOM kills from its cgroup; its VmHWM), and a zero-loss check
// against the back office's journal; the same workload straight to the back office without a
// relay (the direct baseline) and the ratio; the profile's exact limits and how applied. The
// simulator, back office and tenant (the load generator) run in this process, pinned to the
// cores the relay does not get. A benchmark, never a test: nothing passes or fails on time.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { World } from '../../simulator/src/world';
import {
  INTAKE_ROUTES,
  type BackOffice,
  type IntakeServiceName,
} from '../../simulator/src/backoffice';
import { compiledIsFresh, startBenchWorld } from './bench-world';
import { jsonNames, loadNamedJson } from './named-json';
import { REPO_ROOT } from '../lib/scan';
import { spawnConfined, type Backend, type CgroupReadings } from './confine';
import { steppedLoad, type StepResult } from './load';
import { statusKiB } from './measure';
import {
  describeLimits,
  loadProfile,
  planLimits,
  thisMachine,
  type HardwareProfile,
  type Limits,
  type Machine,
} from './profile';

export const WORKLOADS_DIR = join(REPO_ROOT, 'fixtures', 'workloads');
const BIN = join(REPO_ROOT, 'bin', 'relaycheck.js');

const workloadSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/),
    description: z.string().min(1),
    kind: z.literal('xml-post'),
    /** The post-xml route (an intake service). */
    route: z.string().min(1),
    bodyBytes: z
      .int()
      .min(100)
      .max(10 * 1024 * 1024),
    rates: z.array(z.number().positive().max(100_000)).min(1),
    stepSeconds: z.number().positive().max(600),
    maxInFlight: z.int().min(1).max(100_000),
  }),
  z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/),
    description: z.string().min(1),
    kind: z.literal('retrieve'),
    /** The Hybrid Connection (and retrieve route) asked. */
    route: z.enum(['council-tax', 'documents']),
    /**
     * The path after the connection; `{ref}` is replaced by a council tax account reference of
     * the world's data set, in turn (e.g. /accounts/{ref}).
     */
    path: z.string().regex(/^\/[\w\-./{}?=&]*$/),
    rates: z.array(z.number().positive().max(100_000)).min(1),
    stepSeconds: z.number().positive().max(600),
    maxInFlight: z.int().min(1).max(100_000),
  }),
]);

export type Workload = z.infer<typeof workloadSchema>;

export function workloadNames(dir = WORKLOADS_DIR): string[] {
  return jsonNames(dir);
}

export function loadWorkload(name: string, dir = WORKLOADS_DIR): Workload {
  return loadNamedJson(dir, name, workloadSchema, 'workload');
}

export interface WorkloadResult {
  readonly workload: string;
  readonly description: string;
  /** Bytes of one request body (posts) or one answer (retrievals). */
  readonly unitBytes: number;
  readonly steps: readonly (StepResult & { readonly mbPerSecond: number })[];
  /** The best achieved rate of an unsaturated step (the sustained throughput). */
  readonly sustainedPerSecond: number;
  /**
   * The same workload from the tenant's side straight to the back-office service, without a
   * relay, at the same offered rates (the relay's overhead is the ratio); undefined when off.
   */
  readonly direct:
    | {
        readonly steps: readonly StepResult[];
        readonly sustainedPerSecond: number;
      }
    | undefined;
  /** sustained through the relay / sustained direct. */
  readonly ratio: number | undefined;
  /** Requests answered, and those the far end saw more or less than once. */
  readonly zeroLoss: {
    readonly answered: number;
    readonly missing: number;
    readonly duplicated: number;
  };
}

export interface RelayLoadResult {
  readonly profile: HardwareProfile;
  readonly machine: Machine;
  readonly limits: Limits;
  readonly limitsText: string;
  readonly backend: Backend;
  /** The relay ran the compiled dist/ (else ts-node: slower to start, more memory). */
  readonly compiled: boolean;
  readonly notes: readonly string[];
  readonly workloads: readonly WorkloadResult[];
  readonly relay: CgroupReadings & {
    readonly vmHwmMiB: number | undefined;
    readonly killed: boolean;
  };
}

export interface RelayLoadOptions {
  readonly profile: string;
  readonly workloads: readonly string[];
  /** Overrides each workload's step length (the smoke run: a fraction of a second). */
  readonly stepSeconds?: number;
  /** Only the first N rates of each workload (the smoke run). */
  readonly maxSteps?: number;
  /** Also run each workload straight to the back office (default true). */
  readonly direct?: boolean;
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

/** An intake document of exactly `bytes` bytes with root `root`. */
function xmlOf(root: string, id: string, bytes: number): Buffer {
  const head = `<${root} xmlns="urn:relaycheck:bench:v1"><Reference>${id}</Reference><Notes>`;
  const tail = `</Notes></${root}>`;
  const pad = Math.max(0, bytes - Buffer.byteLength(head + tail));
  return Buffer.from(head + 'n'.repeat(pad) + tail, 'utf8');
}

/** The workload's request straight to the back-office service (no tenant, no relay). */
function directSender(bo: BackOffice, w: Workload, runTag: string): (i: number) => Promise<void> {
  if (w.kind === 'xml-post') {
    const service = w.route as IntakeServiceName;
    const root = bo.config.intake.roots[service][0] ?? 'Change';
    const url = `${bo.url(service)}/${INTAKE_ROUTES[service].collection}`;
    return async (i) => {
      const id = `direct-${runTag}-${String(i)}`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/xml', 'idempotency-key': id },
        body: xmlOf(root, id, w.bodyBytes),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`status ${String(res.status)}`);
    };
  }
  const refs = bo.data.councilTax.references;
  const base = bo.url(w.route);
  return async (i) => {
    const ref = refs[i % refs.length] ?? '';
    const res = await fetch(`${base}${w.path.replace(/\{ref\}/g, ref)}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`status ${String(res.status)}`);
  };
}

function sustainedOf(steps: readonly StepResult[]): number {
  return Math.max(0, ...steps.filter((s) => !s.saturated).map((s) => s.achievedPerSecond));
}

async function runWorkload(
  world: World,
  w: Workload,
  options: RelayLoadOptions,
): Promise<WorkloadResult> {
  const tenant = world.tenant;
  const bo = world.backOffice;
  if (tenant === undefined || bo === undefined) throw new Error('the world has no tenant');
  const rates = options.maxSteps === undefined ? w.rates : w.rates.slice(0, options.maxSteps);
  const stepMs = (options.stepSeconds ?? w.stepSeconds) * 1000;
  const runTag = randomBytes(3).toString('hex');
  const answeredIds: string[] = [];
  let unitBytes = 0;
  let send: (i: number) => Promise<void>;
  if (w.kind === 'xml-post') {
    const root = bo.config.intake.roots[w.route as 'ctb-intake'][0] ?? 'Change';
    unitBytes = w.bodyBytes;
    send = async (i) => {
      const id = `bench-${runTag}-${String(i)}`;
      const reply = await tenant.sendWork(w.route, xmlOf(root, id, w.bodyBytes), {
        messageId: id,
        contentType: 'application/xml',
        timeoutMs: 120_000,
      });
      if (reply.status !== 201) throw new Error(`status ${String(reply.status)}`);
      answeredIds.push(id);
    };
  } else {
    const refs = bo.data.councilTax.references;
    const route = w.route;
    const path = w.path;
    send = async (i) => {
      const id = `bench-${runTag}-${String(i)}`;
      const ref = refs[i % refs.length] ?? '';
      const reply = await tenant.call(`/${route}${path.replace(/\{ref\}/g, ref)}`, {
        method: 'GET',
        messageId: id,
      });
      if (reply.status !== 200) throw new Error(`status ${String(reply.status)}`);
      unitBytes = reply.body.length;
      answeredIds.push(id);
    };
  }
  const steps = await steppedLoad({
    rates,
    stepMs,
    maxInFlight: w.maxInFlight,
    send,
    onStep: (s) => {
      options.onProgress?.(
        `${w.name}: offered ${String(s.offeredPerSecond)}/s → ${s.achievedPerSecond.toFixed(0)}/s, ` +
          `p99 ${s.p99Ms.toFixed(1)} ms${s.saturated ? ' (saturated)' : ''}`,
      );
    },
  });
  let missing = 0;
  let duplicated = 0;
  for (const id of answeredIds) {
    const n = bo.journal.byIdempotencyKey(id).length;
    if (n === 0) missing += 1;
    if (n > 1) duplicated += 1;
  }
  const sustained = sustainedOf(steps);
  let direct: WorkloadResult['direct'];
  if (options.direct !== false) {
    const directSteps = await steppedLoad({
      rates,
      stepMs,
      maxInFlight: w.maxInFlight,
      send: directSender(bo, w, runTag),
      onStep: (s) => {
        options.onProgress?.(
          `${w.name} direct: offered ${String(s.offeredPerSecond)}/s → ${s.achievedPerSecond.toFixed(0)}/s${s.saturated ? ' (saturated)' : ''}`,
        );
      },
    });
    direct = { steps: directSteps, sustainedPerSecond: sustainedOf(directSteps) };
  }
  return {
    workload: w.name,
    description: w.description,
    unitBytes,
    steps: steps.map((s) => ({ ...s, mbPerSecond: (s.achievedPerSecond * unitBytes) / 1e6 })),
    sustainedPerSecond: sustained,
    direct,
    ratio:
      direct === undefined || direct.sustainedPerSecond === 0
        ? undefined
        : sustained / direct.sustainedPerSecond,
    zeroLoss: { answered: answeredIds.length, missing, duplicated },
  };
}

export async function runRelayLoad(options: RelayLoadOptions): Promise<RelayLoadResult> {
  const profile = loadProfile(options.profile);
  const workloads = options.workloads.map((n) => loadWorkload(n));
  const machine = thisMachine();
  const limits = planLimits(profile, machine);
  const pinned = pinSelf(limits, machine);
  const bench = await startBenchWorld('relaycheck-bench-load-');
  const world = bench.world;
  let confined: ReturnType<typeof spawnConfined> | undefined;
  try {
    confined = spawnConfined(
      limits,
      process.execPath,
      [BIN, 'relay', '--config', bench.relayConfigPath],
      { env: bench.relayEnv, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const child = confined.child;
    await bench.waitHealthy(() => child.exitCode === null);
    const results: WorkloadResult[] = [];
    for (const w of workloads) results.push(await runWorkload(world, w, options));
    const vmHwm = child.pid === undefined ? NaN : statusKiB(child.pid, 'VmHWM');
    const readings = confined.readings();
    const killed = child.exitCode !== null || child.signalCode !== null;
    child.kill('SIGTERM');
    await confined.close();
    const compiled = compiledIsFresh();
    const notes = [
      ...confined.notes,
      ...(compiled
        ? []
        : ['the relay ran through ts-node (dist/ missing or stale): run npm run build first']),
      ...(pinned === undefined
        ? ['the simulator and load generator share the relay’s cores']
        : [`the simulator, back office and load generator run on core ${pinned}`]),
    ];
    return {
      profile,
      machine,
      limits,
      limitsText: describeLimits(limits, machine, profile),
      backend: confined.backend,
      compiled,
      notes,
      workloads: results,
      relay: {
        ...readings,
        vmHwmMiB: Number.isFinite(vmHwm) ? vmHwm / 1024 : undefined,
        killed,
      },
    };
  } finally {
    if (confined?.child.exitCode === null) {
      confined.child.kill('SIGKILL');
      await confined.close().catch(() => undefined);
    }
    await bench.close();
  }
}

const n0 = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-GB') : '—';
const n1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '—');

/** The result as text: the profile, then one table per workload. */
export function renderRelayLoad(r: RelayLoadResult): string {
  const lines = [
    `profile ${r.profile.name}: ${r.profile.description}`,
    `  limits: ${r.limitsText} (backend ${r.backend})`,
    ...r.notes.map((n) => `  note: ${n}`),
    '',
  ];
  for (const w of r.workloads) {
    lines.push(`${w.workload}: ${w.description}`);
    lines.push('  offered/s  achieved/s   MB/s   p50 ms   p95 ms   p99 ms  errors  shed');
    for (const s of w.steps) {
      lines.push(
        `  ${n0(s.offeredPerSecond).padStart(9)}  ${n0(s.achievedPerSecond).padStart(10)}  ${n1(s.mbPerSecond).padStart(5)}  ${n1(s.p50Ms).padStart(7)}  ${n1(s.p95Ms).padStart(7)}  ${n1(s.p99Ms).padStart(7)}  ${String(s.errors).padStart(6)}  ${String(s.shed).padStart(4)}${s.saturated ? '  saturated' : ''}`,
      );
    }
    const firstErrors = w.steps.find((s) => s.errorSamples.length > 0)?.errorSamples ?? [];
    for (const e of firstErrors.slice(0, 2)) lines.push(`  error: ${e.slice(0, 200)}`);
    if (w.direct !== undefined) {
      const last = w.direct.steps[w.direct.steps.length - 1];
      lines.push(
        `  direct to the back office (no relay): sustained ${n0(w.direct.sustainedPerSecond)}/s` +
          (last?.saturated === false
            ? ` (not saturated at ${n0(last.offeredPerSecond)}/s, the last rate offered)`
            : '') +
          `; relay / direct ${w.ratio === undefined ? '—' : `${(w.ratio * 100).toFixed(0)}%`}`,
      );
    }
    lines.push(
      `  sustained ${n0(w.sustainedPerSecond)}/s; zero loss: ${String(w.zeroLoss.answered)} answered, ${String(w.zeroLoss.missing)} missing at the back office, ${String(w.zeroLoss.duplicated)} duplicated`,
      '',
    );
  }
  const mib = (b: number | undefined): string =>
    b === undefined ? '—' : (b / 1024 / 1024).toFixed(1);
  lines.push(
    `relay: peak memory ${mib(r.relay.memoryPeakBytes)} MiB (cgroup), VmHWM ${r.relay.vmHwmMiB === undefined ? '—' : r.relay.vmHwmMiB.toFixed(1)} MiB, ` +
      `CPU ${r.relay.cpuNs === undefined ? '—' : (r.relay.cpuNs / 1e9).toFixed(1)} s, throttled periods ${String(r.relay.throttledPeriods ?? '—')}, ` +
      `OOM kills ${String(r.relay.oomKills ?? '—')}${r.relay.killed ? ', the relay DIED during the run' : ''}`,
    'Azure ceilings for comparison: Standard namespace 1,000 messages/s; Premium about 4 MB/s per messaging unit.',
  );
  return lines.join('\n') + '\n';
}
