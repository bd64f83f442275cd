// The `container` backend of the relay benchmark (suites/bench/container.ts) against a real
// Docker engine: the one DOCKER_HOST names, else a private dockerd this test starts (root, with
// docker.io installed; .ci/run installs and starts one). In: a whole bench world in this
// process, the min-spec limits, the reference relay in a container of the locally built node
// image. Out: checks that the relay becomes healthy and answers one sealed council tax retrieval
// through the tenant; that the engine applied the limits (the container's cgroup: the memory
// limit with no swap, the CFS quota, the cpuset; the engine's HostConfig); that the readings come
// from its cgroup; that stop() leaves no container; and that a private engine, once stopped,
// leaves no docker0 link, no nft table, no IP forwarding change, no cgroup and no folder.
// Skipped, naming the reason, where no engine can be found or started.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startBenchWorld } from '../bench/bench-world';
import { startContainerRelay } from '../bench/container';
import { findOrStartEngine } from '../bench/docker-engine';
import { loadProfile, planLimits, thisMachine } from '../bench/profile';
import { REPO_ROOT } from '../lib/scan';

const BIN = join(REPO_ROOT, 'bin', 'relaycheck.js');

/** This machine's network links' names (`ip -o link`), or undefined without iproute2. */
function links(): string[] | undefined {
  const r = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s*([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** The nft tables there are (`nft list tables`), or undefined without nftables. */
function nftTables(): string[] | undefined {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n').filter(Boolean).sort() : undefined;
}

function ipForward(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  } catch {
    return undefined;
  }
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8').trim();
}

void t.test(
  'runs the relay in a container within min-spec, answering a sealed retrieval, and leaves nothing behind',
  async (t) => {
    const before = { links: links(), nft: nftTables(), ipForward: ipForward() };
    const found = await findOrStartEngine();
    if (found.engine === undefined) {
      // e.g. "no Docker engine: dockerd is not installed (apt-get install docker.io)"
      t.plan(0, found.reason); // a plan of none with a reason: skipped, saying why
      return;
    }
    const engine = found.engine;
    t.teardown(() => engine.stop());
    t.comment(
      `engine: ${found.reason}` +
        (engine.startMs === undefined ? '' : `, started in ${engine.startMs.toFixed(0)} ms`),
    );

    const bench = await startBenchWorld('relaycheck-container-');
    t.teardown(() => bench.close());
    const limits = planLimits(loadProfile('min-spec'), thisMachine());
    const began = performance.now();
    const relay = await startContainerRelay({
      engine,
      limits,
      args: [BIN, 'relay', '--config', bench.relayConfigPath],
      env: bench.relayEnv,
      binds: [bench.dir],
    });
    // Also when an assertion throws first: the container is stopped and removed.
    t.teardown(() => relay.stop());
    await bench.waitHealthy(() => relay.alive());
    const healthyMs = performance.now() - began;
    t.comment(
      `image ${relay.image} ${relay.timings.imageBuilt ? 'built' : 'reused'} in ${relay.timings.imageMs.toFixed(0)} ms; ` +
        `container started in ${relay.timings.startMs.toFixed(0)} ms; healthy ${healthyMs.toFixed(0)} ms after the start call`,
    );
    t.equal(relay.backend, 'container');
    t.ok(relay.alive(), 'the relay runs');

    const { tenant, backOffice } = bench.world;
    const ref = backOffice?.data.councilTax.references[0];
    if (tenant === undefined || ref === undefined) throw new Error('the world has no tenant');
    const reply = await tenant.call(`/council-tax/accounts/${ref}`, { method: 'GET' });
    t.equal(reply.status, 200, 'the council tax account was retrieved through the relay');
    t.ok(reply.sealed, 'the answer came back sealed');

    // The limits, as the kernel holds them for the container's cgroup.
    const cgroups = relay.cgroups;
    t.ok(cgroups, 'the container’s cgroup was found from its init process');
    if (cgroups?.version === 'v1') {
      const [cpu = '', memory = ''] = cgroups.dirs;
      t.match(memory, new RegExp(`/${relay.containerId}$`), 'the container’s own memory cgroup');
      t.equal(read(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes), '512 MiB');
      if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) {
        t.equal(read(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes), 'no swap');
      }
      t.equal(read(cpu, 'cpu.cfs_period_us'), String(limits.periodUs));
      t.equal(read(cpu, 'cpu.cfs_quota_us'), String(limits.quotaUs ?? -1), 'the profile’s quota');
    } else if (cgroups?.version === 'v2') {
      const [dir = ''] = cgroups.dirs;
      t.equal(read(dir, 'memory.max'), String(limits.memoryBytes), '512 MiB');
      t.equal(
        read(dir, 'cpu.max'),
        `${String(limits.quotaUs ?? 'max')} ${String(limits.periodUs)}`,
        'the profile’s quota',
      );
    }
    const inspected = await engine.request(`/containers/${relay.containerId}/json`);
    const host = (
      JSON.parse(inspected.body.toString('utf8')) as {
        HostConfig: {
          Memory: number;
          MemorySwap: number;
          NanoCpus: number;
          CpusetCpus: string;
          NetworkMode: string;
        };
      }
    ).HostConfig;
    t.equal(host.Memory, limits.memoryBytes, '--memory');
    t.equal(host.MemorySwap, limits.memoryBytes, '--memory-swap equal to --memory');
    t.equal(Math.round(host.NanoCpus / 1e4), limits.quotaUs, '--cpus is the profile’s share');
    t.equal(host.CpusetCpus, limits.cpuList ?? '', 'pinned to the profile’s core');
    t.equal(host.NetworkMode, 'host');
    if (relay.pid !== undefined) {
      t.match(readFileSync(`/proc/${String(relay.pid)}/cmdline`, 'utf8'), /relay\0--config\0/);
    }
    const readings = relay.readings();
    t.comment(
      `relay's cgroup: peak ${((readings.memoryPeakBytes ?? 0) / 1024 / 1024).toFixed(1)} MiB, ` +
        `CPU ${((readings.cpuNs ?? 0) / 1e9).toFixed(2)} s, throttled periods ${String(readings.throttledPeriods)}`,
    );
    t.ok((readings.memoryPeakBytes ?? 0) > 0, 'a peak memory from the container’s cgroup');
    t.ok((readings.cpuNs ?? 0) > 0, 'CPU time from the container’s cgroup');
    t.equal(readings.oomKills, 0, 'not killed at its memory limit');

    const stopBegan = performance.now();
    await relay.stop();
    t.comment(`container stopped and removed in ${(performance.now() - stopBegan).toFixed(0)} ms`);
    t.notOk(relay.alive(), 'stopped');
    const gone = await engine.request(`/containers/${relay.containerId}/json`);
    t.equal(gone.status, 404, 'the container is removed');
    // This process's bench containers only (suites/bench/container.ts names them with its PID):
    // another test file may have one of its own running on the same engine meanwhile.
    const filters = {
      label: ['org.relaycheck.role=bench-relay'],
      name: [`relaycheck-relay-${String(process.pid)}-`],
    };
    const left = await engine.request(
      `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`,
    );
    t.same(
      JSON.parse(left.body.toString('utf8')),
      [],
      'no bench container of this run is left on the engine',
    );

    if (engine.ours) {
      const dir = engine.dir ?? '';
      const pid = engine.pid ?? 0;
      const engineStopBegan = performance.now();
      await engine.stop();
      t.comment(`private engine stopped in ${(performance.now() - engineStopBegan).toFixed(0)} ms`);
      t.notOk(existsSync(`/proc/${String(pid)}`), 'our dockerd has exited');
      t.notOk(existsSync(dir), 'its folder is removed');
      // Other suites may make links and tables of their own meanwhile: only dockerd's are looked for.
      const newLinks = (links() ?? []).filter((l) => !(before.links ?? []).includes(l));
      t.same(
        newLinks.filter((l) => /^(docker\d|veth|br-)/.test(l)),
        [],
        'no docker0 (nor veth or bridge) link was added',
      );
      const newTables = (nftTables() ?? []).filter((x) => !(before.nft ?? []).includes(x));
      t.same(
        newTables.filter((x) => /^table ip6? (nat|filter)$/.test(x)),
        [],
        'no nft table of dockerd (ip/ip6 nat or filter) was added',
      );
      t.equal(ipForward(), before.ipForward, 'IP forwarding is as it was');
      const parent = engine.cgroupParent ?? '';
      const cgroupsLeft = readdirSync('/sys/fs/cgroup').filter((h) =>
        existsSync(join('/sys/fs/cgroup', h, parent)),
      );
      t.same(cgroupsLeft, [], 'no cgroup of its containers is left');
    }
  },
);
