// A small network of the test's own, in Linux network namespaces: `council` (where the relay
// and the council's firewall live), `azure` (the simulated Azure endpoints, on lab addresses of
// fixtures/service-tags/lab/) and `backoffice`, joined by veth pairs, council in the middle.
// In: a tap test (root, `ip`). Out: the namespaces' names and addresses, exec/spawn inside a
// namespace, and teardown that removes everything the lab made (children stopped by PID,
// namespaces and their veths deleted, /etc/netns/<name> removed) even when the test fails.
// Addresses: IPv4 from 198.18.0.0/15 (benchmarking, RFC 2544) and IPv6 from 2001:2::/48
// (RFC 5180), only inside these namespaces: no packet reaches the machine's own network.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The lab's fixed addresses (the ranges are in fixtures/service-tags/lab/ServiceTags_Lab.json). */
export const LAB = Object.freeze({
  /** council ↔ azure link. */
  council4: '198.18.0.1',
  azureLink4: '198.18.0.2',
  council6: '2001:2:0:ff::1',
  azureLink6: '2001:2:0:ff::2',
  /** council ↔ backoffice link. */
  councilBo4: '198.19.0.1',
  backoffice4: '198.19.0.2',
  /** Endpoints in the azure namespace: inside the lab's UK South and UK West ranges... */
  uksouth4: '198.18.16.10',
  ukwest4: '198.18.32.10',
  uksouth6: '2001:2:0:16::10',
  ukwest6: '2001:2:0:32::10',
  /** ... and outside every range. */
  outside4: '198.18.200.10',
  outside6: '2001:2:0:200::10',
});

export interface NetnsLab {
  /** The namespaces' names (unique to this process). */
  readonly council: string;
  readonly azure: string;
  readonly backoffice: string;
  /** Runs a command inside a namespace; resolves with its output, rejects on a non-zero exit. */
  exec(ns: string, command: string, args: readonly string[], input?: string): Promise<string>;
  /** Starts `node -e script` inside a namespace; stopped by PID at teardown. */
  node(ns: string, script: string, env?: Readonly<Record<string, string>>): LabChild;
  /** Maps names to addresses for processes in `ns` (ip netns exec bind-mounts it as /etc/hosts). */
  hosts(ns: string, entries: Readonly<Record<string, string>>): void;
  /** Removes everything; also run at teardown. */
  close(): Promise<void>;
}

export interface LabChild {
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when stdout contains `text`; rejects when the child exits first. */
  waitFor(text: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'network namespaces and kernel firewall rules need root';
  }
  for (const tool of ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']) {
    if (existsSync(tool)) return undefined;
  }
  return 'the ip command (iproute2) is not installed';
}

/** A command's path, or undefined: for the skip reasons of nft and iptables. */
export function findTool(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

async function ip(args: readonly string[]): Promise<void> {
  await run('ip', [...args]);
}

/**
 * Builds the lab. The names carry this process's PID and a counter, so parallel test files and
 * a lab left by a killed run never clash; a left-over lab of a dead PID is removed first.
 */
let labs = 0;
export async function createLab(t: tap.Test): Promise<NetnsLab> {
  await sweepDeadLabs();
  labs += 1;
  const id = `${String(process.pid)}x${String(labs)}`;
  const council = `rcl${id}c`;
  const azure = `rcl${id}a`;
  const backoffice = `rcl${id}b`;
  // Interface names are at most 15 bytes: v + 8 digits of the lab id + a role letter.
  const tag = (process.pid % 100_000).toString(36) + labs.toString(36);
  const children = new Set<LabChild>();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all([...children].map((c) => c.stop()));
    for (const ns of [council, azure, backoffice]) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  };
  t.teardown(close);
  try {
    for (const ns of [council, azure, backoffice]) {
      await ip(['netns', 'add', ns]);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const ca = `v${tag}ca`;
    const ac = `v${tag}ac`;
    const cb = `v${tag}cb`;
    const bc = `v${tag}bc`;
    await ip([
      'link',
      'add',
      ca,
      'netns',
      council,
      'type',
      'veth',
      'peer',
      'name',
      ac,
      'netns',
      azure,
    ]);
    await ip([
      'link',
      'add',
      cb,
      'netns',
      council,
      'type',
      'veth',
      'peer',
      'name',
      bc,
      'netns',
      backoffice,
    ]);
    const addr = async (ns: string, dev: string, cidr: string): Promise<void> => {
      await ip([
        '-n',
        ns,
        'addr',
        'add',
        cidr,
        'dev',
        dev,
        ...(cidr.includes(':') ? ['nodad'] : []),
      ]);
    };
    await addr(council, ca, `${LAB.council4}/30`);
    await addr(azure, ac, `${LAB.azureLink4}/30`);
    await addr(council, ca, `${LAB.council6}/64`);
    await addr(azure, ac, `${LAB.azureLink6}/64`);
    await addr(council, cb, `${LAB.councilBo4}/30`);
    await addr(backoffice, bc, `${LAB.backoffice4}/30`);
    // The endpoints: host addresses on the azure namespace's loopback.
    for (const a of [LAB.uksouth4, LAB.ukwest4, LAB.outside4]) await addr(azure, 'lo', `${a}/32`);
    for (const a of [LAB.uksouth6, LAB.ukwest6, LAB.outside6]) await addr(azure, 'lo', `${a}/128`);
    for (const [ns, dev] of [
      [council, ca],
      [azure, ac],
      [council, cb],
      [backoffice, bc],
    ] as const) {
      await ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
    // council reaches every lab address of azure through the link; azure answers back.
    await ip(['-n', council, 'route', 'add', '198.18.0.0/16', 'via', LAB.azureLink4]);
    await ip(['-n', council, '-6', 'route', 'add', '2001:2::/48', 'via', LAB.azureLink6]);
    await ip(['-n', azure, 'route', 'add', '198.18.0.0/16', 'via', LAB.council4]);
    await ip(['-n', azure, '-6', 'route', 'add', '2001:2::/48', 'via', LAB.council6]);
  } catch (e) {
    await close();
    throw e;
  }

  const exec = async (
    ns: string,
    command: string,
    args: readonly string[],
    input?: string,
  ): Promise<string> => {
    return await new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        if (code === 0) resolve(out);
        else
          reject(
            new Error(
              `${command} ${args.join(' ')} in ${ns}: exit ${String(code)}: ${err.trim().slice(0, 500)}`,
            ),
          );
      });
      child.stdin.end(input ?? '');
    });
  };

  const node = (
    ns: string,
    script: string,
    env: Readonly<Record<string, string>> = {},
  ): LabChild => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const w of [...waiters]) {
        if (out.includes(w.text)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<void>((resolve) => {
      child.once('close', () => {
        for (const w of waiters.splice(0)) {
          w.reject(
            new Error(`the child in ${ns} exited before printing ${w.text}: ${err.slice(0, 500)}`),
          );
        }
        resolve();
      });
    });
    const handle: LabChild = {
      process: child,
      stdout: () => out,
      stderr: () => err,
      waitFor: (text) =>
        out.includes(text)
          ? Promise.resolve()
          : new Promise((resolve, reject) => waiters.push({ text, resolve, reject })),
      stop: async () => {
        // `ip netns exec` execs node in place: the PID is node's own.
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          process.kill(child.pid, 'SIGTERM');
        }
        await exited;
        children.delete(handle);
      },
    };
    children.add(handle);
    return handle;
  };

  const hosts = (ns: string, entries: Readonly<Record<string, string>>): void => {
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    const lines = Object.entries(entries).map(([name, address]) => `${address} ${name}`);
    writeFileSync(
      `/etc/netns/${ns}/hosts`,
      `127.0.0.1 localhost\n::1 localhost\n${lines.join('\n')}\n`,
    );
  };

  return { council, azure, backoffice, exec, node, hosts, close };
}

