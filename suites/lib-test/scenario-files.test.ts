// The scenario format of fault reproduction (docs/scenarios.md), without a world. In: the
// scenario files of fixtures/scenarios and small files written here. Out: every shipped file
// loads and stays valid at its maxSpeed; malformed files are refused with SCENARIO_E_FILE naming
// the field; the plan is the same for the same seed and differs for another; durations scale as
// documented; the expectations judge synthetic observations correctly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ScenarioError } from '../fault/lib/errors';
import { listScenarios, loadScenario, readScenarioFile } from '../fault/lib/load';
import { scaleDurations, speedFactor } from '../fault/lib/scale';
import { planRun, sequenceDigest } from '../fault/lib/workload';
import { check, type Observed } from '../fault/lib/expect';
import type { Expectation } from '../fault/lib/schema';

const MINIMAL = `name: tiny
case: FAULT-900
title: a tiny scenario
symptom: "it broke"
requirement: it works
description: a scenario for the format's tests
workload:
  - { kind: posts, count: 3, every: 2s }
timeline:
  - { name: cut, at: 1s, firewall: { block: [5671] } }
  - { at: 2s, every: 2s, until: 6s, relay: { signal: kill } }
expect:
  - answered: { kinds: [posts] }
`;

function withFile(text: string, name = 'tiny.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-scenario-file-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('not refused');
}

void t.test('every shipped scenario loads, has a unique case id and its own name', (t) => {
  const all = listScenarios();
  t.ok(all.length >= 1, `${String(all.length)} scenarios`);
  for (const s of all) {
    t.equal(loadScenario(s.case).name, s.name, `${s.case} loads by id`);
    t.equal(loadScenario(s.name).case, s.case, `${s.name} loads by name`);
    t.ok(s.fast.workload.length > 0, `${s.name} has a fast variant`);
    // At its maxSpeed every scaled duration of the relay patch is still a whole positive ms.
    const scaled = scaleDurations(s.full.relay, s.maxSpeed);
    t.notMatch(JSON.stringify(scaled), /"[A-Za-z]*Ms":0[,}]/, `${s.name}: no duration scales to 0`);
  }
  t.end();
});

