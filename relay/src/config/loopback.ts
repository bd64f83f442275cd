// Which host names and addresses count as loopback for the relay's one listening socket (the
// health/metrics endpoint). In: a host as written in the config or reported by a socket.
// Out: true for `localhost`, `::1` (also `[::1]`, `0:0:0:0:0:0:0:1`) and IPv4 127.0.0.0/8 in
// strict dotted form (plus its IPv4-mapped IPv6 form); false for everything else.
import { isIPv4, isIPv6 } from 'node:net';

const DOTTED = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isLoopbackV4(text: string): boolean {
  return DOTTED.test(text) && isIPv4(text) && text.startsWith('127.');
}

/** True when `host` names a loopback interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h.toLowerCase() === 'localhost') return true;
  if (isLoopbackV4(h)) return true;
  if (!isIPv6(h)) return false;
  const lower = h.toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (mapped !== undefined) return isLoopbackV4(mapped);
  // Expand and compare with ::1.
  const [head = '', tail = ''] = lower.includes('::') ? lower.split('::') : [lower, ''];
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.length === 8 && groups.every((g, i) => parseInt(g, 16) === (i === 7 ? 1 : 0));
}
