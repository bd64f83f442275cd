// `relaycheck sim hybrid`: the simulated Azure Relay Hybrid Connections endpoint, standalone.
// In: an optional namespace config file (JSON), listener ports, a CA output path, a token
// lifetime. Out: for each Hybrid Connection, the listener URI and the sender URL with a
// token for each, the CA file and the control API URL on stdout (text or one JSON line);
// then it serves until SIGINT or SIGTERM and closes cleanly.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { HybridSimulator } from '../../../simulator/src/cloud/hybrid';
import { loadJsonConfig, untilStopped } from '../config-file';
import type { Io } from '../main';
import { integer } from '../parse';

interface SimHybridOpts {
  config?: string;
  httpsPort: number;
  tcpPort: number;
  plainPort: number;
  controlPort: number;
  caOut?: string;
  tokenHours: number;
  json?: boolean;
}

/** Per Hybrid Connection: where a listener connects and where a sender sends, with tokens. */
export interface HybridConnectionView {
  readonly path: string;
  readonly requiresClientAuthorization: boolean;
  readonly listenUri: string;
  readonly listenToken: string;
  readonly sendUrl: string;
  readonly sendToken: string | null;
  /** The same endpoint on the logical port 9352 (the tcp connectivity mode). */
  readonly listenUriTcp: string | null;
  /** The development listener (no TLS), for peers such as hyco-https. */
  readonly listenUriPlain: string | null;
}

/** The tokens are signed with the namespace's rules; they go to stdout and nowhere else. */
export function describeConnections(
  sim: HybridSimulator,
  tokenSeconds: number,
): HybridConnectionView[] {
  const has = (kind: 'https' | 'tcp' | 'plain'): boolean => sim.listeners[kind] !== undefined;
  const main = has('https') ? 'https' : has('tcp') ? 'tcp' : 'plain';
  return sim.config.hybridConnections.map((hc) => ({
    path: hc.path,
    requiresClientAuthorization: hc.requiresClientAuthorization,
    listenUri: sim.listenerUrl(hc.path, main),
    listenToken: sim.token(hc.path, { right: 'Listen', ttlSeconds: tokenSeconds }),
    sendUrl: sim.senderUrl(hc.path, main),
    sendToken: hc.requiresClientAuthorization
      ? sim.token(hc.path, { right: 'Send', ttlSeconds: tokenSeconds })
      : null,
    listenUriTcp: has('tcp') ? sim.listenerUrl(hc.path, 'tcp') : null,
    listenUriPlain: has('plain') ? sim.listenerUrl(hc.path, 'plain') : null,
  }));
}

function describeText(
  sim: HybridSimulator,
  views: readonly HybridConnectionView[],
  ms: number,
  tokenHours: number,
): string {
  const lines = [
    `Azure Relay namespace ${sim.config.namespace} (logical host ${sim.host}) ready in ${ms.toFixed(0)} ms`,
    '',
  ];
  const { https, tcp, plain } = sim.listeners;
  if (https !== undefined) lines.push(`TLS (logical 443) on ${https.host}:${https.port}`);
  if (tcp !== undefined) lines.push(`TLS (logical 9352, tcp mode) on ${tcp.host}:${tcp.port}`);
  if (plain !== undefined) {
    lines.push(`plain HTTP/ws (development only) on ${plain.host}:${plain.port}`);
  }
  lines.push('', `Hybrid Connections (tokens valid ${tokenHours} h):`);
  for (const v of views) {
    lines.push(
      '',
      `  ${v.path}`,
      `    listener  ${v.listenUri}`,
      `              ServiceBusAuthorization: ${v.listenToken}`,
    );
    if (v.listenUriTcp !== null) lines.push(`              (port 9352: ${v.listenUriTcp})`);
    if (v.listenUriPlain !== null) lines.push(`              (development: ${v.listenUriPlain})`);
    lines.push(`    sender    ${v.sendUrl}`);
    lines.push(
      v.sendToken === null
        ? '              no token needed (requiresClientAuthorization is off)'
        : `              ServiceBusAuthorization: ${v.sendToken}`,
    );
  }
  if (sim.caPath !== undefined) {
    lines.push(
      '',
      `CA certificate: ${sim.caPath}  (curl --cacert ${sim.caPath}; Node: NODE_EXTRA_CA_CERTS=${sim.caPath})`,
    );
  }
  if (sim.control !== undefined) {
    lines.push(
      `control API: ${sim.control.url}  (GET /hybrid-connections, /listeners; POST /listeners/close)`,
    );
  }
  lines.push('', 'Press Ctrl+C to stop.');
  return lines.join('\n') + '\n';
}

