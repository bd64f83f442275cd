// Every HTTP fault of the back office, seen from a client. In: fault rules set at run time on
// a service, requests from a raw node:http client, time moved by hand (ManualTime) where a
// fault involves time. Out: 500/503/429 with Retry-After, fail-first-N, down-then-up, a TCP
// reset (ECONNRESET), an empty close (socket hang up), a truncated body, a malformed chunked
// body (HPE_INVALID_CHUNK_SIZE), a slow dribble, delays from the injected timers, a hang that
// close() ends cleanly, and "work done, answer lost"; each recorded in the journal.
import diagnostics from 'node:diagnostics_channel';
import { request } from 'node:http';
import t from 'tap';
import {
  BO_CHANNELS,
  FaultController,
  ManualTime,
  rawRequest,
  startBackOffice,
  type BackOffice,
} from '../src/backoffice';

async function start(t: tap.Test, time?: ManualTime): Promise<BackOffice> {
  const bo = await startBackOffice(
    { seed: 'faults', control: { enabled: false } },
    time === undefined ? {} : { clock: time, timers: time },
  );
  t.teardown(() => bo.close());
  return bo;
}

function accountUrl(bo: BackOffice): string {
  return `${bo.url('council-tax')}/accounts/${bo.data.councilTax.references[0] ?? ''}`;
}

/** Resolves with the next `sim:bo:fault` event. */
function nextFault(): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (m: unknown): void => {
      diagnostics.unsubscribe(BO_CHANNELS.fault, listener);
      resolve(m as Record<string, unknown>);
    };
    diagnostics.subscribe(BO_CHANNELS.fault, listener);
  });
}

void t.test('a status fault answers 503 or 429 with Retry-After and an XML error', async (t) => {
  const time = new ManualTime(Date.UTC(2025, 9, 15, 9));
  const bo = await start(t, time);
  const id = bo.faults.add('council-tax', {
    action: { type: 'status', status: 503, retryAfter: 30 },
  });
  const a = await rawRequest(accountUrl(bo));
  t.equal(a.status, 503);
  t.equal(a.headers['retry-after'], '30');
  t.match(a.body.toString(), /<Code>SIM_E_BO_FAULT<\/Code>/);
  t.match(bo.journal.find({ status: 503 }), {
    fault: { ruleId: id, type: 'status' },
    error: 'SIM_E_BO_FAULT',
  });
  bo.faults.set('council-tax', [
    { action: { type: 'status', status: 429, retryAfter: 5, retryAfterFormat: 'http-date' } },
  ]);
  const b = await rawRequest(accountUrl(bo));
  t.equal(b.status, 429);
  t.equal(b.headers['retry-after'], 'Wed, 15 Oct 2025 09:00:05 GMT');
  bo.faults.clear('council-tax');
  t.equal((await rawRequest(accountUrl(bo))).status, 200, 'cleared: answers again');
});

void t.test('fail the first N requests, then answer', async (t) => {
  const bo = await start(t);
  bo.faults.add('council-tax', { action: { type: 'status', status: 500 }, count: 2 });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await rawRequest(accountUrl(bo))).status);
  t.same(statuses, [500, 500, 200, 200]);
});

void t.test('down for 60 s then up, on the injected clock', async (t) => {
  const time = new ManualTime();
  const bo = await start(t, time);
  bo.faults.add('council-tax', {
    action: { type: 'status', status: 503, retryAfter: 'remaining' },
    forMs: 60_000,
  });
  const a = await rawRequest(accountUrl(bo));
  t.equal(a.status, 503);
  t.equal(a.headers['retry-after'], '60');
  time.advance(45_000);
  t.equal((await rawRequest(accountUrl(bo))).headers['retry-after'], '15');
  time.advance(15_000);
  t.equal((await rawRequest(accountUrl(bo))).status, 200, 'up after 60 s, with no real waiting');
});

