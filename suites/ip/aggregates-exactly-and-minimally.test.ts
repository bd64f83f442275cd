// IP-012 and IP-013: aggregation. In: random prefix lists. Out: (1) the aggregated list
// admits exactly the same addresses, checked against references independent of the code:
// in a small space (10.0.0.0/22 and 2001:db8::/118) every address is enumerated through a
// bitmap; over the whole space every boundary address (first, last, first-1, last+1) is
// compared bit by bit, which decides equality of two finite unions of intervals; (2) every
// output block is maximal, none contains or can merge with another, the order is IPv4
// first then numeric whatever the input order, and aggregating again changes nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { aggregatePrefixes, formatCidr, parseCidr, selectRanges } from '../../relay/src/egress';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const SPACE = 1024;
const BLOCK = 22; // IPv4 block length; the IPv6 block is 96 + 22 = /118

/** A prefix inside the block: offset (aligned) and length in block terms (22..32). */
const smallPrefix = fc
  .record({
    v6: fc.boolean(),
    length: fc.integer({ min: BLOCK, max: 32 }),
    offset: fc.nat({ max: SPACE - 1 }),
  })
  .map((p) => {
    const size = 2 ** (32 - p.length);
    const offset = Math.floor(p.offset / size) * size;
    const text = p.v6
      ? `2001:db8::${offset.toString(16)}/${p.length + 96}`
      : `10.0.${offset >> 8}.${offset & 255}/${p.length}`;
    return { v6: p.v6, offset, size, text };
  });

/** Reads an output prefix back into block terms; undefined when it leaves the block. */
function readBack(text: string): { v6: boolean; offset: number; size: number } | undefined {
  const v4 = /^10\.0\.(\d+)\.(\d+)\/(\d+)$/.exec(text);
  if (v4 !== null) {
    const length = Number(v4[3]);
    const offset = Number(v4[1]) * 256 + Number(v4[2]);
    if (length < BLOCK || offset >= SPACE) return undefined;
    return { v6: false, offset, size: 2 ** (32 - length) };
  }
  const v6 = /^2001:db8::([0-9a-f]{0,4})\/(\d+)$/.exec(text);
  if (v6 !== null) {
    const length = Number(v6[2]) - 96;
    const offset = v6[1] === '' ? 0 : parseInt(v6[1] ?? '', 16);
    if (length < BLOCK || offset >= SPACE) return undefined;
    return { v6: true, offset, size: 2 ** (32 - length) };
  }
  return undefined;
}

function bitmap(blocks: readonly { v6: boolean; offset: number; size: number }[]): Uint8Array {
  const map = new Uint8Array(2 * SPACE);
  for (const b of blocks)
    map.fill(1, (b.v6 ? SPACE : 0) + b.offset, (b.v6 ? SPACE : 0) + b.offset + b.size);
  return map;
}

// Whole-space reference: bytes ↔ bigint done here, membership by comparing leading bits.
function toBits(text: string): { family: 4 | 6; value: bigint; length: number } {
  const [addr = '', len = ''] = text.split('/');
  if (!addr.includes(':')) {
    const value = addr.split('.').reduce((v, o) => (v << 8n) | BigInt(o), 0n);
    return { family: 4, value, length: Number(len) };
  }
  const [head = '', tail] = addr.split('::');
  const h = head === '' ? [] : head.split(':');
  const tl = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  const value = groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g, 16)), 0n);
  return { family: 6, value, length: Number(len) };
}

function member(
  prefixes: readonly { family: 4 | 6; value: bigint; length: number }[],
  family: 4 | 6,
  a: bigint,
): boolean {
  const bits = family === 4 ? 32 : 128;
  return prefixes.some((p) => {
    if (p.family !== family) return false;
    for (let i = 0; i < p.length; i++) {
      const shift = BigInt(bits - 1 - i);
      if (((p.value >> shift) & 1n) !== ((a >> shift) & 1n)) return false;
    }
    return true;
  });
}

