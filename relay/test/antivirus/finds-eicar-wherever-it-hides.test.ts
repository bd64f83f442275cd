// Against a real clamd with a database generated at run time: a clean PDF is clean; EICAR as the
// whole body, amid 1 MB of random bytes, in a PDF content stream (plain and FlateDecode), in a ZIP
// (stored and deflated) and in a ZIP embedded in a PDF is RELAY_E_AV_INFECTED naming the signature
// clamd reported; the body stream is consumed; one `relay:av` event per scan.
import t from 'tap';
import { AV_DEAD_LETTER_CODES, createScanner, isRelayAvError } from '../../src/work/antivirus';
import {
  cleanPdf,
  eicar,
  eicarInMiddleOf,
  eicarPdf,
  eicarZip,
  pdfWithEmbeddedZip,
} from './lib/eicar';
import { CLAMD_SKIP, avEvents, clamdFor, rejection, streamOf } from './lib/fixture';

void t.test(
  'a real clamd tells clean bodies from EICAR wherever it hides',
  { skip: CLAMD_SKIP },
  async (t) => {
    const clamd = await clamdFor(t);
    const scanner = createScanner({ clamd: { socket: clamd.socket }, timeoutMs: 20_000 });
    const events = avEvents(t);

    await t.test('a clean PDF is clean', async (t) => {
      const body = streamOf(cleanPdf());
      const outcome = await scanner.scan(body, { formType: 'council-tax' });
      t.match(outcome, { verdict: 'clean', bytes: cleanPdf().length });
      t.ok(body.destroyed, 'the body stream was consumed');
      t.match(events.at(-1), {
        verdict: 'clean',
        formType: 'council-tax',
        bytes: cleanPdf().length,
      });
    });

    const samples: readonly (readonly [string, () => Buffer, boolean])[] = [
      ['EICAR as the whole body', eicar, false],
      ['EICAR in the middle of 1 MB of random bytes', () => eicarInMiddleOf(1024 * 1024), false],
      ['EICAR in a plain PDF content stream', () => eicarPdf({ flate: false }), false],
      ['EICAR in a FlateDecode PDF content stream', () => eicarPdf({ flate: true }), true],
      ['EICAR in a stored ZIP', () => eicarZip({ deflate: false }), false],
      ['EICAR in a deflated ZIP', () => eicarZip({ deflate: true }), true],
      ['a ZIP holding EICAR embedded in a PDF', pdfWithEmbeddedZip, true],
    ];
    for (const [what, make, hidden] of samples) {
      await t.test(`${what} is RELAY_E_AV_INFECTED`, async (t) => {
        const sample = make();
        t.equal(
          sample.includes(eicar()),
          !hidden,
          hidden ? 'not in the raw bytes' : 'in the bytes',
        );
        const body = streamOf(sample);
        const e = await rejection(scanner.scan(body, { formType: 'evidence' }));
        t.ok(isRelayAvError(e, 'RELAY_E_AV_INFECTED'), 'RELAY_E_AV_INFECTED');
        if (!isRelayAvError(e)) return;
        t.equal(e.http, 422);
        t.ok(AV_DEAD_LETTER_CODES.has(e.code), 'dead-lettered');
        const signature = e.details.signature;
        t.ok(
          signature === clamd.signatures.body || signature === clamd.signatures.file,
          `named one of ours: ${String(signature)}`,
        );
        t.match(e.message, String(signature), 'the message names the signature');
        t.notMatch(e.message, 'EICAR-STANDARD', 'the message quotes no body bytes');
        t.ok(body.destroyed, 'the body stream was consumed');
        t.match(events.at(-1), {
          verdict: 'infected',
          virus: signature,
          code: 'RELAY_E_AV_INFECTED',
          bytes: sample.length,
          formType: 'evidence',
        });
      });
    }

    await t.test('an async iterable body of many small chunks is scanned whole', async (t) => {
      const sample = eicarInMiddleOf(300 * 1024);
      async function* pieces(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < sample.length; at += 1000) {
          await Promise.resolve();
          yield sample.subarray(at, at + 1000);
        }
      }
      const e = await rejection(scanner.scan(pieces()));
      t.ok(isRelayAvError(e, 'RELAY_E_AV_INFECTED'), 'EICAR split across chunks is found');
    });

    await t.test('ping answers clamd version', async (t) => {
      t.same(await scanner.ping(), { version: clamd.version });
      t.match(clamd.version, /^ClamAV 1\./);
    });

    t.equal(events.length, samples.length + 2, 'one event per scan');
  },
);
