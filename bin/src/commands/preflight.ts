// `relaycheck preflight`: the check a council runs on its real server before go-live. In: the
// namespaces (or the relay's config), optionally the service-tag download and regions, the
// ports, a time bound, a CA, a network map (to run against `relaycheck sim`). Out: one line per
// check (DNS and ranges, TCP per port, TLS, clock skew, the mode the relay would pick) as a
// table or JSON (docs/preflight.md), and the exit code: 0 go-live would work, 1 it would fail,
// 2 a refused command line or input, 3 preflight itself could not run. Only the named
// namespaces are contacted.
import type { Command } from 'commander';
import { isRelaycheckError } from '../../../relay/src/protocol/errors';
import type { ExitBox, Io } from '../main';
import type { PreflightFlags } from '../preflight/inputs';
import type { PreflightDeps } from '../preflight/run';

/** `deps`: the resolver, dialer, sockets and clock (tests inject them; default the real ones). */
export function registerPreflight(
  program: Command,
  io: Io,
  exit: ExitBox,
  deps: PreflightDeps = {},
): void {
  program
    .command('preflight')
    .description(
      "check this server's way out to the namespaces before go-live: DNS, ranges, ports, TLS, clock",
    )
    .option(
      '--namespace <host>',
      'the Service Bus namespace, e.g. council-42.servicebus.windows.net',
    )
    .option('--relay-namespace <host>', 'the Azure Relay namespace (Hybrid Connections)')
    .option(
      '--config <file>',
      "the relay's config: namespaces, ranges, CA, mode and network map from it (flags win)",
    )
    .option('--source <file>', 'ServiceTags_Public_*.json or the legacy XML: check DNS answers')
    .option('--regions <list>', 'with --source: regions, e.g. uksouth,ukwest')
    .option('--tags <list>', 'with --source: tag families, AzureCloud (default) and/or ServiceBus')
    .option('--tolerant', "with --source: accept the guide's copy-pasted list")
    .option('--ports <list>', 'guide (80, 443, 5671, 5672, 9350-9354) or some of them', 'guide')
    .option('--timeout <ms>', 'bound of each step (TCP, TLS, HTTP), 50-120000', '5000')
    .option('--ca <pem>', 'also trust these CA certificates (the system store is always used)')
    .option(
      '--map <file>',
      "the simulator's network map (network-map.json or relay-config.json): names and loopback endpoints",
    )
    .option('--mode <mode>', "the relay's connectivity mode: auto, tcp or https (default auto)")
    .option('--expiry-warn-days <n>', 'warn when a certificate expires sooner (default 14)')
    .option('--format <format>', 'table or json', 'table')
    .addHelpText(
      'after',
      '\nExit codes: 0 go-live would work (warnings allowed), 1 it would fail (the blocking\n' +
        'checks are named), 2 a refused command line or input, 3 preflight could not run.\n' +
        '\nExamples:\n' +
        '  $ relaycheck preflight --namespace council-42.servicebus.windows.net \\\n' +
        '      --relay-namespace council-42-relay.servicebus.windows.net \\\n' +
        '      --source ServiceTags_Public_20261116.json --regions uksouth,ukwest\n' +
        '  $ relaycheck preflight --config relay.yaml --format json\n' +
        '  $ relaycheck preflight --config reports/sim/<run>/relay.json   # against `relaycheck sim`\n',
    )
    .action(async (opts: PreflightFlags) => {
      // Loaded here, not at the top: the other commands never carry preflight's modules.
      const p = await import('../preflight');
      const { input, format } = await p.resolveInputs(opts);
      let report: Awaited<ReturnType<typeof p.runPreflight>>;
      try {
        report = await p.runPreflight(input, deps);
      } catch (e) {
        if (isRelaycheckError(e)) throw e;
        const why = e instanceof Error ? e.message : String(e);
        const err = new p.PreflightError('PREFLIGHT_E_RUN', `preflight could not run: ${why}`);
        io.err(`relaycheck: ${err.code}: ${err.message}\n`);
        exit.code = 3;
        return;
      }
      io.out(format === 'json' ? p.renderJson(report) : p.renderTable(report));
      exit.code = report.exitCode;
    });
}