function newKey(): string {
  return randomBytes(32).toString('base64');
}

export function registerSimHybrid(sim: Command, io: Io): void {
  sim
    .command('hybrid')
    .description('the Azure Relay Hybrid Connections endpoint (TLS on 443 and 9352) on loopback')
    .option('--config <file>', 'namespace config (JSON); default: a council namespace, new keys')
    .option(
      '--https-port <n>',
      'port of the TLS listener for logical 443 (0: any)',
      integer(0, 65535),
      0,
    )
    .option(
      '--tcp-port <n>',
      'port of the TLS listener for logical 9352 (0: any)',
      integer(0, 65535),
      0,
    )
    .option(
      '--plain-port <n>',
      'port of the plain development listener (0: any)',
      integer(0, 65535),
      0,
    )
    .option('--control-port <n>', 'port of the control API (0: any)', integer(0, 65535), 0)
    .option('--ca-out <file>', 'where to write the CA certificate (PEM)')
    .option(
      '--token-hours <n>',
      'lifetime of the printed tokens in hours',
      integer(1, 24 * 365),
      24,
    )
    .option('--json', 'print one JSON line with the endpoints and tokens instead of text')
    .addHelpText(
      'after',
      '\nThe tokens are signed with the namespace keys: they are printed here and nowhere else.\n' +
        '\nExamples:\n  $ relaycheck sim hybrid\n' +
        '  $ relaycheck sim hybrid --config relay.json --https-port 8443 --json\n',
    )
    .action(async (opts: SimHybridOpts) => {
      const started = performance.now();
      // Loaded here, not at the top: each simulator's process holds only its own modules.
      const { parseHybridConfig, SimHybridError, startHybridSimulator } =
        await import('../../../simulator/src/cloud/hybrid');
      const { defaultHybridConfig } = await import('../../../simulator/src/cloud/hybrid/defaults');
      const input =
        opts.config !== undefined
          ? await loadJsonConfig(
              opts.config,
              (message) => new SimHybridError('SIM_E_HC_CONFIG', message, { path: opts.config }),
            )
          : defaultHybridConfig({
              rootManageKey: newKey(),
              relayKey: newKey(),
              tenantKey: newKey(),
            });
      const config = parseHybridConfig(input);
      const simulator = await startHybridSimulator(config, {
        listeners: {
          https: { port: opts.httpsPort },
          tcp: { port: opts.tcpPort },
          plain: { port: opts.plainPort },
        },
        control: { port: opts.controlPort },
        ...(opts.caOut !== undefined ? { caPath: opts.caOut } : {}),
      });
      const ms = performance.now() - started;
      const views = describeConnections(simulator, opts.tokenHours * 3600);
      if (opts.json === true) {
        io.out(
          JSON.stringify({
            namespace: simulator.config.namespace,
            host: simulator.host,
            readyMs: Math.round(ms),
            pid: process.pid,
            listeners: simulator.listeners,
            hybridConnections: views,
            caPath: simulator.caPath ?? null,
            control: simulator.control?.url ?? null,
          }) + '\n',
        );
      } else {
        io.out(describeText(simulator, views, ms, opts.tokenHours));
      }
      await untilStopped();
      await simulator.close();
    });
}