/** Removes the namespaces of labs whose process is gone (a killed test run). */
async function sweepDeadLabs(): Promise<void> {
  let listed: string;
  try {
    listed = (await run('ip', ['netns', 'list'])).stdout;
  } catch {
    return;
  }
  for (const line of listed.split('\n')) {
    const m = /^(rcl(\d+)x\d+[cab])\b/.exec(line);
    if (m === null) continue;
    const pid = Number(m[2]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive) continue;
    await run('ip', ['netns', 'del', m[1] ?? '']).catch(() => undefined);
    rmSync(`/etc/netns/${m[1] ?? ''}`, { recursive: true, force: true });
  }
}

/** `node -e` script: listens on every (address, port) of LISTEN (JSON); prints "ready". */
export const LISTEN_SCRIPT = `
const net = require('node:net');
const targets = JSON.parse(process.env.LISTEN);
let left = targets.length;
const servers = targets.map(([host, port]) => {
  const s = net.createServer((c) => { c.on('error', () => {}); c.end('hi'); });
  s.on('error', (e) => { console.error(host, port, e.code); process.exit(3); });
  s.listen({ host, port, ipv6Only: host.includes(':') }, () => { if (--left === 0) console.log('ready'); });
  return s;
});
process.on('SIGTERM', () => { for (const s of servers) s.close(); process.exit(0); });
`;

/** `node -e` script: dials every (address, port) of TARGETS (JSON); prints one JSON result. */
export const PROBE_SCRIPT = `
const net = require('node:net');
const targets = JSON.parse(process.env.TARGETS);
const timeout = Number(process.env.TIMEOUT_MS);
Promise.all(targets.map(([host, port]) => new Promise((resolve) => {
  const s = net.connect({ host, port });
  const done = (r) => { clearTimeout(timer); s.destroy(); resolve([host + ' ' + port, r]); };
  const timer = setTimeout(() => done('timed-out'), timeout);
  s.once('connect', () => done('connected'));
  s.once('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : (e.code || 'error')));
}))).then((r) => { console.log(JSON.stringify(Object.fromEntries(r))); });
`;

/** 'connected', 'refused', 'timed-out', or another error code (EHOSTUNREACH, ...). */
export type ProbeResult = string;

/** Dials each target from `ns`; `timeoutMs` bounds each dial (a dropped one times out). */
export async function probe(
  lab: NetnsLab,
  ns: string,
  targets: readonly (readonly [string, number])[],
  timeoutMs: number,
): Promise<Record<string, ProbeResult>> {
  const child = lab.node(ns, PROBE_SCRIPT, {
    TARGETS: JSON.stringify(targets),
    TIMEOUT_MS: String(timeoutMs),
  });
  await new Promise<void>((resolve) =>
    child.process.once('close', () => {
      resolve();
    }),
  );
  const line = child.stdout().trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, ProbeResult>;
  } catch {
    throw new Error(`the probe in ${ns} printed no result: ${child.stderr().slice(0, 500)}`);
  }
}
