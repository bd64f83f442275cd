// What the two Windows formats share. In: a FirewallRuleSet. Out: the Windows rules as data,
// one or more per port group: allow rules naming the allowed prefixes and, unless the policy
// is accept-other, block rules naming every other address (minus the internal networks), so
// the rules are exact whatever the profile's default outbound action: Windows Firewall lets a
// block rule win over an allow rule, and the block lists never overlap the allow lists.
// Address lists are split so that no rule names more than MAX_ADDRESSES_PER_RULE entries
// (and, for netsh, no remoteip= value is longer than NETSH_MAX_REMOTEIP_CHARS). No IO.
import { windowsRange } from '../intervals';
import { formatPortRange, type PortGroup } from '../ports';
import { refusedIntervals, type FirewallRuleSet } from '../rules';

/**
 * relaycheck's own cap on the addresses of one rule. Microsoft publishes no number; rules with
 * a few hundred entries are common and load fast. Longer lists become several rules.
 */
export const MAX_ADDRESSES_PER_RULE = 200;

/** Keeps a netsh line far below cmd.exe's 8191-character limit. */
export const NETSH_MAX_REMOTEIP_CHARS = 4000;

export const WINDOWS_GROUP = 'relaycheck';

export interface WindowsRule {
  /** Unique within a run: relaycheck-https-allow-1. */
  readonly name: string;
  /** relaycheck HTTP(S) allow 1 of 2. */
  readonly displayName: string;
  readonly action: 'Allow' | 'Block';
  readonly group: PortGroup;
  /** "80", "5671-5672". */
  readonly remotePorts: readonly string[];
  /** Prefixes, single addresses or "first-last" ranges. */
  readonly remoteAddresses: readonly string[];
}

/** Splits `items` into runs of at most `maxCount` items and at most `maxChars` joined by ",". */
export function chunk(items: readonly string[], maxCount: number, maxChars = Infinity): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const item of items) {
    const added = (current.length === 0 ? 0 : 1) + item.length;
    if (current.length > 0 && (current.length >= maxCount || chars + added > maxChars)) {
      out.push(current);
      current = [];
      chars = 0;
    }
    chars += current.length === 0 ? item.length : item.length + 1;
    current.push(item);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The rules, allow rules first, group by group (HTTP(S), AMQP, Relay, Other). */
export function windowsRules(model: FirewallRuleSet, maxChars = Infinity): WindowsRule[] {
  const allowed = [...model.ipv4, ...model.ipv6];
  const blocked = [...refusedIntervals(model, 4), ...refusedIntervals(model, 6)].map(windowsRange);
  const rules: WindowsRule[] = [];
  const add = (action: 'Allow' | 'Block', addresses: readonly string[]) => {
    for (const group of model.portGroups) {
      const parts = chunk(addresses, MAX_ADDRESSES_PER_RULE, maxChars);
      parts.forEach((part, i) => {
        const verb = action === 'Allow' ? 'allow' : 'block';
        rules.push({
          name: `relaycheck-${group.name}-${verb}-${i + 1}`,
          displayName: `relaycheck ${group.label} ${verb}${action === 'Block' ? ' outside the ranges' : ''} ${i + 1} of ${parts.length}`,
          action,
          group,
          remotePorts: group.ports.map((p) => formatPortRange(p)),
          remoteAddresses: part,
        });
      });
    }
  };
  add('Allow', allowed);
  if (model.policy !== 'accept-other') add('Block', blocked);
  return rules;
}

/** The lines that say what the Windows rules do, for both formats' headers. */
export function windowsWhatItDoes(model: FirewallRuleSet): string[] {
  return [
    'What the rules do (Windows Defender Firewall, outbound, all profiles):',
    '  - TCP to the ports above and to the allowed prefixes: allowed (one rule per port group).',
    ...(model.policy === 'accept-other'
      ? [
          '  - policy accept-other: nothing is blocked. Allow rules only matter when the profile',
          '    blocks outbound traffic by default (DefaultOutboundAction Block).',
        ]
      : [
          '  - TCP to the ports above, to every other address except the internal networks:',
          `    blocked (Windows has no choice between reset and drop; policy ${model.policy} blocks).`,
          '    Block rules win over allow rules in Windows; the block lists never name an allowed address.',
        ]),
    '  - everything else (other ports, UDP, DNS, internal networks): left to your existing rules.',
    `  - at most ${MAX_ADDRESSES_PER_RULE} addresses per rule; longer lists are split ("1 of 3").`,
  ];
}
