// nftables. In: a FirewallRuleSet. Out: one `nft -f` file that replaces the table
// `inet relaycheck` in one transaction (declare it, delete it, define it anew, so a refresh
// never leaves a moment without rules and never touches other tables). Named interval sets
// hold the ports, the allowed prefixes and the internal networks; one output chain accepts
// established flows, loopback and the allowed destinations on the ports, spares the internal
// networks, and refuses (reset or drop) the rest of the TCP to those ports. All other traffic
// is accepted by this table, which in nftables only means "no objection": other tables
// (the council's own policy) still decide. No IO.
import { headerLines } from '../header';
import { formatPortRange } from '../ports';
import type { FirewallRuleSet } from '../rules';
import type { RenderedFile } from './types';

export const NFT_TABLE = 'relaycheck';

function set(name: string, type: string, elements: readonly string[], comment: string): string[] {
  const out = [
    `\tset ${name} {`,
    `\t\ttype ${type}`,
    '\t\tflags interval',
    `\t\tcomment "${comment}"`,
  ];
  if (elements.length > 0) {
    out.push('\t\telements = {');
    elements.forEach((e, i) => out.push(`\t\t\t${e}${i < elements.length - 1 ? ',' : ''}`));
    out.push('\t\t}');
  }
  out.push('\t}');
  return out;
}

function whatItDoes(model: FirewallRuleSet): string[] {
  const refusal =
    model.policy === 'reject'
      ? 'rejected with a TCP reset (the client sees "connection refused" at once)'
      : 'dropped (the client waits for its own timeout)';
  return [
    'What the rules do (chain output of table inet relaycheck):',
    '  - TCP to the ports above and to the allowed prefixes: accepted.',
    ...(model.policy === 'accept-other'
      ? [
          '  - policy accept-other: nothing else is refused by this table. An accept in one nftables',
          '    table does not override a drop in another: if your own table drops outbound traffic,',
          '    copy the sets and the accept rules into it instead of loading this file alone.',
        ]
      : [
          `  - TCP to the ports above, to any other address (not internal): ${refusal}.`,
          '  - internal networks, established and related flows, loopback: accepted here.',
        ]),
    '  - everything else (other ports, UDP, DNS): accepted by this table, i.e. left to your own',
    '    tables and policy (nftables runs every table; a drop in any of them is final).',
    'Load (as root): nft -f <this file>   Check first: nft -c -f <this file>',
    'The file replaces the table inet relaycheck in one transaction; remove it with',
    '  nft delete table inet relaycheck',
  ];
}

export function renderNftables(model: FirewallRuleSet): RenderedFile[] {
  const refuse = model.policy === 'reject' ? 'reject with tcp reset' : 'drop';
  const lines = [
    '#!/usr/sbin/nft -f',
    ...headerLines(model, 'nftables outbound rules for the integration relay').map((l) => `# ${l}`),
    '#',
    ...whatItDoes(model).map((l) => `# ${l}`),
    '',
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    '',
    `table inet ${NFT_TABLE} {`,
    ...set(
      'relay_ports',
      'inet_service',
      model.ports.map((p) => formatPortRange(p)),
      'TCP ports the relay needs',
    ),
    ...set('azure_v4', 'ipv4_addr', model.ipv4, 'allowed IPv4 destinations'),
    ...set('azure_v6', 'ipv6_addr', model.ipv6, 'allowed IPv6 destinations'),
  ];
  if (model.policy !== 'accept-other') {
    lines.push(
      ...set('internal_v4', 'ipv4_addr', model.internal.ipv4, 'never refused (internal IPv4)'),
      ...set('internal_v6', 'ipv6_addr', model.internal.ipv6, 'never refused (internal IPv6)'),
    );
  }
  lines.push(
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy accept;',
    '\t\tct state established,related accept',
    '\t\toifname "lo" accept',
    '\t\ttcp dport @relay_ports ip daddr @azure_v4 counter accept',
    '\t\ttcp dport @relay_ports ip6 daddr @azure_v6 counter accept',
  );
  if (model.policy !== 'accept-other') {
    lines.push(
      '\t\ttcp dport @relay_ports ip daddr @internal_v4 counter accept',
      '\t\ttcp dport @relay_ports ip6 daddr @internal_v6 counter accept',
      `\t\ttcp dport @relay_ports counter ${refuse}`,
    );
  }
  lines.push('\t}', '}', '');
  return [{ suffix: '', text: lines.join('\n') }];
}
