// Which TCP sockets a process listens on (PORT-011). In: a pid. Out: every socket of that
// process in LISTEN state, with its local address and port, read from /proc/<pid>/net/tcp{,6}
// and the process's socket inodes (/proc/<pid>/fd). Linux only; another OS gets a typed
// "unsupported" answer instead of a guess.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

const LISTEN = '0A';

function hexToIpv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

function hexToIpv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const le = hex.slice(i, i + 8);
    const be = (le.match(/../g) ?? []).reverse().join('');
    words.push(be.slice(0, 4), be.slice(4, 8));
  }
  return words.map((w) => Number.parseInt(w, 16).toString(16)).join(':');
}

/** Socket inodes the process holds open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${String(pid)}/fd/${fd}`));
      if (m?.[1] !== undefined) out.add(m[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return out;
}

/** The process's sockets in LISTEN state; undefined where /proc is not available. */
export function listeningSockets(pid: number): ListeningSocket[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const inodes = socketInodes(pid);
  const out: ListeningSocket[] = [];
  for (const family of [4, 6] as const) {
    let table: string;
    try {
      table = readFileSync(`/proc/${String(pid)}/net/tcp${family === 6 ? '6' : ''}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [local, , state] = [f[1], f[2], f[3]];
      const inode = f[9];
      if (local === undefined || state !== LISTEN || inode === undefined || !inodes.has(inode))
        continue;
      const [addrHex = '', portHex = '0'] = local.split(':');
      out.push({
        address: family === 4 ? hexToIpv4(addrHex) : hexToIpv6(addrHex),
        port: Number.parseInt(portHex, 16),
        family,
      });
    }
  }
  return out;
}

/** True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z. */
export function isLoopbackAddress(address: string): boolean {
  if (address.startsWith('127.')) return true;
  if (address === '0:0:0:0:0:0:0:1' || address === '::1') return true;
  return address.startsWith('0:0:0:0:0:ffff:7f');
}
