// Unit tests of the prefix arithmetic (relay/src/egress/cidr.ts): strict spelling,
// canonical text, containment edges, range splitting and aggregation on hand-made cases.
import t from 'tap';
import {
  aggregate,
  cidrContains,
  cidrCovers,
  cidrRange,
  compareCidr,
  formatAddress,
  formatCidr,
  intervalsContain,
  mergeToIntervals,
  parseAddress,
  parseCidr,
  rangeToCidrs,
  toMappedIpv6,
  tryParseCidr,
} from '../../src/egress/cidr';
import { RangesError } from '../../src/egress/errors';

const texts = (list: string[]): string[] => aggregate(list.map(parseCidr)).map(formatCidr);

void t.test('strictly spelled addresses parse to the expected family and value', (t) => {
  t.same(parseAddress('51.140.146.50'), { family: 4, value: 0x338c9232n });
  t.same(parseAddress('0.0.0.0'), { family: 4, value: 0n });
  t.same(parseAddress('255.255.255.255'), { family: 4, value: 0xffffffffn });
  t.same(parseAddress('::'), { family: 6, value: 0n });
  t.same(parseAddress('2603:1020:705::700'), {
    family: 6,
    value: 0x26031020070500000000000000000700n,
  });
  t.same(parseAddress('64:ff9b::1.2.3.4'), {
    family: 6,
    value: 0x0064ff9b000000000000000001020304n,
  });
  t.end();
});

void t.test('IPv4-mapped IPv6 addresses, in any spelling, become the IPv4 address', (t) => {
  for (const s of [
    '::ffff:51.140.146.50',
    '::FFFF:51.140.146.50',
    '::ffff:338c:9232',
    '0:0:0:0:0:ffff:338c:9232',
  ]) {
    t.same(parseAddress(s), { family: 4, value: 0x338c9232n }, s);
  }
  t.same(toMappedIpv6(parseAddress('1.2.3.4')), { family: 6, value: 0xffff01020304n });
  t.end();
});

void t.test('ambiguous or malformed addresses are refused with IP_E_ADDRESS', (t) => {
  const bad = [
    '',
    '127.1',
    '010.0.0.1',
    '1.2.3.04',
    '0x7f.0.0.1',
    '256.0.0.1',
    '1.2.3.4.5',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/32',
    'fe80::1%eth0',
    '::1.2.3.4',
    '::ffff:010.2.3.4',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':::',
    'g::',
    '\u00a01.2.3.4',
  ];
  for (const s of bad) {
    t.throws(
      () => parseAddress(s),
      { name: 'RangesError', code: 'IP_E_ADDRESS' },
      JSON.stringify(s),
    );
  }
  t.throws(() => parseAddress(42 as unknown as string), { code: 'IP_E_ADDRESS' });
  t.end();
});

void t.test('addresses are written back in canonical form', (t) => {
  t.equal(formatAddress(parseAddress('51.140.146.50')), '51.140.146.50');
  t.equal(
    formatAddress(parseAddress('2603:1020:0705:0000:0000:0000:0000:0700')),
    '2603:1020:705::700',
  );
  t.equal(formatAddress(parseAddress('2001:DB8::1')), '2001:db8::1');
  t.equal(formatAddress({ family: 6, value: 0n }), '::');
  t.end();
});

void t.test('canonical prefixes parse and print back unchanged', (t) => {
  for (const s of [
    '0.0.0.0/0',
    '10.0.0.0/8',
    '51.140.146.48/29',
    '1.2.3.4/32',
    '::/0',
    '2603:1020:705::700/120',
    '2603:1020:705:c02::150/125',
    '::1/128',
  ]) {
    t.equal(formatCidr(parseCidr(s)), s, s);
  }
  t.equal(formatCidr(parseCidr('2603:1020:0705::0700/120')), '2603:1020:705::700/120');
  t.end();
});

void t.test('a prefix with host bits set is refused and the message names the network', (t) => {
  const r = tryParseCidr('51.140.146.50/29');
  t.equal(typeof r, 'string');
  t.match(r, /host bits are not zero \(the 29-bit network is 51\.140\.146\.48\/29\)/);
  t.throws(() => parseCidr('2603:1020:705::701/120'), {
    code: 'IP_E_CIDR',
    details: { value: '2603:1020:705::701/120' },
  });
  t.end();
});

