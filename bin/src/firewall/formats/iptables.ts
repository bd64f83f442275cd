// iptables. In: a FirewallRuleSet. Out: two iptables-restore files, IPv4 (".v4", for
// iptables-restore) and IPv6 (".v6", for ip6tables-restore), each for `--noflush`: it declares
// the chain RELAYCHECK-OUT (which empties it when it exists: a refresh replaces the chain's
// rules in one commit) and fills it; other chains and tables are left as they are. The chain
// is hooked into OUTPUT once, by hand (the header gives the idempotent command): a restore
// file cannot add a jump only when it is missing. Allowed destinations on the ports end in
// ACCEPT (so a default-deny OUTPUT lets them through); internal networks, established flows
// and loopback RETURN to OUTPUT (left to the council's policy); the rest of the TCP to the
// ports is refused (REJECT with a TCP reset, or DROP). No IO.
import { headerLines } from '../header';
import { formatPortRange, type PortRange } from '../ports';
import type { FirewallRuleSet } from '../rules';
import type { RenderedFile } from './types';

export const IPTABLES_CHAIN = 'RELAYCHECK-OUT';

/** multiport takes at most 15 ports, a range counting as two. */
const MULTIPORT_WEIGHT = 15;

/** The ports in `--dports` lists of at most 15 (ranges count two), in order. */
export function multiportChunks(ports: readonly PortRange[]): string[] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let weight = 0;
  for (const p of ports) {
    const w = p.from === p.to ? 1 : 2;
    if (weight + w > MULTIPORT_WEIGHT) {
      chunks.push(current);
      current = [];
      weight = 0;
    }
    current.push(formatPortRange(p, ':'));
    weight += w;
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map((c) => c.join(','));
}

function section(model: FirewallRuleSet, family: 4 | 6): string {
  const tool = family === 4 ? 'iptables' : 'ip6tables';
  const allowed = family === 4 ? model.ipv4 : model.ipv6;
  const internal = family === 4 ? model.internal.ipv4 : model.internal.ipv6;
  const refuse = model.policy === 'reject' ? 'REJECT --reject-with tcp-reset' : 'DROP';
  const header = [
    ...headerLines(model, `${tool}-restore rules (IPv${family}) for the integration relay`),
    `this file: the IPv${family} rules (${allowed.length} allowed prefixes); the IPv${family === 4 ? 6 : 4} rules are in the other file`,
    '',
    `What the rules do (chain ${IPTABLES_CHAIN}, jumped to from OUTPUT):`,
    '  - TCP to the ports above and to the allowed prefixes: ACCEPT.',
    ...(model.policy === 'accept-other'
      ? ['  - policy accept-other: nothing is refused; every other packet RETURNs to OUTPUT.']
      : [
          `  - TCP to the ports above, to any other address (not internal): ${refuse}.`,
          '  - loopback, established and related flows, internal networks: RETURN to OUTPUT.',
        ]),
    '  - everything else (other ports, UDP, DNS): RETURN to OUTPUT, i.e. your own policy decides.',
    'With an OUTPUT policy of DROP, OUTPUT must also accept ESTABLISHED,RELATED (as usual).',
    `Check:  ${tool}-restore --test --noflush < <this file>`,
    `Load:   ${tool}-restore --noflush < <this file>   (replaces the chain's rules, nothing else)`,
    `Hook the chain into OUTPUT once (idempotent):`,
    `  ${tool} -C OUTPUT -j ${IPTABLES_CHAIN} 2>/dev/null || ${tool} -I OUTPUT 1 -j ${IPTABLES_CHAIN}`,
    `Without --noflush, ${tool}-restore would empty every chain of the filter table first.`,
  ];
  const lines = [
    ...header.map((l) => (l === '' ? '#' : `# ${l}`)),
    '*filter',
    `:${IPTABLES_CHAIN} - [0:0]`,
  ];
  const rule = (spec: string) => lines.push(`-A ${IPTABLES_CHAIN} ${spec}`);
  rule('-o lo -j RETURN');
  rule('-m conntrack --ctstate ESTABLISHED,RELATED -j RETURN');
  const chunks = multiportChunks(model.ports);
  for (const prefix of allowed) {
    for (const dports of chunks)
      rule(`-d ${prefix} -p tcp -m multiport --dports ${dports} -j ACCEPT`);
  }
  if (model.policy !== 'accept-other') {
    for (const prefix of internal) {
      for (const dports of chunks)
        rule(`-d ${prefix} -p tcp -m multiport --dports ${dports} -j RETURN`);
    }
    for (const dports of chunks) rule(`-p tcp -m multiport --dports ${dports} -j ${refuse}`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export function renderIptables(model: FirewallRuleSet): RenderedFile[] {
  return [
    { suffix: '.v4', label: 'IPv4 rules for iptables-restore --noflush', text: section(model, 4) },
    { suffix: '.v6', label: 'IPv6 rules for ip6tables-restore --noflush', text: section(model, 6) },
  ];
}
