// Shared pieces of the file drop tests. In: a tap test. Out: a temporary root folder removed at
// teardown, small valid PDFs made here, a sorted listing of a folder (hidden names included),
// the `relay:filedrop` events published while the test runs, and a deferred promise.
import { channelEvents } from '../../helpers/channel-events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pdfAround } from '../../helpers/pdf-bytes';
import { FILEDROP_CHANNELS, type DropEvent } from '../../../src/work/filedrop';

/** A fresh folder under the system's temporary folder, removed when `t` ends. */
export async function tempRoot(t: tap.Test): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'relay-filedrop-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  return root;
}

/** A small valid PDF (objects, xref, startxref, %%EOF) whose bytes depend on `text`. */
export function minimalPdf(text = 'form'): Buffer {
  return pdfAround(Buffer.from(`(${text})`, 'latin1'));
}

/** The names in `folder`, sorted; [] when it does not exist. */
export async function listing(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).sort();
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return [];
    throw e;
  }
}

/** Collects every `relay:filedrop` event until `t` ends. */
export function dropEvents(t: tap.Test): DropEvent[] {
  return channelEvents<DropEvent>(t, FILEDROP_CHANNELS.drop);
}

export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
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
