// The back office's control API. In: JSON requests on loopback from a suite. Out: the running
// services, the journal (filtered, counted, unmatched), files written and found, form types,
// references, intake submissions without their bodies; fault rules set, replaced and
// cleared per service and seen by clients; a reset that empties the journal, the faults,
// the intake stores and the share folders; typed errors for bad requests.
import { readdirSync } from 'node:fs';
import t from 'tap';
import { rawRequest, startBackOffice, type BackOffice } from '../src/backoffice';

async function start(t: tap.Test): Promise<BackOffice> {
  const bo = await startBackOffice({ seed: 'control', files: { runDir: t.testdir() } });
  t.teardown(() => bo.close());
  return bo;
}

async function call(
  bo: BackOffice,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await rawRequest(`${bo.control?.url ?? ''}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status ?? 0, json: JSON.parse(r.body.toString()) as Record<string, unknown> };
}

void t.test(
  'the control API lists services, references, form types and listens on loopback',
  async (t) => {
    const bo = await start(t);
    t.match(bo.control?.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const services = (await call(bo, 'GET', '/services')).json.services as Record<
      string,
      { url: string }
    >;
    t.same(Object.keys(services), [
      'council-tax',
      'business-rates',
      'benefits',
      'documents',
      'ctb-intake',
      'environmental-health',
      'licensing',
      'file-shares',
    ]);
    t.equal(services['council-tax']?.url, bo.url('council-tax'));
    const refs = await call(bo, 'GET', '/references?service=benefits&limit=5');
    t.same(refs.json.references, bo.data.benefits.references.slice(-5));
    const types = (await call(bo, 'GET', '/form-types')).json.formTypes as unknown[];
    t.ok(types.length >= 120);
    t.equal((await call(bo, 'GET', '/references?service=nope')).status, 400);
  },
);

void t.test(
  'faults are set, listed, replaced and cleared per service through the API',
  async (t) => {
    const bo = await start(t);
    const url = `${bo.url('council-tax')}/accounts/${bo.data.councilTax.references[0] ?? ''}`;
    const added = await call(bo, 'POST', '/faults/council-tax', {
      action: { type: 'status', status: 503, retryAfter: 7 },
      count: 1,
    });
    t.equal(added.status, 200);
    t.match(added.json.id, /^council-tax#\d+$/);
    const first = await rawRequest(url);
    t.equal(first.status, 503);
    t.equal(first.headers['retry-after'], '7');
    t.equal((await rawRequest(url)).status, 200, 'count 1 used up');
    const listed = await call(bo, 'GET', '/faults/council-tax');
    t.match(listed.json.rules, [{ applied: 1, live: false }]);
    const put = await call(bo, 'PUT', '/faults/council-tax', {
      rules: [{ action: { type: 'status', status: 500 } }],
    });
    t.equal((put.json.ids as unknown[]).length, 1);
    t.equal((await rawRequest(url)).status, 500);
    const all = await call(bo, 'GET', '/faults');
    t.equal(((all.json.faults as Record<string, unknown[]>)['council-tax'] ?? []).length, 1);
    t.equal(
      (
        await call(
          bo,
          'DELETE',
          `/faults/council-tax?id=${encodeURIComponent(String((put.json.ids as string[])[0]))}`,
        )
      ).status,
      200,
    );
    t.equal((await rawRequest(url)).status, 200, 'cleared by id');
    const bad = await call(bo, 'POST', '/faults/council-tax', {
      action: { type: 'status', status: 200 },
    });
    t.equal(bad.status, 400);
    t.equal(bad.json.code, 'SIM_E_BO_CONFIG');
    const unknown = await call(bo, 'POST', '/faults/mainframe', { action: { type: 'reset' } });
    t.equal(unknown.status, 404);
    t.equal(unknown.json.code, 'SIM_E_BO_SERVICE');
    await call(bo, 'POST', '/faults/benefits', { action: { type: 'reset' } });
    t.equal((await call(bo, 'DELETE', '/faults')).json.cleared, 'all');
    t.same((await call(bo, 'GET', '/faults/benefits')).json.rules, []);
  },
);

void t.test(
  'the journal, files and intake submissions are readable; reset empties them all',
  async (t) => {
    const bo = await start(t);
    const ref = bo.data.councilTax.references[0] ?? '';
    await rawRequest(`${bo.url('council-tax')}/accounts/${ref}`, {
      headers: { 'idempotency-key': 'k-1' },
    });
    await rawRequest(`${bo.url('council-tax')}/missing`);
    await rawRequest(`${bo.url('ctb-intake')}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<ChangeOfCircumstances/>',
    });
    await rawRequest(`${bo.url('file-shares')}/files/noise-complaint/recording.mp3`, {
      method: 'PUT',
      body: 'sound',
    });

    const j = await call(bo, 'GET', '/journal?service=council-tax');
    t.equal((j.json.entries as unknown[]).length, 2);
    t.match(j.json.stats, { held: 5, dropped: 0 });
    t.same((await call(bo, 'GET', '/journal/count?idempotencyKey=k-1')).json, { count: 1 });
    t.same((await call(bo, 'GET', '/journal/count?kind=file')).json, { count: 1 });
    t.same((await call(bo, 'GET', '/journal/count?header=user-agent:nobody')).json, { count: 0 });
    t.match((await call(bo, 'GET', '/journal/unmatched')).json.entries, [
      { path: '/missing', status: 404 },
    ]);
    t.equal((await call(bo, 'GET', '/journal?outcome=exploded')).status, 400);
    t.match((await call(bo, 'GET', '/files')).json.files, [
      { formType: 'noise-complaint', name: 'recording.mp3', size: 5 },
    ]);
    t.match((await call(bo, 'GET', '/files/scan')).json.files, [{ name: 'recording.mp3' }]);
    const subs = (await call(bo, 'GET', '/intake/ctb-intake')).json.submissions as Record<
      string,
      unknown
    >[];
    t.match(subs, [{ root: 'ChangeOfCircumstances', size: 24 }]);
    t.notOk('body' in (subs[0] ?? {}), 'bodies are left out');

    t.same((await call(bo, 'POST', '/reset')).json, { reset: true });
    t.same((await call(bo, 'GET', '/journal/count')).json, { count: 0 });
    t.same((await call(bo, 'GET', '/files')).json.files, []);
    t.same((await call(bo, 'GET', '/intake/ctb-intake')).json.submissions, []);
    t.same(
      readdirSync(bo.files.folderOf('noise-complaint') ?? ''),
      [],
      'the share folder is empty',
    );
    const again = await rawRequest(`${bo.url('ctb-intake')}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<ChangeOfCircumstances/>',
    });
    t.match(String(again.headers.location), /-000001$/, 'intake references start again');
  },
);

void t.test('unknown routes and malformed requests get typed errors', async (t) => {
  const bo = await start(t);
  const a = await call(bo, 'GET', '/nothing');
  t.equal(a.status, 404);
  t.equal(a.json.code, 'SIM_E_CTL_ROUTE');
  const b = await call(bo, 'PUT', '/faults/council-tax', { rules: 'all of them' });
  t.equal(b.status, 400);
  t.equal(b.json.code, 'SIM_E_CTL_REQUEST');
  const c = await call(bo, 'GET', '/journal?limit=-1');
  t.equal(c.status, 400);
  const d = await call(bo, 'GET', '/intake/council-tax');
  t.equal(d.status, 400);
  const e = await call(bo, 'GET', '/%E0%A4%A');
  t.equal(e.status, 400, 'a malformed percent-encoding');
});
