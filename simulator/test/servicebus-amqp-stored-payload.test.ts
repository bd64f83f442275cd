// How the AMQP edge stores a held message: its encoded bytes (a slice of the batch's buffer),
// not a decoded object tree. In: encoded messages, sliced out of one larger buffer as a batch
// transfer delivers them. Out: the engine's IncomingMessage with the broker's fields, whose
// payload gives back exactly the bytes that were sent, and a delivery (toWire) that decodes
// them into the message as sent plus the broker's annotations.
import t from 'tap';
import {
  decodeMessage,
  encodeMessage,
  toIncoming,
  toWire,
} from '../src/cloud/servicebus/amqp/codec';
import type { MessageSnapshot } from '../src/cloud/servicebus/engine/types';

function slab(messages: Buffer[]): Buffer[] {
  const all = Buffer.concat([Buffer.from('head'), ...messages, Buffer.from('tail')]);
  let at = 4;
  return messages.map((m) => {
    const part = all.subarray(at, at + m.length);
    at += m.length;
    return part;
  });
}

void t.test('a stored payload is exactly the bytes of its slice, decoded on delivery', (t) => {
  const sent = [
    encodeMessage({
      message_id: 'm-1',
      group_id: 's-1',
      subject: 'hello',
      application_properties: { n: 1 },
      body: Buffer.from('first'),
    }),
    encodeMessage({ message_id: 'm-2', body: 'second' }),
  ];
  const parts = slab(sent);
  const incoming = parts.map((p) => toIncoming(decodeMessage(p), p, p.length));
  const first = incoming[0];
  const second = incoming[1];
  if (first === undefined || second === undefined) throw new Error('two messages');
  t.equal(first.messageId, 'm-1');
  t.equal(first.sessionId, 's-1');
  t.equal(first.subject, 'hello');
  t.same(first.applicationProperties, { n: 1 });
  t.equal(first.size, sent[0]?.length);
  t.ok(Buffer.isBuffer(first.payload), 'the payload is a Buffer');
  t.same(first.payload, sent[0], 'first: the bytes as sent');
  t.same(second.payload, sent[1], 'second: the bytes as sent');

  const snapshot: MessageSnapshot = {
    entityPath: 'q',
    sequenceNumber: 7,
    enqueuedTimeUtc: 1_700_000_000_000,
    state: 'active',
    deliveryCount: 2,
    lockToken: undefined,
    lockedUntilUtc: undefined,
    expiresAtUtc: undefined,
    scheduledEnqueueTimeUtc: undefined,
    sessionId: 's-1',
    messageId: 'm-1',
    deadLetterReason: undefined,
    deadLetterErrorDescription: undefined,
    deadLetterSource: undefined,
    applicationProperties: { n: 1, extra: 'x' },
    message: first,
  };
  const wire = toWire(snapshot);
  t.equal(wire.message_id, 'm-1');
  t.equal(wire.subject, 'hello');
  t.equal(wire.delivery_count, 2);
  t.same(wire.application_properties, { n: 1, extra: 'x' });
  t.same(wire.body, decodeMessage(sent[0] ?? Buffer.alloc(0)).body, 'the body as sent');
  t.end();
});

void t.test('the broker-assigned message-id goes into the record of a message without one', (t) => {
  const bytes = encodeMessage({ body: 'no id' });
  const m = toIncoming(decodeMessage(bytes), bytes, bytes.length, 'assigned');
  t.equal(m.messageId, 'assigned');
  t.same(m.payload, bytes);
  const kept = toIncoming(decodeMessage(bytes), bytes, bytes.length);
  t.equal(kept.messageId, undefined);
  t.end();
});
