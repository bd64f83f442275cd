// `relaycheck run --target azure`: the reference relay and the tenant's code against the
// council's own namespaces. No Azure here: `relaycheck sim namespaces` stands in for it, in its
// own process, at Azure's real ports on two loopback addresses picked for this test, so the run
// sees only connection strings, a tenant config and a CA — no simulator hook, network model or
// control API. In: the run started as a user starts it (a child process), with the connection
// strings in the environment. Out: the cases marked azure pass, the rest are skipped with the
// reason, the relay dialled the namespaces' addresses at Azure's ports, the case evidence holds
// no simulator event, no key is in any written file; a refused key is RUN_E_TARGET (exit 3);
// the command line's mistakes are RUN_E_TARGET_CONFIG or usage errors (exit 2).
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SIMULATOR_ONLY } from '../../suites/runner/run';
import { main } from '../src/main';
import { capture } from './lib/capture';
import { startSim } from './lib/spawn-sim';

const BIN = join(__dirname, '..', 'relaycheck.js');

interface NamespacesReady {
  readonly pid: number;
  readonly serviceBus: { readonly address: string };
  readonly relay: { readonly address: string };
  readonly envFile: string;
  readonly tenantConfig: string;
  readonly caFile: string;
}

/** KEY='value' lines of the env file `relaycheck sim namespaces` writes. */
function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)='(.*)'$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** `relaycheck run …` as a child process (the run re-runs itself to trust the CA). */
function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', ...args], {
      env: { ...process.env, ...env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

const isRoot = process.getuid?.() === 0;

void t.test(
  'against stand-in namespaces at Azure’s ports',
  { skip: isRoot ? false : 'the stand-in namespaces bind port 443: this needs root' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'relaycheck-run-azure-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    // Two addresses of 127.0.0.0/8 of this test's own, so nothing else holds their 443.
    const net = `127.${String(randomInt(100, 250))}.${String(randomInt(1, 250))}`;
    const ns = startSim<NamespacesReady>([
      'namespaces',
      '--servicebus-address',
      `${net}.1`,
      '--relay-address',
      `${net}.2`,
      '--out',
      join(dir, 'ns'),
      '--json',
    ]);
    t.teardown(async () => {
      ns.child.kill('SIGTERM');
      await ns.exited;
    });
    const ready = await ns.ready;
    t.equal(ready.serviceBus.address, `${net}.1`);
    const env = readEnvFile(ready.envFile);
    const keys = [
      ...Object.values(env).map((c) => /SharedAccessKey=([^;]+)/.exec(c)?.[1] ?? ''),
      (JSON.parse(readFileSync(ready.tenantConfig, 'utf8')) as { key: string }).key,
    ];
    t.equal(keys.filter((k) => k.length >= 40).length, 3, 'two SAS keys and a handshake key');
    const azure = [
      '--target',
      'azure',
      '--servicebus',
      'env:RELAYCHECK_SERVICEBUS',
      '--relay-namespace',
      'env:RELAYCHECK_RELAY_NAMESPACE',
      '--tenant-config',
      ready.tenantConfig,
    ];

    await t.test('the azure cases pass; the rest are skipped with the reason', async (t) => {
      const out = join(dir, 'run');
      const run = await runCli(
        [...azure, '--case', 'ROUTE-001,DLV-001,DLV-002', '--out', out, '--json'],
        env,
      );
      t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr.slice(-2000)})`);
      const json = JSON.parse(run.stdout) as {
        cases: { id: string; outcome: string; reason: string | null }[];
      };
      const by = new Map(json.cases.map((c) => [c.id, c]));
      t.equal(by.get('ROUTE-001')?.outcome, 'pass', 'a retrieval through the Hybrid Connection');
      t.equal(
        by.get('DLV-001')?.outcome,
        'pass',
        'deliveries over Service Bus, each completed once',
      );
      t.equal(by.get('DLV-002')?.outcome, 'skip', 'a simulator-only case is skipped');
      t.equal(by.get('DLV-002')?.reason, SIMULATOR_ONLY, 'with the reason');
      t.match(run.stderr, `target: Service Bus ${net}.1 (rule relay), Azure Relay ${net}.2`);

      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
        run: { target: string; namespaces?: { serviceBus: { host: string } } };
        cases: {
          id: string;
          evidence?: { events?: { channel: string; fields?: Record<string, unknown> }[] };
        }[];
      };
      t.equal(report.run.target, 'azure', 'the report names the target');
      t.equal(report.run.namespaces?.serviceBus.host, `${net}.1`, 'and the namespace');
      const events = report.cases.flatMap((c) => c.evidence?.events ?? []);
      // DLV-001 starts its relay inside the case: its slice holds the relay's first dials.
      t.ok(events.length > 0, 'the cases left evidence');
      t.same(
        [...new Set(events.map((e) => e.channel))].filter((c) => /^sim:(sb|hc|net):/.test(c)),
        [],
        'no simulated namespace or network model event reached the run: the hooks are not there',
      );
      const dials = events
        .filter((e) => e.channel === 'relay:egress:dial' && e.fields?.verdict === 'allowed')
        .map((e) => `${String(e.fields?.address)}:${String(e.fields?.port)}`);
      t.ok(dials.includes(`${net}.1:5671`), 'the relay dialled Service Bus at 5671');
      t.ok(dials.includes(`${net}.2:9352`), 'and Azure Relay at 9352');
      t.notOk(existsSync(join(out, 'target.json')), 'the target file (keys) is gone');
      for (const name of readdirSync(out)) {
        const text = readFileSync(join(out, name), 'utf8');
        t.notOk(
          keys.some((k) => text.includes(k)),
          `${name} holds no key of the namespaces or the tenant`,
        );
      }
    });

    await t.test('a refused key is RUN_E_TARGET before any case runs (exit 3)', async (t) => {
      const wrong = randomBytes(32).toString('base64');
      const bad = (env.RELAYCHECK_SERVICEBUS ?? '').replace(
        /SharedAccessKey=[^;]+/,
        `SharedAccessKey=${wrong}`,
      );
      const out = join(dir, 'refused');
      const run = await runCli([...azure, '--case', 'ROUTE-005', '--out', out], {
        ...env,
        RELAYCHECK_SERVICEBUS: bad,
      });
      t.equal(run.code, 3);
      t.match(
        run.stderr,
        new RegExp(
          `RUN_E_TARGET: the Service Bus namespace ${net.replace(/\./g, '\\.')}\\.1 cannot be used: .*UnauthorizedAccess`,
        ),
      );
      t.notOk(run.stderr.includes(wrong), 'the key is not in the message');
      t.notOk(existsSync(join(out, 'report.json')), 'no report: nothing ran');
    });
  },
);

void t.test('the command line of --target azure says what is missing or wrong', async (t) => {
  const ask = async (...args: string[]): Promise<{ code: number; err: string }> => {
    const io = capture();
    const code = await main(['node', 'relaycheck', 'run', ...args], io);
    return { code, err: io.stderr };
  };
  let r = await ask('--target', 'azure', '--servicebus', 'env:X');
  t.equal(r.code, 2);
  t.match(r.err, /--target azure needs --relay-namespace, --tenant-config/);
  r = await ask('--servicebus', 'env:X');
  t.equal(r.code, 2);
  t.match(r.err, /--servicebus go with --target azure only/);
  r = await ask('--target', 'azure', '--relay', 'external', '--relay-config', '/tmp/r.json');
  t.equal(r.code, 2);
  t.match(r.err, /--relay external is for the simulator only/);
  r = await ask('--target', 'cloud');
  t.equal(r.code, 2);
  t.match(r.err, /expected one of simulator, azure/);
  const key = randomBytes(32).toString('base64');
  r = await ask(
    '--target',
    'azure',
    '--servicebus',
    `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey=${key};EntityPath=requests`,
    '--relay-namespace',
    'env:NOT_SET_ANYWHERE',
    '--tenant-config',
    '/nonexistent/tenant.json',
  );
  t.equal(r.code, 2);
  t.match(r.err, /RUN_E_TARGET_CONFIG: --servicebus: this connection string is for one entity/);
  t.notOk(r.err.includes(key), 'the key is not echoed');
});

void t.test('--list with --target azure says which cases run against the namespaces', async (t) => {
  const io = capture();
  const code = await main(
    ['node', 'relaycheck', 'run', '--target', 'azure', '--list', '--area', 'route,dlv'],
    io,
  );
  t.equal(code, 0, 'listing needs no connection string');
  t.match(io.stdout, /ROUTE-001 +must +runs /);
  t.match(io.stdout, /DLV-001 +must +runs /);
  t.match(io.stdout, /DLV-002 +must +skipped /);
  t.match(io.stdout, /18 cases selected: 11 run against the namespaces, 7 skipped/);
});
