// The browser-style adapter (mock-socket in tests): close codes a browser may not send are
// mapped into 4000-4015, binary fragments are joined into one message at fin, and a message
// over the size bound closes the socket with 1009.
import t from 'tap';
import { Server, WebSocket } from 'mock-socket';
import {
  browserCloseCode,
  browserSocketFactory,
  type BrowserWebSocketConstructor,
} from '../../src/transports/browser-socket';
import type { SocketHandlers } from '../../src/transports/socket';
import { Inbox } from './helpers/mock-service';

void t.test('close codes are mapped to ones a browser socket may send', (t) => {
  t.same(
    [1000, 1001, 1008, 1009, 1011, 1006, 3000, 4999, 999, 2000].map(browserCloseCode),
    [1000, 4001, 4008, 4009, 4011, 4006, 3000, 4999, 1000, 1000],
  );
  t.end();
});

void t.test('fragments are joined, oversize messages close with 1009', async (t) => {
  const url = `wss://adapter-${process.pid}.servicebus.windows.net/x`;
  const server = new Server(url, { mock: false });
  t.teardown(() => {
    server.stop();
  });
  const received = new Inbox<unknown>();
  const serverSide = new Inbox<{ send(d: ArrayBuffer): void }>();
  server.on('connection', (socket) => {
    serverSide.put(socket);
    (socket as unknown as { on(e: string, cb: (d: unknown) => void): void }).on('message', (d) => {
      received.put(d);
    });
  });
  const opened = new Inbox<true>();
  const closed = new Inbox<number>();
  const errors: string[] = [];
  const handlers: SocketHandlers = {
    onOpen: () => {
      opened.put(true);
    },
    onText: () => undefined,
    onBinary: () => undefined,
    onPong: () => undefined,
    onRefused: () => undefined,
    onError: (e) => errors.push(e.message),
    onClose: (code) => {
      closed.put(code);
    },
  };
  const factory = browserSocketFactory(WebSocket as unknown as BrowserWebSocketConstructor);
  t.equal(factory.canSetHeaders, false);
  t.equal(factory.canPing, false);
  const socket = factory.open({ url, headers: { Ignored: 'yes' }, maxMessageBytes: 10 }, handlers);
  await opened.take();
  t.equal(socket.ping(), false);
  await socket.sendBinary(Buffer.from('abc'), false);
  await socket.sendBinary(Buffer.from('def'), true);
  const joined = await received.take();
  t.ok(joined instanceof ArrayBuffer);
  t.equal(Buffer.from(joined as ArrayBuffer).toString(), 'abcdef');
  const peer = await serverSide.take();
  peer.send(new ArrayBuffer(11));
  t.equal(await closed.take(), 1009);
  t.match(errors, [/larger than the limit/]);
  await t.rejects(socket.sendText('late'), /not open/);
});
