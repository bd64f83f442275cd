// `relaycheck run --relay external`: conformance of a relay relaycheck did not write. In: the
// reference relay started by hand (a child process on the config the run wrote, as a user
// would start theirs), a selection of cases. Out: the cases that can run against an external
// relay pass against it, one world after another; the rest are skipped with the reason; the
// report names the external relay; no relay at all is RUN_E_RELAY_ABSENT (exit 3); the
// command line refuses --relay external without --relay-config, and the reverse.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { findCase, type Case } from '../../suites/catalogue';
import { startRelayChild } from '../../suites/lib/relay-child';
import { RunError } from '../../suites/runner/errors';
import type { ExternalRelayBrief } from '../../suites/runner/external';
import { NEEDS_REFERENCE_RELAY, runCases } from '../../suites/runner/run';
import { main } from '../src/main';
import { capture } from './lib/capture';

function tmp(t: tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-run-external-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function cases(...ids: string[]): Case[] {
  return ids.map((id) => {
    const c = findCase(id);
    if (c === undefined) throw new Error(`${id} is not catalogued`);
    return c;
  });
}

void t.test(
  'the reference relay started by hand passes the cases an external relay can run',
  async (t) => {
    const dir = tmp(t);
    const relayConfigPath = join(dir, 'my-relay.json');
    // A file the user left there, readable by all: it is replaced, not written into.
    writeFileSync(relayConfigPath, '{}\n', { mode: 0o644 });
    let brief: ExternalRelayBrief | undefined;
    const summary = await runCases({
      cases: cases('ROUTE-001', 'ROUTE-005', 'ROUTE-009'),
      outDir: join(dir, 'out'),
      external: {
        relayConfigPath,
        waitMs: 120_000,
        onBrief: (b) => {
          brief = b;
          // Someone else's relay: started from the config the run wrote, nothing more.
          startRelayChild(t, b.relayConfigPath);
        },
      },
    });
    t.equal(brief?.relayConfigPath, relayConfigPath, 'the run said where the config is');
    t.ok(brief !== undefined && brief.endpoints.length > 0, 'and which endpoints to dial');
    t.equal(
      statSync(relayConfigPath).mode & 0o777,
      0o600,
      'the config (it holds keys) is 0600, also over a 0644 file',
    );
    const by = new Map(summary.outcomes.map((o) => [o.case.id, o]));
    t.equal(by.get('ROUTE-001')?.outcome, 'pass', 'a retrieval through the Hybrid Connection');
    t.equal(by.get('ROUTE-005')?.outcome, 'pass', 'an XML post over Service Bus, in a new world');
    t.equal(by.get('ROUTE-009')?.outcome, 'skip', 'a case needing the reference relay is skipped');
    t.equal(by.get('ROUTE-009')?.reason, NEEDS_REFERENCE_RELAY, 'with the reason');
    t.equal(summary.report.run.relay, 'external', 'the report names the external relay');
    t.equal(summary.report.run.relayConfig, relayConfigPath, 'and its config');
    const written = readFileSync(summary.paths.reportJson, 'utf8');
    const config = JSON.parse(readFileSync(relayConfigPath, 'utf8')) as {
      serviceBus: { key: string };
      tenant: { keys: { secret: string }[] };
    };
    t.notOk(written.includes(config.serviceBus.key), 'the report holds no SAS key');
    t.notOk(
      config.tenant.keys.some((k) => written.includes(k.secret)),
      'nor the handshake secret',
    );
    t.equal(summary.exitCode, 0);
  },
);

void t.test('no relay connecting in time is RUN_E_RELAY_ABSENT', async (t) => {
  const dir = tmp(t);
  const error = await runCases({
    cases: cases('ROUTE-001'),
    outDir: join(dir, 'out'),
    external: { relayConfigPath: join(dir, 'nobody.json'), waitMs: 1_000 },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof RunError, 'a typed RunError');
  t.equal((error as RunError).code, 'RUN_E_RELAY_ABSENT');
  t.match((error as RunError).message, /no relay connected within 1 s/);
});

void t.test('--relay external needs --relay-config, and --relay-config needs it', async (t) => {
  const io = capture();
  t.equal(await main(['node', 'relaycheck', 'run', '--relay', 'external'], io), 2);
  t.match(io.stderr, /--relay external needs --relay-config <file>/);
  const io2 = capture();
  t.equal(await main(['node', 'relaycheck', 'run', '--relay-config', '/tmp/x.json'], io2), 2);
  t.match(io2.stderr, /--relay-config goes with --relay external only/);
  const io3 = capture();
  t.equal(await main(['node', 'relaycheck', 'run', '--relay', 'mine'], io3), 2);
  t.match(io3.stderr, /expected one of reference, external/);
});

void t.test(
  '--list with --relay external says which cases run and which are skipped',
  async (t) => {
    const io = capture();
    const code = await main(
      ['node', 'relaycheck', 'run', '--relay', 'external', '--list', '--area', 'route'],
      io,
    );
    t.equal(code, 0, 'listing needs no --relay-config');
    t.match(io.stdout, /ROUTE-001 +must +runs /);
    t.match(io.stdout, /ROUTE-009 +must +skipped /);
    t.match(io.stdout, /10 cases selected: 8 run against an external relay, 2 skipped/);
  },
);
