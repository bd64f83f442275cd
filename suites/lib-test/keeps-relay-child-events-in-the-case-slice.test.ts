// The reference relay's events, read by relay-child.ts from the child's fd 3, land in the case
// slice beside the world's own. In: a fixture case
// (bin/test/fixtures/run-suite-evidence/relay-child-events.test.ts) that starts the simulated
// world and the relay as a child process and waits for a live session, run as a tap child
// with RELAYCHECK_RESULTS set. Out: its results line holds the relay's session and egress
// events (source 'relay'), the network model's dials with their logical port, address, host
// and verdict, in time order, and none of the relay config's keys.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runFixture } from './lib/fixture-run';

void t.test('relay events via the relay-child hook land in the case slice', async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'relaycheck-evidence-keys-'));
  t.teardown(() => {
    rmSync(scratch, { recursive: true, force: true });
  });
  const secretsFile = join(scratch, 'keys.json');
  const run = await runFixture(t, 'relay-child-events.test.ts', {
    EVIDENCE_FIXTURE_SECRETS_OUT: secretsFile,
  });
  const c = run.byId.get('HS-004');
  if (c === undefined) t.comment(run.output.slice(-3000));
  t.equal(c?.outcome, 'pass', 'the fixture case passed');
  const events = c?.events ?? [];

  const relay = events.filter((e) => e.source === 'relay');
  t.ok(
    relay.some((e) => e.channel === 'relay:session' && e.fields?.state === 'live'),
    "the relay's live session is in the slice",
  );
  t.ok(
    relay.some((e) => e.channel === 'relay:egress:dial' && typeof e.fields?.port === 'number'),
    "the relay's own dials are in the slice",
  );
  t.ok(
    relay.every((e) => e.channel.startsWith('relay:')),
    'every relay event names its channel',
  );

  const dials = events.filter((e) => e.channel === 'sim:net:dial');
  t.ok(dials.length > 0, "the network model's dials are in the slice");
  for (const d of dials) {
    t.match(
      d,
      {
        source: 'net',
        fields: { port: Number, address: String, verdict: /^(accept|reject|drop)$/ },
        text: /-> (accept|reject|drop)/,
      },
      `dial ${String(d.fields?.address)}:${String(d.fields?.port)}`,
    );
  }
  t.ok(
    events.every((e, i) => i === 0 || e.atMs >= (events[i - 1]?.atMs ?? 0)),
    'in time order',
  );

  const keys = JSON.parse(readFileSync(secretsFile, 'utf8')) as string[];
  t.ok(keys.length >= 2, 'the fixture handed over the relay config keys');
  for (const key of keys) {
    t.notOk(run.text.includes(key), 'a key of the relay config is not in the results');
  }
});