void t.test('malformed prefixes are refused with IP_E_CIDR', (t) => {
  const bad = [
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/08',
    '10.0.0.0/-1',
    '10.0.0.0/ 8',
    '::/129',
    '10.0.0.0/8/8',
    '127.1/8',
    'fe80::%eth0/64',
    '::ffff:1.2.3.0/120',
    '/8',
    '',
  ];
  for (const s of bad) t.throws(() => parseCidr(s), { code: 'IP_E_CIDR' }, JSON.stringify(s));
  t.ok(new RangesError('IP_E_CIDR', 'x') instanceof Error);
  t.end();
});

void t.test('containment compares the leading bits of the right family only', (t) => {
  const p = parseCidr('51.140.146.48/29');
  t.ok(cidrContains(p, parseAddress('51.140.146.48')));
  t.ok(cidrContains(p, parseAddress('51.140.146.55')));
  t.notOk(cidrContains(p, parseAddress('51.140.146.56')));
  t.notOk(cidrContains(p, parseAddress('51.140.146.47')));
  t.ok(cidrContains(parseCidr('0.0.0.0/0'), parseAddress('255.255.255.255')));
  t.notOk(cidrContains(parseCidr('::/0'), parseAddress('1.2.3.4')));
  t.ok(cidrContains(parseCidr('::/0'), parseAddress('2603::1')));
  t.ok(cidrCovers(parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16')));
  t.notOk(cidrCovers(parseCidr('10.1.0.0/16'), parseCidr('10.0.0.0/8')));
  t.same(cidrRange(parseCidr('10.0.0.0/30')), { first: 0x0a000000n, last: 0x0a000003n });
  t.end();
});

void t.test('a range splits into the fewest aligned blocks, including the whole space', (t) => {
  t.same(rangeToCidrs(4, 0n, 0xffffffffn).map(formatCidr), ['0.0.0.0/0']);
  t.same(rangeToCidrs(6, 0n, (1n << 128n) - 1n).map(formatCidr), ['::/0']);
  t.same(rangeToCidrs(4, 1n, 6n).map(formatCidr), [
    '0.0.0.1/32',
    '0.0.0.2/31',
    '0.0.0.4/31',
    '0.0.0.6/32',
  ]);
  t.same(rangeToCidrs(4, 0xffffffffn, 0xffffffffn).map(formatCidr), ['255.255.255.255/32']);
  t.end();
});

void t.test('aggregation merges siblings, drops contained prefixes and keeps gaps', (t) => {
  t.same(texts(['10.0.0.0/25', '10.0.0.128/25']), ['10.0.0.0/24']);
  t.same(texts(['10.0.0.0/24', '10.0.0.7/32']), ['10.0.0.0/24']);
  t.same(texts(['10.0.0.128/25', '10.0.1.0/25']), ['10.0.0.128/25', '10.0.1.0/25']);
  t.same(texts(['10.0.1.0/24', '10.0.0.0/24', '10.0.2.0/24', '10.0.3.0/24']), ['10.0.0.0/22']);
  t.same(texts(['0.0.0.0/1', '128.0.0.0/1']), ['0.0.0.0/0']);
  t.same(texts(['2603:1020:705::/49', '2603:1020:705:8000::/49', '10.0.0.0/8']), [
    '10.0.0.0/8',
    '2603:1020:705::/48',
  ]);
  t.same(texts([]), []);
  t.end();
});

void t.test('the order is IPv4 first, then numeric, then shorter first', (t) => {
  const list = ['::/0', '10.0.0.0/16', '10.0.0.0/8', '9.0.0.0/8'].map(parseCidr).sort(compareCidr);
  t.same(list.map(formatCidr), ['9.0.0.0/8', '10.0.0.0/8', '10.0.0.0/16', '::/0']);
  t.end();
});

void t.test('interval search finds addresses at the edges and not in the gaps', (t) => {
  const iv = mergeToIntervals(['10.0.0.0/24', '10.0.2.0/24', '2603::/16'].map(parseCidr));
  t.equal(iv.length, 3);
  t.ok(intervalsContain(iv, parseAddress('10.0.0.0')));
  t.ok(intervalsContain(iv, parseAddress('10.0.2.255')));
  t.notOk(intervalsContain(iv, parseAddress('10.0.1.0')));
  t.notOk(intervalsContain(iv, parseAddress('10.0.3.0')));
  t.ok(intervalsContain(iv, parseAddress('2603:ffff::')));
  t.notOk(intervalsContain(iv, parseAddress('2604::')));
  t.notOk(intervalsContain([], parseAddress('10.0.0.0')));
  t.end();
});
