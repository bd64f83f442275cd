// The generated rules allow exactly the selected ranges on exactly the chosen ports. In:
// random prefix sets (clustered so that they overlap, nest and touch), random internal
// networks, ports and policies, and the real UK excerpt. Out: for random addresses and ports,
// the model's verdict equals the brute-force answer over the prefixes as selected; the
// aggregation is minimal; the Windows block lists name exactly the refused addresses.
import { join } from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import {
  aggregate,
  cidrContains,
  formatAddress,
  formatCidr,
  parseAddress,
  parseCidr,
  selectRangesFromFile,
  type Address,
  type Cidr,
} from '../../relay/src/egress';
import { checkProperty } from '../../suites/lib/property';
import { windowsRange } from '../src/firewall/intervals';
import { portIn, type PortRange } from '../src/firewall/ports';
import {
  NOT_DESTINATIONS,
  buildRuleSet,
  refusedIntervals,
  selectionInput,
  verdictOf,
  type RefusalPolicy,
  type SourceInfo,
} from '../src/firewall/rules';
import { windowsRules } from '../src/firewall/formats/windows';

const TAGS = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const NOW = new Date('2026-11-23T10:00:00Z');
const SOURCE: SourceInfo = {
  file: 'synthetic.json',
  format: 'json',
  layout: 'service-tags',
  changeNumber: 1,
  cloud: 'Public',
};

function maskOff(value: bigint, length: number, bits: number): bigint {
  const host = (1n << BigInt(bits - length)) - 1n;
  return value & ~host;
}

// Prefixes near 51.140.0.0 and 2603:1020:: so they overlap, nest and touch.
const V4_BASE = 0x338c0000n; // 51.140.0.0
const V6_BASE = 0x26031020n << 96n;
const cidrArb: fc.Arbitrary<Cidr> = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << 14n) - 1n }), fc.integer({ min: 18, max: 32 }))
    .map(([off, length]) => ({
      family: 4 as const,
      network: maskOff(V4_BASE + off, length, 32),
      length,
    })),
  fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << 14n) - 1n }), fc.integer({ min: 112, max: 128 }))
    .map(([off, length]) => ({
      family: 6 as const,
      network: maskOff(V6_BASE + off, length, 128),
      length,
    })),
);
const addressArb: fc.Arbitrary<Address> = fc.oneof(
  fc
    .bigInt({ min: V4_BASE - 64n, max: V4_BASE + (1n << 14n) + 64n })
    .map((value) => ({ family: 4 as const, value })),
  fc
    .bigInt({ min: V6_BASE - 64n, max: V6_BASE + (1n << 14n) + 64n })
    .map((value) => ({ family: 6 as const, value })),
  fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((value) => ({ family: 4 as const, value })),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((value) => ({ family: 6 as const, value })),
);
const portsArb: fc.Arbitrary<readonly PortRange[]> = fc.oneof<fc.Arbitrary<readonly PortRange[]>[]>(
  fc.constant([
    { from: 80, to: 80 },
    { from: 443, to: 443 },
    { from: 5671, to: 5672 },
    { from: 9350, to: 9354 },
  ]),
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 20 })), {
      minLength: 1,
      maxLength: 6,
    })
    .map((xs) => xs.map(([from, span]) => ({ from, to: Math.min(65535, from + span) }))),
);
const portArb = fc.oneof(
  fc.constantFrom(80, 443, 5671, 5672, 9350, 9352, 9354, 22, 8443, 9355),
  fc.integer({ min: 1, max: 65535 }),
);
const policyArb = fc.constantFrom<RefusalPolicy>('reject', 'drop', 'accept-other');
const internalArb = fc.array(cidrArb, { maxLength: 4 });

function within(cidrs: readonly Cidr[], a: Address): boolean {
  return cidrs.some((c) => cidrContains(c, a));
}

function parseWindows(text: string): { family: 4 | 6; first: bigint; last: bigint } {
  if (text.includes('-')) {
    const [a, b] = text.split('-').map((s) => parseAddress(s));
    if (a === undefined || b === undefined) throw new Error(text);
    return { family: a.family, first: a.value, last: b.value };
  }
  if (text.includes('/')) {
    const c = parseCidr(text);
    const size = 1n << BigInt((c.family === 4 ? 32 : 128) - c.length);
    return { family: c.family, first: c.network, last: c.network + size - 1n };
  }
  const a = parseAddress(text);
  return { family: a.family, first: a.value, last: a.value };
}

