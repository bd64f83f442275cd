// Every TCP and UDP socket one process holds (SEC-007), read from the kernel: the process's
// socket inodes (/proc/<pid>/fd) matched against its network namespace's tables
// (/proc/<pid>/net/{tcp,tcp6,udp,udp6}). In: a pid. Out: each socket's protocol, state, local
// and remote address and port; undefined where /proc is not there (not Linux). Pure apart from
// the reads; a descriptor closed while it is read is skipped.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcSocket {
  readonly protocol: 'tcp' | 'udp';
  readonly family: 4 | 6;
  /** TCP state name (LISTEN, ESTABLISHED, ...); UDP: UNCONN or ESTABLISHED. */
  readonly state: string;
  readonly local: { readonly address: string; readonly port: number };
  readonly remote: { readonly address: string; readonly port: number };
}

/** The kernel's TCP states (include/net/tcp_states.h); UDP uses 01 and 07 of them. */
const STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

function ipv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const be = (hex.slice(i, i + 8).match(/../g) ?? []).reverse().join('');
    words.push(be.slice(0, 4), be.slice(4, 8));
  }
  return words.map((w) => Number.parseInt(w, 16).toString(16)).join(':');
}

function endpoint(text: string, family: 4 | 6): { address: string; port: number } {
  const [addr = '', port = '0'] = text.split(':');
  return { address: family === 4 ? ipv4(addr) : ipv6(addr), port: Number.parseInt(port, 16) };
}

function inodesOf(pid: number): Set<string> {
  const out = new Set<string>();
  const dir = `/proc/${String(pid)}/fd`;
  for (const fd of readdirSync(dir)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`));
      if (m?.[1] !== undefined) out.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/** The process's TCP and UDP sockets, IPv4 and IPv6; undefined without /proc. */
export function processSockets(pid: number): ProcSocket[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const inodes = inodesOf(pid);
  const out: ProcSocket[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const family of [4, 6] as const) {
      let table: string;
      try {
        table = readFileSync(
          `/proc/${String(pid)}/net/${protocol}${family === 6 ? '6' : ''}`,
          'utf8',
        );
      } catch {
        continue;
      }
      for (const line of table.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        const [local, remote, state, inode] = [f[1], f[2], f[3], f[9]];
        if (local === undefined || remote === undefined || state === undefined) continue;
        if (inode === undefined || !inodes.has(inode)) continue;
        out.push({
          protocol,
          family,
          state: protocol === 'udp' && state === '07' ? 'UNCONN' : (STATES[state] ?? state),
          local: endpoint(local, family),
          remote: endpoint(remote, family),
        });
      }
    }
  }
  return out;
}

/** True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z. */
export function isLoopback(address: string): boolean {
  if (address.startsWith('127.')) return true;
  if (address === '0:0:0:0:0:0:0:1' || address === '::1') return true;
  return /^0:0:0:0:0:ffff:7f[0-9a-f]{2}:/.test(address);
}
