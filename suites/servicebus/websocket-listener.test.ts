// SB-023: AMQP over WebSockets. In: the SDK with webSocketOptions (the `ws` WebSocket, the
// simulator's CA as a constructor option) on the WebSocket listener: wss://localhost:PORT/
// $servicebus/websocket, subprotocol AMQPWSB10. Out: send, receive (peekLock) and complete
// work as on TCP; a plain HTTPS request to the listener gets 404.
import { request } from 'node:https';
import WebSocket from 'ws';
import { kase } from '../lib/case';
import { nextEvent, startSim } from './lib/sim';

void kase('SB-023', async (t) => {
  const { sim, client } = await startSim(t, {
    listeners: { plain: false, tls: false, websocket: {} },
  });
  const ws = sim.listeners.websocket;
  if (ws === undefined) throw new Error('no WebSocket listener');
  t.equal(ws.url, `wss://localhost:${ws.port}/$servicebus/websocket`);
  const opened = nextEvent<{ state: string; listener: string }>(
    'sim:sb:connection',
    (e) => e.state === 'open' && e.listener === 'websocket',
  );
  const sb = client({
    listener: 'websocket',
    clientOptions: {
      webSocketOptions: { webSocket: WebSocket, webSocketConstructorOptions: { ca: sim.caPem } },
    },
  });
  await sb.createSender('q1').sendMessages({ body: 'over 443', messageId: 'ws-1' });
  t.ok(await opened, 'an AMQP connection opened over the WebSocket listener');
  const receiver = sb.createReceiver('q1');
  const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(msg?.body, 'over 443');
  if (msg !== undefined) await receiver.completeMessage(msg);
  t.equal(sim.engine.messages('q1').length, 0, 'completed over WebSockets');

  const status = await new Promise<number | undefined>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ws.port, path: '/', servername: 'localhost', ca: sim.caPem },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 404, 'plain HTTPS is not served');
});
