// `relaycheck sim servicebus` (and the `sim` group; `sim hybrid` is in sim-hybrid.ts): the
// simulated Service Bus namespace, standalone. In: an
// optional namespace config file (JSON), listener ports, a CA output path. Out: the
// endpoints, ready connection strings, the CA file and the control API URL on stdout (text
// or one JSON line), then it serves until SIGINT or SIGTERM and closes cleanly.
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { ServiceBusSimulator } from '../../../simulator/src/cloud/servicebus';
import { loadJsonConfig, untilStopped } from '../config-file';
import type { ExitBox, Io } from '../main';
import { registerSimHybrid } from './sim-hybrid';
import { registerSimWorld } from './sim-world';
import { registerSimNamespaces } from './sim-namespaces';
import { integer } from '../parse';

interface SimOpts {
  config?: string;
  plainPort: number;
  tlsPort: number;
  wsPort: number;
  controlPort: number;
  caOut?: string;
  json?: boolean;
}

/** What a user needs to connect, as text. Connection strings carry the keys: stdout only. */
export function describeSimulator(
  sim: ServiceBusSimulator,
  controlUrl: string,
  ms: number,
): string {
  const lines = [
    `Service Bus namespace ${sim.config.namespace} (logical host ${sim.host}) ready in ${ms.toFixed(0)} ms`,
    '',
  ];
  const { plain, tls, websocket } = sim.listeners;
  if (plain !== undefined) {
    lines.push(
      `plain AMQP (logical 5672, development only) on ${plain.host}:${plain.port}`,
      `  ${plain.connectionString}`,
    );
  }
  if (tls !== undefined) {
    lines.push(
      `AMQP over TLS (logical 5671) on ${tls.host}:${tls.port}`,
      `  ${tls.connectionString}`,
    );
  }
  if (websocket !== undefined) {
    lines.push(
      `AMQP over WebSockets (logical 443) at ${websocket.url ?? websocket.endpoint}`,
      `  ${websocket.connectionString}`,
    );
  }
  if (sim.caPath !== undefined) {
    lines.push(
      '',
      `CA certificate: ${sim.caPath}  (trust it with NODE_EXTRA_CA_CERTS=${sim.caPath})`,
    );
  }
  lines.push(`control API: ${controlUrl}  (GET /entities, /messages?path=, /deadletter?path=)`);
  lines.push('', 'Entities:');
  for (const e of sim.engine.listEntities()) lines.push(`  ${e.kind.padEnd(12)} ${e.path}`);
  lines.push('', 'Press Ctrl+C to stop.');
  return lines.join('\n') + '\n';
}

export function registerSim(program: Command, io: Io, exit: ExitBox): void {
  const sim = program
    .command('sim')
    .description('run the simulated world (default: everything) or one part of it on its own')
    .addHelpText(
      'after',
      '\nExamples:\n  $ relaycheck sim\n  $ relaycheck sim servicebus\n  $ relaycheck sim hybrid\n  $ relaycheck sim namespaces\n',
    );

  sim
    .command('servicebus')
    .description('the Service Bus namespace over AMQP 1.0 (plain, TLS, WebSockets) on loopback')
    .option(
      '--config <file>',
      'namespace config (JSON); default: a council namespace with new keys',
    )
    .option('--plain-port <n>', 'port of the plain AMQP listener (0: any)', integer(0, 65535), 0)
    .option('--tls-port <n>', 'port of the AMQP over TLS listener (0: any)', integer(0, 65535), 0)
    .option('--ws-port <n>', 'port of the WebSocket listener (0: any)', integer(0, 65535), 0)
    .option('--control-port <n>', 'port of the control API (0: any)', integer(0, 65535), 0)
    .option('--ca-out <file>', 'where to write the CA certificate (PEM)')
    .option('--json', 'print one JSON line with the endpoints instead of text')
    .addHelpText(
      'after',
      '\nThe connection strings carry the namespace keys: they are printed here and nowhere else.\n' +
        '\nExamples:\n  $ relaycheck sim servicebus\n  $ relaycheck sim servicebus --config council.json --plain-port 5672 --json\n',
    )
    .action(async (opts: SimOpts) => {
      const started = performance.now();
      // Loaded here, not at the top: each simulator's process holds only its own modules.
      const {
        defaultNamespaceConfig,
        generateKey,
        parseNamespaceConfig,
        SimServiceBusError,
        startServiceBusSimulator,
      } = await import('../../../simulator/src/cloud/servicebus');
      const { startControlApi } = await import('../../../simulator/src/cloud/servicebus/control');
      const config =
        opts.config !== undefined
          ? parseNamespaceConfig(
              await loadJsonConfig(
                opts.config,
                (message) =>
                  new SimServiceBusError('SIM_E_SB_CONFIG', message, { path: opts.config }),
              ),
            )
          : defaultNamespaceConfig({
              rootManageKey: generateKey(),
              relayKey: generateKey(),
              tenantKey: generateKey(),
            });
      const simulator = await startServiceBusSimulator({
        config,
        listeners: {
          plain: { port: opts.plainPort },
          tls: { port: opts.tlsPort },
          websocket: { port: opts.wsPort },
        },
        ...(opts.caOut !== undefined ? { caPath: opts.caOut } : {}),
      });
      const control = await startControlApi(
        {
          engine: simulator.engine,
          faults: simulator.faults,
          dropConnections: () => simulator.dropConnections(),
        },
        { port: opts.controlPort },
      ).catch(async (e: unknown) => {
        await simulator.close();
        throw e;
      });
      const ms = performance.now() - started;
      if (opts.json === true) {
        io.out(
          JSON.stringify({
            namespace: simulator.config.namespace,
            host: simulator.host,
            readyMs: Math.round(ms),
            pid: process.pid,
            listeners: simulator.listeners,
            caPath: simulator.caPath ?? null,
            control: control.url,
          }) + '\n',
        );
      } else {
        io.out(describeSimulator(simulator, control.url, ms));
      }
      await untilStopped();
      await control.close();
      await simulator.close();
    });

  registerSimHybrid(sim, io);
  registerSimWorld(sim, io);
  registerSimNamespaces(sim, io, exit);
}
