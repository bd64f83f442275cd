// The PDF check's options go through its strict zod schema, with defaults. In: nothing, valid
// options, and bad ones (unknown policy, limits out of range or not whole, unknown fields). Out:
// the defaults (64 MiB body, refuse actions and embedded files, 16 MiB held, 32 MiB per stream,
// 256 MiB in all), frozen and passed through unchanged when given again; RELAY_E_CONTENT_CONFIG
// naming the field for anything else.
import t from 'tap';
import {
  PDF_FINDINGS,
  PDF_NAMES,
  createPdfCheck,
  parsePdfCheckOptions,
} from '../../src/work/content';

const MIB = 1024 * 1024;

void t.test('the defaults', (t) => {
  const o = parsePdfCheckOptions(undefined);
  t.same(o, {
    maxBytes: 64 * MIB,
    actions: 'refuse',
    embeddedFiles: 'refuse',
    maxStreamBytes: 16 * MIB,
    maxInflatedBytes: 32 * MIB,
    maxTotalInflatedBytes: 256 * MIB,
  });
  t.ok(Object.isFrozen(o), 'frozen');
  t.equal(parsePdfCheckOptions(o), o, 'parsed options pass through unchanged');
  t.same(parsePdfCheckOptions({ actions: 'flag' }).embeddedFiles, 'refuse', 'filled in');
  t.end();
});

void t.test('bad options are refused with the field named', (t) => {
  const bad: [unknown, RegExp][] = [
    [{ actions: 'allow' }, /actions/],
    [{ embeddedFiles: true }, /embeddedFiles/],
    [{ maxStreamBytes: 10 }, /maxStreamBytes/],
    [{ maxStreamBytes: 2048 * MIB }, /maxStreamBytes/],
    [{ maxInflatedBytes: 1.5 * MIB + 0.5 }, /maxInflatedBytes/],
    [{ maxTotalInflatedBytes: -1 }, /maxTotalInflatedBytes/],
    [{ maxTotalInflatedBytes: 128 * 1024 * MIB }, /maxTotalInflatedBytes/],
    [{ javascript: 'refuse' }, /javascript|unrecognized/i],
  ];
  for (const [input, message] of bad) {
    t.throws(
      () => parsePdfCheckOptions(input),
      { code: 'RELAY_E_CONTENT_CONFIG', message },
      JSON.stringify(input),
    );
  }
  t.throws(() => createPdfCheck({ actions: 'maybe' } as never), { code: 'RELAY_E_CONTENT_CONFIG' });
  t.end();
});

void t.test('every name the check acts on maps to a declared finding', (t) => {
  for (const [name, { finding }] of PDF_NAMES) {
    t.ok((PDF_FINDINGS as readonly string[]).includes(finding), `/${name} -> ${finding}`);
  }
  t.same([...PDF_FINDINGS].sort(), [...PDF_FINDINGS], 'declared sorted');
  t.end();
});
