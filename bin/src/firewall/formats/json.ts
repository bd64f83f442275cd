// JSON. In: a FirewallRuleSet. Out: the model itself as one two-space-indented document
// (source, changeNumber, generatedAt, regions, tags, ports, portGroups, policy, ipv4[],
// ipv6[], internal, counts, missing), for tools that build their own rules. No IO.
import type { FirewallRuleSet } from '../rules';
import type { RenderedFile } from './types';

/** The document's shape version; bumped if a field changes meaning. */
export const FIREWALL_JSON_VERSION = 1;

export function firewallJson(model: FirewallRuleSet): Record<string, unknown> {
  return {
    generator: 'relaycheck firewall',
    version: FIREWALL_JSON_VERSION,
    source: model.source.file,
    sourceFormat: model.source.layout,
    changeNumber: model.source.changeNumber ?? null,
    cloud: model.source.cloud ?? null,
    generatedAt: model.generatedAt,
    regions: model.regions,
    tags: model.tags,
    protocol: 'tcp',
    ports: model.ports,
    portGroups: model.portGroups,
    policy: model.policy,
    ipv4: model.ipv4,
    ipv6: model.ipv6,
    internal: model.internal,
    counts: model.counts,
    missing: model.missing,
  };
}

export function renderJson(model: FirewallRuleSet): RenderedFile[] {
  return [{ suffix: '', text: `${JSON.stringify(firewallJson(model), null, 2)}\n` }];
}
