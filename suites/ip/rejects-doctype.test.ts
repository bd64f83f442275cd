// IP-014: DOCTYPE and entities. In: a billion-laughs document, an external-entity (XXE)
// document, a quadratic-blowup document, all generated here at run time and never
// committed, and undeclared entity references. Out: IP_E_DOCTYPE at the `<!` of the
// declaration, in constant time and before any expansion; IP_E_ENTITY for &name;.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { parseLegacyXml, parseSource, selectRangesFromFile } from '../../relay/src/egress';
import { kase } from '../lib/case';

const HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';
const BODY =
  '<AzurePublicIpAddresses>\n  <Region Name="&lol9;">\n    <IpRange Subnet="10.0.0.0/8" />\n  </Region>\n</AzurePublicIpAddresses>\n';

/** The classic "billion laughs": ten levels of ten references, 10^9 "lol"s if expanded. */
function billionLaughs(): string {
  const lines = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) {
    const previous = i === 1 ? 'lol' : `lol${i - 1}`;
    lines.push(`<!ENTITY lol${i} "${`&${previous};`.repeat(10)}">`);
  }
  return `${HEAD}<!DOCTYPE lolz [\n${lines.join('\n')}\n]>\n${BODY}`;
}

/** One 50 kB entity referenced 50,000 times: quadratic blow-up without nesting. */
function quadraticBlowup(): string {
  const entity = `<!ENTITY a "${'a'.repeat(50_000)}">`;
  return `${HEAD}<!DOCTYPE x [${entity}]>\n<AzurePublicIpAddresses><Region Name="${'&a;'.repeat(50_000)}"/></AzurePublicIpAddresses>`;
}

const XXE = `${HEAD}<!DOCTYPE AzurePublicIpAddresses [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<AzurePublicIpAddresses><Region Name="&xxe;"/></AzurePublicIpAddresses>`;

const DOCTYPE = { name: 'RangesError', code: 'IP_E_DOCTYPE' };

void kase('IP-014', async (t) => {
  await t.test('billion laughs is refused at the DOCTYPE on line 2, column 1, at once', (t) => {
    const text = billionLaughs();
    // Refused at the DOCTYPE's own position: the parser stopped there, before any entity
    // could be declared, let alone expanded.
    t.throws(() => parseLegacyXml(text), { ...DOCTYPE, details: { line: 2, column: 1 } });
    t.end();
  });

  await t.test('an external entity (XXE) is refused before anything is fetched or read', (t) => {
    t.throws(() => parseLegacyXml(XXE), { ...DOCTYPE, details: { line: 2, column: 1 } });
    t.end();
  });

  await t.test('a quadratic blow-up is refused without building the expansion', (t) => {
    const text = quadraticBlowup();
    const before = process.memoryUsage().heapUsed;
    t.throws(() => parseLegacyXml(text), DOCTYPE);
    const grew = process.memoryUsage().heapUsed - before;
    t.ok(grew < 64 * 1024 * 1024, `heap grew by ${(grew / 1e6).toFixed(1)} MB, not by gigabytes`);
    t.end();
  });

  await t.test('every spelling and place of a declaration is refused', (t) => {
    const variants = [
      '<!DOCTYPE AzurePublicIpAddresses SYSTEM "http://example.invalid/x.dtd">\n<AzurePublicIpAddresses/>',
      '<!doctype AzurePublicIpAddresses>\n<AzurePublicIpAddresses/>',
      '<!-- comment -->\n<?pi x?>\n<!DOCTYPE x>\n<AzurePublicIpAddresses/>',
      '<AzurePublicIpAddresses><!DOCTYPE x></AzurePublicIpAddresses>',
      '<AzurePublicIpAddresses><!ENTITY a "b"></AzurePublicIpAddresses>',
      '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.invalid/p">%p;]><AzurePublicIpAddresses/>',
    ];
    for (const v of variants) t.throws(() => parseLegacyXml(HEAD + v), DOCTYPE, v.slice(0, 40));
    t.throws(
      () => parseSource(Buffer.from(`\ufeff${billionLaughs()}`)),
      DOCTYPE,
      'as bytes with a BOM',
    );
    t.end();
  });

  await t.test('an entity that was never declared is refused by name', (t) => {
    t.throws(() => parseLegacyXml(`${HEAD}${BODY}`), {
      name: 'RangesError',
      code: 'IP_E_ENTITY',
      details: { line: 3, column: 17, entity: 'lol9' },
    });
    t.end();
  });

  await t.test('the loader refuses a billion-laughs file written to disk', async (t) => {
    const dir = t.testdir({});
    const file = join(dir, 'lolz.xml');
    writeFileSync(file, billionLaughs());
    await t.rejects(selectRangesFromFile(file, { regions: ['uksouth'] }), DOCTYPE);
  });
});
