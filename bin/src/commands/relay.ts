// `relaycheck relay`: runs the reference relay. In: a relay config file (YAML or JSON,
// docs/relay/config.md), optionally a file descriptor for the event stream. Out: one ready line
// on stdout (instance id, health URL), structured logs (pino JSON, secrets redacted) on stderr,
// the relay's diagnostics events as JSON lines on --events-fd; it runs until SIGINT or SIGTERM
// and then shuts down cleanly. `--check` validates the file and prints a summary without any
// network traffic; `--print-schema` prints the config's JSON Schema.
//
// The Service Bus SDK takes no CA for AMQP over TLS, so a config naming `tls.caFile` (the
// simulator's CA) is honoured by re-running this command with NODE_EXTRA_CA_CERTS set to that
// file: trust comes from the config, and certificate verification is never turned off.
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { ExitBox, Io } from '../main';
import { integer } from '../parse';
import { caTrust, rerunWithCa } from '../ca-rerun';

interface RelayOpts {
  config?: string;
  eventsFd?: number;
  check?: boolean;
  printSchema?: boolean;
}

/** fd 3 onwards as inherited by the child, when this process was given an event descriptor. */
function eventFds(): (number | 'ignore')[] {
  const i = process.argv.indexOf('--events-fd');
  const n = i < 0 ? Number.NaN : Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 3) return [];
  return Array.from({ length: n - 2 }, (_, k) => (k + 3 === n ? n : 'ignore'));
}

export function registerRelay(program: Command, io: Io, exit: ExitBox): void {
  program
    .command('relay')
    .description('run the reference relay (outbound only; health and metrics on loopback)')
    .option('--config <file>', 'relay config, YAML or JSON (docs/relay/config.md)')
    .option(
      '--events-fd <n>',
      'write diagnostics events as JSON lines to this descriptor',
      integer(3, 1023),
    )
    .option('--check', 'validate the config and print a summary; no network traffic')
    .option('--print-schema', "print the config's JSON Schema and exit")
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ relaycheck relay --config reports/sim/<run>/relay.json   # against `relaycheck sim`\n' +
        '  $ relaycheck relay --config relay.yaml --check\n' +
        '  $ relaycheck relay --print-schema > relay.schema.json\n',
    )
    .action(async (opts: RelayOpts) => {
      const configModule = await import('../../../relay/src/config');
      if (opts.printSchema === true) {
        io.out(JSON.stringify(configModule.relayConfigJsonSchema(), null, 2) + '\n');
        return;
      }
      if (opts.config === undefined) {
        io.err('relaycheck: relay needs --config <file> (or --print-schema)\n');
        exit.code = 2;
        return;
      }
      const config = await configModule.loadRelayConfig(opts.config);
      if (opts.check === true) {
        io.out(describeConfig(config));
        return;
      }
      const ca = config.tls.caFile;
      const trust = caTrust(ca);
      if (trust === 'lost') {
        io.err('relaycheck: NODE_EXTRA_CA_CERTS could not be set for the relay process\n');
        exit.code = 3;
        return;
      }
      if (trust === 'rerun' && ca !== undefined) {
        exit.code = await rerunWithCa(ca, eventFds());
        return;
      }
      const { startRelay, RELAY_EVENT_CHANNELS } = await import('../../../relay/src/relay');
      const { createEventSink } = await import('../../../relay/src/event-sink');
      const sink =
        opts.eventsFd === undefined
          ? undefined
          : createEventSink(RELAY_EVENT_CHANNELS, createWriteStream('', { fd: opts.eventsFd }));
      const { createRelayLogger } = await import('../../../relay/src/log');
      const { destination } = await import('pino');
      const relay = await startRelay(config, {
        logger: createRelayLogger({ level: config.log.level, destination: destination(2) }),
      });
      io.out(
        `relay ${config.instanceId} running (${config.profile} profile); health ${relay.healthUrl}/healthz metrics ${relay.healthUrl}/metrics\n`,
      );
      const { untilStopped } = await import('../config-file');
      await untilStopped();
      // Graceful: work in flight gets limits.shutdownGraceMs; closing links whose peer is gone
      // (the namespace unreachable) must not hold the process beyond a further 10 s.
      const hardStop = setTimeout(() => {
        io.err(`relay: links did not close in time; exiting\n`);
        process.exit(exit.code === 0 ? 1 : exit.code);
      }, config.limits.shutdownGraceMs + 10_000);
      hardStop.unref();
      await relay.close();
      clearTimeout(hardStop);
      sink?.close();
      // A library timer (the Service Bus SDK still retrying a settlement on a connection the
      // relay replaced) must not keep a closed relay running: exit soon if anything does.
      setTimeout(() => process.exit(exit.code), 1_000).unref();
    });
}

function describeConfig(config: import('../../../relay/src/config').RelayConfig): string {
  const lines = [
    `relay config ${config.source.file}: valid`,
    `  instance     ${config.instanceId} (${config.profile} profile)`,
    `  tenant       ${config.tenant.id}, key ids ${config.tenant.keys.map((k) => k.kid).join(', ')}`,
    `  Service Bus  ${config.serviceBus.host} (key ${config.serviceBus.keyName})`,
  ];
  lines.push(
    `  Azure Relay  ${config.hybrid.host} (key ${config.hybrid.keyName}), paths ${config.hybrid.paths.join(', ')}`,
    `  connectivity ${config.connectivity.mode}; egress ports ${config.egress.ports.join(', ')}`,
    `  network map  ${config.egress.networkMapFile ?? '(none: real DNS)'}`,
    `  trust        ${config.tls.caFile ?? "(Node's root certificates)"}; TLS ≥ ${config.tls.minVersion}`,
    `  routes       ${config.routes.map((r) => `${r.name} → ${r.use === 'file-drop' ? `${String(Object.keys(r.folders).length)} folders` : `${r.service} (${r.use})`}`).join(', ') || '(none)'}`,
    `  health       http://${config.health.host}:${String(config.health.port)}/healthz`,
  );
  return lines.join('\n') + '\n';
}
