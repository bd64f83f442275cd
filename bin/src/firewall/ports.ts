// The TCP ports the rules open. In: the --ports text ("guide", or "443,5671,9350-9354").
// Out: sorted, merged port ranges, and those ranges in the guide's groups (80/443 HTTP(S),
// 5671-5672 AMQP, 9350-9354 Relay, anything else Other), which the Windows formats make one
// rule each. Errors: FirewallError FIREWALL_E_PORTS. No IO.
import { FirewallError } from './errors';

/** An inclusive range of TCP ports; a single port has from === to. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** The guide's outbound ports: HTTP(S), AMQP (TLS and plain) and the Azure Relay range. */
export const GUIDE_PORTS: readonly PortRange[] = Object.freeze([
  { from: 80, to: 80 },
  { from: 443, to: 443 },
  { from: 5671, to: 5672 },
  { from: 9350, to: 9354 },
]);

export type PortGroupName = 'https' | 'amqp' | 'relay' | 'other';

/** A named group of ports: one Windows rule (or several, for long address lists) each. */
export interface PortGroup {
  readonly name: PortGroupName;
  /** Words for rule names and comments: "HTTP(S)", "AMQP", "Relay", "Other". */
  readonly label: string;
  readonly ports: readonly PortRange[];
}

const GROUPS: readonly { name: PortGroupName; label: string; spans: readonly PortRange[] }[] = [
  {
    name: 'https',
    label: 'HTTP(S)',
    spans: [
      { from: 80, to: 80 },
      { from: 443, to: 443 },
    ],
  },
  { name: 'amqp', label: 'AMQP', spans: [{ from: 5671, to: 5672 }] },
  { name: 'relay', label: 'Relay', spans: [{ from: 9350, to: 9354 }] },
];

const ITEM = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function port(text: string, item: string): number {
  const n = Number(text);
  if (!/^[1-9]\d*$/.test(text) || n < 1 || n > 65535) {
    throw new FirewallError(
      'FIREWALL_E_PORTS',
      `port "${text}" in "${item}" is not a whole number from 1 to 65535`,
      { value: item },
    );
  }
  return n;
}

/** Sorted, with overlapping and adjacent ranges merged. */
export function mergePorts(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from || a.to - b.to);
  const out: { from: number; to: number }[] = [];
  for (const r of sorted) {
    const top = out[out.length - 1];
    if (top !== undefined && r.from <= top.to + 1) top.to = Math.max(top.to, r.to);
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}

/**
 * "guide" (any case) → GUIDE_PORTS; otherwise a comma-separated list of ports and low-high
 * ranges, each 1-65535, low <= high; duplicates and overlaps merge. Throws FIREWALL_E_PORTS.
 */
export function parsePorts(raw: string): PortRange[] {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new FirewallError('FIREWALL_E_PORTS', 'name the ports: "guide" or a list like 443,5671');
  }
  if (raw.trim().toLowerCase() === 'guide') return GUIDE_PORTS.map((r) => ({ ...r }));
  const ranges: PortRange[] = [];
  for (const part of raw.split(',')) {
    const item = part.trim();
    const m = ITEM.exec(item);
    if (m === null) {
      throw new FirewallError(
        'FIREWALL_E_PORTS',
        `"${item}" is not a port or a range low-high (the list was "${raw}")`,
        { value: item },
      );
    }
    const from = port(m[1] ?? '', item);
    const to = m[2] === undefined ? from : port(m[2], item);
    if (to < from) {
      throw new FirewallError(
        'FIREWALL_E_PORTS',
        `the range "${item}" runs backwards: write ${to}-${from}`,
        { value: item },
      );
    }
    ranges.push({ from, to });
  }
  return mergePorts(ranges);
}

/** "443" or "5671-5672" (the spelling of nftables, PowerShell and netsh). */
export function formatPortRange(r: PortRange, separator = '-'): string {
  return r.from === r.to ? String(r.from) : `${r.from}${separator}${r.to}`;
}

/** "80, 443, 5671-5672, 9350-9354". */
export function describePorts(ranges: readonly PortRange[]): string {
  return ranges.map((r) => formatPortRange(r)).join(', ');
}

/**
 * The ranges in the guide's groups, in the order HTTP(S), AMQP, Relay, Other; empty groups
 * are left out. A range is split at group boundaries, so 440-450 puts 443 under HTTP(S) and
 * 440-442 and 444-450 under Other.
 */
export function portGroups(ranges: readonly PortRange[]): PortGroup[] {
  const merged = mergePorts(ranges);
  const out: PortGroup[] = [];
  let other: PortRange[] = merged;
  for (const g of GROUPS) {
    const inGroup = merged.flatMap((r) => g.spans.flatMap((s) => intersect(r, s)));
    if (inGroup.length > 0) out.push({ name: g.name, label: g.label, ports: mergePorts(inGroup) });
    other = other.flatMap((r) =>
      g.spans.reduce<PortRange[]>((rest, s) => rest.flatMap((x) => subtract(x, s)), [r]),
    );
  }
  if (other.length > 0) out.push({ name: 'other', label: 'Other', ports: mergePorts(other) });
  return out;
}

function intersect(a: PortRange, b: PortRange): PortRange[] {
  const from = Math.max(a.from, b.from);
  const to = Math.min(a.to, b.to);
  return from <= to ? [{ from, to }] : [];
}

function subtract(a: PortRange, b: PortRange): PortRange[] {
  const out: PortRange[] = [];
  if (a.from < b.from) out.push({ from: a.from, to: Math.min(a.to, b.from - 1) });
  if (a.to > b.to) out.push({ from: Math.max(a.from, b.to + 1), to: a.to });
  return out.filter((r) => r.from <= r.to);
}

/** True when `p` is one of the ranges' ports. */
export function portIn(ranges: readonly PortRange[], p: number): boolean {
  return ranges.some((r) => p >= r.from && p <= r.to);
}
