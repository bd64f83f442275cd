// netsh (cmd.exe). In: a FirewallRuleSet. Out: one .cmd script (CRLF, ASCII) that deletes
// every outbound rule named "relaycheck" (netsh deletes all rules of a name at once, so a
// re-run replaces them however many an earlier run made), then adds the rules of
// formats/windows.ts with `netsh advfirewall firewall add rule`, all named "relaycheck" and
// told apart by their description, and stops at the first failure. remoteip= values are
// split so each stays under NETSH_MAX_REMOTEIP_CHARS characters. No IO.
import { headerLines, safeText } from '../header';
import type { FirewallRuleSet } from '../rules';
import type { RenderedFile } from './types';
import {
  NETSH_MAX_REMOTEIP_CHARS,
  WINDOWS_GROUP,
  windowsRules,
  windowsWhatItDoes,
} from './windows';

export function renderNetsh(model: FirewallRuleSet): RenderedFile[] {
  const rules = windowsRules(model, NETSH_MAX_REMOTEIP_CHARS);
  const lines = [
    '@echo off',
    ...headerLines(model, 'Windows Defender Firewall rules (netsh) for the integration relay').map(
      (l) => `REM ${l}`,
    ),
    'REM',
    ...windowsWhatItDoes(model).map((l) => `REM ${l}`),
    `REM Every rule is named "${WINDOWS_GROUP}"; the description tells them apart.`,
    'REM Run from an elevated command prompt:  <this file>',
    `REM Remove them all:  netsh advfirewall firewall delete rule name="${WINDOWS_GROUP}" dir=out`,
    '',
    `netsh advfirewall firewall delete rule name="${WINDOWS_GROUP}" dir=out >nul 2>&1`,
  ];
  const from = safeText(`${model.source.file} generated ${model.generatedAt.replace(/:/g, '.')}`);
  for (const r of rules) {
    lines.push(
      `netsh advfirewall firewall add rule name="${WINDOWS_GROUP}" description="${r.displayName}, ${from}" dir=out action=${r.action.toLowerCase()} protocol=TCP remoteport=${r.remotePorts.join(',')} remoteip=${r.remoteAddresses.join(',')} profile=any enable=yes || exit /b 1`,
    );
  }
  lines.push('', `echo relaycheck: ${rules.length} outbound rules named ${WINDOWS_GROUP}`, '');
  return [{ suffix: '', text: lines.join('\r\n') }];
}
