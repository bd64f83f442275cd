// A small network of the test's own, in Linux network namespaces: `council` (where the relay
// and the council's firewall live), `azure` (the simulated Azure endpoints, on lab addresses of
// fixtures/service-tags/lab/) and `backoffice`, joined by veth pairs, council in the middle.
// In: a tap test (root, `ip`). Out: the namespaces' names and addresses, exec/spawn inside a
// namespace (node scripts or any command), a JSON fetch from inside a namespace (to a control API
// on its loopback), plain TCP forwarders (lab address:port → a listener in the same namespace),
// and teardown that removes everything the lab made (children stopped by PID, namespaces and
// their veths deleted, /etc/netns/<name> removed) even when the test fails.
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
  /**
   * Starts `command args` inside a namespace (`ip netns exec` runs it in place: the PID is the
   * command's own); stopped by PID at teardown. The environment is PATH plus `env`.
   */
  spawn(
    ns: string,
    command: string,
    args: readonly string[],
    env?: Readonly<Record<string, string>>,
  ): LabChild;
  /**
   * Maps names to addresses for processes in `ns` started afterwards (ip netns exec bind-mounts
   * it as /etc/hosts; rewritten in place, so a running process sees a change at its next
   * lookup). A name missing from it goes to a resolver on the namespace's own loopback, where
   * nothing answers: no lookup leaves the lab.
   */
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
  /** Resolves with the first whole line of stdout that `match` accepts; rejects on exit first. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** The whole lines of stdout so far. */
  lines(): string[];
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** How long a child has to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

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
      // A command that exits without reading its input (nft get element) closes the pipe
      // first: the EPIPE is not the command's failure, its exit code says that.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  };

  const spawnIn = (
    ns: string,
    command: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
  ): LabChild => {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const waiters: {
      check: (out: string) => string | undefined;
      what: string;
      resolve: (found: string) => void;
      reject: (e: Error) => void;
    }[] = [];
    const wholeLines = (): string[] => out.split('\n').slice(0, -1);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const w of [...waiters]) {
        const found = w.check(out);
        if (found !== undefined) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(found);
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    let hasExited = false;
    const exited = new Promise<void>((resolve) => {
      child.once('close', () => {
        hasExited = true;
        for (const w of waiters.splice(0)) {
          w.reject(
            new Error(`${command} in ${ns} exited before printing ${w.what}: ${err.slice(-1500)}`),
          );
        }
        resolve();
      });
    });
    const waitUntil = (check: (out: string) => string | undefined, what: string) => {
      const found = check(out);
      if (found !== undefined) return Promise.resolve(found);
      if (hasExited) {
        return Promise.reject(
          new Error(`${command} in ${ns} exited before printing ${what}: ${err.slice(-1500)}`),
        );
      }
      return new Promise<string>((resolve, reject) => {
        waiters.push({ check, what, resolve, reject });
      });
    };
    const handle: LabChild = {
      process: child,
      stdout: () => out,
      stderr: () => err,
      waitFor: async (text) => {
        await waitUntil((o) => (o.includes(text) ? text : undefined), text);
      },
      waitForLine: (match) => waitUntil(() => wholeLines().find(match), 'the line awaited'),
      lines: wholeLines,
      stop: async () => {
        // `ip netns exec` execs the command in place: the PID is the command's own.
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          const pid = child.pid;
          process.kill(pid, 'SIGTERM');
          const timer = setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
          }, STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        await exited;
        children.delete(handle);
      },
    };
    children.add(handle);
    return handle;
  };

  const node = (ns: string, script: string, env: Readonly<Record<string, string>> = {}): LabChild =>
    spawnIn(ns, process.execPath, ['-e', script], env);

  const hosts = (ns: string, entries: Readonly<Record<string, string>>): void => {
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    const lines = Object.entries(entries).map(([name, address]) => `${address} ${name}`);
    writeFileSync(
      `/etc/netns/${ns}/hosts`,
      `127.0.0.1 localhost\n::1 localhost\n${lines.join('\n')}\n`,
    );
    writeFileSync(`/etc/netns/${ns}/resolv.conf`, 'nameserver 127.0.0.1\n');
  };

  return { council, azure, backoffice, exec, node, spawn: spawnIn, hosts, close };
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

/**
 * `node -e` script: plain TCP forwarders, bytes only (TLS passes through untouched). FORWARD
 * (JSON) lists [listenHost, listenPort, targetHost, targetPort]; prints "ready", then one JSON
 * line per accepted connection, {"accept":{"id":n,"local":"h:p","remote":"h:p"}}, and one when
 * it ends, {"closed":{"id":n,"error":"ETIMEDOUT"|null}}. A reset on one side resets the other; a
 * half-close is passed on. Accepted connections use TCP keep-alive (first probe after 1 s idle;
 * the namespace's sysctls set the rest), so a peer that vanished is found even when idle.
 */
