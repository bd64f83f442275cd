// The planned sequence of a scenario run and the tenant's side of its workload. In: a scenario
// variant and the seed; at run time the world (tenant driver, back office data, form types).
// Out: the plan (every send and every timeline action with its scenario time, in order, the same
// for the same seed), its digest, the bodies each send carries, and a ledger of the replies by
// message id. planRun and bodies are pure; send() is the IO edge (tenant driver calls).
import { createHash } from 'node:crypto';
import type { TenantDriver } from '../../../simulator/src/cloud/tenant';
import type { World } from '../../../simulator/src/world';
import { fileDropName } from '../../../relay/src/work/filedrop';
import { INTAKE_ROUTES, intakeXml } from '../../delivery/lib/delivery-kit';
import { paddedPdf, sha256, FILE_ROUTE, type Planned } from '../../delivery/lib/effects-ledger';
import type { Step, Stream, StreamKind, Variant } from './schema';

/** The route poison posts go to: licensing (its service fails them, the others flow). */
export const POISON_ROUTE = 'licensing';
/** Message ids of poison posts start with this (the back-office fault rule matches it). */
export const POISON_PREFIX = 'poison-';

export interface PlannedSend {
  readonly type: 'send';
  /** Scenario time (ms). */
  readonly t: number;
  readonly kind: StreamKind;
  readonly stream: number;
  /** Index within its stream. */
  readonly n: number;
  readonly id: string;
}

export interface PlannedAction {
  readonly type: 'action';
  readonly t: number;
  /** Index of the step in the timeline. */
  readonly step: number;
  /** Which repetition of a repeated step (0 for the first). */
  readonly repeat: number;
  readonly name: string | undefined;
  readonly action: Step['action'];
  readonly args: Step['args'];
  readonly note: string | undefined;
}

export type PlanItem = PlannedSend | PlannedAction;

/** The message id of the n-th request of stream `stream`: unique in the run, seeded. */
export function messageId(kind: StreamKind, stream: number, n: number, seed: number): string {
  const base = `s${String(seed)}-${String(stream)}-${String(n)}`;
  return kind === 'poison' ? `${POISON_PREFIX}${base}` : `${kind}-${base}`;
}

/** Every send and action, in scenario time; ties keep timeline steps before sends. Pure. */
export function planRun(variant: Variant, seed: number): PlanItem[] {
  const items: PlanItem[] = [];
  for (const [stream, s] of variant.workload.entries()) {
    for (let n = 0; n < s.count; n++) {
      items.push({
        type: 'send',
        t: s.start + n * s.every,
        kind: s.kind,
        stream,
        n,
        id: messageId(s.kind, stream, n, seed),
      });
    }
  }
  for (const [step, s] of variant.timeline.entries()) {
    const times: number[] = [];
    if (s.every === undefined || s.until === undefined) times.push(s.at);
    else for (let at = s.at; at <= s.until; at += s.every) times.push(at);
    for (const [repeat, t] of times.entries()) {
      items.push({
        type: 'action',
        t,
        step,
        repeat,
        name: s.name,
        action: s.action,
        args: s.args,
        note: s.note,
      });
    }
  }
  const order = (i: PlanItem): number => (i.type === 'action' ? 0 : 1);
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => a.item.t - b.item.t || order(a.item) - order(b.item) || a.index - b.index)
    .map((x) => x.item);
}

/** SHA-256 of the plan and the seed: the same seed gives the same sequence (and digest). */
export function sequenceDigest(plan: readonly PlanItem[], seed: number): string {
  return createHash('sha256').update(JSON.stringify({ seed, plan })).digest('hex');
}

/** The share folders' form types drops are spread over (the first `n`, sorted). */
export function formTypesOf(world: World, n: number): string[] {
  const bo = world.backOffice;
  if (bo === undefined) throw new Error('the world has no back office');
  const all = bo.files
    .formTypes()
    .map((f) => f.formType)
    .sort();
  if (all.length < n) throw new Error(`the file shares have ${String(all.length)} form types`);
  return all.slice(0, n);
}

/** What one send carries and what its effect must be. */
export interface Outgoing {
  readonly send: PlannedSend;
  /** The effect ledger's entry (posts and drops), for the exactly-once check. */
  readonly planned: Planned | undefined;
  readonly body: Buffer;
  /** The council tax account of a look-up. */
  readonly ref: string | undefined;
}

