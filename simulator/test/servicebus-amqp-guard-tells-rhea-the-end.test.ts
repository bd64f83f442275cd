// The frame guard tells rhea exactly once that its socket is gone, however it went: the peer
// ended it, the simulator dropped it (destroy while the connection is being ended), or the
// simulator ended it and the stream then closed. In: a PassThrough as the socket. Out: the
// count of rhea 'end' calls. Without this a dropped connection leaves rhea's heartbeat timer
// running and the simulator's process never exits (found with an external relay).
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { FrameGuard } from '../src/cloud/servicebus/amqp/guard';

function guarded(): { stream: PassThrough; guard: FrameGuard; ends: () => number } {
  const stream = new PassThrough();
  const guard = new FrameGuard(stream, { maxFrameSize: 1024 }, () => undefined);
  let ends = 0;
  guard.on('end', () => {
    ends += 1;
  });
  return { stream, guard, ends: () => ends };
}

void t.test('a dropped connection (destroy, then end) tells rhea once', async (t) => {
  const { stream, guard, ends } = guarded();
  guard.destroy();
  guard.end();
  await once(stream, 'close');
  t.equal(ends(), 1, 'rhea heard the end once');
});

void t.test('a connection the simulator ended tells rhea once when it closes', async (t) => {
  const { stream, guard, ends } = guarded();
  guard.end();
  stream.destroy();
  await once(stream, 'close');
  t.equal(ends(), 1);
});

void t.test('a peer that ends tells rhea once, not again on close', async (t) => {
  const { stream, ends } = guarded();
  const closed = once(stream, 'close');
  stream.end(); // the peer's FIN: 'end', then (auto-destroy) 'close'
  await closed;
  t.equal(ends(), 1);
});
