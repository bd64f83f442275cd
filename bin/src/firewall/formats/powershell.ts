// PowerShell (NetSecurity module). In: a FirewallRuleSet. Out: one .ps1 script (CRLF, ASCII)
// that first removes every rule of the group "relaycheck" (so a re-run replaces the rules,
// however many an earlier run made) and then creates the rules of formats/windows.ts with
// New-NetFirewallRule -Direction Outbound -Protocol TCP, one or more per port group. Every
// value is a single-quoted literal of safe characters; addresses are one per line. No IO.
import { headerLines, safeText } from '../header';
import type { FirewallRuleSet } from '../rules';
import type { RenderedFile } from './types';
import { WINDOWS_GROUP, windowsRules, windowsWhatItDoes } from './windows';

/** A single-quoted PowerShell literal ('' stands for ' inside). */
export function psQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function renderPowershell(model: FirewallRuleSet): RenderedFile[] {
  const rules = windowsRules(model);
  const lines = [
    ...headerLines(
      model,
      'Windows Defender Firewall rules (PowerShell) for the integration relay',
    ).map((l) => `# ${l}`),
    '#',
    ...windowsWhatItDoes(model).map((l) => `# ${l}`),
    '# Run as Administrator:  powershell -NoProfile -ExecutionPolicy Bypass -File <this file>',
    `# Remove them all:       Remove-NetFirewallRule -Group ${psQuote(WINDOWS_GROUP)}`,
    '#Requires -RunAsAdministrator',
    '',
    `# Replace an earlier run: every rule of the group ${WINDOWS_GROUP} goes first.`,
    `Remove-NetFirewallRule -Group ${psQuote(WINDOWS_GROUP)} -ErrorAction SilentlyContinue`,
    "$ErrorActionPreference = 'Stop'",
    `$rule = @{ Group = ${psQuote(WINDOWS_GROUP)}; Direction = 'Outbound'; Protocol = 'TCP'; Profile = 'Any'; Enabled = 'True' }`,
    `$description = ${psQuote(`relaycheck firewall, ${safeText(model.source.file)}, generated ${model.generatedAt}`)}`,
    '',
  ];
  for (const r of rules) {
    lines.push(
      `New-NetFirewallRule @rule -Description $description -Name ${psQuote(r.name)} -DisplayName ${psQuote(r.displayName)} -Action ${r.action} -RemotePort ${r.remotePorts.map(psQuote).join(',')} -RemoteAddress @(`,
      ...r.remoteAddresses.map(
        (a, i) => `  ${psQuote(a)}${i < r.remoteAddresses.length - 1 ? ',' : ''}`,
      ),
      ') | Out-Null',
    );
  }
  lines.push(
    '',
    `Write-Output ${psQuote(`relaycheck: ${rules.length} outbound rules in the group ${WINDOWS_GROUP}`)}`,
    '',
  );
  return [{ suffix: '', text: lines.join('\r\n') }];
}
