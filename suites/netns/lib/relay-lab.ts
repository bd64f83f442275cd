// The reference relay in the lab of network namespaces (suites/lib/netns.ts), with the simulated
// world on the far sides of the council's kernel firewall. In: a lab. Out:
// - the rules `relaycheck firewall` writes from the lab service-tag file, loaded in `council`;
// - `azure`: the simulated world (`relaycheck sim`, Service Bus, Azure Relay, the tenant driver;
//   its own loopback listeners) behind plain TCP forwarders on the lab addresses: Service Bus on
//   198.18.16.10 (5671, 443), Azure Relay on 198.18.32.10 (443, 9350-9354), and the same ports on
//   the lab's outside address (so a refusal there is the firewall's, never a missing listener);
// - `backoffice`: the simulated back office (`relaycheck sim` with the back office alone) behind a
//   forwarder on 198.19.0.2:80 → council tax;
// - the relay's config for the council (no endpoint map: it resolves the logical names through
//   the council namespace's /etc/hosts, checks them against the lab ranges and dials them for
//   real), the relay started in `council` as a council runs it, the tenant's look-ups and the
//   back office's journal (their control APIs, on their namespaces' loopback).
// TLS passes the forwarders untouched: the relay verifies the simulator's certificate for the
// logical host name. In `azure` a vanished TCP peer is found in seconds (keep-alive and
// retransmission sysctls of that namespace alone), so a connection the council's firewall cut
// ends at the far end too, as it does at Azure's in its own time. Every process is stopped by
// PID at the lab's teardown.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../bin/src/main';
import { capture } from '../../../bin/test/lib/capture';
import {
  LAB,
  fetchJson,
  forward,
  type ForwardRoute,
  type Forwarder,
  type LabChild,
  type NetnsLab,
} from '../../lib/netns';
import { startRelayChild, type RelayChild, type Teardown } from '../../lib/relay-child';

const ROOT = join(__dirname, '..', '..', '..');
export const LAB_SOURCE = join(ROOT, 'fixtures', 'service-tags', 'lab', 'ServiceTags_Lab.json');
const BIN = join(ROOT, 'bin', 'relaycheck.js');
const DIST_FIRST = join(ROOT, 'bin', 'dist-first.js');

/** The back office's council tax service, as the relay in `council` reaches it. */
export const BACK_OFFICE_URL = `http://${LAB.backoffice4}`;
/** The ports the relay uses (docs/relay/config.md: egress.ports) and the Relay's TCP ports. */
export const RELAY_TCP_PORTS = [9350, 9351, 9352, 9353, 9354] as const;

type Json = Record<string, unknown>;

/** Resolves with `p`, or rejects after `ms` saying what was awaited. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no ${what} within ${String(ms / 1000)} s`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes the nftables rules with `relaycheck firewall` (the command a council runs, in this
 * process; the back office's link named internal; `extra` options such as `--policy drop`) and
 * loads them in `council` as docs/firewall.md says (nft -f: the file replaces the table).
 */
export async function loadGeneratedRules(
  lab: NetnsLab,
  dir: string,
  extra: readonly string[] = [],
): Promise<string> {
  const out = join(dir, 'relaycheck.nft');
  const io = capture();
  const code = await main(
    [
      'node',
      'relaycheck',
      'firewall',
      '--source',
      LAB_SOURCE,
      '--regions',
      'uksouth,ukwest',
      '--format',
      'nftables',
      '--internal',
      'default,198.19.0.0/30',
      '--out',
      out,
      ...extra,
    ],
    io,
  );
  if (code !== 0) throw new Error(`relaycheck firewall exited ${String(code)}: ${io.stderr}`);
  await lab.exec(lab.council, 'nft', ['-f', out]);
  return out;
}

