// What preflight contacts, decided before anything is contacted. Pure. In: the Service Bus
// namespace host, the Azure Relay namespace host (optional) and the ports asked for ("guide"
// or a list of the guide's ports). Out: one PortTarget per (host, port): which host serves the
// port, whether it speaks TLS, AMQP or HTTP, whether it gets a TLS row and the clock reading,
// and the part it plays in the relay's connectivity mode (the relay's own probe targets:
// AMQP 5671/443 on Service Bus, Hybrid Connections 9352/443 on the relay namespace, 9350,
// 9351, 9353, 9354 reported only). PREFLIGHT_E_OPTION for a port list it cannot use.
import { isIP } from 'node:net';
import type { PathKind, ProbeTargetKind } from '../../../relay/src/connectivity/probe';
import { PreflightError } from './errors';

/** The guide's outbound ports (PROTOCOLS.md section 1), in the order they are reported. */
export const GUIDE_PORT_LIST: readonly number[] = Object.freeze([
  80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354,
]);

/** Plain AMQP: the relay uses it only in the development profile. */
export const DEVELOPMENT_PORT = 5672;
/** Plain HTTP: never council data (certificate revocation checks only). */
export const HTTP_PORT = 80;

/** What a port is for, which decides how its failure is weighed. */
export type PortRole = 'primary' | 'extra' | 'development' | 'http';

export interface PortTarget {
  /** The logical host name dialled. */
  readonly host: string;
  /** Which namespace the host is. */
  readonly namespace: 'servicebus' | 'relay';
  readonly port: number;
  /** How "the port answers" is tested: a TLS ClientHello, an AMQP header, an HTTP HEAD. */
  readonly protocol: 'tls' | 'amqp' | 'http';
  readonly role: PortRole;
  /** The relay's probe this port stands for (undefined: not part of the mode decision). */
  readonly probe: { readonly target: ProbeTargetKind; readonly path: PathKind } | undefined;
  /** Whether a TLS row (version, cipher, chain) is reported for it. */
  readonly tlsRow: boolean;
  /** Whether an HTTPS request is made on it to read the namespace's Date header. */
  readonly clock: boolean;
}

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A namespace host as the user gives it: a DNS host name with at least one dot, or an IP
 * literal. A URL or a connection string's `sb://…/` is refused with the host to give instead.
 */
export function checkHost(raw: string, option: string): string {
  const text = raw.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#;]+)/i.exec(text);
  if (url !== null) {
    throw new PreflightError(
      'PREFLIGHT_E_OPTION',
      `${option}: give the host name only (${url[1] ?? ''}), not a URL`,
      { option },
    );
  }
  if (isIP(text) !== 0) return text;
  const name = text.replace(/\.$/, '').toLowerCase();
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || !labels.every((l) => HOST_LABEL.test(l))) {
    throw new PreflightError(
      'PREFLIGHT_E_OPTION',
      `${option}: ${JSON.stringify(text.slice(0, 80))} is not a host name (for example council-42.servicebus.windows.net)`,
      { option },
    );
  }
  return name;
}

/** "guide", or a comma-separated list of the guide's ports and ranges ("443,5671,9350-9354"). */
export function parsePortList(raw: string): readonly number[] {
  const text = raw.trim().toLowerCase();
  if (text === 'guide') return GUIDE_PORT_LIST;
  const out = new Set<number>();
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) {
    throw new PreflightError('PREFLIGHT_E_OPTION', '--ports: give "guide" or a list of ports', {
      option: '--ports',
    });
  }
  for (const item of items) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item);
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (m === null || to < from) {
      throw new PreflightError(
        'PREFLIGHT_E_OPTION',
        `--ports: ${JSON.stringify(item.slice(0, 40))} is not a port or a range like 9350-9354`,
        { option: '--ports' },
      );
    }
    for (let p = from; p <= to; p++) {
      if (!GUIDE_PORT_LIST.includes(p)) {
        throw new PreflightError(
          'PREFLIGHT_E_OPTION',
          `--ports: ${p} is not a port the guide names (80, 443, 5671, 5672, 9350-9354); preflight contacts no other`,
          { option: '--ports', port: p },
        );
      }
      out.add(p);
    }
  }
  return Object.freeze(GUIDE_PORT_LIST.filter((p) => out.has(p)));
}

function target(host: string, namespace: PortTarget['namespace'], port: number): PortTarget {
  const protocol: PortTarget['protocol'] =
    port === HTTP_PORT ? 'http' : port === DEVELOPMENT_PORT ? 'amqp' : 'tls';
  const role: PortRole =
    port === HTTP_PORT
      ? 'http'
      : port === DEVELOPMENT_PORT
        ? 'development'
        : port === 443 || port === 5671 || (port === 9352 && namespace === 'relay')
          ? 'primary'
          : 'extra';
  let probe: PortTarget['probe'];
  if (namespace === 'servicebus' && port === 5671) probe = { target: 'amqp', path: 'tcp' };
  else if (namespace === 'servicebus' && port === 443) probe = { target: 'amqp', path: 'https' };
  else if (namespace === 'relay' && port === 443) probe = { target: 'hc', path: 'https' };
  else if (namespace === 'relay' && protocol === 'tls') probe = { target: 'hc', path: 'tcp' };
  else probe = undefined;
  return Object.freeze({
    host,
    namespace,
    port,
    protocol,
    role,
    probe,
    tlsRow: role === 'primary',
    // The Date header is read from Service Bus's 443 (the relay namespace's when it has none).
    clock: port === 443,
  });
}

/**
 * The (host, port) pairs to check. 5671 and 5672 go to the Service Bus namespace; 9350-9354
 * and 80 to the relay namespace (to the Service Bus one when no relay namespace is named); 443
 * to both.
 */
export function planTargets(
  namespace: string,
  relayNamespace: string | undefined,
  ports: readonly number[],
): readonly PortTarget[] {
  const out: PortTarget[] = [];
  const hasRelay = relayNamespace !== undefined;
  const other = relayNamespace ?? namespace;
  const otherKind: PortTarget['namespace'] = hasRelay ? 'relay' : 'servicebus';
  for (const port of GUIDE_PORT_LIST.filter((p) => ports.includes(p))) {
    if (port === 443) {
      out.push(target(namespace, 'servicebus', port));
      if (relayNamespace !== undefined) out.push(target(relayNamespace, 'relay', port));
    } else if (port === 5671 || port === DEVELOPMENT_PORT) {
      out.push(target(namespace, 'servicebus', port));
    } else {
      out.push(target(other, otherKind, port));
    }
  }
  // Service Bus first, then the relay namespace, each in port order.
  return Object.freeze(
    [...out].sort((a, b) =>
      a.namespace === b.namespace ? a.port - b.port : a.namespace === 'servicebus' ? -1 : 1,
    ),
  );
}
