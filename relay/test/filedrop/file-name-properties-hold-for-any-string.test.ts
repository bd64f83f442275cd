// Properties of the file-name policy over any input (fast-check, 10,000 runs each, fixed seed
// printed). In: any string (binary, UTF-16 units with lone surrogates, graphemes, strings built
// from path-like pieces, mutated hostile names) and any value. Out: (1) every input is accepted
// or refused with RELAY_E_CONTENT_NAME, never an untyped error; (2) an accepted name has no path
// separator (also after NFKC and percent-decoding), no dot segment, no control or invisible
// character, is NFC and 1-255 UTF-8 bytes; (3) percent-encoding a refused name once or twice,
// gently or every byte, leaves it refused.
import fc from 'fast-check';
import t from 'tap';
import { isRelayContentError } from '../../src/work/content';
import { checkFileName, MAX_NAME_BYTES } from '../../src/work/filedrop/filename';
import { checkProperty } from '../helpers/property';
import { percentEncode, percentEncodeAll } from './lib/hostile-names';
import { nameString } from './lib/name-arbitraries';

const RUNS = 10_000;

/** Any string, biased towards the pieces paths and names are made of. */
const anyString = nameString;

// eslint-disable-next-line no-control-regex
const CONTROL_OR_INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cf}]/u;
const SEPARATOR = /[/\\]/;

/** The outcome of checking `raw`: 'accepted', 'refused', or the untyped error. */
function outcome(raw: unknown): string {
  try {
    checkFileName(raw);
    return 'accepted';
  } catch (e) {
    if (isRelayContentError(e) && e.code === 'RELAY_E_CONTENT_NAME') return 'refused';
    return `untyped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** `text` decoded with decodeURIComponent while it changes (at most 5 times), each step kept. */
function decodings(text: string): string[] {
  const out = [text];
  let current = text;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      break;
    }
    if (next === current) break;
    out.push(next);
    current = next;
  }
  return out;
}

void t.test('any input is accepted or refused with RELAY_E_CONTENT_NAME', (t) => {
  checkProperty(
    t,
    fc.property(fc.oneof(anyString, fc.anything()), (raw) => {
      const o = outcome(raw);
      if (o !== 'accepted' && o !== 'refused') throw new Error(o);
    }),
    RUNS,
  );
  t.end();
});

void t.test('an accepted name is one safe segment of at most 255 bytes', (t) => {
  let accepted = 0;
  checkProperty(
    t,
    fc.property(anyString, fc.constantFrom('', '.pdf', '.PDF'), (s, ext) => {
      const raw = s + ext;
      let name: string;
      try {
        name = checkFileName(raw).name;
      } catch (e) {
        if (isRelayContentError(e)) return;
        throw e;
      }
      accepted++;
      const bytes = Buffer.byteLength(name, 'utf8');
      if (name !== raw.normalize('NFC')) throw new Error('the name is not the NFC of the input');
      if (bytes < 1 || bytes > MAX_NAME_BYTES) throw new Error(`${String(bytes)} bytes`);
      for (const view of [...decodings(name), name.normalize('NFKC')]) {
        if (SEPARATOR.test(view)) throw new Error(`a separator in ${JSON.stringify(view)}`);
        if (/^[. ]*\.[. ]*$/.test(view)) throw new Error(`a dot segment: ${JSON.stringify(view)}`);
        if (CONTROL_OR_INVISIBLE.test(view)) {
          throw new Error(`a control or invisible character in ${JSON.stringify(view)}`);
        }
      }
    }),
    RUNS,
  );
  t.ok(accepted > RUNS / 20, `the generators reach accepted names too (${String(accepted)})`);
  t.end();
});

void t.test('percent-encoding a refused name once or twice leaves it refused', (t) => {
  let refused = 0;
  checkProperty(
    t,
    fc.property(anyString, (raw) => {
      if (outcome(raw) !== 'refused') return;
      refused++;
      const encodings = [
        percentEncode(raw),
        percentEncode(percentEncode(raw)),
        percentEncodeAll(raw),
        percentEncodeAll(percentEncodeAll(raw)),
        percentEncode(percentEncodeAll(raw)),
      ];
      for (const e of encodings) {
        const o = outcome(e);
        if (o !== 'refused') throw new Error(`${JSON.stringify(e)} was ${o}`);
      }
    }),
    RUNS,
  );
  t.ok(refused > RUNS / 2, `most generated names are refused (${String(refused)})`);
  t.end();
});