/** The council's own table: every TCP packet to the AMQP and Relay ports refused (RST). */
export const COUNCIL_CLOSES_TCP = `table inet council
delete table inet council
table inet council {
  chain output {
    type filter hook output priority filter; policy accept;
    tcp dport { 5671-5672, 9350-9354 } reject with tcp reset
  }
}
`;

/** What `relaycheck sim --json` prints (the parts used here). */
interface SimReady {
  readonly relayFilePath: string | null;
  readonly relayConfig: {
    readonly caPath: string | null;
    readonly serviceBus: { readonly host: string } | null;
    readonly hybrid: { readonly host: string } | null;
    readonly backOffice: Readonly<Record<string, string>> | null;
    readonly network: {
      readonly endpoints: readonly {
        readonly host: string;
        readonly port: number;
        readonly current: boolean;
        readonly dial: { readonly host: string; readonly port: number };
      }[];
    } | null;
    readonly control: Readonly<Record<string, string>>;
  };
}

/** Starts `relaycheck sim --config <config> --json` in `ns`; resolves with what it printed. */
async function startSim(
  lab: NetnsLab,
  ns: string,
  dir: string,
  config: Json,
): Promise<{ child: LabChild; ready: SimReady }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'world.json');
  writeFileSync(file, JSON.stringify(config));
  const child = lab.spawn(
    ns,
    process.execPath,
    [BIN, 'sim', '--config', file, '--out', join(dir, 'out'), '--json'],
    // The compiled modules of dist/ where they are fresh (bin/dist-first.js), as the suites do.
    { NODE_OPTIONS: `--require ${DIST_FIRST}` },
  );
  const line = await within(
    child.waitForLine((l) => l.startsWith('{"readyMs"')),
    60_000,
    `simulated world in ${ns}`,
  );
  return { child, ready: JSON.parse(line) as SimReady };
}

/**
 * The far end finds a TCP peer that vanished within seconds, as Azure's front ends do in their
 * own time: when the council's firewall starts refusing a connection's packets, only the
 * council's socket is reset; the Azure side hears nothing more. In `ns` only (per-namespace
 * sysctls): keep-alive probes 1 s apart, 2 of them, and 3 retransmissions of unacknowledged data.
 */
async function findVanishedPeersQuickly(lab: NetnsLab, ns: string): Promise<void> {
  const settings = {
    tcp_keepalive_intvl: '1',
    tcp_keepalive_probes: '2',
    tcp_retries2: '3',
  };
  await lab.exec(ns, process.execPath, [
    '-e',
    `const fs = require('node:fs'); for (const [k, v] of Object.entries(${JSON.stringify(settings)})) fs.writeFileSync('/proc/sys/net/ipv4/' + k, v);`,
  ]);
}

/** The simulated Azure side, on lab addresses in `azure`. */
export interface AzureSide {
  readonly sbHost: string;
  readonly hcHost: string;
  /** The simulator's CA bundle (the relay trusts it: tls.caFile and NODE_EXTRA_CA_CERTS). */
  readonly caPath: string;
  /** The tenant driver's control API, on the azure namespace's loopback. */
  readonly tenantControl: string;
  /** The relay file the world wrote: tenant, serviceBus and hybrid sections (keys inside). */
  readonly relayFile: Json;
  readonly forwarder: Forwarder;
}

