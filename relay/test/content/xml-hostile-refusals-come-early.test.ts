// The work a hostile XML body causes is bounded by what it takes to see the defect, not by the
// body: no entity is expanded, no nesting is followed past the limit, no oversize body is read
// past it. In: the billion laughs, quadratic blow-up, remote DTD and 100,000-deep bodies of
// HOSTILE_XML and the oversize ones, pushed in small chunks. Out: each is refused by the chunk
// that shows the defect (the one holding `<!DOCTYPE`, the open tag one past maxDepth, the byte
// past maxBytes), far before its last chunk; the check took at most that many bytes. Counted in
// bytes, never timed.
import t from 'tap';
import { createXmlCheck, isRelayContentError } from '../../src/work/content';
import { chunkHolding, chunksOf, pushUntilRefused } from './lib/chunks';
import { hostileXmlOf } from './lib/hostile-xml';

const ROOT = 'EnvironmentalHealthCase';
const CHUNK = 64;

void t.test('a DOCTYPE is refused on the chunk that holds it, before any entity', (t) => {
  for (const attack of [
    'billion-laughs',
    'quadratic-blowup',
    'external-entity-file',
    'external-entity-url',
    'remote-dtd',
  ] as const) {
    for (const h of hostileXmlOf(attack)) {
      const body = h.make(ROOT);
      const check = createXmlCheck({ expectedRoot: ROOT });
      const chunks = chunksOf(body, CHUNK);
      const refused = pushUntilRefused(check, chunks);
      const at = body.indexOf('<!DOCTYPE') + '<!DOCTYPE'.length - 1;
      t.equal(refused?.at, chunkHolding(at, CHUNK), `${h.name}: refused by the DOCTYPE's chunk`);
      t.ok(
        check.bytes <= (chunkHolding(at, CHUNK) + 1) * CHUNK,
        `${h.name}: ${String(check.bytes)} bytes taken`,
      );
      t.match(refused?.error, { details: { rule: 'doctype' } });
    }
  }
  t.end();
});

void t.test('100,000-deep nesting is refused one level past maxDepth', (t) => {
  for (const maxDepth of [8, 64]) {
    for (const h of hostileXmlOf('deep-nesting').filter((x) => x.name.startsWith('100,000'))) {
      const body = h.make(ROOT);
      t.ok(body.length > 300_000, `${h.name}: ${String(body.length)} bytes`);
      const check = createXmlCheck({ expectedRoot: ROOT, maxDepth });
      const chunks = chunksOf(body, CHUNK);
      const refused = pushUntilRefused(check, chunks);
      // The open tag one past the limit: the root is depth 1, each <a ...> one more.
      const tag = h.name.includes('never close') ? '<a b="1">' : '<a>';
      const start = body.indexOf(tag);
      const breaks = start + tag.length * maxDepth + tag.length - 1;
      t.ok(
        refused !== undefined && refused.at <= chunkHolding(breaks, CHUNK),
        `${h.name}: refused at chunk ${String(refused?.at)}`,
      );
      t.ok(
        check.bytes < 2 * (breaks + CHUNK),
        `${h.name} (maxDepth ${String(maxDepth)}): ${String(check.bytes)} of ${String(body.length)} bytes taken`,
      );
      t.match(refused?.error, { details: { rule: 'depth' } });
    }
  }
  t.end();
});

void t.test(
  'an oversize body is refused on the chunk past maxBytes, never read to its end',
  (t) => {
    const maxBytes = 32 * 1024;
    for (const h of hostileXmlOf('oversize-body')) {
      const body = h.make(ROOT, { limits: { maxBytes } });
      const check = createXmlCheck({ expectedRoot: ROOT, maxBytes });
      const chunks = chunksOf(body, 1024);
      const refused = pushUntilRefused(check, chunks);
      t.equal(
        refused?.at,
        chunkHolding(maxBytes, 1024),
        `${h.name}: refused by the crossing chunk`,
      );
      t.equal(check.bytes, maxBytes, `${h.name}: exactly maxBytes taken`);
      t.ok(isRelayContentError(refused?.error) && refused.error.details.rule === 'size');
    }
    t.end();
  },
);
