// The request journal. In: entries recorded directly and by live services, filters, waiters.
// Out: a ring buffer that keeps the newest `capacity` entries and counts the dropped ones;
// queries by header, idempotency key, path, status and unmatched requests; waiters that
// resolve on a matching entry (already held or later) and reject at close; configured
// headers only, never a secret; `sim:bo:*` events without header values.
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import {
  BO_CHANNELS,
  Journal,
  SimBackOfficeError,
  parseBackOfficeConfig,
  rawRequest,
  startBackOffice,
  type JournalEntry,
} from '../src/backoffice';

type NewEntry = Omit<JournalEntry, 'seq'>;

function entry(fields: Partial<NewEntry> = {}): NewEntry {
  return {
    kind: 'request',
    service: 'council-tax',
    method: 'GET',
    path: '/accounts/1',
    query: '',
    headers: {},
    idempotencyKey: undefined,
    startedAt: 0,
    endedAt: 0,
    durationMs: 0,
    elapsedMs: 0,
    status: 200,
    outcome: 'answered',
    matched: true,
    requestBytes: 0,
    responseBytes: 0,
    error: undefined,
    fault: undefined,
    reference: undefined,
    file: undefined,
    ...fields,
  };
}

void t.test('the ring buffer keeps the newest entries and counts the dropped ones', (t) => {
  const j = new Journal(5);
  for (let i = 1; i <= 12; i++) j.record(entry({ path: `/p/${String(i)}` }));
  t.same(
    j.entries().map((e) => e.path),
    ['/p/8', '/p/9', '/p/10', '/p/11', '/p/12'],
  );
  t.same(j.stats(), { capacity: 5, held: 5, total: 12, dropped: 7 });
  t.same(
    j.entries().map((e) => e.seq),
    [8, 9, 10, 11, 12],
  );
  j.clear();
  t.same(j.stats(), { capacity: 5, held: 0, total: 12, dropped: 0 });
  t.equal(j.record(entry()).seq, 13, 'sequence numbers go on after clear');
  t.throws(() => new Journal(0), RangeError);
  t.end();
});

void t.test('queries find entries by header, idempotency key, status, path and unmatched', (t) => {
  const j = new Journal(100);
  j.record(entry({ headers: { 'x-correlation-id': 'a' }, idempotencyKey: 'k1' }));
  j.record(entry({ status: 404, matched: false, path: '/nope', error: 'SIM_E_BO_ROUTE' }));
  j.record(
    entry({ idempotencyKey: 'k1', method: 'POST', service: 'ctb-intake', path: '/changes' }),
  );
  j.record(
    entry({ kind: 'file', service: 'file-shares', outcome: 'written', idempotencyKey: 'k2' }),
  );
  t.equal(j.count(), 4);
  t.same(
    j.byIdempotencyKey('k1').map((e) => e.seq),
    [1, 3],
  );
  t.equal(
    j.find({ header: { name: 'X-Correlation-ID', value: 'a' } })?.seq,
    1,
    'header names are case-insensitive',
  );
  t.equal(j.count({ header: { name: 'x-correlation-id', value: 'b' } }), 0);
  t.same(
    j.unmatched().map((e) => e.path),
    ['/nope'],
  );
  t.equal(j.count({ method: 'post' }), 1, 'methods compare upper-case');
  t.equal(j.count({ pathPrefix: '/ch' }), 1);
  t.equal(j.count({ kind: 'file' }), 1);
  t.equal(j.count({ status: 404 }), 1);
  t.equal(j.count({ after: 2 }), 2);
  t.end();
});

void t.test(
  'waitFor resolves with a held entry or the next matching one, and rejects at close',
  async (t) => {
    const j = new Journal(10);
    j.record(entry({ path: '/held' }));
    t.equal((await j.waitFor({ path: '/held' })).path, '/held');
    const later = j.waitFor({ status: 503 });
    j.record(entry({ status: 200 }));
    j.record(entry({ status: 503, path: '/later' }));
    t.equal((await later).path, '/later');
    const never = j.waitFor({ status: 418 });
    j.close();
    await t.rejects(never, /closed/);
    await t.rejects(j.waitFor({ status: 418 }), /closed/);
  },
);

void t.test(
  'a live journal keeps only configured headers, never a secret, and events carry none',
  async (t) => {
    const events: Record<string, unknown>[] = [];
    const listener = (m: unknown): void => {
      events.push(m as Record<string, unknown>);
    };
    for (const c of Object.values(BO_CHANNELS)) diagnostics.subscribe(c, listener);
    t.teardown(() => {
      for (const c of Object.values(BO_CHANNELS)) diagnostics.unsubscribe(c, listener);
    });
    const bo = await startBackOffice({
      seed: 'journal',
      control: { enabled: false },
      journal: {
        capacity: 3,
        headers: ['X-Tenant'],
        idempotencyHeaders: ['x-ms-client-request-id'],
      },
    });
    t.teardown(() => bo.close());
    const ref = bo.data.councilTax.references[0] ?? '';
    for (let i = 0; i < 5; i++) {
      await rawRequest(`${bo.url('council-tax')}/accounts/${ref}`, {
        headers: {
          'x-tenant': 'council-42',
          'x-ms-client-request-id': `req-${String(i)}`,
          'idempotency-key': 'not-configured',
          authorization: 'Bearer SECRET-TOKEN',
          'sb-hc-token': 'SharedAccessSignature sig=SECRET',
        },
      });
    }
    t.same(bo.journal.stats(), { capacity: 3, held: 3, total: 5, dropped: 2 });
    const e = bo.journal.entries();
    t.same(e[0]?.headers, { 'x-tenant': 'council-42' }, 'only the configured header');
    t.same(
      e.map((x) => x.idempotencyKey),
      ['req-2', 'req-3', 'req-4'],
    );
    t.notMatch(JSON.stringify(e), /SECRET/);
    t.ok(
      events.some((m) => m.service === 'council-tax' && m.status === 200),
      'response events',
    );
    t.ok(
      events.some((m) => m.port === bo.services.benefits?.port),
      'listening events',
    );
    t.notMatch(JSON.stringify(events), /SECRET|council-42|req-\d/, 'no header value in any event');
  },
);

void t.test('the config refuses to journal a header that can carry a secret', (t) => {
  for (const header of ['Authorization', 'cookie', 'ServiceBusAuthorization', 'sb-hc-token']) {
    const e = t.throws(() => parseBackOfficeConfig({ journal: { headers: [header] } })) as unknown;
    t.ok(e instanceof SimBackOfficeError && e.code === 'SIM_E_BO_CONFIG', header);
    t.match((e as Error).message, /journal\.headers\[0\]: this header can carry a secret/);
  }
  t.end();
});
