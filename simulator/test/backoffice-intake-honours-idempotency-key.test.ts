// The XML intake services honour Idempotency-Key. In: POSTs with a repeated key and the same
// body, a repeated key with another body, no key, keys past the store's bound, a reset; and
// a property over random sequences of keyed and unkeyed posts straight into the handler.
// Out: the original receipt again (same reference, 201, same Location, same bytes) and no new
// submission, noted `replayed` in the journal; 409 SIM_E_BO_KEY_REUSED for another body;
// two submissions without a key; keys forgotten with their submissions and at reset.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import t from 'tap';
import { checkProperty } from '../../suites/lib/property';
import {
  ManualTime,
  rawRequest,
  SimBackOfficeError,
  startBackOffice,
  type BackOffice,
} from '../src/backoffice';
import { IntakeStore, intakeHandler } from '../src/backoffice/intake';
import type { BoRequest, RequestNotes } from '../src/backoffice/service';

async function start(t: tap.Test, extra: Record<string, unknown> = {}): Promise<BackOffice> {
  const time = new ManualTime(Date.UTC(2025, 9, 15, 9));
  const bo = await startBackOffice(
    { seed: 'idempotent-intake', control: { enabled: false }, ...extra },
    { clock: time, timers: time },
  );
  t.teardown(() => bo.close());
  return bo;
}

const SERVICES = [
  {
    service: 'ctb-intake',
    path: '/changes',
    xml: (n: number) =>
      `<ChangeOfCircumstances><Account>6000000014</Account><Change>${String(n)}</Change></ChangeOfCircumstances>`,
  },
  {
    service: 'environmental-health',
    path: '/cases',
    xml: (n: number) =>
      `<EnvironmentalHealthCase><Type>Noise</Type><Details>${String(n)}</Details></EnvironmentalHealthCase>`,
  },
  {
    service: 'licensing',
    path: '/applications',
    xml: (n: number) => `<LicenceApplication><Kind>${String(n)}</Kind></LicenceApplication>`,
  },
] as const;