export const FORWARD_SCRIPT = `
const net = require('node:net');
const routes = JSON.parse(process.env.FORWARD);
const open = new Set();
const reset = (s) => { if (s.destroyed) return; if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy(); else s.destroy(); };
let left = routes.length;
let next = 0;
const servers = routes.map(([host, port, toHost, toPort]) => {
  const s = net.createServer({ allowHalfOpen: true }, (c) => {
    const id = ++next;
    let error = null;
    c.setKeepAlive(true, 1000);
    console.log(JSON.stringify({ accept: { id, local: host + ':' + port, remote: c.remoteAddress + ':' + c.remotePort } }));
    const u = net.connect({ host: toHost, port: toPort, allowHalfOpen: true });
    for (const x of [c, u]) open.add(x);
    c.on('error', (e) => { error = e.code || 'error'; reset(u); });
    u.on('error', () => reset(c));
    c.on('close', () => { open.delete(c); u.destroy(); console.log(JSON.stringify({ closed: { id, error } })); });
    u.on('close', () => { open.delete(u); c.destroy(); });
    c.pipe(u);
    u.pipe(c);
  });
  s.on('error', (e) => { console.error(host, port, e.code); process.exit(3); });
  s.listen({ host, port, ipv6Only: host.includes(':') }, () => { if (--left === 0) console.log('ready'); });
  return s;
});
process.on('SIGTERM', () => { for (const s of servers) s.close(); for (const x of open) x.destroy(); process.exit(0); });
`;

/** One route of a forwarder: [listen address, port] → [target address, port] in the same namespace. */
export type ForwardRoute = readonly [string, number, string, number];

/** A connection a forwarder accepted. */
export interface ForwardedConnection {
  readonly id: number;
  /** The lab address:port it was made to. */
  readonly local: string;
  /** Where it came from. */
  readonly remote: string;
}

/** A running forwarder: the connections it accepted so far, and their ends. */
export interface Forwarder {
  readonly child: LabChild;
  accepted(): ForwardedConnection[];
  /** Resolves when connection `id` has ended, with its error code (null: a clean close). */
  closed(id: number): Promise<string | null>;
}

/** Starts TCP forwarders in `ns`; resolves once every route listens. */
export async function forward(
  lab: NetnsLab,
  ns: string,
  routes: readonly ForwardRoute[],
): Promise<Forwarder> {
  const child = lab.node(ns, FORWARD_SCRIPT, { FORWARD: JSON.stringify(routes) });
  await child.waitFor('ready');
  return {
    child,
    accepted: () =>
      child.lines().flatMap((l) => {
        if (!l.startsWith('{"accept"')) return [];
        return [(JSON.parse(l) as { accept: ForwardedConnection }).accept];
      }),
    closed: async (id) => {
      const line = await child.waitForLine((l) => l.startsWith(`{"closed":{"id":${String(id)},`));
      return (JSON.parse(line) as { closed: { error: string | null } }).closed.error;
    },
  };
}

/**
 * `node -e` script: one fetch of URL with INIT ({method, body}: body sent as JSON); prints one
 * JSON line {status, text} or {error}.
 */
export const FETCH_SCRIPT = `
const init = JSON.parse(process.env.INIT);
const body = init.body === undefined ? undefined : JSON.stringify(init.body);
fetch(process.env.URL, {
  method: init.method,
  headers: body === undefined ? {} : { 'content-type': 'application/json' },
  body,
  signal: AbortSignal.timeout(Number(process.env.TIMEOUT_MS)),
}).then(async (r) => {
  console.log(JSON.stringify({ status: r.status, text: await r.text() }));
}, (e) => {
  console.log(JSON.stringify({ error: String((e && (e.cause && e.cause.code || e.name)) || e) }));
});
`;

/** The lab's own addresses: a fetch from a namespace may go there or to its loopback, nowhere else. */
function isLabOrLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return (
    host === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '::1' ||
    (Object.values(LAB) as readonly string[]).includes(host)
  );
}

/** An HTTP answer fetched from inside a namespace. */
export interface FetchedJson {
  readonly status: number;
  readonly json: unknown;
}

/**
 * Fetches `url` from inside `ns` (a control API on that namespace's loopback) and parses the
 * answer as JSON. Refuses any URL outside loopback and the lab's addresses.
 */
export async function fetchJson(
  lab: NetnsLab,
  ns: string,
  url: string,
  init: { readonly method?: string; readonly body?: unknown } = {},
  timeoutMs = 30_000,
): Promise<FetchedJson> {
  if (!isLabOrLoopback(new URL(url).hostname)) {
    throw new Error(`fetchJson: ${url} is outside loopback and the lab`);
  }
  const child = lab.node(ns, FETCH_SCRIPT, {
    URL: url,
    INIT: JSON.stringify({ method: init.method ?? 'GET', body: init.body }),
    TIMEOUT_MS: String(timeoutMs),
  });
  const line = await child.waitForLine((l) => l.startsWith('{'));
  await child.stop();
  const r = JSON.parse(line) as { status?: number; text?: string; error?: string };
  if (r.status === undefined) {
    throw new Error(`fetch ${url} in ${ns} failed: ${r.error ?? 'no answer'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(r.text ?? '');
  } catch {
    throw new Error(`fetch ${url} in ${ns}: ${String(r.status)} with a body that is not JSON`);
  }
  return { status: r.status, json };
}
