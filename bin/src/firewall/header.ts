// The words every rule file opens with. In: a FirewallRuleSet. Out: plain lines (no comment
// marker: each format adds its own) naming the source file, its change number and cloud, the
// generation time, the regions, tags, ports and counts, and what the rules do with the rest.
// Text from outside (the file name) is reduced to safe characters so that no name can end a
// comment and start a rule in any format. No IO.
import { describePorts } from './ports';
import type { FirewallRuleSet, SourceInfo } from './rules';

/**
 * `text` with every character outside A-Z a-z 0-9 space . _ - + , ( ) @ = replaced by "_":
 * nothing left can end a comment line (newline), quote (" '), expand (% $ `) or chain
 * (& | < > ^ ;) in nftables, iptables-restore, PowerShell or cmd.exe.
 */
export function safeText(text: string): string {
  return text.replace(/[^A-Za-z0-9 ._\-+,()@=]/g, '_');
}

/** "ServiceTags JSON, change number 367, cloud Public" and the legacy equivalent. */
export function describeSource(source: SourceInfo): string {
  if (source.layout === 'legacy-xml') {
    return 'legacy AzurePublicIpAddresses XML: it has no change number; Microsoft deprecated the format in June 2020';
  }
  const kind = source.layout === 'service-tags' ? 'ServiceTags JSON' : 'one service tag record';
  const change =
    source.changeNumber === undefined ? 'no change number' : `change number ${source.changeNumber}`;
  const cloud = source.cloud === undefined ? '' : `, cloud ${safeText(source.cloud)}`;
  return `${kind}, ${change}${cloud}`;
}

/** The lines common to every format. */
export function headerLines(model: FirewallRuleSet, title: string): string[] {
  const lines = [
    `relaycheck firewall: ${title}`,
    `source: ${safeText(model.source.file)} (${describeSource(model.source)})`,
    `generated: ${model.generatedAt}`,
    `regions: ${model.regions.map(safeText).join(', ')}`,
    `tags: ${model.tags.map(safeText).join(', ')}`,
    `ports (TCP): ${describePorts(model.ports)} (${model.portGroups
      .map((g) => `${g.label} ${describePorts(g.ports)}`)
      .join('; ')})`,
    `allowed: ${model.counts.ipv4} IPv4 and ${model.counts.ipv6} IPv6 prefixes, aggregated from ${model.counts.selected} selected`,
  ];
  if (model.counts.ipv6 === 0) {
    lines.push(
      '(the source lists no IPv6 prefix for this selection: IPv6 to these ports is not allowed)',
    );
  }
  if (model.policy !== 'accept-other') {
    const n = model.internal.ipv4.length + model.internal.ipv6.length;
    lines.push(
      n === 0
        ? 'internal (never refused): none'
        : `internal (never refused): ${[...model.internal.ipv4, ...model.internal.ipv6].join(', ')}`,
    );
  }
  for (const m of model.missing) {
    lines.push(
      `warning: the source has no ${safeText(m.tag)} tag for ${safeText(m.region)}: none of its ranges are here`,
    );
  }
  return lines;
}
