// When clamd is gone (stopped after a scan that worked), a scan is RELAY_E_AV_UNAVAILABLE under
// fail-closed (the default: transient, the message is retried, not dead-lettered) and resolves
// 'unscanned' with that code under fail-open; ping() rejects RELAY_E_AV_UNAVAILABLE either way.
// Nothing listening on a loopback TCP port is the same. The body is destroyed every time.
import { createServer } from 'node:net';
import t from 'tap';
import { AV_DEAD_LETTER_CODES, createScanner, isRelayAvError } from '../../src/work/antivirus';
import { cleanPdf } from './lib/eicar';
import { CLAMD_SKIP, avEvents, clamdFor, rejection, streamOf } from './lib/fixture';

void t.test('a stopped clamd is unavailable', { skip: CLAMD_SKIP }, async (t) => {
  const clamd = await clamdFor(t);
  const events = avEvents(t);
  const closed = createScanner({ clamd: { socket: clamd.socket } });
  const open = createScanner({ clamd: { socket: clamd.socket }, onUnavailable: 'fail-open' });
  t.match(await closed.scan(streamOf(cleanPdf())), { verdict: 'clean' }, 'it worked before');
  await clamd.stop();

  const body = streamOf(cleanPdf());
  const e = await rejection(closed.scan(body, { formType: 'council-tax' }));
  t.ok(isRelayAvError(e, 'RELAY_E_AV_UNAVAILABLE'), 'fail-closed: RELAY_E_AV_UNAVAILABLE');
  t.match(e, { http: 503, details: { step: 'connect', formType: 'council-tax' } });
  t.match((e as Error).message, /clamd is unreachable \((ENOENT|ECONNREFUSED)\)/);
  t.notOk(AV_DEAD_LETTER_CODES.has('RELAY_E_AV_UNAVAILABLE'), 'transient: retried');
  t.ok(body.destroyed, 'the body was destroyed');
  t.match(events.at(-1), { verdict: 'failed', code: 'RELAY_E_AV_UNAVAILABLE', bytes: 0 });

  const body2 = streamOf(cleanPdf());
  const outcome = await open.scan(body2);
  t.match(outcome, { verdict: 'unscanned', code: 'RELAY_E_AV_UNAVAILABLE', why: /unreachable/ });
  t.ok(body2.destroyed, 'the body was destroyed');
  t.match(events.at(-1), { verdict: 'unscanned', code: 'RELAY_E_AV_UNAVAILABLE' });

  for (const s of [closed, open]) {
    const p = await rejection(s.ping());
    t.ok(isRelayAvError(p, 'RELAY_E_AV_UNAVAILABLE'), `ping under ${s.config.onUnavailable}`);
  }
});

void t.test('nothing listening on a loopback TCP port is unavailable', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  const closed = createScanner({ clamd: { host: '127.0.0.1', port } });
  const e = await rejection(closed.scan(streamOf(cleanPdf())));
  t.ok(isRelayAvError(e, 'RELAY_E_AV_UNAVAILABLE'), 'RELAY_E_AV_UNAVAILABLE');
  t.match(e, { details: { step: 'connect', errno: 'ECONNREFUSED' } });
  const open = createScanner({ clamd: { host: '127.0.0.1', port }, onUnavailable: 'fail-open' });
  t.match(await open.scan(streamOf(cleanPdf())), { verdict: 'unscanned' });
});