void t.test(
  'allowed by the rules equals inside the selected ranges, on the chosen ports',
  async (t) => {
    await checkProperty(
      t,
      fc.property(
        fc.array(cidrArb, { minLength: 1, maxLength: 40 }),
        internalArb,
        portsArb,
        policyArb,
        fc.array(fc.tuple(addressArb, portArb), { minLength: 20, maxLength: 20 }),
        (prefixes, internal, ports, policy, probes) => {
          const model = buildRuleSet(
            SOURCE,
            { regions: ['uksouth'], tags: ['AzureCloud'], missing: [], prefixes },
            { ports, policy, internal, now: NOW },
          );
          const verdict = verdictOf(model);
          return probes.every(([a, port]) => {
            const onPort = portIn(ports, port);
            const inRanges = within(prefixes, a);
            const expected = !onPort
              ? 'pass'
              : inRanges
                ? 'allow'
                : policy === 'accept-other' || within(internal, a)
                  ? 'pass'
                  : 'refuse';
            return verdict(formatAddress(a), port) === expected;
          });
        },
      ),
    );
  },
);

void t.test('the allowed prefixes are the fewest that cover the selection', async (t) => {
  await checkProperty(
    t,
    fc.property(fc.array(cidrArb, { minLength: 1, maxLength: 40 }), (prefixes) => {
      const model = buildRuleSet(
        SOURCE,
        { regions: ['uksouth'], tags: ['AzureCloud'], missing: [], prefixes },
        { ports: [{ from: 443, to: 443 }], policy: 'reject', internal: [], now: NOW },
      );
      const listed = [...model.ipv4, ...model.ipv6];
      const again = aggregate(listed.map((p) => parseCidr(p))).map(formatCidr);
      const distinct = new Set(prefixes.map(formatCidr)).size;
      return (
        JSON.stringify(again) === JSON.stringify(listed) &&
        listed.length <= distinct &&
        model.ipv4.every((p) => !p.includes(':')) &&
        model.ipv6.every((p) => p.includes(':'))
      );
    }),
  );
});

void t.test(
  'the Windows block lists name exactly the refused addresses, never an allowed one',
  async (t) => {
    const never = NOT_DESTINATIONS.map((p) => parseCidr(p));
    await checkProperty(
      t,
      fc.property(
        fc.array(cidrArb, { minLength: 1, maxLength: 30 }),
        internalArb,
        fc.array(addressArb, { minLength: 20, maxLength: 20 }),
        (prefixes, internal, probes) => {
          const model = buildRuleSet(
            SOURCE,
            { regions: ['uksouth'], tags: ['AzureCloud'], missing: [], prefixes },
            { ports: [{ from: 443, to: 443 }], policy: 'reject', internal, now: NOW },
          );
          const blocked = [...refusedIntervals(model, 4), ...refusedIntervals(model, 6)]
            .map(windowsRange)
            .map(parseWindows);
          const rules = windowsRules(model);
          const allowListed = rules
            .filter((r) => r.action === 'Allow')
            .flatMap((r) => r.remoteAddresses);
          const blockListed = rules
            .filter((r) => r.action === 'Block')
            .flatMap((r) => r.remoteAddresses);
          const inList = (list: readonly string[], a: Address) =>
            list
              .map(parseWindows)
              .some((r) => r.family === a.family && r.first <= a.value && a.value <= r.last);
          return probes.every((a) => {
            const expected = !within(prefixes, a) && !within(internal, a) && !within(never, a);
            const isBlocked = blocked.some(
              (r) => r.family === a.family && r.first <= a.value && a.value <= r.last,
            );
            return (
              isBlocked === expected &&
              inList(blockListed, a) === expected &&
              inList(allowListed, a) === within(prefixes, a)
            );
          });
        },
      ),
      300,
    );
  },
);

void t.test(
  'for the real UK excerpt, allowed equals inside the selected tags by brute force',
  async (t) => {
    for (const tags of [['AzureCloud'], ['ServiceBus'], ['AzureCloud', 'ServiceBus']]) {
      const sel = await selectRangesFromFile(join(TAGS, 'ServiceTags_Public_excerpt_uk.json'), {
        regions: ['uksouth', 'ukwest'],
        tags,
      });
      const entries = sel.set.entries.map((e) => e.cidr);
      const model = buildRuleSet(SOURCE, selectionInput(sel), {
        ports: [{ from: 443, to: 443 }],
        policy: 'reject',
        internal: [],
        now: NOW,
      });
      const verdict = verdictOf(model);
      // Addresses at, just inside and just outside the edges of every selected prefix, plus random ones.
      const edges = entries.flatMap((c) => {
        const size = 1n << BigInt((c.family === 4 ? 32 : 128) - c.length);
        return [c.network - 1n, c.network, c.network + size - 1n, c.network + size].map(
          (value) => ({
            family: c.family,
            value,
          }),
        );
      });
      let wrong = 0;
      for (const a of edges) {
        if ((verdict(formatAddress(a), 443) === 'allow') !== within(entries, a)) wrong++;
      }
      t.equal(
        wrong,
        0,
        `${tags.join('+')}: ${edges.length} edge addresses judged as the selection says`,
      );
      await checkProperty(
        t,
        fc.property(
          addressArb,
          (a) => (verdict(formatAddress(a), 443) === 'allow') === within(entries, a),
        ),
      );
    }
  },
);