void t.test('a malformed scenario is refused with SCENARIO_E_FILE naming the field', (t) => {
  const cases: [string, RegExp][] = [
    [MINIMAL.replace('count: 3', 'count: 3, colour: red'), /workload\[0\].*colour|Unrecognized/],
    [MINIMAL.replace('every: 2s }', 'every: soon }'), /workload\[0\]\.every/],
    [
      MINIMAL.replace(
        'firewall: { block: [5671] } }',
        'firewall: { block: [5671] }, dns: { host: servicebus, move: inside } }',
      ),
      /exactly one action/,
    ],
    [MINIMAL.replace('until: 6s', 'until: 1s'), /timeline\[1\]/],
    [MINIMAL.replace('case: FAULT-900', 'case: PORT-001'), /\.case/],
    [
      MINIMAL.replace(
        'expect:\n',
        'expect:\n  - events: { channel: relay:session, after: nowhere, count: { atLeast: 1 }, what: x }\n',
      ),
      /no step is named nowhere/,
    ],
    ['name: [unclosed', /not YAML/],
  ];
  for (const [text, message] of cases) {
    const e = refusal(() => readScenarioFile(withFile(text)));
    t.equal(e.code, 'SCENARIO_E_FILE');
    t.match(e.message, message);
    t.match(e.message, /^fixtures\/scenarios\/tiny\.yaml/, 'the message names the file');
  }
  const wrongName = refusal(() => readScenarioFile(withFile(MINIMAL, 'other.yaml')));
  t.match(wrongName.message, /not the file's own name/);
  const unknown = refusal(() => loadScenario('no-such-scenario'));
  t.equal(unknown.code, 'SCENARIO_E_UNKNOWN');
  t.match(unknown.message, /known: /);
  t.end();
});

void t.test('the plan is the same for the same seed, another for another seed', (t) => {
  const s = readScenarioFile(withFile(MINIMAL));
  const a = planRun(s.full, 7);
  const b = planRun(s.full, 7);
  const c = planRun(s.full, 8);
  t.same(a, b);
  t.equal(sequenceDigest(a, 7), sequenceDigest(b, 7));
  t.not(sequenceDigest(a, 7), sequenceDigest(c, 8));
  t.same(
    a.map((i) => `${String(i.t)} ${i.type === 'send' ? i.id : i.action}`),
    [
      '0 posts-s7-0-0',
      '1000 firewall',
      '2000 relay',
      '2000 posts-s7-0-1',
      '4000 relay',
      '4000 posts-s7-0-2',
      '6000 relay',
    ],
    'sends at their pace, a repeated step expanded, an action before a send at the same time',
  );
  t.end();
});

void t.test('durations scale by the speed; other numbers do not', (t) => {
  t.same(
    scaleDurations(
      {
        connectivity: { probeTimeoutMs: 5000, reconnectDelaysMs: [0, 1000, 3] },
        tokenTtlSeconds: 3600,
        limits: { maxConcurrent: 16 },
        delay: { type: 'fixed', ms: 8000 },
      },
      10,
    ),
    {
      connectivity: { probeTimeoutMs: 500, reconnectDelaysMs: [0, 100, 1] },
      tokenTtlSeconds: 360,
      limits: { maxConcurrent: 16 },
      delay: { type: 'fixed', ms: 800 },
    },
  );
  t.equal(speedFactor('max', 20), 20);
  t.equal(speedFactor(10, 20), 10);
  t.throws(() => speedFactor(10, 5), /maxSpeed/);
  t.end();
});

void t.test('the expectations judge what a run observed', (t) => {
  const s = readScenarioFile(withFile(MINIMAL));
  const sends = planRun(s.full, 1).flatMap((i) => (i.type === 'send' ? [i] : []));
  const base: Observed = {
    events: [
      { t: 0, source: 'relay', channel: 'relay:connectivity:mode', data: { mode: 'tcp' } },
      { t: 1200, source: 'relay', channel: 'relay:connectivity:mode', data: { mode: 'https' } },
      { t: 9000, source: 'relay', channel: 'relay:connectivity:mode', data: { mode: 'tcp' } },
    ],
    sends,
    answers: new Map(
      sends.map((x, i) => [
        x.id,
        {
          id: x.id,
          kind: x.kind,
          ok: i !== 2,
          status: i !== 2 ? 201 : 503,
          detail: undefined,
          wall: 0,
        },
      ]),
    ),
    effects: { lost: [], duplicated: [], altered: [], stray: [], references: new Map() },
    deadLetters: [],
    tempFiles: [],
    stepTimes: new Map([['cut', 1000]]),
    relayLog: 'clock skew: the tenant refused HELLO',
  };
  const e = (x: Expectation): Expectation => x;
  const verdicts = check(
    [
      e({ kind: 'answered', args: { kinds: ['posts'], failedAtMost: 0 } }),
      e({ kind: 'answered', args: { kinds: ['posts'], failedAtMost: 1 } }),
      e({
        kind: 'events',
        args: {
          source: 'relay',
          channel: 'relay:connectivity:mode',
          where: { mode: 'https' },
          after: 'cut',
          within: 100,
          count: { atLeast: 1 },
          what: 'fast fallback',
        },
      }),
      e({
        kind: 'events',
        args: {
          source: 'relay',
          channel: 'relay:connectivity:mode',
          where: { mode: '~^(https|tcp)$' },
          after: 'cut',
          within: 10_000,
          count: { atLeast: 2, atMost: 2 },
          what: 'two changes after the cut',
        },
      }),
      e({
        kind: 'sequence',
        args: {
          source: 'relay',
          channel: 'relay:connectivity:mode',
          where: {},
          field: 'mode',
          values: ['tcp', 'https', 'tcp'],
          what: 'there and back',
        },
      }),
      e({ kind: 'log', args: { pattern: 'clock skew', what: 'diagnosis' } }),
      e({ kind: 'deadLettered', args: { kinds: [] } }),
      e({ kind: 'noTempFiles', args: true }),
    ],
    base,
  );
  t.same(
    verdicts.map((v) => v.pass),
    [false, true, false, true, true, true, true, true],
    verdicts.map((v) => `${v.what}: ${v.observed}`).join('\n'),
  );
  t.match(verdicts[0]?.observed ?? '', /posts-s1-0-2 \(503/);
  t.end();
});
