// Helpers for tests that drive the engine by hand. In: a start time, message fields. Out: a
// clock that only moves when told to, and IncomingMessages with a small opaque payload.
import type { Clock } from '../../../../../relay/src/protocol/primitives';
import type { IncomingMessage } from './types';

/** A clock that moves only through set() and advance(). */
export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }

  set(ms: number): void {
    this.t = ms;
  }
}

/** A message whose payload is its body text; size defaults to the body's UTF-8 length. */
export function textMessage(
  body: string,
  fields: Omit<Partial<IncomingMessage>, 'payload'> = {},
): IncomingMessage {
  return { payload: { body }, size: Buffer.byteLength(body, 'utf8'), ...fields };
}
