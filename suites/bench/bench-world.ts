// The world a relay benchmark runs the reference relay against (suites/bench/relay.ts and
// workloads.ts): the whole simulated world in this process, with keys made at run time, and the
// relay config it wrote, given a health port of its own and quiet logs. In: nothing. Out: the
// world, its folder, the config file for `relaycheck relay --config`, the health URL, a wait for
// the relay's /healthz to say healthy (bounded), and close() for the world and the folder; and
// whether the relay will run the compiled dist/ (as bin/relaycheck.js decides) or ts-node.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseWorldConfig, startWorld, type World } from '../../simulator/src/world';
import { freePorts } from '../lib/stage';

const ROOT = join(__dirname, '..', '..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** As bin/relaycheck.js decides: the relay runs dist/ when it is newer than every source. */
export function compiledIsFresh(): boolean {
  let built: number;
  try {
    built = statSync(join(ROOT, 'dist', 'bin', 'src', 'main.js')).mtimeMs;
  } catch {
    return false;
  }
  return ['bin/src', 'relay/src', 'simulator/src', 'suites'].every(
    (d) => newestSource(join(ROOT, d)) <= built,
  );
}

/** Requests the back office's journal holds (the zero-loss check reads it). */
const JOURNAL_CAPACITY = 300_000;

/** Bound on the wait for the relay to become healthy. */
const READY_MS = 90_000;

export interface BenchWorld {
  readonly world: World;
  readonly dir: string;
  /** relay config with its own health port (mode 0600). */
  readonly relayConfigPath: string;
  readonly healthUrl: string;
  /** The environment the relay child needs (the world's CA). */
  readonly relayEnv: NodeJS.ProcessEnv;
  /** Resolves when the relay says it is healthy; rejects when `alive` turns false or at 90 s. */
  waitHealthy(alive: () => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchWorld(prefix: string): Promise<BenchWorld> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const world = await startWorld(
    parseWorldConfig(
      // A journal long enough for every request of a workload's steps (the zero-loss check).
      { seed: 7, backOffice: { journal: { capacity: JOURNAL_CAPACITY } } },
      {
        rootManageKey: randomBytes(32).toString('base64'),
        relayKey: randomBytes(32).toString('base64'),
        tenantKey: randomBytes(32).toString('base64'),
        handshakeKey: randomBytes(32),
      },
    ),
    { dir },
  );
  const close = async (): Promise<void> => {
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const path = world.relayFilePath;
    if (path === undefined) throw new Error('the world wrote no relay config');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const { health: port } = await freePorts(['health']);
    config.health = { host: '127.0.0.1', port };
    config.log = { level: 'warn' };
    const relayConfigPath = join(dir, `relay-bench-${randomUUID()}.json`);
    writeFileSync(relayConfigPath, JSON.stringify(config), { mode: 0o600 });
    const healthUrl = `http://127.0.0.1:${String(port)}/healthz`;
    return {
      world,
      dir,
      relayConfigPath,
      healthUrl,
      relayEnv: {
        ...process.env,
        ...(world.caPath === undefined ? {} : { NODE_EXTRA_CA_CERTS: world.caPath }),
      },
      waitHealthy: async (alive) => {
        const deadline = performance.now() + READY_MS;
        while (performance.now() < deadline) {
          if (!alive()) throw new Error('the relay exited before it was healthy');
          try {
            const res = await fetch(healthUrl);
            const body = (await res.json()) as { healthy?: boolean };
            if (body.healthy === true) return;
          } catch {
            // not up yet
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`the relay was not healthy within ${String(READY_MS)} ms`);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