const widePrefix = fc
  .record({
    v6: fc.boolean(),
    hi: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
    length: fc.nat({ max: 128 }),
  })
  .map(({ v6, hi, length }) => {
    const bits = v6 ? 128 : 32;
    const len = length % (bits + 1);
    const value = (hi >> BigInt(128 - bits)) & ~((1n << BigInt(bits - len)) - 1n);
    return { v6, value, len, bits };
  })
  .filter((p) => !(p.v6 && p.len >= 96 && p.value >> 32n === 0xffffn))
  .map((p) => {
    if (!p.v6) {
      const o = [24n, 16n, 8n, 0n].map((s) => (p.value >> s) & 255n);
      return `${o.join('.')}/${p.len}`;
    }
    const g: string[] = [];
    for (let s = 112n; s >= 0n; s -= 16n) g.push(((p.value >> s) & 0xffffn).toString(16));
    return `${g.join(':')}/${p.len}`;
  });

void kase('IP-012', async (t) => {
  await t.test(
    'in a small space, every address is admitted by the output exactly when by the input',
    (t) =>
      checkProperty(
        t,
        fc.property(fc.array(smallPrefix, { maxLength: 24 }), (input) => {
          const out = aggregatePrefixes(input.map((p) => p.text)).map(readBack);
          if (out.some((o) => o === undefined)) return false; // left the block: admits more
          const blocks = out as { v6: boolean; offset: number; size: number }[];
          const a = bitmap(input);
          const b = bitmap(blocks);
          const admitted = a.reduce((n, x) => n + x, 0);
          const covered = blocks.reduce((n, x) => n + x.size, 0);
          return a.every((x, i) => x === b[i]) && covered === admitted; // equal sets, no overlap
        }),
      ),
  );

  await t.test('over the whole space, membership agrees at every interval boundary', (t) =>
    checkProperty(
      t,
      fc.property(fc.array(widePrefix, { maxLength: 10 }), (input) => {
        const ins = input.map(toBits);
        const outs = aggregatePrefixes(input).map(toBits);
        for (const p of [...ins, ...outs]) {
          const bits = p.family === 4 ? 32 : 128;
          const max = (1n << BigInt(bits)) - 1n;
          const last = p.value + (1n << BigInt(bits - p.length)) - 1n;
          for (const a of [p.value - 1n, p.value, last, last + 1n]) {
            if (a < 0n || a > max) continue;
            if (member(ins, p.family, a) !== member(outs, p.family, a)) return false;
          }
        }
        return true;
      }),
    ),
  );

  await t.test('the UK selection keeps its addresses when aggregated', (t) => {
    const text = readFileSync(
      join(__dirname, '..', '..', 'fixtures', 'service-tags', 'ServiceTags_Public_excerpt_uk.json'),
      'utf8',
    );
    const options = { regions: ['uksouth', 'ukwest'], tags: ['AzureCloud', 'ServiceBus'] };
    const plain = selectRanges(text, options);
    const agg = selectRanges(text, { ...options, aggregate: true });
    t.ok(agg.prefixes.length <= plain.prefixes.length);
    const ins = plain.prefixes.map(toBits);
    const outs = agg.prefixes.map(toBits);
    let checked = 0;
    const disagreements: string[] = [];
    for (const p of [...ins, ...outs]) {
      const bits = p.family === 4 ? 32 : 128;
      const last = p.value + (1n << BigInt(bits - p.length)) - 1n;
      for (const a of [p.value - 1n, p.value, last, last + 1n]) {
        if (member(ins, p.family, a) !== member(outs, p.family, a)) disagreements.push(`${a}`);
        checked++;
      }
    }
    t.same(disagreements, [], 'no boundary address changes membership');
    t.ok(checked > 1000);
    t.same(
      agg.prefixes,
      agg.prefixes.map((p) => formatCidr(parseCidr(p))),
      'the output is canonical text',
    );
    t.end();
  });
});

interface Block {
  readonly v6: boolean;
  readonly offset: number;
  readonly size: number;
}

