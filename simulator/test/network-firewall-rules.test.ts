// The firewall evaluator as a pure function: its verdict for any (address, port) equals a
// brute-force linear scan of the rules with a naive bit-by-bit prefix compare; rules written
// from a service-tag selection allow exactly the selected set on exactly the guide's ports;
// malformed rules are refused with a typed error naming the rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { checkProperty } from '../../suites/lib/property';
import { formatAddress, cidrRange } from '../../relay/src/egress/cidr';
import { contains, selectRanges } from '../../relay/src/egress/ranges';
import {
  GUIDE_PORTS,
  compileRuleset,
  evaluate,
  isSimNetError,
  rulesFromServiceTags,
  type Verdict,
} from '../src/network';

// ---------------------------------------------------------------------------------------
// Brute force: addresses as byte arrays, prefixes compared one bit at a time.

interface Ip {
  readonly family: 4 | 6;
  readonly bytes: readonly number[];
  /** How the test spells it: dotted, full IPv6, or IPv4-mapped IPv6 for an IPv4 address. */
  readonly text: string;
}

interface BruteRule {
  readonly verdict: Verdict;
  readonly any: boolean;
  readonly family: 4 | 6;
  readonly bytes: readonly number[];
  readonly length: number;
  readonly ports: readonly [number, number][] | undefined;
}

function bit(bytes: readonly number[], i: number): number {
  return ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
}

function bruteVerdict(
  rules: readonly BruteRule[],
  fallback: Verdict,
  ip: Ip,
  port: number,
): [Verdict, number] {
  for (const [k, r] of rules.entries()) {
    let addressMatch = r.any;
    if (!addressMatch && r.family === ip.family) {
      addressMatch = true;
      for (let i = 0; i < r.length; i++) {
        if (bit(r.bytes, i) !== bit(ip.bytes, i)) {
          addressMatch = false;
          break;
        }
      }
    }
    const portMatch = r.ports === undefined || r.ports.some(([a, b]) => port >= a && port <= b);
    if (addressMatch && portMatch) return [r.verdict, k + 1];
  }
  return [fallback, 0];
}

function v4Text(bytes: readonly number[]): string {
  return bytes.join('.');
}

function v6Text(bytes: readonly number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

function masked(bytes: readonly number[], length: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, length - i * 8));
    return keep === 0 ? 0 : b & ((0xff << (8 - keep)) & 0xff);
  });
}

// Small universes so that rules and addresses often overlap.
const v4Bytes = fc
  .tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 255 }))
  .map(([c, d]) => [198, 18, c, d]);
const v6Bytes = fc
  .tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 255 }))
  .map(([c, d]) => [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, c, d]);

function ipOf(family: 4 | 6, bytes: readonly number[], mapped: boolean): Ip {
  if (family === 6) return { family, bytes, text: v6Text(bytes) };
  return { family, bytes, text: mapped ? `::ffff:${v4Text(bytes)}` : v4Text(bytes) };
}

const ipArb: fc.Arbitrary<Ip> = fc.oneof(
  fc.tuple(v4Bytes, fc.boolean()).map(([bytes, mapped]) => ipOf(4, bytes, mapped)),
  v6Bytes.map((bytes) => ipOf(6, bytes, false)),
);

const portRange = fc
  .tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 3 }))
  .map(([a, w]) => [a, a + w] as [number, number]);

const ruleArb: fc.Arbitrary<BruteRule> = fc.constantFrom<4 | 6>(4, 6).chain((family) =>
  fc
    .record({
      verdict: fc.constantFrom<Verdict>('accept', 'reject', 'drop'),
      any: fc.integer({ min: 0, max: 9 }).map((die) => die === 0),
      raw: family === 4 ? v4Bytes : v6Bytes,
      length: family === 4 ? fc.integer({ min: 22, max: 32 }) : fc.integer({ min: 118, max: 128 }),
      ports: fc.option(fc.array(portRange, { minLength: 1, maxLength: 3 }), {
        nil: undefined,
        freq: 4,
      }),
    })
    .map(({ raw, ...r }) => ({ ...r, family, bytes: masked(raw, r.length) })),
);

