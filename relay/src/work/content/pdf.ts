// The PDF content check. In: a body as byte chunks, split anywhere, and a size limit. Out: a
// summary (version, bytes) once the body ended well, or ONE RELAY_E_CONTENT_PDF error
// (details.rule: 'magic', 'size' or 'trailer'). Streaming: it keeps the 8-byte header and a
// 1,024-byte tail window, never the file (peakBufferedBytes says how much it ever held).
//
// Rules:
// - magic: the body starts with `%PDF-1.0` … `%PDF-1.7` or `%PDF-2.0` at byte 0; refused on the
//   first chunk that shows otherwise (or at the end, for a body shorter than 8 bytes).
// - size: more than maxBytes (default 64 MiB), refused on the chunk that passes it.
// - trailer: the last `%%EOF` lies within the last 1,024 bytes and only PDF white space (NUL,
//   tab, LF, FF, CR, space) follows it. Known only at the end: a consumer that writes the body
//   somewhere (a file drop) must commit it (rename into place) only after the check ended well.
import { z } from 'zod';
import { refusal, type RelayContentError } from './errors';
import { checkLifecycle } from './lifecycle';
import { parseContentOptions } from './options';

const MIB = 1024 * 1024;
/** `%%EOF` must start within this many bytes of the end. */
export const PDF_TRAILER_WINDOW = 1024;
const HEAD = 8;
const EOF_MARK = Buffer.from('%%EOF', 'latin1');
const WHITE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);

const pdfOptionsSchema = z.strictObject({
  /** Largest body in bytes (default 64 MiB). */
  maxBytes: z
    .int()
    .min(16)
    .max(4096 * MIB)
    .default(64 * MIB),
});

export type PdfCheckInput = z.input<typeof pdfOptionsSchema>;
export type PdfCheckOptions = Readonly<z.output<typeof pdfOptionsSchema>>;

/** Validates PDF check options; throws RELAY_E_CONTENT_CONFIG naming the offending field. */
export function parsePdfCheckOptions(input?: unknown): PdfCheckOptions {
  return parseContentOptions(pdfOptionsSchema, input, 'PDF check');
}

export interface PdfSummary {
  /** From the header: '1.0' … '1.7' or '2.0'. */
  readonly version: string;
  readonly bytes: number;
}

/** A check of one body. push() and end() throw RelayContentError, nothing else. */
export interface PdfCheck {
  push(chunk: Uint8Array): void;
  end(): PdfSummary;
  readonly bytes: number;
  /** The most body bytes the check held at once (header plus tail window). */
  readonly peakBufferedBytes: number;
}

/** Whether `head` (up to 8 bytes) can still be, or is, a valid header. */
function headerFits(head: Uint8Array): boolean {
  const want = '%PDF-';
  for (let i = 0; i < head.length; i++) {
    const b = head[i] ?? 0;
    if (i < want.length && b !== want.charCodeAt(i)) return false;
    if (i === 5 && b !== 0x31 && b !== 0x32) return false;
    if (i === 6 && b !== 0x2e) return false;
    if (i === 7 && (head[5] === 0x32 ? b !== 0x30 : b < 0x30 || b > 0x37)) return false;
  }
  return true;
}

/** Starts the check of one PDF body. */
export function createPdfCheck(input?: PdfCheckInput | PdfCheckOptions): PdfCheck {
  const o = parsePdfCheckOptions(input);
  const head = Buffer.alloc(HEAD);
  let headLength = 0;
  const tail = Buffer.alloc(PDF_TRAILER_WINDOW);
  let tailLength = 0;
  let bytes = 0;
  let peak = 0;

  const refuse = (rule: string, why: string, limit?: number): RelayContentError =>
    refusal('RELAY_E_CONTENT_PDF', rule, why, { bytes, limit });
  const take = (piece: Uint8Array): void => {
    bytes += piece.length;
    if (headLength < HEAD) {
      const n = Math.min(HEAD - headLength, piece.length);
      head.set(piece.subarray(0, n), headLength);
      headLength += n;
      if (!headerFits(head.subarray(0, headLength))) {
        throw refuse('magic', 'the body does not start with %PDF-1.x or %PDF-2.0');
      }
    }
    if (piece.length >= PDF_TRAILER_WINDOW) {
      tail.set(piece.subarray(piece.length - PDF_TRAILER_WINDOW));
      tailLength = PDF_TRAILER_WINDOW;
    } else {
      const keep = Math.min(tailLength, PDF_TRAILER_WINDOW - piece.length);
      tail.copyWithin(0, tailLength - keep, tailLength);
      tail.set(piece, keep);
      tailLength = keep + piece.length;
    }
    peak = Math.max(peak, headLength + tailLength);
  };

  const life = checkLifecycle({
    kind: 'pdf',
    maxBytes: o.maxBytes,
    bytes: () => bytes,
    take,
    tooLarge: () =>
      refuse('size', `the body is larger than the limit of ${o.maxBytes} bytes`, o.maxBytes),
    typed: () => refuse('internal', 'the check failed unexpectedly'),
    finish: () => {
      if (headLength < HEAD) throw refuse('magic', 'the body is too short to be a PDF');
      const window = tail.subarray(0, tailLength);
      const at = window.lastIndexOf(EOF_MARK);
      if (at === -1 || !window.subarray(at + EOF_MARK.length).every((b) => WHITE.has(b))) {
        throw refuse('trailer', 'no %%EOF at the end: the PDF is truncated or has data appended');
      }
      return Object.freeze({ version: head.toString('latin1', 5, 8), bytes });
    },
  });

  return {
    get bytes() {
      return bytes;
    },
    get peakBufferedBytes() {
      return peak;
    },
    push: life.push,
    end: life.end,
  };
}

/** Checks a whole body at once. */
export function checkPdf(body: Uint8Array, options?: PdfCheckInput | PdfCheckOptions): PdfSummary {
  const check = createPdfCheck(options);
  check.push(body);
  return check.end();
}