void t.test('a reset is ECONNRESET at the client', async (t) => {
  const bo = await start(t);
  bo.faults.add('business-rates', { action: { type: 'reset' } });
  const r = await rawRequest(
    `${bo.url('business-rates')}/properties/${bo.data.businessRates.references[0] ?? ''}`,
  );
  t.equal(r.status, undefined, 'no status line');
  t.equal(r.error, 'ECONNRESET');
  t.match(r.message, /read ECONNRESET/);
  t.match(await bo.journal.waitFor({ service: 'business-rates' }), {
    outcome: 'reset',
    status: undefined,
  });
});

void t.test('an empty response closes without a byte: the client sees a hang-up', async (t) => {
  const bo = await start(t);
  bo.faults.add('council-tax', { action: { type: 'empty' } });
  const r = await rawRequest(accountUrl(bo));
  t.equal(r.status, undefined);
  t.equal(r.error, 'ECONNRESET');
  t.match(r.message, /socket hang up/);
  t.equal((await bo.journal.waitFor({ service: 'council-tax' })).outcome, 'empty');
});

void t.test(
  'a truncated body is shorter than its Content-Length and the client gets an error',
  async (t) => {
    const bo = await start(t);
    bo.faults.add('council-tax', { action: { type: 'truncate', sendBytes: 100 } });
    const r = await rawRequest(accountUrl(bo));
    t.equal(r.status, 200, 'the status line came');
    t.ok(Number(r.headers['content-length']) > 100);
    t.equal(r.body.length, 100, 'only 100 bytes came');
    t.equal(r.error, 'ECONNRESET', `the client reports it (${r.message ?? ''})`);
    t.match(await bo.journal.waitFor({ service: 'council-tax' }), {
      outcome: 'truncated',
      status: 200,
      responseBytes: 100,
    });
  },
);

void t.test('a malformed chunked body is a parse error at the client', async (t) => {
  const bo = await start(t);
  bo.faults.add('council-tax', { action: { type: 'malformed-chunked' } });
  const r = await rawRequest(accountUrl(bo));
  t.equal(r.error, 'HPE_INVALID_CHUNK_SIZE', r.message ?? '');
  t.match(await bo.journal.waitFor({ service: 'council-tax' }), {
    outcome: 'malformed',
    status: 200,
  });
});

void t.test('a delay holds the answer until the injected timer fires', async (t) => {
  const time = new ManualTime();
  const bo = await start(t, time);
  bo.faults.add('council-tax', { action: { type: 'delay' }, delay: { type: 'fixed', ms: 5_000 } });
  let answered = false;
  const pending = rawRequest(accountUrl(bo)).then((r) => {
    answered = true;
    return r;
  });
  t.equal(await time.nextTimer(), 5_000, 'the service scheduled a 5 s delay');
  t.notOk(answered, 'no answer while the timer is pending');
  time.advance(5_000);
  const r = await pending;
  t.equal(r.status, 200);
  t.match(await bo.journal.waitFor({ service: 'council-tax' }), {
    durationMs: 5_000,
    fault: { type: 'delay' },
  });
});

void t.test('uniform and lognormal delays are the seeded samples, within bounds', async (t) => {
  const time = new ManualTime();
  const bo = await start(t, time);
  const rules = [
    { action: { type: 'delay' }, delay: { type: 'uniform', minMs: 100, maxMs: 900 }, count: 3 },
    {
      action: { type: 'delay' },
      delay: { type: 'lognormal', medianMs: 250, sigma: 0.8, maxMs: 10_000 },
    },
  ];
  bo.faults.set('council-tax', rules);
  const expected = new FaultController('faults', new ManualTime());
  expected.set('council-tax', rules);
  const want: number[] = [];
  for (let i = 0; i < 6; i++) {
    const pending = rawRequest(accountUrl(bo));
    await time.nextTimer();
    want.push(expected.decide('council-tax', { method: 'GET', path: '/x' })?.delayMs ?? -1);
    time.advance(10_000);
    t.equal((await pending).status, 200);
  }
  t.same(time.scheduled, want, 'the delays are the seeded sequence');
  t.ok(
    time.scheduled.slice(0, 3).every((ms) => ms >= 100 && ms <= 900),
    'uniform within [100, 900]',
  );
  t.ok(
    time.scheduled.slice(3).every((ms) => ms >= 0 && ms <= 10_000),
    'lognormal capped',
  );
});