function toInput(r: BruteRule, i: number) {
  const destination = r.any
    ? 'any'
    : `${r.family === 4 ? v4Text(r.bytes) : v6Text(r.bytes)}/${r.length}`;
  const ports =
    r.ports === undefined ? 'any' : r.ports.map(([a, b]) => (a === b ? a : `${a}-${b}`));
  return { name: `r${i + 1}`, verdict: r.verdict, destination, ports };
}

/** Rules, then probes: random addresses, and addresses next to the rules' own boundaries. */
const scenario = fc.array(ruleArb, { maxLength: 12 }).chain((rules) => {
  const prefixes = rules.filter((r) => !r.any);
  const near =
    prefixes.length === 0
      ? ipArb
      : fc
          .tuple(fc.constantFrom(...prefixes), fc.integer({ min: 0, max: 15 }), fc.boolean())
          .map(([r, flip, mapped]) => {
            const bytes = [...r.bytes];
            const last = bytes.length - 1;
            bytes[last] = (bytes[last] ?? 0) ^ flip;
            return ipOf(r.family, bytes, mapped);
          });
  const probe = fc.tuple(fc.oneof(ipArb, near), fc.integer({ min: 1, max: 12 }));
  return fc.tuple(fc.constant(rules), fc.array(probe, { minLength: 1, maxLength: 8 }));
});

void t.test(
  'the verdict for any address and port equals a brute-force scan of the rules',
  async (t) => {
    await checkProperty(
      t,
      fc.property(
        scenario,
        fc.constantFrom<Verdict>('accept', 'reject', 'drop'),
        ([rules, probes], fallback) => {
          const ruleset = compileRuleset({ defaultPolicy: fallback, rules: rules.map(toInput) });
          for (const [ip, port] of probes) {
            const d = evaluate(ruleset, ip.text, port);
            const [verdict, position] = bruteVerdict(rules, fallback, ip, port);
            if (d.verdict !== verdict || (d.rule?.position ?? 0) !== position) return false;
          }
          return true;
        },
      ),
    );
  },
);

void t.test('the brute force itself tells a /31 from its neighbours', (t) => {
  const rule: BruteRule = {
    verdict: 'reject',
    any: false,
    family: 4,
    bytes: [198, 18, 0, 2],
    length: 31,
    ports: undefined,
  };
  const probe = (d: number): Verdict =>
    bruteVerdict([rule], 'accept', { family: 4, bytes: [198, 18, 0, d], text: '' }, 1)[0];
  t.same([1, 2, 3, 4].map(probe), ['accept', 'reject', 'reject', 'accept']);
  t.end();
});

// ---------------------------------------------------------------------------------------
// Rules from a service-tag selection.

const fixtures = join(__dirname, '..', '..', 'fixtures', 'service-tags');

void t.test(
  'rules from the ServiceBus UK tags allow exactly the selection on exactly the guide ports',
  (t) => {
    const source = readFileSync(join(fixtures, 'ServiceTags_Public_excerpt_uk.json'), 'utf8');
    const selection = selectRanges(source, {
      regions: ['uksouth', 'ukwest'],
      tags: ['ServiceBus'],
    });
    const rules = rulesFromServiceTags(selection.set);
    t.ok(
      rules.length > 0 && rules.length <= selection.counts.distinct,
      'one rule per aggregated prefix',
    );
    t.same(rules[0]?.ports, ['80', '443', '5671', '5672', '9350-9354']);
    const ruleset = compileRuleset({ defaultPolicy: 'reject', rules });
    const guide = new Set([80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354]);
    let probes = 0;
    for (const entry of selection.set.entries) {
      const { first, last } = cidrRange(entry.cidr);
      const top = entry.cidr.family === 4 ? 2n ** 32n - 1n : 2n ** 128n - 1n;
      for (const value of [
        first,
        last,
        first === 0n ? first : first - 1n,
        last === top ? last : last + 1n,
      ]) {
        const address = formatAddress({ family: entry.cidr.family, value });
        for (const port of [80, 443, 5671, 5672, 9350, 9354, 9355, 8080, 22]) {
          const expected =
            contains(selection.set, address) && guide.has(port) ? 'accept' : 'reject';
          t.equal(evaluate(ruleset, address, port).verdict, expected, `${address}:${port}`);
          probes++;
        }
      }
    }
    t.ok(probes > 100, `${probes} probes`);
    t.end();
  },
);