function post(
  bo: BackOffice,
  service: Parameters<BackOffice['url']>[0],
  path: string,
  xml: string,
  key?: string,
) {
  return rawRequest(`${bo.url(service)}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/xml',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: xml,
  });
}

function codeOf(body: Buffer): string | undefined {
  return /<Code>([A-Z_]+)<\/Code>/.exec(body.toString('utf8'))?.[1];
}

void t.test(
  'a repeated key with the same body gets the original receipt and adds no submission',
  async (t) => {
    const bo = await start(t);
    for (const s of SERVICES) {
      const key = `retry-${s.service}`;
      const first = await post(bo, s.service, s.path, s.xml(1), key);
      const again = await post(bo, s.service, s.path, s.xml(1), key);
      t.equal(first.status, 201, `${s.service}: the first POST is accepted`);
      t.equal(again.status, 201, `${s.service}: the repeat is answered 201 too`);
      t.equal(again.headers.location, first.headers.location, `${s.service}: same Location`);
      t.match(String(first.headers.location), new RegExp(`^${s.path}/[A-Z]+-2025-000001$`));
      t.same(again.body, first.body, `${s.service}: the receipt is the original, byte for byte`);

      const store = bo.intake[s.service];
      t.equal(store.list().length, 1, `${s.service}: one submission`);
      t.equal(store.accepted, 1, `${s.service}: one effect counted`);
      t.equal(
        store.byIdempotencyKey(key)?.reference,
        String(first.headers.location).split('/').pop(),
        `${s.service}: the key finds its submission`,
      );
      t.equal(store.byIdempotencyKey('never-sent'), undefined);

      // Both exchanges are journalled (a suite still counts deliveries); the second is noted.
      const one = await bo.journal.waitFor({ idempotencyKey: key });
      await bo.journal.waitFor({ idempotencyKey: key, after: one.seq });
      const entries = bo.journal.byIdempotencyKey(key);
      t.equal(entries.length, 2, `${s.service}: two journal entries`);
      t.same(
        entries.map((e) => e.reference),
        [store.list()[0]?.reference, store.list()[0]?.reference],
        'both name the one reference',
      );
      t.same(
        entries.map((e) => (e as { readonly replayed?: boolean }).replayed === true),
        [false, true],
        `${s.service}: the journal notes the second exchange as replayed`,
      );
    }
  },
);

void t.test(
  'a repeated key with another body is 409 SIM_E_BO_KEY_REUSED and stores nothing',
  async (t) => {
    const bo = await start(t);
    const s = SERVICES[0];
    const first = await post(bo, s.service, s.path, s.xml(1), 'reused');
    t.equal(first.status, 201);
    const other = await post(bo, s.service, s.path, s.xml(2), 'reused');
    t.equal(other.status, 409);
    t.equal(codeOf(other.body), 'SIM_E_BO_KEY_REUSED');
    t.equal(other.headers.location, undefined, 'no Location on a refusal');
    t.equal(bo.intake['ctb-intake'].list().length, 1, 'still one submission');
    t.equal(bo.intake['ctb-intake'].byIdempotencyKey('reused')?.sha256, sha256Of(first.body));
    const refused = await bo.journal.waitFor({ idempotencyKey: 'reused', status: 409 });
    t.equal(refused.error, 'SIM_E_BO_KEY_REUSED');

    // The same key on another service is another key.
    const elsewhere = await post(bo, 'licensing', '/applications', SERVICES[2].xml(2), 'reused');
    t.equal(elsewhere.status, 201, 'keys are held per service');
  },
);

/** The SHA-256 a receipt names. */
function sha256Of(receipt: Buffer): string | undefined {
  return /<Sha256>([0-9a-f]{64})<\/Sha256>/.exec(receipt.toString('utf8'))?.[1];
}

void t.test('without a key the same body twice is two submissions', async (t) => {
  const bo = await start(t);
  const s = SERVICES[1];
  const a = await post(bo, s.service, s.path, s.xml(7));
  const b = await post(bo, s.service, s.path, s.xml(7));
  t.equal(a.status, 201);
  t.equal(b.status, 201);
  t.not(a.headers.location, b.headers.location, 'two references');
  t.equal(bo.intake['environmental-health'].list().length, 2);
  t.equal(bo.intake['environmental-health'].accepted, 2);
  t.equal(bo.intake['environmental-health'].keysHeld, 0, 'no key is held');
});

void t.test('reset forgets every key: the same key then starts a new submission', async (t) => {
  const bo = await start(t);
  const s = SERVICES[0];
  t.equal((await post(bo, s.service, s.path, s.xml(1), 'k')).status, 201);
  t.equal(bo.intake['ctb-intake'].keysHeld, 1);
  await bo.reset();
  t.equal(bo.intake['ctb-intake'].keysHeld, 0);
  t.equal(bo.intake['ctb-intake'].byIdempotencyKey('k'), undefined);
  // Another body under the same key would be a 409 had the key survived.
  const after = await post(bo, s.service, s.path, s.xml(2), 'k');
  t.equal(after.status, 201, 'accepted as new');
  t.equal(bo.intake['ctb-intake'].list().length, 1);
  t.match(bo.intake['ctb-intake'].byIdempotencyKey('k')?.body.toString(), /<Change>2</);
});

void t.test(
  'keys are held as long as their submissions: the key map has the store bound',
  async (t) => {
    const bo = await start(t, { intake: { keep: 2 } });
    const s = SERVICES[2];
    const refs: string[] = [];
    for (const n of [1, 2, 3]) {
      const r = await post(bo, s.service, s.path, s.xml(n), `k${String(n)}`);
      refs.push(String(r.headers.location));
    }
    const store = bo.intake.licensing;
    t.equal(store.keysHeld, 2, 'the oldest key went with the oldest submission');
    t.equal(store.byIdempotencyKey('k1'), undefined);
    t.ok(store.byIdempotencyKey('k3') !== undefined);
    const again = await post(bo, s.service, s.path, s.xml(1), 'k1');
    t.equal(again.status, 201);
    t.not(String(again.headers.location), refs[0], 'a forgotten key makes a new submission');
    t.equal(store.accepted, 4);
    t.ok(store.keysHeld <= 2, 'never more keys than the bound');
  },
);

/** One request straight into the handler, its notes collected. */
async function handle(
  handler: ReturnType<typeof intakeHandler>,
  body: string,
  key: string | undefined,
): Promise<{ status: number; location: string | undefined; notes: RequestNotes[] }> {
  const notes: RequestNotes[] = [];
  const req: BoRequest = {
    method: 'POST',
    path: '/changes',
    segments: ['changes'],
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/xml' },
    body: Readable.from([Buffer.from(body)]),
    idempotencyKey: key,
    note(facts) {
      notes.push(facts);
    },
  };
  try {
    const r = await handler(req);
    return { status: r.status, location: r.headers.location, notes };
  } catch (e) {
    if (e instanceof SimBackOfficeError)
      return { status: e.http ?? 500, location: undefined, notes };
    throw e;
  }
}

void t.test(
  'any sequence of posts makes one submission per new key or unkeyed post, 409 for a key reused with another body',
  async (t) => {
    const post = fc.record({
      key: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
      body: fc.integer({ min: 0, max: 2 }),
    });
    await checkProperty(
      t,
      fc.asyncProperty(fc.array(post, { maxLength: 12 }), async (posts) => {
        const clock = { now: () => Date.UTC(2025, 9, 15, 9) };
        const store = new IntakeStore('ctb-intake', 1_000, clock);
        const handler = intakeHandler({
          service: 'ctb-intake',
          roots: ['ChangeOfCircumstances'],
          maxBodyBytes: 4096,
          requireXmlContentType: true,
          store,
        });
        const seen = new Map<string, { body: number; location: string | undefined }>();
        let effects = 0;
        for (const p of posts) {
          const xml = `<ChangeOfCircumstances><Change>${String(p.body)}</Change></ChangeOfCircumstances>`;
          const r = await handle(handler, xml, p.key);
          const before = p.key === undefined ? undefined : seen.get(p.key);
          if (before === undefined) {
            effects++;
            if (r.status !== 201) return false;
            if (p.key !== undefined) seen.set(p.key, { body: p.body, location: r.location });
            if (r.notes.some((n) => 'replayed' in n)) return false;
          } else if (before.body === p.body) {
            if (r.status !== 201 || r.location !== before.location) return false;
            if (!r.notes.some((n) => (n as { replayed?: boolean }).replayed === true)) return false;
          } else if (r.status !== 409) {
            return false;
          }
        }
        return store.accepted === effects && store.list().length === effects;
      }),
    );
  },
);
