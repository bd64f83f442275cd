// A process run inside a hardware profile's limits (suites/bench/confine.ts). In: node children
// started confined — one that reports where it runs and waits, one that allocates past its
// memory limit, one that spins until it has used 0.3 s of CPU — and the approximate fallback.
// Out: checks, from the kernel's own files, that the child is in its cgroup from its first
// instruction, pinned to the profile's core, under the CFS quota (throttled) and the memory limit
// (killed at it, the kill counted), that its cgroups are gone after close(), and that the
// fallback pins it and bounds the V8 heap and says it is approximate. Needs root and cgroups;
// skipped with the reason otherwise.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { detectCgroups, spawnConfined } from '../bench/confine';
import { loadProfile, planLimits, thisMachine, type Limits } from '../bench/profile';

const cg = detectCgroups();
const skip = cg.version === undefined ? `no cgroups to confine with here: ${cg.reason}` : false;

/** The first stdout line of a child, parsed as JSON. */
function firstLine<T>(stream: NodeJS.ReadableStream): Promise<T> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stream });
    rl.once('line', (line) => {
      resolve(JSON.parse(line) as T);
      rl.close();
    });
    rl.once('close', () => {
      reject(new Error('the child ended without a line'));
    });
  });
}

function stdoutOf(child: ChildProcess): NodeJS.ReadableStream {
  if (child.stdout === null) throw new Error('the child has no stdout pipe');
  return child.stdout;
}

