// `relaycheck preflight` as a user runs it against the simulated world: with the relay config
// the world gives (`--config`) or with the namespaces, the world description as `--map` and the
// CA; the table and the JSON (the schema docs/preflight.md documents, field by field); exit 0
// when go-live would work, 1 when it would fail, 2 for refused flags and inputs with their
// stable codes (nothing contacted), 3 when preflight itself cannot run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import { registerPreflight } from '../src/commands/preflight';
import { main } from '../src/main';
import { REPORT_SCHEMA, type PreflightReport } from '../src/preflight';
import { startPreflightWorld, type PreflightWorld } from '../src/preflight/testing';
import { capture } from './lib/capture';

const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'preflight.md'), 'utf8');

async function cli(...args: string[]) {
  const io = capture();
  const code = await main(['node', 'relaycheck', 'preflight', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

let w: PreflightWorld;
let dir: string;
let relayFile: string;
t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relaycheck-preflight-cli-'));
  w = await startPreflightWorld(dir);
  relayFile = w.relayConfigFile();
  t.teardown(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

void t.test('with the relay config of the world the table says go-live would work', async (t) => {
  const r = await cli('--config', relayFile, '--timeout', '1000', '--expiry-warn-days', '0');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  t.match(r.stdout, `relaycheck preflight: ${w.sbHost}, ${w.hcHost}`);
  t.match(r.stdout, /through the simulator's network map .*network-map\.json/);
  t.match(r.stdout, /^check +target +result +detail$/m);
  t.match(r.stdout, new RegExp(`^tcp +${w.sbHost.replace(/\./g, '\\.')}:5671 +ok reachable `, 'm'));
  t.match(r.stdout, /^mode +relay +ok tcp +tcp path works$/m);
  t.match(r.stdout, /^go-live: would work$/m);
});

void t.test('the JSON result has the documented schema and the exit code', async (t) => {
  const r = await cli('--config', relayFile, '--format', 'json', '--expiry-warn-days', '0');
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as PreflightReport;
  t.equal(report.schema, REPORT_SCHEMA);
  t.equal(report.verdict, 'go');
  t.equal(report.exitCode, r.code);
  t.equal(report.network.resolver, 'network-map');
  for (const key of Object.keys(report)) {
    t.match(DOC, `| \`${key}\``, `docs/preflight.md documents the field ${key}`);
  }
  const ids = report.checks.map((c) => c.id);
  t.equal(new Set(ids).size, ids.length, 'check ids are unique');
  t.same(
    [...new Set(report.checks.map((c) => c.check))],
    ['dns', 'tcp', 'tls', 'clock', 'mode'],
    'rows come in the documented order',
  );
  for (const c of report.checks) {
    t.same(
      Object.keys(c).sort(),
      ['blocking', 'check', 'data', 'detail', 'host', 'id', 'port', 'result', 'status', 'target'],
      `${c.id} has exactly the row fields`,
    );
    t.ok(['pass', 'warn', 'fail', 'info', 'skip'].includes(c.status), `${c.id} status`);
  }
  for (const key of Object.keys(report.checks.find((c) => c.check === 'tls')?.data ?? {})) {
    t.match(DOC, `\`${key}\``, `docs/preflight.md documents tls data ${key}`);
  }
});

void t.test(
  'with the ports blocked the command exits 1 and names the blocking checks',
  async (t) => {
    await w.block([{ verdict: 'reject', destination: 'any', ports: [443, 5671, '9350-9354'] }]);
    t.teardown(() => w.block([]));
    const r = await cli('--config', relayFile, '--expiry-warn-days', '0');
    t.equal(r.code, 1);
    t.match(r.stdout, /^mode: the relay would pick none$/m);
    t.match(
      r.stdout,
      /^go-live: would FAIL; blocking: .*tcp council-42\.servicebus\.windows\.net:5671.*; mode$/m,
    );
    const json = await cli('--config', relayFile, '--format', 'json');
    t.equal(json.code, 1);
    t.equal((JSON.parse(json.stdout) as PreflightReport).verdict, 'no-go');
  },
);

void t.test('the world description works as --map with the namespaces and the CA', async (t) => {
  const r = await cli(
    '--namespace',
    w.sbHost,
    '--relay-namespace',
    w.hcHost,
    '--map',
    w.world.relayConfigPath,
    '--ca',
    w.caPath,
    '--ports',
    '443,5671,9352',
    '--expiry-warn-days',
    '0',
  );
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /ranges: not checked/);
  t.match(r.stdout, /^mode +relay +ok tcp/m);
});

void t.test('refused flags and inputs exit 2 with their stable codes', async (t) => {
  const offLoopback = join(dir, 'off-loopback.json');
  writeFileSync(
    offLoopback,
    JSON.stringify({
      version: 1,
      hosts: [{ name: w.sbHost, addresses: ['51.140.146.50'] }],
      endpoints: [
        {
          host: w.sbHost,
          logicalAddress: '51.140.146.50',
          port: 443,
          dial: { host: '10.1.2.3', port: 443 },
          current: true,
        },
      ],
    }),
  );
  const cases: [string[], RegExp][] = [
    [
      ['--ports', '22', '--namespace', w.sbHost],
      /^relaycheck: PREFLIGHT_E_OPTION: --ports: 22 is not a port the guide names/,
    ],
    [['--ports', '443,x'], /^relaycheck: PREFLIGHT_E_OPTION: --ports: "x" is not a port/],
    [['--timeout', 'soon'], /^relaycheck: PREFLIGHT_E_OPTION: --timeout: a whole number/],
    [
      ['--timeout', '10'],
      /^relaycheck: PREFLIGHT_E_OPTION: --timeout: a whole number from 50 to 120000/,
    ],
    [['--format', 'xml'], /^relaycheck: PREFLIGHT_E_OPTION: --format: one of table, json/],
    [['--mode', 'fast'], /^relaycheck: PREFLIGHT_E_OPTION: --mode: one of auto, tcp, https/],
    [[], /^relaycheck: PREFLIGHT_E_OPTION: --namespace: name the Service Bus namespace/],
    [
      ['--namespace', 'sb://council-42.servicebus.windows.net/'],
      /--namespace: give the host name only \(council-42\.servicebus\.windows\.net\), not a URL/,
    ],
    [
      ['--namespace', 'council 42'],
      /PREFLIGHT_E_OPTION: --namespace: "council 42" is not a host name/,
    ],
    [
      ['--namespace', w.sbHost, '--relay-namespace', w.sbHost],
      /PREFLIGHT_E_OPTION: --relay-namespace: is the Service Bus namespace/,
    ],
    [
      ['--namespace', w.sbHost, '--regions', 'uksouth'],
      /PREFLIGHT_E_OPTION: --regions: is used with --source/,
    ],
    [
      ['--namespace', w.sbHost, '--source', 'x.json'],
      /PREFLIGHT_E_OPTION: --source: name the regions too/,
    ],
    [
      ['--namespace', w.sbHost, '--source', join(dir, 'none.json'), '--regions', 'uksouth'],
      /^relaycheck: IP_E_SOURCE: /,
    ],
    [
      ['--namespace', w.sbHost, '--map', join(dir, 'none.json')],
      /^relaycheck: PREFLIGHT_E_MAP: --map .*none\.json: no such file/,
    ],
    [
      ['--namespace', w.sbHost, '--map', relayFile],
      /^relaycheck: PREFLIGHT_E_MAP: .*\(a network map or a world description\)/,
    ],
    [
      ['--namespace', w.sbHost, '--map', offLoopback],
      /^relaycheck: PREFLIGHT_E_MAP: the network map .* sends 51\.140\.146\.50:443 to 10\.1\.2\.3, which is not loopback/,
    ],
    [['--namespace', w.sbHost, '--ca', join(dir, 'none.pem')], /^relaycheck: RELAY_E_EGRESS_CA: /],
    [['--config', join(dir, 'none.json')], /^relaycheck: RELAY_E_CONFIG: /],
  ];
  for (const [args, reason] of cases) {
    const r = await cli(...args);
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.match(r.stderr, reason, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(r.stdout, '', 'no report: nothing was contacted');
  }
});

void t.test('preflight that cannot open sockets exits 3 with PREFLIGHT_E_RUN', async (t) => {
  const io = capture();
  const exit = { code: 0 };
  const program = new Command('relaycheck').exitOverride();
  const broken = (): never => {
    throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
  };
  registerPreflight(program, io, exit, { sockets: { tcp: broken, tls: broken } });
  await program.parseAsync(['node', 'relaycheck', 'preflight', '--config', relayFile]);
  t.equal(exit.code, 3);
  t.match(
    io.stderr,
    /^relaycheck: PREFLIGHT_E_RUN: preflight could not run: EMFILE: too many open files$/m,
  );
  t.equal(io.stdout, '');
});