void t.test(
  'a dribble sends the real body a few bytes per tick of the injected timer',
  async (t) => {
    const time = new ManualTime();
    const bo = await start(t, time);
    const whole = (await rawRequest(accountUrl(bo))).body;
    bo.faults.add('council-tax', { action: { type: 'dribble', bytes: 256, intervalMs: 1_000 } });
    let complete = false;
    const pending = rawRequest(accountUrl(bo)).then((r) => {
      complete = true;
      return r;
    });
    let ticks = 0;
    for (let guard = 0; guard < 100; guard++) {
      const next = await Promise.race([time.nextTimer(), pending.then(() => -1)]);
      if (next === -1) break;
      t.notOk(complete, `not complete before tick ${String(ticks + 1)}`);
      time.advance(next);
      ticks++;
    }
    const r = await pending;
    t.same(r.body, whole, 'the whole body arrived, unchanged');
    t.equal(
      ticks,
      Math.ceil(whole.length / 256) - 1,
      'one tick per 256-byte piece after the first',
    );
    t.match(await bo.journal.waitFor({ service: 'council-tax', after: 1 }), {
      outcome: 'answered',
    });
  },
);

void t.test('a hung request ends cleanly when the back office closes', async (t) => {
  const bo = await start(t);
  bo.faults.add('council-tax', { action: { type: 'hang' } });
  const fault = nextFault();
  const pending = rawRequest(accountUrl(bo));
  t.equal((await fault).action, 'hang');
  t.equal(bo.inFlight(), 1, 'the exchange is open');
  await bo.close();
  const r = await pending;
  t.equal(r.status, undefined);
  t.equal(r.error, 'ECONNRESET', 'the client sees the connection end');
  t.equal(bo.inFlight(), 0);
  t.match(bo.journal.find({ service: 'council-tax' }), { outcome: 'hung', status: undefined });
});

void t.test('a pending delay also ends at close, recorded as shutdown', async (t) => {
  const bo = await start(t); // real timers: the 10-minute delay must not hold close()
  bo.faults.add('council-tax', {
    action: { type: 'delay' },
    delay: { type: 'fixed', ms: 600_000 },
  });
  const fault = nextFault();
  const pending = rawRequest(accountUrl(bo));
  await fault;
  await bo.close();
  t.equal((await pending).error, 'ECONNRESET');
  t.equal(bo.journal.find({ service: 'council-tax' })?.outcome, 'shutdown');
});

void t.test('a hung request the client gives up on is recorded as hung', async (t) => {
  const bo = await start(t);
  bo.faults.add('council-tax', { action: { type: 'hang' } });
  const fault = nextFault();
  const req = request(accountUrl(bo), { agent: false });
  req.on('error', () => undefined);
  req.end();
  await fault;
  const entry = bo.journal.waitFor({ service: 'council-tax' });
  req.destroy();
  t.equal((await entry).outcome, 'hung');
});

void t.test(
  'a reset after the work: the submission is stored but the answer is lost',
  async (t) => {
    const bo = await start(t);
    bo.faults.add('ctb-intake', {
      action: { type: 'reset', when: 'after' },
      match: { method: 'POST' },
    });
    const r = await rawRequest(`${bo.url('ctb-intake')}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', 'idempotency-key': 'lost-answer' },
      body: '<ChangeOfCircumstances/>',
    });
    t.equal(r.error, 'ECONNRESET');
    t.equal(bo.intake['ctb-intake'].list().length, 1, 'the back office did the work');
    const entry = await bo.journal.waitFor({ idempotencyKey: 'lost-answer' });
    t.match(entry, { outcome: 'reset', reference: bo.intake['ctb-intake'].list()[0]?.reference });
  },
);
