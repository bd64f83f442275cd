// The workloads of the relay benchmark (fixtures/workloads/*.json) and how each is driven. In: a
// workload file (XML posts through Service Bus, retrievals and PDF bills through the Hybrid
// Connection, PDF evidence dropped into the file shares, or a mix of those in stated shares) and
// the running world. Out: drivers: `send(i)` for the load generator through the relay, or
// straight to the back office (the direct baseline), a hook between steps (the evidence files
// are checked and removed there, so a 20 MB workload never fills the disk), the bytes per
// request, and the zero-loss ledger: every request the far end accepted was delivered exactly
// once (the back-office journal, the share folder, or the dead-letter queue).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { World } from '../../simulator/src/world';
import { INTAKE_ROUTES, type IntakeServiceName } from '../../simulator/src/backoffice';
import { jsonNames, loadNamedJson } from './named-json';
import { BenchError } from './errors';
import { REPO_ROOT } from '../lib/scan';
import { pdfFrameOfSize } from '../../relay/test/helpers/pdf-bytes';

export const WORKLOADS_DIR = join(REPO_ROOT, 'fixtures', 'workloads');

const name = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/);
/** The targets a workload is held to (stated beside the figures, never pass/fail). */
const targets = z
  .strictObject({
    sustainedPerSecond: z.number().positive().optional(),
    sustainedMBPerSecond: z.number().positive().optional(),
    p99Ms: z.number().positive().optional(),
    rssGrowthMiB: z.number().positive().optional(),
  })
  .default({});
const common = {
  name,
  description: z.string().min(1).max(400),
  rates: z.array(z.number().positive().max(100_000)).min(1).max(50),
  stepSeconds: z.number().positive().max(600),
  maxInFlight: z.int().min(1).max(100_000),
  targets,
};

const workloadSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...common,
    kind: z.literal('xml-post'),
    /** The post-xml route (an intake service). */
    route: z.enum(['ctb-intake', 'environmental-health', 'licensing']),
    bodyBytes: z
      .int()
      .min(200)
      .max(200 * 1024),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('retrieve'),
    /** The Hybrid Connection (and retrieve route) asked. */
    route: z.enum(['council-tax', 'documents']),
    /**
     * The path after the connection; `{ref}` is replaced by a council tax account reference of
     * the world's data set, in turn (e.g. /accounts/{ref}).
     */
    path: z.string().regex(/^\/[\w\-./{}?=&]*$/),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('file-drop'),
    /** The Hybrid Connection the evidence goes through (Service Bus caps messages at 256 KB). */
    connection: z.enum(['documents', 'council-tax', 'business-rates', 'benefits']),
    /** The relay's file-drop route. */
    route: z.literal('form-evidence'),
    /** The online form the evidence belongs to (a form type of the file shares). */
    formType: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
    fileBytes: z
      .int()
      .min(1024)
      .max(30 * 1024 * 1024),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('mix'),
    /** Other workloads (not mixes) and their share of the requests. */
    parts: z
      .array(z.strictObject({ workload: name, share: z.number().positive().max(1) }))
      .min(2)
      .max(10),
  }),
]);

export type Workload = z.infer<typeof workloadSchema>;
export type SingleWorkload = Exclude<Workload, { kind: 'mix' }>;

export function workloadNames(dir = WORKLOADS_DIR): string[] {
  return jsonNames(dir);
}

/** Reads a workload; a mix's parts are read and checked too (known, not mixes, shares sum 1). */
export function loadWorkload(workloadName: string, dir = WORKLOADS_DIR): Workload {
  const w = loadNamedJson(dir, workloadName, workloadSchema, 'workload');
  if (w.kind === 'mix') {
    const where = `fixtures/workloads/${workloadName}.json`;
    const sum = w.parts.reduce((a, p) => a + p.share, 0);
    if (Math.abs(sum - 1) > 1e-6) {
      throw new BenchError(
        'BENCH_E_FIXTURE',
        `${where}: parts: the shares add up to ${sum.toFixed(3)}, not 1`,
        { path: `${where}#parts` },
      );
    }
    for (const p of w.parts) {
      if (p.workload === w.name || loadWorkload(p.workload, dir).kind === 'mix') {
        throw new BenchError(
          'BENCH_E_FIXTURE',
          `${where}: parts: ${p.workload} is a mix (a mix is made of plain workloads)`,
          { path: `${where}#parts` },
        );
      }
    }
  }
  return w;
}

/** The parts of a mix, each read from its own file. */
export function mixParts(
  w: Extract<Workload, { kind: 'mix' }>,
  dir = WORKLOADS_DIR,
): { readonly workload: SingleWorkload; readonly share: number }[] {
  return w.parts.map((p) => ({
    workload: loadWorkload(p.workload, dir) as SingleWorkload,
    share: p.share,
  }));
}

