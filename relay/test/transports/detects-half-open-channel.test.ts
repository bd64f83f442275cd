// Keep-alive and half-open detection: a ping every pingIntervalMs; when neither a pong nor any
// other frame comes back within pongTimeoutMs the channel is dropped (relay:hc:ping-timeout,
// RELAY_E_HC_PING_TIMEOUT) and a reconnect is scheduled.
import t from 'tap';
import type { HcError } from '../../src/transports/errors';
import { ScriptedFactory } from './helpers/scripted-socket';
import { setup } from './helpers/setup';

const config = { pingIntervalMs: 210_000, pongTimeoutMs: 30_000 };

void t.test('pings every interval and keeps a channel that answers', async (t) => {
  const sockets = new ScriptedFactory();
  const s = setup(t, { sockets, config });
  s.listener.start();
  const socket = await sockets.next();
  socket.accept();
  await s.listener.ready();
  s.scheduler.advance(209_999);
  t.equal(socket.pings, 0);
  s.scheduler.advance(1);
  t.equal(socket.pings, 1, 'the first ping after 3.5 min');
  socket.pong();
  s.scheduler.advance(210_000);
  t.equal(socket.pings, 2);
  socket.text('{"request":{"id":"x","method":"GET","requestTarget":"/","body":false}}');
  s.scheduler.advance(30_000);
  t.equal(socket.closedWith, undefined, 'any frame counts as proof of life');
  t.same(s.events.list('relay:hc:ping-timeout'), []);
  t.equal(s.events.list('relay:hc:pong').length, 1);
});

void t.test('drops a channel that stays silent after a ping and reconnects', async (t) => {
  const sockets = new ScriptedFactory();
  const s = setup(t, { sockets, config });
  const disconnected = new Promise<HcError>((r) => s.listener.once('disconnected', r));
  s.listener.start();
  const socket = await sockets.next();
  socket.accept();
  await s.listener.ready();
  s.scheduler.advance(210_000);
  t.equal(socket.pings, 1);
  s.scheduler.advance(29_999);
  t.equal(socket.closedWith, undefined, 'not before the bound');
  s.scheduler.advance(1);
  t.equal(socket.closedWith, 'terminated', 'dropped without a closing handshake');
  t.match(await s.events.until('relay:hc:ping-timeout'), { waitedMs: 30_000 });
  t.match(await s.events.until('relay:hc:fault'), { code: 'RELAY_E_HC_PING_TIMEOUT' });
  t.equal((await disconnected).code, 'RELAY_E_HC_PING_TIMEOUT');
  t.match(await s.events.until('relay:hc:closed'), { by: 'listener', code: 1006 });
  t.match(await s.events.until('relay:hc:reconnect-scheduled'), {
    attempt: 0,
    delayMs: 0,
    reason: 'RELAY_E_HC_PING_TIMEOUT',
  });
  s.scheduler.runNext();
  const again = await sockets.next();
  again.accept();
  await s.events.nth('relay:hc:connected', 2);
  t.equal(s.listener.state, 'connected');
});

void t.test('a transport that cannot ping sends no pings', async (t) => {
  const sockets = new ScriptedFactory(false);
  const s = setup(t, { sockets, config });
  s.listener.start();
  const socket = await sockets.next();
  socket.accept();
  await s.listener.ready();
  s.scheduler.advance(10 * 210_000);
  t.equal(socket.pings, 0);
  t.equal(socket.closedWith, undefined);
});
