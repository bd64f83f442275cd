// `relaycheck sim` (sub-command `all`, the default): the whole simulated world from one
// config: the Service Bus namespace, the Azure Relay namespace, the council's back office and
// the network model in front of the Azure side. In: an optional config file (JSON), a seed,
// an output folder. Out: a summary and the relay config (logical hosts, the endpoint map,
// keys, back-office URLs; also written to <out>/relay-config.json, mode 0600) on stdout, or
// one JSON line; then it serves until SIGINT or SIGTERM and closes cleanly.
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { World } from '../../../simulator/src/world';
import { loadJsonConfig, untilStopped } from '../config-file';
import type { Io } from '../main';
import { integer } from '../parse';

interface SimWorldOpts {
  config?: string;
  seed?: number;
  out?: string;
  json?: boolean;
}

function newKey(): string {
  return randomBytes(32).toString('base64');
}

function describeWorld(world: World, ms: number): string {
  const lines = [`simulated world ready in ${ms.toFixed(0)} ms (seed ${world.config.seed})`, ''];
  const r = world.relayConfig();
  if (r.serviceBus !== null) {
    lines.push(
      `Service Bus  ${r.serviceBus.host}  queues ${r.serviceBus.queues.join(', ')}; topics ${r.serviceBus.topics.join(', ')}`,
    );
  }
  if (r.hybrid !== null) {
    lines.push(`Azure Relay  ${r.hybrid.host}  hybrid connections ${r.hybrid.paths.join(', ')}`);
  }
  if (r.network !== null) {
    lines.push('', 'logical endpoints (what the relay dials → loopback):');
    for (const e of r.network.endpoints) {
      lines.push(`  ${e.host} ${e.logicalAddress}:${e.port}  →  ${e.dial.host}:${e.dial.port}`);
    }
  }
  if (r.backOffice !== null) {
    lines.push('', 'back office:');
    for (const [name, url] of Object.entries(r.backOffice))
      lines.push(`  ${name.padEnd(22)} ${url}`);
  }
  lines.push('', 'control APIs:');
  for (const [name, url] of Object.entries(r.control)) lines.push(`  ${name.padEnd(22)} ${url}`);
  if (r.caPath !== null) lines.push('', `CA bundle: ${r.caPath}`);
  lines.push('', `world description (keys included; also in ${world.relayConfigPath}):`);
  lines.push(JSON.stringify(r, null, 2));
  if (world.relayFilePath !== undefined) {
    lines.push(
      '',
      `relay config (keys included, mode 0600): ${world.relayFilePath}`,
      'run a relay against this world in another terminal:',
      `  npx relaycheck relay --config ${world.relayFilePath}`,
    );
  }
  lines.push('', 'Press Ctrl+C to stop.');
  return lines.join('\n') + '\n';
}

export function registerSimWorld(sim: Command, io: Io): void {
  sim
    .command('all', { isDefault: true })
    .description(
      'everything at once (the default): Service Bus, Azure Relay, back office, network model',
    )
    .option('--config <file>', 'simulator config (JSON); default: every part with its defaults')
    .option(
      '--seed <n>',
      'seed of the data sets, addresses and fault rolls',
      integer(0, 0xffffffff),
    )
    .option('--out <dir>', 'where the CA bundle and relay-config.json go', undefined)
    .option('--json', 'print one JSON line (relay config and its path) instead of text')
    .addHelpText(
      'after',
      '\nThe relay config carries keys made for this run: it is printed here and written with\n' +
        'mode 0600, nowhere else.\n' +
        '\nExamples:\n  $ relaycheck sim\n  $ relaycheck sim --config world.json --seed 7 --json\n',
    )
    .action(async (opts: SimWorldOpts) => {
      const started = performance.now();
      // Loaded here, not at the top: the other commands never carry the whole simulator.
      const { parseWorldConfig, SimWorldError, startWorld } =
        await import('../../../simulator/src/world');
      const input =
        opts.config === undefined
          ? {}
          : await loadJsonConfig(
              opts.config,
              (message) => new SimWorldError('SIM_E_WORLD_CONFIG', message, { path: opts.config }),
              'simulator config',
            );
      const withSeed =
        opts.seed === undefined
          ? input
          : { ...(typeof input === 'object' && input !== null ? input : {}), seed: opts.seed };
      const config = parseWorldConfig(withSeed, {
        rootManageKey: newKey(),
        relayKey: newKey(),
        tenantKey: newKey(),
        handshakeKey: randomBytes(32),
      });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const out = resolve(opts.out ?? join('reports', 'sim', stamp));
      const world = await startWorld(config, {
        dir: out,
        ...(opts.config === undefined ? {} : { baseDir: dirname(resolve(opts.config)) }),
      });
      const ms = performance.now() - started;
      if (opts.json === true) {
        io.out(
          JSON.stringify({
            readyMs: Math.round(ms),
            pid: process.pid,
            relayConfigPath: world.relayConfigPath,
            relayFilePath: world.relayFilePath ?? null,
            networkMapPath: world.networkMapPath ?? null,
            relayConfig: world.relayConfig(),
          }) + '\n',
        );
      } else {
        io.out(describeWorld(world, ms));
      }
      await untilStopped();
      await world.close();
    });
}
