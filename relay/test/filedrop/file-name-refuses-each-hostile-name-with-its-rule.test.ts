// Every hostile file name of issue 10 is refused with the rule that names its attack. In: the
// generated table HOSTILE_NAMES (traversal in every spelling, absolute, drive and UNC paths,
// device names, reserved characters, trailing dots and spaces, streams, control and bidi
// characters, length, encoding, extensions). Out: for each, one RelayContentError
// RELAY_E_CONTENT_NAME (HTTP 422) with details.rule the expected rule, a printable `shown`, and a
// message that quotes nothing unprintable; every rule is reached by several names.
import t from 'tap';
import { isRelayContentError } from '../../src/work/content';
import { checkFileName, FILE_NAME_RULES, SHOWN_MAX } from '../../src/work/filedrop/filename';
import { HOSTILE_NAMES } from './lib/hostile-names';

/** Anything a log line must never carry raw. */
const UNPRINTABLE = /[\p{C}\u2028\u2029]/u;

void t.test('each hostile name is refused with its rule', (t) => {
  for (const h of HOSTILE_NAMES) {
    let error: unknown;
    try {
      checkFileName(h.raw, h.policy);
    } catch (e) {
      error = e;
    }
    if (!isRelayContentError(error)) {
      t.fail(
        `${h.name}: expected a refusal, got ${error === undefined ? 'acceptance' : error instanceof Error ? error.message : 'a throw'}`,
      );
      continue;
    }
    t.equal(error.code, 'RELAY_E_CONTENT_NAME', `${h.name}: RELAY_E_CONTENT_NAME`);
    t.equal(error.details.rule, h.rule, `${h.name}: rule ${h.rule}`);
    t.equal(error.http, 422, `${h.name}: answered 422`);
    const shown = String(error.details.shown);
    t.notOk(UNPRINTABLE.test(shown), `${h.name}: shown is printable (${shown})`);
    t.ok(shown.length <= SHOWN_MAX + 1, `${h.name}: shown is clipped`);
    t.notOk(UNPRINTABLE.test(error.message), `${h.name}: the message is printable`);
  }
  t.end();
});

void t.test('every rule but header is exercised by several names', (t) => {
  const counts = new Map<string, number>();
  for (const h of HOSTILE_NAMES) counts.set(h.rule, (counts.get(h.rule) ?? 0) + 1);
  for (const rule of FILE_NAME_RULES) {
    if (rule === 'header') continue; // Content-Disposition only: see file-name-reads-content-disposition
    t.ok((counts.get(rule) ?? 0) >= 2, `${rule}: ${String(counts.get(rule) ?? 0)} names`);
  }
  t.end();
});

void t.test('traversal is refused in every spelling of the issue', (t) => {
  const traversal = HOSTILE_NAMES.filter((h) => h.rule === 'traversal').map((h) => String(h.raw));
  const has = (re: RegExp): boolean => traversal.some((r) => re.test(r));
  t.ok(has(/^\.\.\//), '../');
  t.ok(has(/^\.\.\\/), '..\\');
  t.ok(has(/%2e%2e%2f/i), 'percent-encoded once');
  t.ok(has(/%252e%252e%252f/i), 'percent-encoded twice');
  t.ok(has(/%c0%ae/i), 'overlong UTF-8');
  t.ok(has(/\uff0e/), 'fullwidth dots');
  t.end();
});

void t.test('a refusal names the layer that broke the rule', (t) => {
  const via = (raw: string): unknown => {
    try {
      checkFileName(raw);
    } catch (e) {
      if (isRelayContentError(e)) return e.details.via;
    }
    return undefined;
  };
  t.equal(via('../bill.pdf'), 'declared');
  t.equal(via('%2e%2e%2fbill.pdf'), 'decoded-1');
  t.equal(via('%252e%252e%252fbill.pdf'), 'decoded-2');
  t.equal(via('\uff0e\uff0e\uff0fbill.pdf'), 'declared-folded');
  t.end();
});