export async function startAzure(lab: NetnsLab, dir: string): Promise<AzureSide> {
  // Everything but the back office, which lives in its own namespace.
  const { ready } = await startSim(lab, lab.azure, join(dir, 'azure'), {
    seed: 12,
    backOffice: false,
  });
  const r = ready.relayConfig;
  const sbHost = r.serviceBus?.host;
  const hcHost = r.hybrid?.host;
  const tenantControl = r.control.tenant;
  if (
    sbHost === undefined ||
    hcHost === undefined ||
    tenantControl === undefined ||
    r.caPath === null ||
    r.network === null ||
    ready.relayFilePath === null
  ) {
    throw new Error('the simulated world in azure lacks Service Bus, Azure Relay or its tenant');
  }
  const endpoints = r.network.endpoints;
  const target = (host: string, port: number): [string, number] => {
    const e = endpoints.find((x) => x.host === host && x.port === port && x.current);
    if (e === undefined) throw new Error(`the world has no endpoint ${host}:${String(port)}`);
    return [e.dial.host, e.dial.port];
  };
  const routes: ForwardRoute[] = [];
  const add = (address: string, port: number, to: [string, number]): void => {
    routes.push([address, port, ...to]);
  };
  for (const address of [LAB.uksouth4, LAB.outside4]) {
    add(address, 5671, target(sbHost, 5671));
    add(address, 443, target(sbHost, 443));
  }
  add(LAB.ukwest4, 443, target(hcHost, 443));
  for (const address of [LAB.ukwest4, LAB.outside4]) {
    for (const p of RELAY_TCP_PORTS) add(address, p, target(hcHost, p));
  }
  await findVanishedPeersQuickly(lab, lab.azure);
  const forwarder = await forward(lab, lab.azure, routes);
  const relayFile = JSON.parse(readFileSync(ready.relayFilePath, 'utf8')) as Json;
  return { sbHost, hcHost, caPath: r.caPath, tenantControl, relayFile, forwarder };
}

/** The simulated back office in `backoffice`, council tax on 198.19.0.2:80. */
export interface BackOfficeSide {
  readonly control: string;
  readonly forwarder: Forwarder;
}

export async function startBackOffice(lab: NetnsLab, dir: string): Promise<BackOfficeSide> {
  const { ready } = await startSim(lab, lab.backoffice, join(dir, 'backoffice'), {
    seed: 12,
    serviceBus: false,
    hybrid: false,
    network: false,
    tenant: false,
  });
  const councilTax = ready.relayConfig.backOffice?.['council-tax'];
  const control = ready.relayConfig.control.backOffice;
  if (councilTax === undefined || control === undefined) {
    throw new Error('the simulated back office has no council tax service or control API');
  }
  const url = new URL(councilTax);
  const forwarder = await forward(lab, lab.backoffice, [
    [LAB.backoffice4, 80, url.hostname, Number(url.port)],
  ]);
  return { control, forwarder };
}

/**
 * The relay's config for the council: the world's keys; no endpoint map (real resolution and
 * real dials); the lab's UK South and UK West ranges (AzureCloud); the simulator's CA; council
 * tax at the back office's lab address; short keep-alives and probe bounds, so a connection the
 * kernel cuts is noticed in seconds. `patch` replaces top-level sections.
 */
export function relayConfig(azure: AzureSide, patch: Json = {}): Json {
  const f = azure.relayFile;
  const section = (name: string): Json => {
    const v = f[name];
    if (typeof v !== 'object' || v === null)
      throw new Error(`the world's relay file has no ${name}`);
    return v as Json;
  };
  return {
    version: 1,
    profile: 'production',
    tenant: section('tenant'),
    serviceBus: { ...section('serviceBus'), idleTimeoutMs: 4000 },
    hybrid: {
      ...section('hybrid'),
      paths: ['council-tax'],
      pingIntervalMs: 2000,
      pongTimeoutMs: 4000,
    },
    connectivity: {
      mode: 'auto',
      probeTimeoutMs: 2000,
      reconnectDelaysMs: [0, 500, 1000, 2000],
    },
    egress: {
      ports: [443, 5671, ...RELAY_TCP_PORTS],
      ranges: {
        serviceTags: { source: LAB_SOURCE, regions: ['uksouth', 'ukwest'], tags: ['AzureCloud'] },
      },
    },
    tls: { caFile: azure.caPath },
    backOffice: { 'council-tax': BACK_OFFICE_URL },
    routes: [{ name: 'council-tax', use: 'retrieve', service: 'council-tax' }],
    health: { host: '127.0.0.1', port: 0 },
    limits: { shutdownGraceMs: 1000 },
    ...patch,
  };
}