/** The body and expected effect of `send`. Pure but for the world's data it reads. */
export function outgoing(send: PlannedSend, stream: Stream, world: World): Outgoing {
  const bo = world.backOffice;
  if (bo === undefined) throw new Error('the world has no back office');
  const { kind, n, id } = send;
  if (kind === 'lookups' || kind === 'hc-lookups') {
    const refs = bo.data.councilTax.references;
    const ref = refs[(n * 7 + send.stream) % refs.length];
    return { send, planned: undefined, body: Buffer.alloc(0), ref };
  }
  if (kind === 'posts' || kind === 'poison') {
    const r =
      kind === 'poison'
        ? INTAKE_ROUTES.find((x) => x.route === POISON_ROUTE)
        : INTAKE_ROUTES[n % INTAKE_ROUTES.length];
    const root = r?.roots[Math.floor(n / INTAKE_ROUTES.length) % r.roots.length];
    if (r === undefined || root === undefined) throw new Error('no intake route for a post');
    const body = intakeXml(root, id, n % 7);
    return {
      send,
      planned: { kind: 'xml', id, route: r.route, root, body, sha256: sha256(body) },
      body,
      ref: undefined,
    };
  }
  const formType = formTypesOf(world, stream.formTypes)[n % stream.formTypes] ?? '';
  const body = paddedPdf(id, stream.bytes);
  return {
    send,
    planned: {
      kind: 'file',
      id,
      route: FILE_ROUTE,
      formType,
      name: fileDropName(formType, id),
      body,
      sha256: sha256(body),
    },
    body,
    ref: undefined,
  };
}

/** One reply (or failure) of the tenant's side. */
export interface Answer {
  readonly id: string;
  readonly kind: StreamKind;
  readonly ok: boolean;
  readonly status: number | undefined;
  /** The failure's code or message, or the body's first bytes for a non-success status. */
  readonly detail: string | undefined;
  /** Wall time of the answer. */
  readonly wall: number;
}

const SUCCESS: Readonly<Record<StreamKind, readonly number[]>> = {
  lookups: [200],
  'hc-lookups': [200],
  posts: [201],
  poison: [201],
  drops: [200, 201],
  'hc-drops': [200, 201],
};

/** Sends one request through the tenant driver; resolves with its answer (never rejects). */
export async function send(
  tenant: TenantDriver,
  out: Outgoing,
  timeoutMs: number,
  now: () => number,
): Promise<Answer> {
  const { kind, id } = out.send;
  const answer = (status: number | undefined, ok: boolean, detail?: string): Answer => ({
    id,
    kind,
    ok,
    status,
    detail,
    wall: now(),
  });
  try {
    let status: number;
    let body: Buffer;
    if (kind === 'lookups') {
      ({ status, body } = await tenant.sendWork('council-tax', out.body, {
        messageId: id,
        properties: { path: `/accounts/${out.ref ?? ''}` },
        timeoutMs,
      }));
    } else if (kind === 'hc-lookups') {
      ({ status, body } = await tenant.call(`/council-tax/accounts/${out.ref ?? ''}`, {
        method: 'GET',
        messageId: id,
      }));
    } else if (kind === 'hc-drops') {
      const p = out.planned;
      if (p?.kind !== 'file') throw new Error('an hc drop has a file');
      ({ status, body } = await tenant.call(`/documents/${p.formType}`, {
        method: 'POST',
        route: FILE_ROUTE,
        body: out.body,
        messageId: id,
      }));
    } else {
      const p = out.planned;
      if (p === undefined) throw new Error('a post or drop has a planned effect');
      ({ status, body } = await tenant.sendWork(p.route, out.body, {
        messageId: id,
        contentType: p.kind === 'xml' ? 'application/xml' : 'application/pdf',
        timeoutMs,
        ...(p.kind === 'file' ? { properties: { formType: p.formType } } : {}),
      }));
    }
    const ok = SUCCESS[kind].includes(status);
    return answer(status, ok, ok ? undefined : body.toString('utf8', 0, 160));
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const msg = e instanceof Error ? e.message : String(e);
    return answer(undefined, false, typeof code === 'string' ? `${code}: ${msg}` : msg);
  }
}
