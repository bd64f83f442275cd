// The caller's signal and a failing body end a scan with a typed error and close the connection to
// clamd: a signal fired mid-stream, while waiting for clamd's answer, or before the scan started is
// RELAY_E_AV_ABORTED (never 'unscanned', even under fail-open); a body stream that errors is
// RELAY_E_AV_BODY with its errno; a body that throws a typed error of its own passes it on as it
// is; a chunk that is not bytes and a body that is not a stream are RELAY_E_AV_BODY. The body is
// destroyed (a stream) or returned (an iterator) every time; one `relay:av` event each.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import t from 'tap';
import { createScanner, isRelayAvError, type ScanBody } from '../../src/work/antivirus';
import { RelayContentError } from '../../src/work/content/errors';
import { startFakeClamd } from './lib/clamd';
import { eicarInMiddleOf } from './lib/eicar';
import { CLAMD_SKIP, avEvents, clamdFor, rejection, streamOf } from './lib/fixture';

const KIB = 1024;

void t.test('aborts and body failures against a clamd that never answers', async (t) => {
  const fake = await startFakeClamd('hang');
  t.teardown(() => fake.stop());
  const events = avEvents(t);
  // fail-open on purpose: an abort or a failed body is never let through unscanned.
  const scanner = createScanner({
    clamd: { socket: fake.socket },
    timeoutMs: 60_000,
    onUnavailable: 'fail-open',
  });

  await t.test('a signal fired mid-stream', async (t) => {
    const controller = new AbortController();
    let returned = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        yield randomBytes(64 * KIB);
        yield randomBytes(64 * KIB);
        await fake.received(10 + 2 * (4 + 64 * KIB));
        controller.abort();
        for (;;) yield randomBytes(64 * KIB);
      } finally {
        returned = true;
      }
    }
    const e = await rejection(
      scanner.scan(body(), { signal: controller.signal, formType: 'evidence' }),
    );
    t.ok(isRelayAvError(e, 'RELAY_E_AV_ABORTED'), 'RELAY_E_AV_ABORTED');
    t.match(e, { http: 503, details: { formType: 'evidence' } });
    await fake.idle();
    t.equal(fake.open(), 0, 'the connection to clamd was closed');
    t.ok(returned, 'the body iterator was returned');
    t.match(events.at(-1), { verdict: 'failed', code: 'RELAY_E_AV_ABORTED' });
  });

  await t.test("a signal fired while waiting for clamd's answer", async (t) => {
    const controller = new AbortController();
    const payload = randomBytes(100);
    const before = fake.bytes();
    const scan = scanner.scan(streamOf(payload), { signal: controller.signal });
    await fake.received(before + 10 + 4 + 100 + 4);
    controller.abort();
    const e = await rejection(scan);
    t.ok(isRelayAvError(e, 'RELAY_E_AV_ABORTED'), 'RELAY_E_AV_ABORTED');
    await fake.idle();
    t.equal(fake.open(), 0, 'the connection to clamd was closed');
  });

  await t.test('a signal fired before the scan: no connection at all', async (t) => {
    const accepted = fake.accepted();
    const body = streamOf(randomBytes(KIB));
    const e = await rejection(scanner.scan(body, { signal: AbortSignal.abort() }));
    t.ok(isRelayAvError(e, 'RELAY_E_AV_ABORTED'), 'RELAY_E_AV_ABORTED');
    t.equal(fake.accepted(), accepted, 'clamd was not dialled');
    t.ok(body.destroyed, 'the body was destroyed');
  });

  await t.test('a body stream that errors half way', async (t) => {
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent === 3) {
          this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          return;
        }
        sent += 1;
        this.push(randomBytes(16 * KIB));
      },
    });
    const e = await rejection(scanner.scan(body));
    t.ok(isRelayAvError(e, 'RELAY_E_AV_BODY'), 'RELAY_E_AV_BODY');
    t.match(e, { http: 503, details: { errno: 'ECONNRESET', bytes: 48 * KIB } });
    t.notMatch((e as Error).message, 'hang up', "the body's own message is not quoted");
    await fake.idle();
    t.equal(fake.open(), 0, 'the connection to clamd was closed');
    t.match(events.at(-1), { verdict: 'failed', code: 'RELAY_E_AV_BODY' });
  });

  await t.test('a body that throws a typed error of its own passes it on', async (t) => {
    const refusal = new RelayContentError(
      'RELAY_E_CONTENT_PDF',
      'PDF refused (trailer): no %%EOF',
      {
        rule: 'trailer',
      },
    );
    async function* body(): AsyncGenerator<Uint8Array> {
      yield randomBytes(KIB);
      await Promise.resolve();
      throw refusal;
    }
    t.equal(await rejection(scanner.scan(body())), refusal, 'the same error');
    t.match(events.at(-1), { verdict: 'failed', code: 'RELAY_E_CONTENT_PDF' });
    await fake.idle();
  });

  await t.test('a chunk that is not bytes', async (t) => {
    const body = Readable.from(['text is not bytes'], { objectMode: true });
    const e = await rejection(scanner.scan(body));
    t.ok(isRelayAvError(e, 'RELAY_E_AV_BODY'), 'RELAY_E_AV_BODY');
    t.match((e as Error).message, /not bytes/);
    t.ok(body.destroyed, 'the body was destroyed');
    await fake.idle();
  });

  await t.test('a body that is neither a stream nor an async iterable', async (t) => {
    const accepted = fake.accepted();
    for (const bad of [null, 'a string', 42, {}, [new Uint8Array(1)]]) {
      const e = await rejection(scanner.scan(bad as unknown as ScanBody));
      t.ok(isRelayAvError(e, 'RELAY_E_AV_BODY'), `${JSON.stringify(bad)}: RELAY_E_AV_BODY`);
    }
    t.equal(fake.accepted(), accepted, 'clamd was not dialled');
  });
});

void t.test('a signal fired mid-stream to a real clamd', { skip: CLAMD_SKIP }, async (t) => {
  const clamd = await clamdFor(t);
  const scanner = createScanner({ clamd: { socket: clamd.socket } });
  const controller = new AbortController();
  let chunks = 0;
  const body = new Readable({
    read() {
      chunks += 1;
      if (chunks === 8) controller.abort();
      this.push(chunks > 64 ? null : eicarInMiddleOf(64 * KIB));
    },
  });
  const e = await rejection(scanner.scan(body, { signal: controller.signal }));
  t.ok(isRelayAvError(e, 'RELAY_E_AV_ABORTED'), 'RELAY_E_AV_ABORTED, not INFECTED');
  t.ok(body.destroyed, 'the body was destroyed');
  t.match(await scanner.ping(), { version: clamd.version }, 'clamd carries on');
});
