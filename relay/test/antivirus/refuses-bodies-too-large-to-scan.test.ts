// A body larger than maxBytes is never sent past maxBytes: RELAY_E_AV_UNSCANNABLE (reason
// maxBytes) under fail-closed, an 'unscanned' outcome with that code under fail-open; a body of
// exactly maxBytes is scanned. A body over clamd's own StreamMaxLength (the relay's maxBytes set
// higher) is RELAY_E_AV_UNSCANNABLE (reason clamd-limit) every time, however far over it goes,
// and exactly StreamMaxLength is scanned. The body is consumed or destroyed on every path.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { AV_DEAD_LETTER_CODES, createScanner, isRelayAvError } from '../../src/work/antivirus';
import { eicarInMiddleOf } from './lib/eicar';
import { CLAMD_SKIP, avEvents, clamdFor, rejection, streamOf } from './lib/fixture';

const KIB = 1024;
const STREAM_MAX = 512 * KIB;

void t.test('bodies too large to scan are unscannable', { skip: CLAMD_SKIP }, async (t) => {
  const clamd = await clamdFor(t, { streamMaxBytes: STREAM_MAX });
  const events = avEvents(t);
  const closed = createScanner({ clamd: { socket: clamd.socket }, maxBytes: 256 * KIB });
  const open = createScanner({
    clamd: { socket: clamd.socket },
    maxBytes: 256 * KIB,
    onUnavailable: 'fail-open',
  });

  await t.test('exactly maxBytes is scanned', async (t) => {
    t.match(await closed.scan(streamOf(randomBytes(256 * KIB))), {
      verdict: 'clean',
      bytes: 256 * KIB,
    });
    const e = await rejection(closed.scan(streamOf(eicarInMiddleOf(256 * KIB))));
    t.ok(isRelayAvError(e, 'RELAY_E_AV_INFECTED'), 'and EICAR in it is found');
  });

  await t.test('one byte over maxBytes is UNSCANNABLE under fail-closed', async (t) => {
    const body = streamOf(randomBytes(256 * KIB + 1), 64 * KIB);
    const e = await rejection(closed.scan(body, { formType: 'evidence' }));
    t.ok(isRelayAvError(e, 'RELAY_E_AV_UNSCANNABLE'), 'RELAY_E_AV_UNSCANNABLE');
    t.match(e, { http: 422, details: { reason: 'maxBytes', formType: 'evidence' } });
    t.match((e as Error).message, /maxBytes \(262144 bytes\)/);
    t.ok(AV_DEAD_LETTER_CODES.has('RELAY_E_AV_UNSCANNABLE'), 'dead-lettered');
    t.ok(body.destroyed, 'the body was destroyed');
    t.match(events.at(-1), { verdict: 'failed', code: 'RELAY_E_AV_UNSCANNABLE' });
  });

  await t.test('a body far over maxBytes is unscanned under fail-open', async (t) => {
    const body = streamOf(eicarInMiddleOf(2048 * KIB), 64 * KIB);
    const outcome = await open.scan(body);
    t.match(outcome, { verdict: 'unscanned', code: 'RELAY_E_AV_UNSCANNABLE', why: /maxBytes/ });
    // A stream's reads may join chunks: the count is of whole reads, cut off at the first over.
    t.ok(
      outcome.bytes > 256 * KIB && outcome.bytes < 2048 * KIB,
      `stopped at the read that went over maxBytes (${outcome.bytes})`,
    );
    t.ok(body.destroyed, 'the body was destroyed before its end');
    t.match(events.at(-1), { verdict: 'unscanned', code: 'RELAY_E_AV_UNSCANNABLE' });
  });

  const big = createScanner({ clamd: { socket: clamd.socket }, maxBytes: 16 * 1024 * KIB });
  const bigOpen = createScanner({
    clamd: { socket: clamd.socket },
    maxBytes: 16 * 1024 * KIB,
    onUnavailable: 'fail-open',
  });

  await t.test("exactly clamd's StreamMaxLength is scanned", async (t) => {
    t.match(await big.scan(streamOf(randomBytes(STREAM_MAX))), { verdict: 'clean' });
  });

  await t.test("over clamd's StreamMaxLength is UNSCANNABLE, every time", async (t) => {
    // From one byte over (the last frame is refused) to far over (clamd closes while frames are
    // still in flight, so its answer can be lost: the probe tells its limit from a crash).
    const sizes = [STREAM_MAX + 1, STREAM_MAX + 70 * KIB, 2 * STREAM_MAX, 4 * 1024 * KIB];
    for (let i = 0; i < 12; i++) {
      const size = sizes[i % sizes.length] ?? STREAM_MAX + 1;
      const body = streamOf(randomBytes(size), 64 * KIB);
      const e = await rejection(big.scan(body));
      t.ok(isRelayAvError(e, 'RELAY_E_AV_UNSCANNABLE'), `${size} bytes: RELAY_E_AV_UNSCANNABLE`);
      t.match(e, { details: { reason: 'clamd-limit' } }, `${size} bytes: clamd's limit`);
      t.ok(body.destroyed, `${size} bytes: the body was destroyed`);
    }
  });

  await t.test("over clamd's StreamMaxLength is unscanned under fail-open", async (t) => {
    const outcome = await bigOpen.scan(streamOf(randomBytes(4 * STREAM_MAX), 64 * KIB));
    t.match(outcome, {
      verdict: 'unscanned',
      code: 'RELAY_E_AV_UNSCANNABLE',
      why: /StreamMaxLength/,
    });
  });

  t.ok(await big.ping().then(() => true), 'clamd still answers after all that');
});
