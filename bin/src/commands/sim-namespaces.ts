// `relaycheck sim namespaces`: stand-in namespaces for `relaycheck run --target azure` with no
// Azure at hand — the simulated Service Bus and Azure Relay namespaces, each on its own loopback
// address at Azure's real ports (5671 and 443; 443 and 9352), with no network model and no
// control API. In: the two addresses, a namespace name, an output folder. Out: where the
// connection strings (an env file), the tenant config and the CA were written (mode 0600 where
// they hold keys: no key is printed), and the `relaycheck run` command that uses them; then it
// serves until SIGINT or SIGTERM and closes cleanly. Binding 443 needs root (or
// CAP_NET_BIND_SERVICE): without it, exit 3 with that reason.
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { untilStopped } from '../config-file';
import type { ExitBox, Io } from '../main';

interface NamespacesOpts {
  servicebusAddress: string;
  relayAddress: string;
  namespace: string;
  out?: string;
  json?: boolean;
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function loopbackAddress(value: string): string {
  const m = LOOPBACK_V4.exec(value);
  if (m === null || m.slice(1).some((p) => Number(p) > 255)) {
    throw new InvalidArgumentError(`${value} is not an IPv4 loopback address (127.0.0.0/8)`);
  }
  return value;
}

export function registerSimNamespaces(sim: Command, io: Io, exit: ExitBox): void {
  sim
    .command('namespaces')
    .description(
      'stand-in Service Bus and Azure Relay namespaces on loopback at Azure’s ports, for --target azure',
    )
    .option(
      '--servicebus-address <ip>',
      'loopback address of the Service Bus namespace',
      loopbackAddress,
      '127.77.0.1',
    )
    .option(
      '--relay-address <ip>',
      'loopback address of the Azure Relay namespace',
      loopbackAddress,
      '127.77.0.2',
    )
    .option(
      '--namespace <name>',
      'namespace name (the relay namespace is <name>-relay)',
      'council-42',
    )
    .option('--out <dir>', 'where the env file, tenant config and CA go')
    .option('--json', 'print one JSON line (paths, addresses; no key) instead of text')
    .addHelpText(
      'after',
      '\nBinds 5671 and 443 on the first address, 443 and 9352 on the second: run as root (or\n' +
        'with CAP_NET_BIND_SERVICE). The connection strings and the handshake key are written to\n' +
        'files (mode 0600), never printed.\n' +
        '\nExample:\n  $ relaycheck sim namespaces --out /tmp/ns\n',
    )
    .action(async (opts: NamespacesOpts) => {
      const { startStandInNamespaces } = await import('../../../simulator/src/world/namespaces');
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const dir = resolve(opts.out ?? join('reports', 'namespaces', stamp));
      let ns: Awaited<ReturnType<typeof startStandInNamespaces>>;
      try {
        ns = await startStandInNamespaces({
          serviceBusAddress: opts.servicebusAddress,
          relayAddress: opts.relayAddress,
          namespace: opts.namespace,
          dir,
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
        const where =
          err.address !== undefined ? `${err.address}:${String(err.port ?? '')}` : 'a port';
        const why =
          err.code === 'EACCES'
            ? `binding ${where} needs root or CAP_NET_BIND_SERVICE`
            : err.code === 'EADDRINUSE'
              ? `${where} is already in use (another sim namespaces? pick other addresses)`
              : err.code === 'EADDRNOTAVAIL'
                ? `${where} is not an address of this machine`
                : err.message;
        io.err(`relaycheck: the stand-in namespaces could not start: ${why}\n`);
        exit.code = 3;
        return;
      }
      const run =
        `relaycheck run --target azure --servicebus env:RELAYCHECK_SERVICEBUS ` +
        `--relay-namespace env:RELAYCHECK_RELAY_NAMESPACE --tenant-config ${ns.tenantConfigPath}`;
      if (opts.json === true) {
        io.out(
          JSON.stringify({
            pid: process.pid,
            serviceBus: { address: ns.serviceBusAddress, ports: [5671, 443] },
            relay: { address: ns.relayAddress, ports: [443, 9352] },
            envFile: ns.envPath,
            tenantConfig: ns.tenantConfigPath,
            caFile: ns.caPath,
          }) + '\n',
        );
      } else {
        io.out(
          [
            'stand-in namespaces ready (simulated; no network model, no control API):',
            `  Service Bus  sb://${ns.serviceBusAddress}/  (5671 AMQP over TLS, 443 AMQP over WebSockets)`,
            `  Azure Relay  sb://${ns.relayAddress}/  (443 and 9352)`,
            `connection strings (keys inside, mode 0600): ${ns.envPath}`,
            `tenant config (handshake key inside, mode 0600): ${ns.tenantConfigPath}`,
            `CA: ${ns.caPath}`,
            '',
            'run the conformance cases against them from another terminal:',
            `  set -a; . ${ns.envPath}; set +a`,
            `  ${run}`,
            '',
            'Press Ctrl+C to stop.',
            '',
          ].join('\n'),
        );
      }
      await untilStopped();
      await ns.close();
    });
}