/** Writes a relay config (it holds keys: mode 0600) and returns its path. */
export function writeRelayConfig(dir: string, name: string, config: Json): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

/** `relaycheck relay --config <file>` inside `council`; events on fd 3; stopped at teardown. */
export function startCouncilRelay(
  t: Teardown,
  lab: NetnsLab,
  configPath: string,
  azure: AzureSide,
): RelayChild {
  const options = [process.env.NODE_OPTIONS ?? '', `--require ${DIST_FIRST}`].join(' ').trim();
  return startRelayChild(
    t,
    configPath,
    // The SDK's AMQPS takes no CA option: the process trusts the simulator's CA (as run.ts does).
    { NODE_EXTRA_CA_CERTS: azure.caPath, NODE_OPTIONS: options },
    undefined,
    { prefix: ['ip', 'netns', 'exec', lab.council] },
  );
}

/** The tenant's answer (tenant control API, relayed from the relay's reply). */
export interface TenantAnswer {
  /** The control API's own status: 200 when the relay answered. */
  readonly httpStatus: number;
  /** The relay's answer: the back office's status. */
  readonly status: number | undefined;
  readonly bodyText: string | undefined;
  /** The control API's error code, when the request failed. */
  readonly code: string | undefined;
}

function answerOf(r: { status: number; json: unknown }): TenantAnswer {
  const j = (r.json ?? {}) as { status?: number; bodyText?: string; code?: string };
  return { httpStatus: r.status, status: j.status, bodyText: j.bodyText, code: j.code };
}

/** A council tax look-up over Service Bus: the digital services' work on the requests queue. */
export async function lookupOverServiceBus(
  lab: NetnsLab,
  azure: AzureSide,
  reference: string,
  messageId: string,
): Promise<TenantAnswer> {
  const r = await fetchJson(
    lab,
    lab.azure,
    `${azure.tenantControl}/work`,
    {
      method: 'POST',
      body: {
        route: 'council-tax',
        properties: { path: `/accounts/${reference}` },
        messageId,
        timeoutMs: 30_000,
      },
    },
    40_000,
  );
  return answerOf(r);
}

/** A council tax look-up over Hybrid Connections: an HTTP GET through the Azure Relay. */
export async function lookupOverHybrid(
  lab: NetnsLab,
  azure: AzureSide,
  reference: string,
  messageId: string,
): Promise<TenantAnswer> {
  const r = await fetchJson(
    lab,
    lab.azure,
    `${azure.tenantControl}/call`,
    {
      method: 'POST',
      body: { path: `/council-tax/accounts/${reference}`, method: 'GET', messageId },
    },
    40_000,
  );
  return answerOf(r);
}

/** Council tax account references of the back office's data set. */
export async function councilTaxReferences(
  lab: NetnsLab,
  bo: BackOfficeSide,
  n: number,
): Promise<string[]> {
  const r = await fetchJson(
    lab,
    lab.backoffice,
    `${bo.control}/references?service=council-tax&limit=${String(n)}`,
  );
  const refs = (r.json as { references?: unknown }).references;
  if (!Array.isArray(refs) || refs.length < n || !refs.every((x) => typeof x === 'string')) {
    throw new Error(`the back office gave no ${String(n)} council tax references`);
  }
  return refs;
}

/** One entry of the back office's request journal (the fields used here). */
export interface JournalEntry {
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly outcome: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly idempotencyKey: string | undefined;
  readonly reference: string | undefined;
}

/** The back office's journal of council tax requests. */
export async function councilTaxJournal(
  lab: NetnsLab,
  bo: BackOfficeSide,
): Promise<JournalEntry[]> {
  const r = await fetchJson(lab, lab.backoffice, `${bo.control}/journal?service=council-tax`);
  const entries = (r.json as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw new Error('the back office journal has no entries list');
  return entries as JournalEntry[];
}
