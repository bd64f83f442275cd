// Shared pieces of the antivirus tests. In: a tap test. Out: a private clamd started for the test
// file (stopped at teardown) or the reason to skip, the `relay:av` events published while the test
// runs, bodies as streams of small chunks, and what a promise rejected with.
import { channelEvents } from '../../helpers/channel-events';
import { Readable } from 'node:stream';
import { AV_CHANNELS, type AvEvent } from '../../../src/work/antivirus';
import { clamdSkipReason, startClamd, type ClamdHandle, type ClamdOptions } from './clamd';

/** A test's `skip` option: false where clamd is installed, else the reason. */
export const CLAMD_SKIP: string | false = clamdSkipReason() ?? false;

/** Starts a private clamd, stopped when `t` ends (run only where CLAMD_SKIP is false). */
export async function clamdFor(t: tap.Test, opts: ClamdOptions = {}): Promise<ClamdHandle> {
  const clamd = await startClamd(opts);
  t.teardown(() => clamd.stop());
  return clamd;
}

/** Collects every `relay:av` event until `t` ends. */
export function avEvents(t: tap.Test): AvEvent[] {
  return channelEvents<AvEvent>(t, AV_CHANNELS.scan);
}

/** `b` as a byte stream of `chunk`-byte pieces (a file or socket read, not one buffer). */
export function streamOf(b: Buffer, chunk = 16 * 1024): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= b.length) {
        this.push(null);
        return;
      }
      this.push(b.subarray(at, at + chunk));
      at += chunk;
    },
  });
}

/** What a rejected promise rejected with. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('the promise resolved');
}
