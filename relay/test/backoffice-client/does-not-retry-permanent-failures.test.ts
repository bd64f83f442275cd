// Permanent answers (a 4xx other than 408/425/429; 501, 505) are returned after one attempt so
// that the caller dead-letters the work with a reason the tenant can read: the status and at most
// 200 characters of the back office's own reason, from a JSON, XML, HTML or text error body read
// to at most 4 KiB. Redirects are answers too: never followed. In: scripted refusals. Out: the
// response, the refusal error and its settlement.
import t from 'tap';
import {
  MAX_ERROR_BODY_BYTES,
  reasonText,
  refusedError,
  settlementOf,
} from '../../src/work/backoffice';
import { drain, setup } from './helpers/setup';

const REFUSALS = [
  {
    status: 400,
    type: 'application/json',
    body: JSON.stringify({ error: { code: 'E42', message: 'Account reference is not valid' } }),
    reason: 'Account reference is not valid',
  },
  {
    status: 404,
    type: 'text/plain; charset=utf-8',
    body: 'No such account:\r\n  42\u0000',
    reason: 'No such account: 42',
  },
  {
    status: 422,
    type: 'application/xml',
    body: '<?xml version="1.0"?><ns:fault xmlns:ns="urn:ct"><ns:code>V17</ns:code><ns:message>Band &amp; valuation date do not match</ns:message></ns:fault>',
    reason: 'Band & valuation date do not match',
  },
  {
    status: 409,
    type: 'text/html',
    body: '<html><head><title>Conflict</title><style>p{}</style></head><body><p>Already recorded</p></body></html>',
    reason: 'Conflict',
  },
  { status: 501, type: 'text/plain', body: 'Not implemented here', reason: 'Not implemented here' },
  { status: 505, type: 'text/plain', body: '', reason: '' },
] as const;

for (const r of REFUSALS) {
  void t.test(`a ${r.status} is answered after one attempt with a readable reason`, async (t) => {
    const s = setup(t);
    s.councilTax
      .post('/api/accounts/42/changes')
      .reply(r.status, r.body, { 'content-type': r.type });
    const res = await s.client.call({
      service: 'council-tax',
      route: 'council-tax/changes',
      method: 'POST',
      path: '/accounts/42/changes',
      body: Buffer.from('<change/>'),
      idempotencyKey: s.key(),
    });
    t.equal(res.status, r.status);
    t.equal(res.outcome, 'permanent');
    t.equal(res.attempts, 1);
    t.same(
      s.events.map((e) => [e.outcome, e.status]),
      [['permanent', r.status]],
    );
    t.same(s.clock.pending(), [], 'no wait, no timer left behind');
    t.ok(s.councilTax.isDone());
    const e = await refusedError(res, { service: 'council-tax', route: 'council-tax/changes' });
    t.equal(e.code, 'RELAY_E_BACKOFFICE_REFUSED');
    t.equal(e.http, 502);
    t.same(e.details, {
      service: 'council-tax',
      route: 'council-tax/changes',
      status: r.status,
      reason: r.reason,
    });
    t.equal(
      e.message,
      `the council-tax back office refused the work with ${r.status}${r.reason === '' ? '' : `: ${r.reason}`}`,
    );
    t.same(settlementOf(e), {
      action: 'dead-letter',
      reason: 'RELAY_E_BACKOFFICE_REFUSED',
      description: e.message,
    });
  });
}

void t.test(
  'a long error body is read to 4 KiB and its reason cut to 200 characters',
  async (t) => {
    const s = setup(t);
    const huge = `${'é'.repeat(300)}${'x'.repeat(100_000)}`;
    s.councilTax.get('/api/docs/1').reply(400, huge, { 'content-type': 'text/plain' });
    const res = await s.client.call({
      service: 'council-tax',
      route: 'docs',
      method: 'GET',
      path: '/docs/1',
      idempotencyKey: s.key(),
    });
    t.equal(res.headers['content-length'], String(MAX_ERROR_BODY_BYTES), 'only 4 KiB were kept');
    const e = await refusedError(res, { service: 'council-tax', route: 'docs' });
    t.equal(e.details.reason, 'é'.repeat(200), 'the reason: its first 200 characters');
    t.ok(res.body.destroyed, 'refusedError is done with the body');
  },
);

void t.test('the refusal reason is at most 200 characters whatever the body', async (t) => {
  const s = setup(t);
  s.councilTax.get('/api/docs/2').reply(403, JSON.stringify({ message: 'Ω'.repeat(5_000) }), {
    'content-type': 'application/json',
  });
  const res = await s.client.call({
    service: 'council-tax',
    route: 'docs',
    method: 'GET',
    path: '/docs/2',
    idempotencyKey: s.key(),
  });
  const e = await refusedError(res, { service: 'council-tax', route: 'docs' });
  t.equal(e.details.reason, 'Ω'.repeat(200));
  t.equal(e.details.status, 403);
});

void t.test('a redirect is returned as it is and never followed', async (t) => {
  const s = setup(t);
  s.councilTax.get('/api/bills/7').reply(302, '', { location: 'http://elsewhere.example/steal' });
  const res = await s.client.call({
    service: 'council-tax',
    route: 'bills',
    method: 'GET',
    path: '/bills/7',
    idempotencyKey: s.key(),
  });
  t.equal(res.status, 302);
  t.equal(res.outcome, 'success');
  t.equal(res.headers.location, 'http://elsewhere.example/steal');
  t.equal(await drain(res.body), '');
  t.ok(s.councilTax.isDone(), 'one request only: nock would refuse any other host');
});

void t.test('reasons come from the usual fields of JSON, XML, HTML and text bodies', (t) => {
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
  t.equal(
    reasonText('application/json', json({ title: 'Bad', detail: 'Band missing' })),
    'Band missing',
  );
  t.equal(reasonText('application/problem+json', json({ title: 'Bad request' })), 'Bad request');
  t.equal(
    reasonText(undefined, json({ errors: [{ message: 'first' }, { message: 'second' }] })),
    'first',
  );
  t.equal(
    reasonText('application/json', json({ error_description: 'token\nexpired' })),
    'token expired',
  );
  t.equal(reasonText('application/json', Buffer.from('{"message": "cut')), 'cut');
  t.equal(
    reasonText(
      'text/xml',
      Buffer.from(
        '<soap:Fault><faultcode>s:Client</faultcode><faultstring>Invalid UPRN</faultstring></soap:Fault>',
      ),
    ),
    'Invalid UPRN',
  );
  t.equal(
    reasonText(
      'application/xml',
      Buffer.from('<error><message><![CDATA[a < b]]></message></error>'),
    ),
    'a < b',
  );
  t.equal(
    reasonText('application/xml', Buffer.from('<r><x>just &#65; text</x></r>')),
    'just A text',
  );
  t.equal(
    reasonText('text/plain', Buffer.from('\u001b[31mred\u001b[0m\u2028line')),
    '[31mred [0m line',
  );
  t.equal(reasonText('text/plain', Buffer.alloc(0)), '');
  t.end();
});