/**
 * The order in which a mix's parts take requests: 100 slots, each part as often as its share,
 * spread evenly (smooth weighted round robin), so that every second offers the stated mix.
 */
export function mixSchedule(shares: readonly number[], slots = 100): number[] {
  const current = shares.map(() => 0);
  const out: number[] = [];
  for (let s = 0; s < slots; s++) {
    let best = 0;
    for (let i = 0; i < shares.length; i++) {
      current[i] = (current[i] ?? 0) + (shares[i] ?? 0);
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    }
    current[best] = (current[best] ?? 0) - 1;
    out.push(best);
  }
  return out;
}

/** Delivered exactly once, or not: what the far end saw of the requests it accepted. */
export interface ZeroLoss {
  /** Requests answered with success. */
  readonly answered: number;
  /** Requests accepted (answered, or sent and not answered in time) found nowhere. */
  readonly missing: number;
  /** Requests delivered more than once. */
  readonly duplicated: number;
  /** Requests found in the dead-letter queue instead of the back office. */
  readonly deadLettered: number;
}

export const NO_LOSS_YET: ZeroLoss = Object.freeze({
  answered: 0,
  missing: 0,
  duplicated: 0,
  deadLettered: 0,
});

export function addLoss(a: ZeroLoss, b: ZeroLoss): ZeroLoss {
  return {
    answered: a.answered + b.answered,
    missing: a.missing + b.missing,
    duplicated: a.duplicated + b.duplicated,
    deadLettered: a.deadLettered + b.deadLettered,
  };
}

/** How the load generator drives one workload. */
export interface Driver {
  send(i: number): Promise<void>;
  /** Between steps: checks what the step delivered and clears what it wrote. */
  afterStep(): Promise<void>;
  /** Mean bytes moved per answered request (the body posted or the answer fetched). */
  unitBytes(): number;
  /** The zero-loss ledger, once the steps are over (undefined: not checked, e.g. direct). */
  check(): Promise<ZeroLoss | undefined>;
}

/** An intake document of exactly `bytes` bytes with root `root`. */
export function xmlOf(root: string, id: string, bytes: number): Buffer {
  const head = `<${root} xmlns="urn:relaycheck:bench:v1"><Reference>${id}</Reference><Notes>`;
  const tail = `</Notes></${root}>`;
  const pad = Math.max(0, bytes - Buffer.byteLength(head + tail));
  return Buffer.from(head + 'n'.repeat(pad) + tail, 'utf8');
}

/**
 * Evidence PDFs of `bytes` bytes, each unique by a trailer naming its id. The body is shared and
 * hashed once, so a 20 MB file costs the load generator a copy, not a hash of its own.
 */
const TRAILER = 64;

export class EvidenceMaker {
  readonly #head: Buffer;
  readonly #hash: Hash;

  readonly #tail: Buffer;

  constructor(bytes: number) {
    // A valid PDF whose one stream holds the shared bytes, then the id in its last TRAILER bytes.
    const frame = pdfFrameOfSize(Math.max(bytes, 1024), 'relaycheck bench evidence');
    if (frame === undefined) throw new RangeError(`no evidence PDF of ${bytes} bytes`);
    const body = Buffer.alloc(frame.payload - TRAILER);
    // Binary-looking bytes, as real PDFs have (deterministic).
    for (let i = 0; i < body.length; i++) body[i] = (i * 131 + 7) & 0xff;
    this.#head = Buffer.concat([frame.head, body]);
    this.#tail = frame.tail;
    this.#hash = createHash('sha256').update(this.#head);
  }