// Reports its cgroup membership and affinity, then waits for stdin to close.
const REPORTER = `
const fs = require('node:fs');
const status = fs.readFileSync('/proc/self/status', 'utf8');
process.stdout.write(JSON.stringify({
  cgroup: fs.readFileSync('/proc/self/cgroup', 'utf8'),
  cpus: /Cpus_allowed_list:\\s*(\\S+)/.exec(status)[1],
  nodeOptions: process.env.NODE_OPTIONS ?? '',
}) + '\\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

void t.test(
  'min-spec: its cgroup, its core, its quota and its memory limit',
  { skip },
  async (t) => {
    const machine = thisMachine();
    const limits = planLimits(loadProfile('min-spec'), machine);
    const c = spawnConfined(limits, process.execPath, ['-e', REPORTER], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    // Also when an assertion throws first: the child is stopped and its cgroups removed.
    t.teardown(async () => {
      c.child.kill('SIGKILL');
      await c.close();
    });
    const seen = await firstLine<{ cgroup: string; cpus: string }>(stdoutOf(c.child));
    t.equal(c.backend, cg.version === 'v1' ? 'cgroup-v1' : 'cgroup-v2');
    const name = c.groups[0]?.split('/').pop() ?? '';
    t.match(name, /^relaycheck-\d+-[0-9a-f]{8}$/, 'a group of its own');
    t.ok(
      seen.cgroup.split('\n').some((l) => l.endsWith(`/${name}`)),
      'the child is in it (it joined before exec)',
    );
    t.equal(seen.cpus, limits.cpuList, `pinned to core ${String(limits.cpuList)}`);
    if (cg.version === 'v1') {
      const [cpu = '', memory = ''] = c.groups;
      t.equal(
        readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8').trim(),
        String(limits.quotaUs ?? -1),
      );
      t.equal(readFileSync(join(cpu, 'cpu.cfs_period_us'), 'utf8').trim(), '100000');
      t.equal(
        readFileSync(join(memory, 'memory.limit_in_bytes'), 'utf8').trim(),
        String(512 * 1024 * 1024),
      );
    } else {
      const [group = ''] = c.groups;
      t.equal(
        readFileSync(join(group, 'cpu.max'), 'utf8').trim(),
        `${String(limits.quotaUs ?? 'max')} 100000`,
      );
      t.equal(readFileSync(join(group, 'memory.max'), 'utf8').trim(), String(512 * 1024 * 1024));
    }
    c.child.stdin?.end();
    await c.close();
    for (const g of c.groups) t.notOk(existsSync(g), `${g} is removed`);
  },
);

void t.test(
  'a child that allocates past its memory limit is killed, and the kill counted',
  { skip },
  async (t) => {
    const limits: Limits = {
      profile: 'test',
      cpuList: undefined,
      periodUs: 100_000,
      quotaUs: undefined,
      cpuShare: undefined,
      memoryBytes: 64 * 1024 * 1024,
      notes: [],
    };
    const c = spawnConfined(
      limits,
      process.execPath,
      ['-e', 'const held = []; for (;;) held.push(Buffer.alloc(8 << 20, 1));'],
      { stdio: 'ignore' },
    );
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      c.child.once('exit', (_code, signal) => {
        resolve(signal);
      }),
    );
    const signal = await ended;
    const readings = c.readings();
    await c.close();
    t.equal(signal, 'SIGKILL', 'the kernel killed it');
    t.ok(
      (readings.oomKills ?? 0) >= 1,
      `the kill is counted (oom_kill ${String(readings.oomKills)})`,
    );
    t.ok(
      (readings.memoryPeakBytes ?? Infinity) <= 64 * 1024 * 1024,
      'its peak never passed the limit',
    );
  },
);

void t.test('a child that spins is throttled by the quota', { skip }, async (t) => {
  const limits: Limits = {
    profile: 'test',
    cpuList: undefined,
    periodUs: 100_000,
    quotaUs: 20_000,
    cpuShare: 0.2,
    memoryBytes: undefined,
    notes: [],
  };
  // Spins until it has used 0.3 s of CPU: at 20 ms per 100 ms period that spans many periods.
  const c = spawnConfined(
    limits,
    process.execPath,
    ['-e', 'const s = process.cpuUsage(); while (process.cpuUsage(s).user < 300000) {}'],
    { stdio: 'ignore' },
  );
  await new Promise((resolve) => c.child.once('exit', resolve));
  const readings = c.readings();
  await c.close();
  t.ok(
    (readings.throttledPeriods ?? 0) > 0,
    `throttled in ${String(readings.throttledPeriods)} periods`,
  );
  t.ok((readings.cpuNs ?? 0) >= 300e6, `its CPU time was counted (${String(readings.cpuNs)} ns)`);
});

void t.test('without cgroups: pinned, a V8 heap limit, and said to be approximate', async (t) => {
  const limits = planLimits(loadProfile('min-spec'), { cpus: 2, ghz: 2.7 });
  const c = spawnConfined(limits, process.execPath, ['-e', REPORTER], {
    stdio: ['pipe', 'pipe', 'inherit'],
    force: 'approximate',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  // Also when an assertion throws first: the child is stopped and its cgroups removed.
  t.teardown(async () => {
    c.child.kill('SIGKILL');
    await c.close();
  });
  const seen = await firstLine<{ cpus: string; nodeOptions: string }>(stdoutOf(c.child));
  t.equal(c.backend, 'approximate');
  t.equal(seen.cpus, '1', 'pinned to core 1 by taskset');
  // (tap adds its own --import to a child's NODE_OPTIONS.)
  t.match(seen.nodeOptions, /^"?--max-old-space-size=384\b/, 'a heap limit of 3/4 of 512 MiB');
  t.match(c.notes, [
    /approximate: the approximate backend was asked for, so the CPU share is not enforced and memory is bounded only by a V8 heap limit/,
  ]);
  t.same(c.groups, [], 'no cgroup');
  c.child.stdin?.end();
  await c.close();
});

void t.test('unconstrained: no limit at all', async (t) => {
  const limits = planLimits(loadProfile('unconstrained'), thisMachine());
  const c = spawnConfined(limits, process.execPath, ['-e', ''], { stdio: 'ignore' });
  t.equal(c.backend, 'none');
  await c.close();
  t.equal(c.child.exitCode, 0);
});
