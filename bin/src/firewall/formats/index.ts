// Every output format behind one call. In: a format name and a FirewallRuleSet. Out: the
// files to write (one, or two for iptables) and the text to print when there is no --out.
// No IO.
import type { FirewallFormat, FirewallRuleSet } from '../rules';
import { renderIptables } from './iptables';
import { renderJson } from './json';
import { renderNetsh } from './netsh';
import { renderNftables } from './nftables';
import { renderPowershell } from './powershell';
import type { RenderedFile } from './types';

export type { RenderedFile } from './types';

const RENDERERS: Record<FirewallFormat, (model: FirewallRuleSet) => RenderedFile[]> = {
  nftables: renderNftables,
  iptables: renderIptables,
  powershell: renderPowershell,
  netsh: renderNetsh,
  json: renderJson,
};

export function render(format: FirewallFormat, model: FirewallRuleSet): RenderedFile[] {
  return RENDERERS[format](model);
}

/** What stdout shows without --out: the files one after another (iptables: v4 then v6). */
export function renderToText(format: FirewallFormat, model: FirewallRuleSet): string {
  const files = render(format, model);
  if (files.length === 1) return files[0]?.text ?? '';
  return files
    .map((f) => `# ==== ${f.label ?? f.suffix} (the ${f.suffix} file with --out) ====\n${f.text}`)
    .join('\n');
}
