// The ledger of the delivery cases DLV-005..007: what was sent and what it must have done. In: a
// plan of intake posts and file drops (each message id with its body and SHA-256), the tenant
// driver, the world's back office after the run. Out: the tenant's sendWork promises (replies or
// failures by message id, long timeouts so a reply may come from a later relay), and the check
// that every message left exactly one effect with the bytes sent — one intake submission under
// its Idempotency-Key, or one file under its relay-generated name — and was answered with it.
import { createHash } from 'node:crypto';
import type { TenantDriver, WorkReply } from '../../../simulator/src/cloud/tenant';
import type { IntakeStore } from '../../../simulator/src/backoffice';
import type { World } from '../../../simulator/src/world';
import { fileDropName, TEMP_NAME } from '../../../relay/src/work/filedrop';
import { readdir } from 'node:fs/promises';
import { INTAKE_ROUTES, intakeXml, receiptField } from './delivery-kit';
import { pdfAround } from '../../../relay/test/helpers/pdf-bytes';

/** The file-drop route of the world's relay.json. */
export const FILE_ROUTE = 'form-evidence';

interface Common {
  readonly id: string;
  readonly body: Buffer;
  readonly sha256: string;
}
export type Planned =
  | (Common & { readonly kind: 'xml'; readonly route: string; readonly root: string })
  | (Common & {
      readonly kind: 'file';
      readonly route: typeof FILE_ROUTE;
      readonly formType: string;
      /** The relay-generated file name the drop must end under. */
      readonly name: string;
    });

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * A valid PDF the relay's check accepts of about `bytes` bytes: its one stream holds lines of
 * hex text that carry the tag and the padding, so each body is distinct.
 */
export function paddedPdf(tag: string, bytes: number): Buffer {
  const line = `% ${createHash('sha256').update(tag).digest('hex')}\n`;
  const lines = Math.max(1, Math.floor((bytes - 400) / line.length));
  return pdfAround(Buffer.from(line.repeat(lines), 'latin1'), `evidence ${tag}`);
}

export interface PlanOptions {
  /** Message ids are `<prefix>-<n>`. */
  readonly prefix: string;
  /** Intake posts, spread over `routes` (default: the three post-xml routes). */
  readonly xml: number;
  readonly routes?: readonly string[];
  /** File drops, spread over `formTypes`. */
  readonly files?: number;
  readonly formTypes?: readonly string[];
  /** Size of the n-th PDF (default 4 KiB). */
  readonly pdfBytes?: (n: number) => number;
}

/** The plan, posts and drops interleaved, so that any stretch of the queue holds both. */
export function planTraffic(o: PlanOptions): Planned[] {
  const routes = o.routes ?? INTAKE_ROUTES.map((r) => r.route);
  const files = o.files ?? 0;
  const formTypes = o.formTypes ?? [];
  if (files > 0 && formTypes.length === 0) throw new Error('file drops need form types');
  const xml: Planned[] = [];
  for (let n = 0; n < o.xml; n++) {
    const route = routes[n % routes.length] ?? '';
    const roots = INTAKE_ROUTES.find((r) => r.route === route)?.roots ?? [];
    const root = roots[Math.floor(n / routes.length) % roots.length];
    if (root === undefined) throw new Error(`no intake route ${route}`);
    const id = `${o.prefix}-x${String(n)}`;
    const body = intakeXml(root, id, n % 7);
    xml.push({ kind: 'xml', id, route, root, body, sha256: sha256(body) });
  }
  const drops: Planned[] = [];
  for (let n = 0; n < files; n++) {
    const formType = formTypes[n % formTypes.length] ?? '';
    const id = `${o.prefix}-f${String(n)}`;
    const body = paddedPdf(id, o.pdfBytes?.(n) ?? 4096);
    drops.push({
      kind: 'file',
      id,
      route: FILE_ROUTE,
      formType,
      name: fileDropName(formType, id),
      body,
      sha256: sha256(body),
    });
  }
  const out: Planned[] = [];
  const total = xml.length + drops.length;
  let x = 0;
  let f = 0;
  for (let n = 0; n < total; n++) {
    // Bresenham-style: drops spread evenly among the posts.
    const dropDue = drops.length > 0 && (f + 1) * total <= (n + 1) * drops.length;
    const next = dropDue ? drops[f++] : (xml[x++] ?? drops[f++]);
    if (next !== undefined) out.push(next);
  }
  return out;
}

/** The tenant's side of a run: one sendWork per planned message, settled by id. */
export class Sent {
  readonly replies = new Map<string, WorkReply>();
  readonly failures = new Map<string, unknown>();
  readonly #all: Promise<unknown>[] = [];
  readonly #ids: string[] = [];
  readonly #tenant: TenantDriver;
  readonly #timeoutMs: number;

  constructor(tenant: TenantDriver, timeoutMs: number) {
    this.#tenant = tenant;
    this.#timeoutMs = timeoutMs;
  }