const prefix = fc
  .record({
    v6: fc.boolean(),
    length: fc.integer({ min: 22, max: 32 }),
    offset: fc.nat({ max: SPACE - 1 }),
  })
  .map((p) => {
    const size = 2 ** (32 - p.length);
    const offset = Math.floor(p.offset / size) * size;
    return p.v6
      ? `2001:db8::${offset.toString(16)}/${p.length + 96}`
      : `10.0.${offset >> 8}.${offset & 255}/${p.length}`;
  });

function read(text: string): Block {
  const v4 = /^10\.0\.(\d+)\.(\d+)\/(\d+)$/.exec(text);
  if (v4 !== null)
    return {
      v6: false,
      offset: Number(v4[1]) * 256 + Number(v4[2]),
      size: 2 ** (32 - Number(v4[3])),
    };
  const v6 = /^2001:db8::([0-9a-f]{0,4})\/(\d+)$/.exec(text);
  if (v6 === null) throw new Error(`output ${text} left the test block`);
  return {
    v6: true,
    offset: v6[1] === '' ? 0 : parseInt(v6[1] ?? '', 16),
    size: 2 ** (128 - Number(v6[2])),
  };
}

function admitted(input: readonly string[]): Uint8Array {
  const map = new Uint8Array(2 * SPACE);
  for (const b of input.map(read))
    map.fill(1, (b.v6 ? SPACE : 0) + b.offset, (b.v6 ? SPACE : 0) + b.offset + b.size);
  return map;
}

const key = (b: Block): number => (b.v6 ? SPACE : 0) + b.offset;

void kase('IP-013', async (t) => {
  await t.test('every output block is maximal: its parent block is not wholly admitted', (t) =>
    checkProperty(
      t,
      fc.property(fc.array(prefix, { maxLength: 24 }), (input) => {
        const map = admitted(input);
        return aggregatePrefixes(input)
          .map(read)
          .every((b) => {
            if (b.size >= SPACE) return true; // the parent leaves the block: not admitted
            const parentSize = b.size * 2;
            const parent = Math.floor(b.offset / parentSize) * parentSize + (b.v6 ? SPACE : 0);
            return map.subarray(parent, parent + parentSize).includes(0);
          });
      }),
    ),
  );

  await t.test('no output block contains another and no two are mergeable siblings', (t) =>
    checkProperty(
      t,
      fc.property(fc.array(prefix, { maxLength: 24 }), (input) => {
        const out = aggregatePrefixes(input).map(read);
        for (const a of out) {
          for (const b of out) {
            if (a === b || a.v6 !== b.v6) continue;
            if (b.offset >= a.offset && b.offset + b.size <= a.offset + a.size) return false;
            if (
              a.size === b.size &&
              Math.floor(a.offset / (2 * a.size)) === Math.floor(b.offset / (2 * b.size))
            ) {
              return false;
            }
          }
        }
        return true;
      }),
    ),
  );

  await t.test('the order is IPv4 first then numeric, whatever the input order', (t) =>
    checkProperty(
      t,
      fc.property(
        fc
          .array(prefix, { maxLength: 24 })
          .chain((list) =>
            fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length })),
          ),
        ([list, shuffled]) => {
          const out = aggregatePrefixes(list);
          const keys = out.map(read).map(key);
          const sorted = keys.every((k, i) => i === 0 || (keys[i - 1] ?? -1) < k);
          return sorted && JSON.stringify(aggregatePrefixes(shuffled)) === JSON.stringify(out);
        },
      ),
    ),
  );

  await t.test('aggregating the output again returns it unchanged', (t) =>
    checkProperty(
      t,
      fc.property(fc.array(prefix, { maxLength: 24 }), (input) => {
        const once = aggregatePrefixes(input);
        return JSON.stringify(aggregatePrefixes(once)) === JSON.stringify(once);
      }),
    ),
  );

  await t.test('a hand-made list merges siblings and drops contained prefixes', (t) => {
    t.same(
      aggregatePrefixes([
        '10.0.0.128/25',
        '10.0.0.0/25',
        '10.0.0.7/32',
        '10.0.1.0/24',
        '2001:db8::/120',
      ]),
      ['10.0.0.0/23', '2001:db8::/120'],
    );
    t.end();
  });
});
