// The relay's event stream (`relaycheck relay --events-fd`) carries each published event once.
// In: RELAY_EVENT_CHANNELS and createEventSink over an in-memory stream. Out: no channel is
// listed twice, and a channel named twice to the sink is still written once per event.
import { channel } from 'node:diagnostics_channel';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { createEventSink } from '../../src/event-sink';
import { RELAY_EVENT_CHANNELS } from '../../src/relay';

void t.test('the relay lists each of its channels once', (t) => {
  const seen = new Set<string>();
  const twice = RELAY_EVENT_CHANNELS.filter((c) => (seen.has(c) ? true : (seen.add(c), false)));
  t.same(twice, [], 'no channel listed twice');
  t.ok(RELAY_EVENT_CHANNELS.includes('relay:egress:dial'), 'the dial channel is listed');
  t.end();
});

void t.test('a channel named twice to the sink writes each event once', (t) => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const name = 'relaycheck-test:event-sink-once';
  const sink = createEventSink([name, name], out);
  t.teardown(() => {
    sink.close();
  });
  channel(name).publish({ n: 1 });
  channel(name).publish({ n: 2 });
  const lines = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { data: { n: number } }).data.n);
  t.same(lines, [1, 2], 'one line per event');
  sink.close();
  channel(name).publish({ n: 3 });
  t.notOk(text.includes('"n":3'), 'nothing is written after close');
  t.end();
});