  make(id: string): { readonly pdf: Buffer; readonly sha256: string } {
    // The id in TRAILER bytes of the stream (cut at TRAILER - 1 characters): the exact size.
    const tag = Buffer.alloc(TRAILER, 0x20);
    tag.write(`\n${id.slice(0, TRAILER - 1)}`, 'latin1');
    const tail = Buffer.concat([tag, this.#tail]);
    return {
      pdf: Buffer.concat([this.#head, tail]),
      sha256: this.#hash.copy().update(tail).digest('hex'),
    };
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** The files of a share folder (not the hidden temporaries), by SHA-256, then removed. */
async function takeFolder(folder: string): Promise<Map<string, number>> {
  const bySha = new Map<string, number>();
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return bySha;
  }
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const path = join(folder, n);
    const sha = await sha256File(path);
    bySha.set(sha, (bySha.get(sha) ?? 0) + 1);
    await unlink(path);
  }
  return bySha;
}

function need(world: World): {
  tenant: NonNullable<World['tenant']>;
  bo: NonNullable<World['backOffice']>;
} {
  const tenant = world.tenant;
  const bo = world.backOffice;
  if (tenant === undefined || bo === undefined) throw new Error('the world has no tenant');
  return { tenant, bo };
}

/** Dead-lettered message ids of the requests queue (the relay's refusals). */
function deadLetteredIds(world: World): Set<string> {
  const engine = world.serviceBus?.engine;
  const out = new Set<string>();
  if (engine === undefined) return out;
  try {
    for (const m of engine.peek('requests/$DeadLetterQueue', 0, 100_000)) {
      if (typeof m.messageId === 'string') out.add(m.messageId);
    }
  } catch {
    // no dead-letter queue to read: nothing was dead-lettered that we can see
  }
  return out;
}

/** The workload through the relay: the tenant (the digital services) sends, the relay delivers. */
export function relayDriver(world: World, w: Workload, tag: string): Driver {
  const { tenant, bo } = need(world);
  if (w.kind === 'mix') return mixDriver(mixParts(w), (p) => relayDriver(world, p, tag));
  let bytes = 0;
  let count = 0;
  const unitBytes = (): number => (count === 0 ? 0 : bytes / count);
  const id = (i: number): string => `bench-${w.name}-${tag}-${String(i)}`;
  switch (w.kind) {
    case 'xml-post': {
      const root = bo.config.intake.roots[w.route][0] ?? 'Change';
      const answered: string[] = [];
      const accepted: string[] = [];
      return {
        send: async (i) => {
          const messageId = id(i);
          const body = xmlOf(root, messageId, w.bodyBytes);
          let reply;
          try {
            reply = await tenant.sendWork(w.route, body, {
              messageId,
              contentType: 'application/xml',
              timeoutMs: 120_000,
            });
          } catch (e) {
            // Sent and never answered: the broker accepted it, so it must still arrive.
            if ((e as { code?: unknown }).code === 'SIM_E_TENANT_TIMEOUT') accepted.push(messageId);
            throw e;
          }
          accepted.push(messageId);
          if (reply.status !== 201) throw new Error(`status ${String(reply.status)}`);
          answered.push(messageId);
          bytes += body.length;
          count += 1;
        },
        afterStep: () => Promise.resolve(),
        unitBytes,
        check: () => {
          const dead = deadLetteredIds(world);
          let missing = 0;
          let duplicated = 0;
          let deadLettered = 0;
          for (const m of accepted) {
            const delivered = bo.journal.byIdempotencyKey(m).length;
            const dl = dead.has(m) ? 1 : 0;
            deadLettered += dl;
            if (delivered + dl === 0) missing += 1;
            if (delivered + dl > 1) duplicated += 1;
          }
          return Promise.resolve({
            answered: answered.length,
            missing,
            duplicated,
            deadLettered,
          });
        },
      };
    }
    case 'retrieve': {
      const refs = bo.data.councilTax.references;
      const answered: string[] = [];
      return {
        send: async (i) => {
          const messageId = id(i);
          const ref = refs[i % refs.length] ?? '';
          const reply = await tenant.call(`/${w.route}${w.path.replace(/\{ref\}/g, ref)}`, {
            method: 'GET',
            messageId,
          });
          if (reply.status !== 200) throw new Error(`status ${String(reply.status)}`);
          bytes += reply.body.length;
          count += 1;
          answered.push(messageId);
        },
        afterStep: () => Promise.resolve(),
        unitBytes,
        check: () => {
          let missing = 0;
          let duplicated = 0;
          for (const m of answered) {
            const n = bo.journal.byIdempotencyKey(m).length;
            if (n === 0) missing += 1;
            if (n > 1) duplicated += 1;
          }
          return Promise.resolve({
            answered: answered.length,
            missing,
            duplicated,
            deadLettered: 0,
          });
        },
      };
    }
    case 'file-drop': {
      const folder = bo.files.folderOf(w.formType);
      if (folder === undefined) {
        throw new BenchError(
          'BENCH_E_FIXTURE',
          `fixtures/workloads/${w.name}.json: formType: the file shares have no form type ${w.formType}`,
          { path: `fixtures/workloads/${w.name}.json#formType` },
        );
      }
      const maker = new EvidenceMaker(w.fileBytes);
      /** SHA-256 of each answered drop: it must be in the folder exactly once. */
      const expected = new Set<string>();
      let loss = NO_LOSS_YET;
      return {
        send: async (i) => {
          const messageId = id(i);
          const { pdf, sha256 } = maker.make(messageId);
          const reply = await tenant.call(`/${w.connection}/${w.formType}`, {
            method: 'POST',
            route: w.route,
            body: pdf,
            messageId,
          });
          if (reply.status !== 201) {
            throw new Error(
              `status ${String(reply.status)}: ${reply.body.toString('utf8', 0, 200)}`,
            );
          }
          const receipt = JSON.parse(reply.body.toString('utf8')) as { sha256?: unknown };
          if (receipt.sha256 !== sha256) throw new Error('the receipt names other bytes');
          expected.add(sha256);
          bytes += pdf.length;
          count += 1;
        },
        afterStep: async () => {
          const found = await takeFolder(folder);
          let missing = 0;
          let duplicated = 0;
          for (const sha of expected) {
            const n = found.get(sha) ?? 0;
            if (n === 0) missing += 1;
            if (n > 1) duplicated += 1;
          }
          loss = addLoss(loss, { answered: expected.size, missing, duplicated, deadLettered: 0 });
          expected.clear();
        },
        unitBytes,
        check: () => Promise.resolve(loss),
      };
    }
  }
}

/** The workload straight to the back-office service: no tenant, no relay (the baseline). */
export function directDriver(world: World, w: Workload, tag: string): Driver {
  const { bo } = need(world);
  if (w.kind === 'mix') return mixDriver(mixParts(w), (p) => directDriver(world, p, tag));
  let bytes = 0;
  let count = 0;
  const done = (n: number): void => {
    bytes += n;
    count += 1;
  };
  const id = (i: number): string => `direct-${w.name}-${tag}-${String(i)}`;
  const base = {
    afterStep: () => Promise.resolve(),
    unitBytes: () => (count === 0 ? 0 : bytes / count),
    check: () => Promise.resolve(undefined),
  };
  switch (w.kind) {
    case 'xml-post': {
      const service: IntakeServiceName = w.route;
      const root = bo.config.intake.roots[service][0] ?? 'Change';
      const url = `${bo.url(service)}/${INTAKE_ROUTES[service].collection}`;
      return {
        ...base,
        send: async (i) => {
          const body = xmlOf(root, id(i), w.bodyBytes);
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/xml', 'idempotency-key': id(i) },
            body,
          });
          await res.arrayBuffer();
          if (res.status !== 201) throw new Error(`status ${String(res.status)}`);
          done(body.length);
        },
      };
    }
    case 'retrieve': {
      const refs = bo.data.councilTax.references;
      const baseUrl = bo.url(w.route);
      return {
        ...base,
        send: async (i) => {
          const ref = refs[i % refs.length] ?? '';
          const res = await fetch(`${baseUrl}${w.path.replace(/\{ref\}/g, ref)}`);
          const body = await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`status ${String(res.status)}`);
          done(body.byteLength);
        },
      };
    }
    case 'file-drop': {
      const folder = bo.files.folderOf(w.formType);
      const maker = new EvidenceMaker(w.fileBytes);
      const url = `${bo.url('file-shares')}/files/${w.formType}`;
      return {
        ...base,
        send: async (i) => {
          const { pdf } = maker.make(id(i));
          const res = await fetch(`${url}?name=${id(i)}.pdf`, {
            method: 'POST',
            headers: { 'content-type': 'application/pdf', 'idempotency-key': id(i) },
            body: pdf,
          });
          await res.arrayBuffer();
          if (res.status !== 201) throw new Error(`status ${String(res.status)}`);
          done(pdf.length);
        },
        afterStep: async () => {
          if (folder !== undefined) await takeFolder(folder);
        },
      };
    }
  }
}

/** A mix: each request goes to the part its slot names. */
function mixDriver(
  parts: readonly { readonly workload: SingleWorkload; readonly share: number }[],
  make: (w: SingleWorkload) => Driver,
): Driver {
  const drivers = parts.map((p) => make(p.workload));
  const schedule = mixSchedule(parts.map((p) => p.share));
  const sent = drivers.map(() => 0);
  return {
    send: (i) => {
      const k = schedule[i % schedule.length] ?? 0;
      const n = sent[k] ?? 0;
      sent[k] = n + 1;
      const d = drivers[k];
      return d === undefined ? Promise.reject(new Error('no part')) : d.send(n);
    },
    afterStep: async () => {
      for (const d of drivers) await d.afterStep();
    },
    unitBytes: () => {
      const total = sent.reduce((a, b) => a + b, 0);
      if (total === 0) return 0;
      return drivers.reduce((a, d, k) => a + (d.unitBytes() * (sent[k] ?? 0)) / total, 0);
    },
    check: async () => {
      let loss: ZeroLoss | undefined;
      for (const d of drivers) {
        const l = await d.check();
        if (l !== undefined) loss = addLoss(loss ?? NO_LOSS_YET, l);
      }
      return loss;
    },
  };
}