  /** Sends `plan` now (every sendWork starts in this tick) and returns at once. */
  send(plan: readonly Planned[]): void {
    for (const p of plan) {
      this.#ids.push(p.id);
      const reply = this.#tenant.sendWork(p.route, p.body, {
        messageId: p.id,
        contentType: p.kind === 'xml' ? 'application/xml' : 'application/pdf',
        timeoutMs: this.#timeoutMs,
        ...(p.kind === 'file' ? { properties: { formType: p.formType } } : {}),
      });
      this.#all.push(
        reply.then(
          (r) => this.replies.set(p.id, r),
          (e: unknown) => this.failures.set(p.id, e),
        ),
      );
    }
  }

  /** Resolves when every message sent so far has its reply or its failure. */
  settled(): Promise<void> {
    return Promise.all(this.#all).then(() => undefined);
  }

  /** Ids still waiting for an answer. */
  waiting(): string[] {
    return this.#ids.filter((id) => !this.replies.has(id) && !this.failures.has(id));
  }
}

/** What the back office holds for the plan: lost, duplicated, altered and stray effects. */
export interface EffectReport {
  /** Ids with no submission and no file. */
  readonly lost: string[];
  /** Ids with more than one submission (or a file under another name). */
  readonly duplicated: string[];
  /** Ids whose one effect holds other bytes than were sent. */
  readonly altered: string[];
  /** Submissions or files that no planned message made. */
  readonly stray: string[];
  /** The intake reference of each post (for the reply check). */
  readonly references: ReadonlyMap<string, string>;
}

/** Reads the intake stores and the share folders and compares them with `plan`. */
export async function effectsOf(world: World, plan: readonly Planned[]): Promise<EffectReport> {
  const bo = world.backOffice;
  if (bo === undefined) throw new Error('the world has no back office');
  const lost: string[] = [];
  const duplicated: string[] = [];
  const altered: string[] = [];
  const stray: string[] = [];
  const references = new Map<string, string>();
  const planned = new Set(plan.map((p) => p.id));
  const stores: Readonly<Record<string, IntakeStore | undefined>> = bo.intake;
  const submissions = INTAKE_ROUTES.flatMap((r) =>
    (stores[r.route]?.list() ?? []).map((s) => ({ route: r.route, s })),
  );
  for (const { route, s } of submissions) {
    if (s.idempotencyKey === undefined || !planned.has(s.idempotencyKey)) {
      stray.push(`${route} ${s.reference}`);
    }
  }
  const files = await bo.files.scan();
  const names = new Map(
    plan.flatMap((p) => (p.kind === 'file' ? [[`${p.formType}/${p.name}`, p.id] as const] : [])),
  );
  for (const f of files) {
    if (!names.has(`${f.formType}/${f.name}`)) stray.push(`${f.formType}/${f.name}`);
  }
  for (const p of plan) {
    if (p.kind === 'xml') {
      const mine = submissions.filter((x) => x.s.idempotencyKey === p.id);
      if (mine.length === 0) lost.push(p.id);
      if (mine.length > 1) duplicated.push(p.id);
      const one = mine[0]?.s;
      if (one !== undefined) {
        references.set(p.id, one.reference);
        if (mine[0]?.route !== p.route || one.sha256 !== p.sha256) altered.push(p.id);
      }
    } else {
      const mine = files.filter((f) => f.formType === p.formType && f.name === p.name);
      if (mine.length === 0) lost.push(p.id);
      if (mine.length > 1) duplicated.push(p.id);
      const one = mine[0];
      if (one !== undefined && (one.sha256 !== p.sha256 || one.size !== p.body.length)) {
        altered.push(p.id);
      }
    }
  }
  return { lost, duplicated, altered, stray, references };
}

/** Ids whose reply is missing or does not name the effect the back office holds. */
export function badReplies(
  plan: readonly Planned[],
  sent: Sent,
  references: ReadonlyMap<string, string>,
): string[] {
  const bad: string[] = [];
  for (const p of plan) {
    const r = sent.replies.get(p.id);
    if (r === undefined) {
      bad.push(`${p.id}: no reply`);
    } else if (p.kind === 'xml') {
      const ref = receiptField(r.body, 'Reference');
      if (r.status !== 201 || ref === undefined || ref !== references.get(p.id)) {
        bad.push(`${p.id}: ${String(r.status)} ${ref ?? '(no reference)'}`);
      }
    } else {
      let receipt: { name?: unknown; sha256?: unknown } = {};
      try {
        receipt = JSON.parse(r.body.toString('utf8')) as typeof receipt;
      } catch {
        // left empty: reported below
      }
      if (
        (r.status !== 201 && r.status !== 200) ||
        receipt.name !== p.name ||
        receipt.sha256 !== p.sha256
      ) {
        bad.push(`${p.id}: ${String(r.status)} ${r.body.toString('utf8').slice(0, 120)}`);
      }
    }
  }
  return bad;
}

/** Temporary names of file drops now in `folders` (absolute paths). */
export async function tempFiles(folders: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const folder of folders) {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const n of names) if (TEMP_NAME.test(n)) out.push(`${folder}/${n}`);
  }
  return out;
}
