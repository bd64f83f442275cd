// IP-009, IP-010 and IP-011: containment. In: random prefixes and addresses, as bytes turned
// into text here (dotted quads; full and ::-compressed IPv6), IPv4-mapped spellings and
// malformed addresses. Out: contains() and containingEntries() agree with a reference that
// compares the first `length` bits one by one; ::ffff:a.b.c.d gets the IPv4 answer; anything
// malformed or ambiguous is IP_E_ADDRESS.
import fc from 'fast-check';
import {
  containingEntries,
  contains,
  parseCidr,
  rangeSetOf,
  checkAddress,
} from '../../relay/src/egress';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

interface RefPrefix {
  readonly bytes: readonly number[];
  readonly length: number;
}

const bit = (bytes: readonly number[], i: number): number =>
  ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;

/** The reference: do the first `length` bits of the address equal the prefix's? */
function refContains(p: RefPrefix, address: readonly number[]): boolean {
  for (let i = 0; i < p.length; i++) if (bit(p.bytes, i) !== bit(address, i)) return false;
  return true;
}

function clearHostBits(bytes: readonly number[], length: number): number[] {
  return bytes.map((b, k) => {
    const keep = Math.max(0, Math.min(8, length - k * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

function v6Text(bytes: readonly number[], compress: boolean): string {
  const groups: string[] = [];
  for (let k = 0; k < 16; k += 2)
    groups.push((((bytes[k] ?? 0) << 8) | (bytes[k + 1] ?? 0)).toString(16));
  const full = groups.join(':');
  return compress ? full.replace(/(^|:)0(:0)+(:|$)/, '::') : full;
}

const text = (bytes: readonly number[], compress: boolean): string =>
  bytes.length === 4 ? bytes.join('.') : v6Text(bytes, compress);

/** Addresses inside ::ffff:0:0/96 are IPv4 addresses to contains(); kept out of the IPv6 runs. */
const isMapped = (b: readonly number[]): boolean =>
  b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

function scenario(size: 4 | 16) {
  const bits = size * 8;
  const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: size, maxLength: size });
  const prefix = fc
    .record({ bytes, length: fc.integer({ min: 0, max: bits }) })
    .map((p) => ({ bytes: clearHostBits(p.bytes, p.length), length: p.length }));
  return fc
    .record({
      prefixes: fc.array(prefix, { maxLength: 8 }),
      random: bytes,
      pick: fc.nat(),
      near: fc.constantFrom('random', 'inside', 'flipped'),
      flip: fc.nat(),
      compress: fc.boolean(),
    })
    .map((s) => {
      let address = s.random;
      const p = s.prefixes[s.pick % Math.max(1, s.prefixes.length)];
      if (p !== undefined && s.near !== 'random') {
        // Same leading bits as a prefix, the rest random; 'flipped' then flips one of them.
        address = s.random.map((b, k) => {
          const keep = Math.max(0, Math.min(8, p.length - k * 8));
          const mask = (0xff << (8 - keep)) & 0xff;
          return ((p.bytes[k] ?? 0) & mask) | (b & ~mask & 0xff);
        });
        if (s.near === 'flipped' && p.length > 0) {
          const i = s.flip % p.length;
          address[i >> 3] = (address[i >> 3] ?? 0) ^ (1 << (7 - (i & 7)));
        }
      }
      return { prefixes: s.prefixes, address, compress: s.compress };
    });
}

function agrees(s: {
  prefixes: readonly RefPrefix[];
  address: number[];
  compress: boolean;
}): boolean {
  if (s.prefixes.some((p) => isMapped(p.bytes) && p.length >= 96) || isMapped(s.address))
    return true;
  const set = rangeSetOf(
    s.prefixes.map((p) => parseCidr(`${text(p.bytes, s.compress)}/${p.length}`)),
  );
  const ip = text(s.address, s.compress);
  const expected = s.prefixes.flatMap((p, i) => (refContains(p, s.address) ? [i] : []));
  const got = containingEntries(set, ip).map((e) => set.entries.indexOf(e));
  return (
    contains(set, ip) === expected.length > 0 && JSON.stringify(got) === JSON.stringify(expected)
  );
}

void kase('IP-009', async (t) => {
  await t.test('hand-picked IPv4 edges agree with the reference', (t) => {
    const set = rangeSetOf(['51.140.146.48/29', '0.0.0.0/32', '255.255.255.255/32'].map(parseCidr));
    t.ok(contains(set, '51.140.146.48'));
    t.ok(contains(set, '51.140.146.55'));
    t.notOk(contains(set, '51.140.146.56'));
    t.notOk(contains(set, '51.140.146.47'));
    t.ok(contains(set, '0.0.0.0'));
    t.ok(contains(set, '255.255.255.255'));
    t.notOk(contains(set, '0.0.0.1'));
    t.end();
  });

  await t.test(
    'for any IPv4 prefixes and address, contains() equals the bit-by-bit reference',
    (t) => checkProperty(t, fc.property(scenario(4), agrees)),
  );
});

void kase('IP-010', async (t) => {
  await t.test('hand-picked IPv6 edges agree with the reference', (t) => {
    const set = rangeSetOf(
      ['2603:1020:705::700/120', '::/128', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128'].map(
        parseCidr,
      ),
    );
    t.ok(contains(set, '2603:1020:705::700'));
    t.ok(contains(set, '2603:1020:705::7ff'));
    t.notOk(contains(set, '2603:1020:705::800'));
    t.notOk(contains(set, '2603:1020:705::6ff'));
    t.ok(contains(set, '::'));
    t.ok(contains(set, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'));
    t.notOk(contains(set, '::1'));
    t.end();
  });

  await t.test(
    'for any IPv6 prefixes and address, contains() equals the bit-by-bit reference',
    (t) => checkProperty(t, fc.property(scenario(16), agrees)),
  );
});

const ADDRESS = { name: 'RangesError', code: 'IP_E_ADDRESS' };

void kase('IP-011', async (t) => {
  const set = rangeSetOf(['51.140.146.48/29', '2603:1020:705::/48'].map(parseCidr));

  await t.test('::ffff:51.140.146.50 is allowed by the IPv4 prefix, in every spelling', (t) => {
    for (const ip of [
      '::ffff:51.140.146.50',
      '::FFFF:51.140.146.50',
      '::ffff:338c:9232',
      '0:0:0:0:0:ffff:338c:9232',
    ]) {
      t.ok(contains(set, ip), ip);
      t.equal(checkAddress(set, ip).checked, '51.140.146.50');
    }
    t.notOk(contains(set, '::ffff:51.140.146.56'));
    t.end();
  });

  await t.test('for any IPv4 address and prefix, the mapped form gets the same answer', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 32 }),
        (addr, net, length) => {
          const network = net.map((b, k) => {
            const keep = Math.max(0, Math.min(8, length - k * 8));
            return b & ((0xff << (8 - keep)) & 0xff);
          });
          const s = rangeSetOf([parseCidr(`${network.join('.')}/${length}`)]);
          const ip = addr.join('.');
          const [a = 0, b = 0, c = 0, d = 0] = addr;
          const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
          const expected = contains(s, ip);
          return (
            contains(s, `::ffff:${ip}`) === expected && contains(s, `::ffff:${hex}`) === expected
          );
        },
      ),
    ),
  );

  await t.test('an IPv4-mapped prefix in a source is refused: it would never match', (t) => {
    t.throws(() => parseCidr('::ffff:51.140.146.48/125'), {
      code: 'IP_E_CIDR',
      message: /IPv4-mapped/,
    });
    t.end();
  });

  await t.test('ambiguous and malformed addresses are refused with IP_E_ADDRESS', (t) => {
    const bad = [
      '127.1',
      '010.140.146.50',
      '0x33.140.146.50',
      '51.140.146.050',
      '51.140.146',
      '256.1.1.1',
      '51.140.146.50/32',
      'fe80::1%eth0',
      '::51.140.146.50',
      '2603:1020::705::1',
      '12345::1',
      '',
      ' 51.140.146.50',
      '51.140.146.50\u00a0',
      'uksouth',
    ];
    for (const ip of bad) t.throws(() => contains(set, ip), ADDRESS, JSON.stringify(ip));
    t.end();
  });
});