void t.test('rules can be written from plain prefixes and any port list', (t) => {
  const rules = rulesFromServiceTags(['51.140.146.48/29', '51.140.146.56/29'], [443], {
    namePrefix: 'sb',
    verdict: 'accept',
  });
  t.same(rules, [
    { name: 'sb-1', verdict: 'accept', destination: '51.140.146.48/28', ports: ['443'] },
  ]);
  const unmerged = rulesFromServiceTags(
    { prefixes: ['51.140.146.48/29', '51.140.146.56/29'] },
    GUIDE_PORTS,
    {
      aggregate: false,
    },
  );
  t.equal(unmerged.length, 2);
  t.end();
});

// ---------------------------------------------------------------------------------------
// Refusals.

void t.test('malformed rules are refused with a typed error that names the rule', (t) => {
  const cases: [unknown, string, RegExp][] = [
    [
      { rules: [{ verdict: 'accept', destination: '51.140.146.50/29', ports: 443 }] },
      'SIM_E_NET_CIDR',
      /rules\[0\]\.destination.*51\.140\.146\.48\/29/,
    ],
    [
      { rules: [{ verdict: 'accept', destination: '::ffff:192.0.2.0/120', ports: 443 }] },
      'SIM_E_NET_CIDR',
      /IPv4-mapped/,
    ],
    [
      { rules: [{ verdict: 'accept', destination: '300.1.1.1/32', ports: 443 }] },
      'SIM_E_NET_CIDR',
      /rules\[0\]/,
    ],
    [
      { rules: [{ verdict: 'accept', destination: 'any', ports: 70000 }] },
      'SIM_E_NET_PORT',
      /70000/,
    ],
    [
      { rules: [{ verdict: 'accept', destination: 'any', ports: '9354-9350' }] },
      'SIM_E_NET_PORT',
      /backwards/,
    ],
    [
      { rules: [{ verdict: 'accept', destination: 'any', ports: 'https' }] },
      'SIM_E_NET_PORT',
      /"https"/,
    ],
    [
      { rules: [{ verdict: 'allow', destination: 'any', ports: 443 }] },
      'SIM_E_NET_RULE',
      /verdict/,
    ],
    [{ rules: [{ verdict: 'accept', ports: 443 }] }, 'SIM_E_NET_RULE', /destination/],
    [{ defaultPolicy: 'deny' }, 'SIM_E_NET_RULE', /defaultPolicy/],
    [
      {
        rules: [
          { name: 'x', verdict: 'accept', destination: 'any', ports: 443 },
          { name: 'x', verdict: 'drop', destination: 'any', ports: 80 },
        ],
      },
      'SIM_E_NET_RULE',
      /rules\[1\]\.name.*twice/,
    ],
  ];
  for (const [input, code, message] of cases) {
    try {
      compileRuleset(input);
      t.fail(`accepted ${JSON.stringify(input)}`);
    } catch (e) {
      t.ok(isSimNetError(e, code as never), `${code} for ${JSON.stringify(input)}`);
      t.match((e as Error).message, message);
    }
  }
  t.end();
});

void t.test('a malformed address to judge is a typed error, not a crash', (t) => {
  const ruleset = compileRuleset({ defaultPolicy: 'accept', rules: [] });
  t.throws(() => evaluate(ruleset, '51.140.146.050', 443), { code: 'SIM_E_NET_CIDR' });
  t.equal(evaluate(ruleset, '::ffff:51.140.146.50', 443).verdict, 'accept');
  t.end();
});
