// HC-012: WebSocket mode (sb-hc-action=connect). In: WebSocket senders to `tax`, served by a
// protocol-literal listener that accepts one and rejects another; and a WebSocket sender to
// `hyco`, served by OUR listener, which relays HTTP only. Out: an accept message (id, address,
// the sender's headers without its token); once the listener opens the address the two
// sockets are bridged both ways and the close is mirrored; a reject (sb-hc-statusCode=403)
// fails the sender's upgrade with 403 and the listener's with 410; OUR listener rejects the
// offer with 501, which the sender gets (relay:hc:accept-rejected, answered 410).
import {
  HandshakeRefused,
  TestListener,
  openQueue,
  type FrameQueue,
} from '../../simulator/src/cloud/hybrid';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

async function refusal(p: Promise<unknown>): Promise<HandshakeRefused | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof HandshakeRefused) return e;
    throw e;
  }
}

void kase('HC-012', async (t) => {
  const h = await startHarness(t);
  const sockets: FrameQueue[] = [];
  t.teardown(() => Promise.all(sockets.map((s) => s.close())));
  const listener = await TestListener.connect(
    h.sim.listenerUrl('tax', 'plain'),
    h.sim.token('tax'),
  );
  sockets.push(listener);
  const connect = (path: string, query = '') =>
    openQueue(h.sim.connectUrl(path, 'plain').replace('?', `/ws?${query}`), {
      headers: { ServiceBusAuthorization: h.sendToken(path), 'X-Portal': 'tax-portal' },
      protocols: ['council.v1'],
    });

  // Accept: bridged both ways.
  const senderP = connect('tax', 'sb-hc-id=ws-sender-1&');
  const accept = await listener.nextJson('accept');
  t.equal(accept.id, 'ws-sender-1', 'the accept carries the sender’s sb-hc-id');
  const headers = accept.connectHeaders as Record<string, string>;
  t.equal(headers['X-Portal'], 'tax-portal', 'and its headers');
  t.notOk(
    Object.keys(headers).some((k) => /servicebusauthorization|authorization/i.test(k)),
    'but not its token',
  );
  t.match(accept.address, /\/\$hc\/tax\/ws\?sb-hc-action=accept&sb-hc-id=ws-sender-1&/);
  const side = await openQueue(String(accept.address), { protocols: ['council.v1'] });
  sockets.push(side);
  const sender = await senderP;
  sockets.push(sender);
  t.equal(sender.ws.protocol, 'council.v1', 'the listener’s subprotocol reaches the sender');
  sender.ws.send('to the listener');
  const m1 = await side.next();
  t.equal(m1.kind === 'text' ? m1.text : undefined, 'to the listener', 'sender → listener');
  side.ws.send(Buffer.from([0, 1, 2, 255]));
  const m2 = await sender.next();
  t.same(m2.kind === 'binary' ? [...m2.data] : undefined, [0, 1, 2, 255], 'listener → sender');
  side.ws.close(4001, 'done here');
  t.same(await sender.closed, { code: 4001, reason: 'done here' }, 'the close is mirrored');

  // Reject: the sender gets the listener's status.
  const rejectedP = refusal(connect('tax'));
  const offer = await listener.nextJson('accept');
  const listenerSide = await refusal(
    openQueue(
      `${String(offer.address)}&sb-hc-statusCode=403&sb-hc-statusDescription=${encodeURIComponent('Not for you')}`,
    ),
  );
  t.equal(listenerSide?.status, 410, 'the rejecting listener’s handshake gets 410');
  const rejected = await rejectedP;
  t.equal(rejected?.status, 403, 'the sender’s upgrade fails with the chosen status');
  t.equal(rejected?.statusMessage, 'Not for you');

  // OUR listener serves HTTP only: it rejects WebSocket offers with 501.
  const office = backEnd();
  await h.listen({ handler: office.handler });
  const oursP = refusal(connect('hyco'));
  const ours = await oursP;
  t.equal(ours?.status, 501, 'OUR listener rejects a WebSocket sender with 501');
  t.match(await h.events.until(RELAY_CHANNELS.acceptRejected), { status: 501, answered: 410 });
  t.equal(office.served.length, 0, 'the back end never saw it');
  const outcomes = h.events
    .of(SIM_CHANNELS.connect)
    .map((e) => `${String(e.outcome)}${typeof e.status === 'number' ? ` ${e.status}` : ''}`);
  t.same(
    outcomes.filter((o) => o !== 'closed'),
    ['offered', 'accepted', 'offered', 'rejected 403', 'offered', 'rejected 501'],
    'the endpoint saw: accepted, rejected 403, rejected 501',
  );
  t.equal(outcomes.filter((o) => o === 'closed').length, 1, 'and the bridge closed once');
  t.equal((await h.send('hyco/echo')).status, 200, 'and keeps serving HTTP');
});
