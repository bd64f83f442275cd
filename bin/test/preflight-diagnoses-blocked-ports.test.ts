// `relaycheck preflight` against the simulated world with ports blocked in the network model's
// firewall: a reject is diagnosed as refused, a drop as timed out, an open port as reachable;
// the mode the relay would pick follows (tcp, https when the TCP ports are blocked, none when
// 443 is blocked too) and so do the status, the blocking checks and the exit code. Every
// socket preflight opens goes to loopback, and only to the namespaces it was given.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { nodeSockets, type SocketConnector } from '../../relay/src/connectivity/sockets';
import {
  isLoopbackAddress,
  runPreflight,
  type CheckRow,
  type PreflightReport,
} from '../src/preflight';
import { startPreflightWorld, type PreflightWorld } from '../src/preflight/testing';

function row(report: PreflightReport, id: string): CheckRow {
  const found = report.checks.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no check ${id}`);
  return found;
}

/** Records where every socket goes (and still opens it). */
function recordingSockets(): SocketConnector & { readonly targets: string[] } {
  const targets: string[] = [];
  return {
    targets,
    tcp: (o) => {
      targets.push(`${o.host}:${o.port}`);
      return nodeSockets.tcp(o);
    },
    tls: (o) => {
      targets.push(`${o.host}:${o.port}`);
      return nodeSockets.tls(o);
    },
  };
}

let w: PreflightWorld;
t.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-preflight-ports-'));
  w = await startPreflightWorld(dir);
  t.teardown(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

void t.test(
  'with every guide port open the relay would pick tcp and go-live would work',
  async (t) => {
    const sockets = recordingSockets();
    const report = await runPreflight(await w.input(), { sockets });
    for (const port of [443, 5671, 5672]) {
      t.equal(row(report, `tcp:${w.sbHost}:${port}`).result, 'reachable', `Service Bus ${port}`);
    }
    for (const port of [80, 443, 9350, 9351, 9352, 9353, 9354]) {
      t.equal(row(report, `tcp:${w.hcHost}:${port}`).result, 'reachable', `relay ${port}`);
    }
    t.equal(row(report, `tcp:${w.sbHost}:5672`).status, 'info', '5672 is reported, never weighed');
    t.match(row(report, `tcp:${w.sbHost}:5672`).detail, /development only/);
    t.equal(row(report, 'mode').result, 'tcp');
    t.equal(row(report, 'mode').status, 'pass');
    t.same(report.blocking, []);
    t.equal(report.verdict, 'go');
    t.equal(report.exitCode, 0);
    t.equal(sockets.targets.length, 10, 'one connection per (namespace, port): 3 + 7');
    t.ok(
      sockets.targets.every((target) =>
        isLoopbackAddress(target.slice(0, target.lastIndexOf(':'))),
      ),
      `every socket went to loopback: ${sockets.targets.join(', ')}`,
    );
  },
);

void t.test(
  'a rejected port is refused, a dropped one times out, and the relay falls back to https',
  async (t) => {
    await w.block([
      { verdict: 'reject', destination: 'any', ports: [5671] },
      { verdict: 'drop', destination: 'any', ports: ['9350-9354'] },
    ]);
    t.teardown(() => w.block([]));
    const started = Date.now();
    const report = await runPreflight(await w.input({ timeoutMs: 300 }));
    const amqp = row(report, `tcp:${w.sbHost}:5671`);
    t.equal(amqp.result, 'refused');
    t.match(amqp.detail, /connection refused \(a firewall reject rule/);
    const hc = row(report, `tcp:${w.hcHost}:9352`);
    t.equal(hc.result, 'timed-out');
    t.match(hc.detail, /nothing answered within 300 ms/);
    t.equal(row(report, `tcp:${w.hcHost}:9350`).result, 'timed-out', 'the whole range is dropped');
    t.equal(row(report, `tcp:${w.sbHost}:443`).result, 'reachable');
    t.equal(row(report, `tcp:${w.hcHost}:443`).result, 'reachable');
    t.equal(
      row(report, `tls:${w.sbHost}:5671`).status,
      'skip',
      'no TLS row for a port that did not answer',
    );

    const mode = row(report, 'mode');
    t.equal(mode.result, 'https', 'the relay would pick https');
    t.equal(mode.status, 'warn');
    t.match(mode.detail, /amqp:5671 refused/);
    t.match(mode.detail, /hc:9352 timed-out/);
    t.equal(amqp.status, 'warn', 'a closed TCP port is a warning while 443 carries everything');
    t.equal(amqp.blocking, false);
    t.equal(report.exitCode, 0, 'go-live works in https mode');
    t.ok(report.warnings.includes('mode') && report.warnings.includes(amqp.id));
    t.ok(Date.now() - started < 5_000, 'the drops cost about one bound, not one per port');
  },
);

void t.test(
  'with 443 blocked as well the relay has no path: mode none, blocking, exit 1',
  async (t) => {
    await w.block([
      { verdict: 'reject', destination: 'any', ports: [5671, 443] },
      { verdict: 'drop', destination: 'any', ports: ['9350-9354'] },
    ]);
    t.teardown(() => w.block([]));
    const report = await runPreflight(await w.input({ timeoutMs: 300 }));
    const mode = row(report, 'mode');
    t.equal(mode.result, 'none');
    t.equal(mode.status, 'fail');
    t.equal(mode.blocking, true);
    t.equal(report.verdict, 'no-go');
    t.equal(report.exitCode, 1);
    for (const id of [
      'mode',
      `tcp:${w.sbHost}:443`,
      `tcp:${w.sbHost}:5671`,
      `tcp:${w.hcHost}:443`,
      `tcp:${w.hcHost}:9352`,
    ]) {
      t.ok(report.blocking.includes(id), `${id} is blocking`);
    }
    t.notOk(
      report.blocking.includes(`tcp:${w.hcHost}:9350`),
      'a port the relay does not use never blocks',
    );
    t.notOk(report.blocking.includes(`tcp:${w.sbHost}:5672`), 'nor does plain AMQP');
    const clock = row(report, 'clock');
    t.equal(clock.result, 'not-checked', 'no 443, no Date header');
    t.equal(clock.status, 'warn');
  },
);

void t.test('a refused plain AMQP port is information, not a warning', async (t) => {
  await w.block([{ verdict: 'reject', destination: 'any', ports: [5672] }]);
  t.teardown(() => w.block([]));
  const report = await runPreflight(await w.input({ ports: [5672, 5671, 443, 9352] }));
  const plain = row(report, `tcp:${w.sbHost}:5672`);
  t.equal(plain.result, 'refused');
  t.equal(plain.status, 'info');
  t.notOk(report.warnings.includes(plain.id));
  t.equal(report.exitCode, 0);
});

void t.test('only the named namespaces and ports are contacted', async (t) => {
  const sockets = recordingSockets();
  const report = await runPreflight(
    await w.input({ relayNamespace: undefined, ports: [443, 5671] }),
    { sockets },
  );
  const map = w.world.network?.relayConfig();
  const allowed = new Set(
    (map?.endpoints ?? [])
      .filter((e) => e.host === w.sbHost && [443, 5671].includes(e.port))
      .map((e) => `${e.dial.host}:${e.dial.port}`),
  );
  t.equal(sockets.targets.length, 2, 'one socket per named port');
  t.ok(
    sockets.targets.every((x) => allowed.has(x)),
    'each to the Service Bus namespace',
  );
  t.notOk(
    report.checks.some((r) => r.host === w.hcHost),
    'the relay namespace is not checked',
  );
  t.match(row(report, 'mode').detail, /Hybrid Connections not checked/);
});
