// Handshake refusals: 401 → RELAY_E_HC_UNAUTHORIZED, 403 → RELAY_E_HC_FORBIDDEN, 404 →
// RELAY_E_HC_NOT_FOUND are reported as events and retried on the schedule, but after
// maxRefusals of them in a row the listener gives up; other failures (5xx, network, timeout)
// are retried without end.
import t from 'tap';
import type { HcError } from '../../src/transports/errors';
import { ScriptedFactory } from './helpers/scripted-socket';
import { setup } from './helpers/setup';

for (const [status, code] of [
  [401, 'RELAY_E_HC_UNAUTHORIZED'],
  [403, 'RELAY_E_HC_FORBIDDEN'],
  [404, 'RELAY_E_HC_NOT_FOUND'],
] as const) {
  void t.test(
    `${status} is ${code}; after maxRefusals in a row the listener gives up`,
    async (t) => {
      const sockets = new ScriptedFactory();
      const s = setup(t, { sockets, config: { maxRefusals: 3 } });
      const refused: HcError[] = [];
      s.listener.on('refused', (e) => refused.push(e));
      const failed = new Promise<HcError>((r) => s.listener.once('failed', r));
      s.listener.start();
      for (let i = 1; i <= 3; i++) {
        const socket = await sockets.next();
        socket.refuse(status, 'refused by test');
        const e = await s.events.nth('relay:hc:refused', i);
        t.match(e, { status, code, retryable: false, attempt: i });
        if (i < 3) {
          await s.events.nth('relay:hc:reconnect-scheduled', i);
          s.scheduler.runNext();
        }
      }
      const error = await failed;
      t.equal(error.code, code);
      t.equal(error.http, status);
      t.equal(refused.length, 3);
      t.match(await s.events.until('relay:hc:failed'), { code, status });
      t.equal(s.listener.state, 'failed');
      await t.rejects(s.listener.ready(), { code });
      t.equal(
        s.events.list('relay:hc:reconnect-scheduled').length,
        2,
        'no reconnect after giving up',
      );
      s.scheduler.advance(3_600_000);
      t.equal(sockets.all.length, 3, 'no more attempts');
    },
  );
}

void t.test('a 500 or a network failure is retried without limit', async (t) => {
  const sockets = new ScriptedFactory();
  const s = setup(t, { sockets, config: { maxRefusals: 2 } });
  s.listener.start();
  for (let i = 1; i <= 6; i++) {
    const socket = await sockets.next();
    if (i % 2 === 0) socket.refuse(500 + i, 'service error');
    else socket.serverClose(1006, '');
    t.match(await s.events.nth('relay:hc:refused', i), {
      code: 'RELAY_E_HC_HANDSHAKE',
      retryable: true,
    });
    await s.events.nth('relay:hc:reconnect-scheduled', i);
    s.scheduler.runNext();
  }
  const last = await sockets.next();
  last.accept();
  await s.listener.ready();
  t.equal(s.listener.state, 'connected');
  t.same(s.events.list('relay:hc:failed'), []);
});

void t.test('a successful connection resets the refusal count', async (t) => {
  const sockets = new ScriptedFactory();
  const s = setup(t, { sockets, config: { maxRefusals: 2 } });
  s.listener.start();
  (await sockets.next()).refuse(401);
  await s.events.nth('relay:hc:reconnect-scheduled', 1);
  s.scheduler.runNext();
  const ok = await sockets.next();
  ok.accept();
  await s.listener.ready();
  ok.serverClose(1008, 'token expired');
  await s.events.nth('relay:hc:reconnect-scheduled', 2);
  s.scheduler.runNext();
  (await sockets.next()).refuse(401);
  await s.events.nth('relay:hc:reconnect-scheduled', 3);
  t.equal(s.listener.state, 'waiting', 'one refusal since the last success: still trying');
});

void t.test(
  'a handshake that never completes is dropped after handshakeTimeoutMs and retried',
  async (t) => {
    const sockets = new ScriptedFactory();
    const s = setup(t, { sockets, config: { handshakeTimeoutMs: 10_000 } });
    s.listener.start();
    const stuck = await sockets.next();
    s.scheduler.advance(9_999);
    t.equal(stuck.closedWith, undefined);
    s.scheduler.advance(1);
    t.equal(stuck.closedWith, 'terminated');
    t.match(await s.events.nth('relay:hc:refused', 1), {
      code: 'RELAY_E_HC_HANDSHAKE',
      retryable: true,
    });
    t.match(await s.events.nth('relay:hc:reconnect-scheduled', 1), {
      reason: 'RELAY_E_HC_HANDSHAKE',
    });
    s.scheduler.runNext();
    (await sockets.next()).accept();
    await s.listener.ready();
    t.equal(s.listener.state, 'connected');
  },
);

void t.test(
  'close() before the first connection rejects ready() with RELAY_E_HC_SHUTDOWN',
  async (t) => {
    const sockets = new ScriptedFactory();
    const s = setup(t, { sockets });
    s.listener.start();
    const socket = await sockets.next();
    const closed = s.listener.close();
    t.equal(socket.closedWith, 'terminated');
    await closed;
    await t.rejects(s.listener.ready(), { code: 'RELAY_E_HC_SHUTDOWN' });
    t.equal(s.listener.state, 'closed');
  },
);
