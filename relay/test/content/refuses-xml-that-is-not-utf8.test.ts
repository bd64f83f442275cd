// XML bodies are UTF-8 only. In: UTF-16/32 bodies with their BOMs, Latin-1 bytes, overlong
// forms, surrogates, a sequence cut at the end, and declarations of other encodings. Out: rule
// 'encoding'; a UTF-8 BOM, a declared UTF-8 in any case, and multi-byte characters split across
// chunks (down to one byte per chunk) are accepted.
import t from 'tap';
import { checkXml, createXmlCheck } from '../../src/work/content';
import { chunksOf, ruleOf, verdictOf } from './lib/chunks';

const DOC = '<Bill><Name>Siân Ŵyn 😀</Name><Amount>£12.50</Amount></Bill>';

void t.test('bodies that are not UTF-8 are refused', (t) => {
  const utf8 = Buffer.from(DOC);
  const bad: Record<string, Buffer> = {
    'UTF-16LE with its BOM': Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(DOC, 'utf16le'),
    ]),
    'UTF-16BE with its BOM': Buffer.concat([
      Buffer.from([0xfe, 0xff]),
      Buffer.from(DOC, 'utf16le').swap16(),
    ]),
    'Latin-1 bytes': Buffer.from('<a>caf\u00e9 au lait</a>', 'latin1'),
    'an overlong "/"': Buffer.concat([
      Buffer.from('<a>'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('</a>'),
    ]),
    'an encoded surrogate': Buffer.concat([
      Buffer.from('<a>'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('</a>'),
    ]),
    'a code point above U+10FFFF': Buffer.concat([
      Buffer.from('<a>'),
      Buffer.from([0xf4, 0x90, 0x80, 0x80]),
      Buffer.from('</a>'),
    ]),
    'a sequence cut by the end of the body': Buffer.concat([
      utf8.subarray(0, utf8.indexOf('😀') + 2),
    ]),
  };
  for (const [name, body] of Object.entries(bad)) {
    t.equal(
      ruleOf(() => checkXml(body)),
      'encoding',
      name,
    );
    t.match(
      verdictOf(createXmlCheck(), chunksOf(body, 1)),
      { ok: false, rule: 'encoding' },
      `${name}, one byte per chunk`,
    );
  }
  t.end();
});

void t.test('UTF-32 and BOM-less UTF-16 are refused too: their NUL bytes are not XML', (t) => {
  const utf32 = Buffer.from([0x00, 0x00, 0xfe, 0xff, 0, 0, 0, 0x3c, 0, 0, 0, 0x61]);
  t.equal(
    ruleOf(() => checkXml(utf32)),
    'malformed',
    'UTF-32BE with its BOM',
  );
  t.equal(
    ruleOf(() => checkXml(Buffer.from(DOC, 'utf16le'))),
    'malformed',
    'UTF-16LE, no BOM',
  );
  t.end();
});

void t.test('an XML declaration naming another encoding is refused', (t) => {
  for (const enc of ['ISO-8859-1', 'UTF-16', 'windows-1252', 'UTF8']) {
    t.equal(
      ruleOf(() => checkXml(Buffer.from(`<?xml version="1.0" encoding="${enc}"?><a/>`))),
      'encoding',
      enc,
    );
  }
  t.end();
});

void t.test(
  'UTF-8, with or without its BOM or declaration, is accepted however it is split',
  (t) => {
    const variants: Record<string, Buffer> = {
      plain: Buffer.from(DOC),
      'with a BOM': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(DOC)]),
      'declared UTF-8': Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>${DOC}`),
      'declared utf-8': Buffer.from(
        `<?xml version="1.0" encoding="utf-8" standalone="yes"?>${DOC}`,
      ),
    };
    for (const [name, body] of Object.entries(variants)) {
      const whole = checkXml(body);
      t.equal(whole.root, 'Bill', name);
      for (const size of [1, 2, 3, 5]) {
        t.same(
          verdictOf(createXmlCheck(), chunksOf(body, size)),
          { ok: true, summary: whole },
          `${name}, ${size}-byte chunks`,
        );
      }
    }
    t.end();
  },
);
