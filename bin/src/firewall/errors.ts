// The typed refusals of `relaycheck firewall` (bin/src/firewall/). In: a code from the
// `firewall` family, a message and safe details. Out: a FirewallError. The source file's own
// refusals (unreadable, malformed, unknown region) stay RangesErrors (IP_E_*): the firewall
// code selects ranges through relay/src/egress and never re-parses a source.
import { defineErrors, familyError } from '../../../relay/src/protocol/errors';

export const FIREWALL_ERRORS = defineErrors('firewall', {
  FIREWALL_E_PORTS: {
    summary:
      'The --ports list is malformed: not "guide" or a comma-separated list of ports and ranges from 1 to 65535 (a range low-high with low <= high).',
  },
  FIREWALL_E_FORMAT: {
    summary:
      'The output format is not one of nftables, iptables, powershell, netsh or json (or, for the diff, text or json).',
  },
  FIREWALL_E_POLICY: {
    summary: 'The --policy is not one of reject, drop or accept-other.',
  },
  FIREWALL_E_INTERNAL: {
    summary:
      'The --internal list is malformed: not "default", "none" or a comma-separated list of canonical CIDRs.',
  },
  FIREWALL_E_EMPTY: {
    summary:
      'The selection holds no address prefix, so the rules would allow nothing (and refuse every relay connection); no rules are written.',
  },
  FIREWALL_E_OUT: {
    summary:
      'The --out file cannot be written (missing folder, no permission, a directory); nothing was written or replaced.',
  },
});

export type FirewallErrorCode = (typeof FIREWALL_ERRORS.codes)[number];

/** A typed refusal from the firewall rule generator or its diff. */
export class FirewallError extends familyError(FIREWALL_ERRORS) {}
