// The PDF content check. In: a body as byte chunks, split anywhere, and options (size and
// inflate limits, the policy for active content and embedded files). Out: a summary (version,
// bytes, findings) once the body ended well, or ONE RELAY_E_CONTENT_PDF error whose details.rule
// names the rule. Streaming and synchronous: push() reads each chunk at once and keeps only
// what a rule needs; the verdict (and its rule) is the same however the body is cut.
//
// Rules (details.rule):
// - magic: the body starts with `%PDF-1.0` … `%PDF-1.7` or `%PDF-2.0` at byte 0; refused on the
//   first chunk that shows otherwise (or at the end, for a body shorter than 8 bytes: zero bytes
//   too).
// - size: more than maxBytes (default 64 MiB), refused on the chunk that passes it.
// - trailer: the last `%%EOF` lies within the last 1,024 bytes and only PDF white space (NUL,
//   tab, LF, FF, CR, space) follows it.
// - xref: the body ends `startxref <offset> %%EOF` (white space and line ends as they come), and
//   the offset points at an `xref` keyword or at the header `N G obj` of an object of /Type
//   /XRef (an xref stream), or at white space just before either ("broken xref").
// - encrypted: a top-level dictionary (a trailer, an xref stream's) has an /Encrypt key: an
//   encrypted PDF cannot be scanned, refused whatever the policy.
// - actions / embedded: a name token (after `#xx` decoding, whole, outside strings, comments and
//   stream data) that the policy refuses: see pdf-rules.ts for the names and why. Under the
//   'flag' policies they come back in summary.findings instead.
// - inflate: a stream with FlateDecode (also behind ASCIIHex/ASCII85) is inflated with a hard
//   bound: more than maxInflatedBytes (default 32 MiB) for one stream, more than
//   maxTotalInflatedBytes (default 256 MiB) for the body, or more than maxStreamBytes (default
//   16 MiB) of compressed data to hold, is refused; zlib stops at the bound, so a stream that
//   would inflate to gigabytes costs at most the bound's work. details: limit, inflatedBytes
//   (where it was stopped), totalInflatedBytes.
// - structure: an object stream (/Type /ObjStm, or any stream with /First) whose content cannot
//   be read: a filter the check cannot decode, a predictor, broken zlib data, a header that is
//   not N pairs of integers. Object streams are where PDF 1.5+ writers put dictionaries (and
//   where /JavaScript hides), so one that cannot be scanned is refused; it is decided at the end,
//   so an encrypted PDF (whose object streams cannot be read) is refused as 'encrypted'.
// Broken zlib data in any other stream is tolerated (a viewer shows a broken image; nothing
// runs) and flagged 'bad-stream'. Object headers inside strings, comments or stream data are
// flagged 'hidden-object' and the names after them are scanned too (pdf-stream.ts).
//
// Not covered: streams behind a filter the check cannot decode (LZW, RunLength: both can expand,
// neither is inflated here) are not bounded; what an embedded file holds is not scanned (refuse
// embedded files, or leave them to the antivirus); scripts inside XFA are not read (/XFA itself
// is refused). Strict by design: a startxref off by a byte, or a bound passed by a very large
// scan of Flate images (raise the bounds), is refused, where a viewer might repair or cope.
//
// Memory: the 8-byte header, the 1,024-byte tail window, the data of the stream being read when
// it is to be inflated (at most maxStreamBytes + 8; peakBufferedBytes counts all three), a name
// and a token (127 and 32 bytes) and the offsets of at most 10,000 xref sections. At the end of
// an inflated stream, for the time it is decoded: a copy of its data, its decoded output (at
// most maxInflatedBytes per filter) and, for an object stream, its offsets (4 bytes an object).
// Known only at the end (trailer, xref, structure): a consumer that writes the body somewhere (a
// file drop) must commit it only after the check ended well.
import { z } from 'zod';
import type { ErrorDetails } from '../../protocol/errors';
import { refusal, type RelayContentError } from './errors';
import { checkLifecycle } from './lifecycle';
import { parseContentOptions } from './options';
import { decodable, decodeChain, reachesFlate, type InflateBudget } from './pdf-decode';
import { PdfLexer } from './pdf-lexer';
import { scanObjectStream } from './pdf-objstm';
import { PdfFindings, type PdfFinding } from './pdf-rules';
import { MAX_HEADER_CHECKS, StreamData, type HeaderBudget } from './pdf-stream';
import { PdfStructure, type TopDict } from './pdf-structure';

const MIB = 1024 * 1024;
/** `%%EOF` must start within this many bytes of the end. */
export const PDF_TRAILER_WINDOW = 1024;
const HEAD = 8;
const EOF_MARK = Buffer.from('%%EOF', 'latin1');
const WHITE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);

const policy = z.enum(['refuse', 'flag']);

const pdfOptionsSchema = z.strictObject({
  /** Largest body in bytes (default 64 MiB). */
  maxBytes: z
    .int()
    .min(16)
    .max(4096 * MIB)
    .default(64 * MIB),
  /** Active content (JavaScript, Launch, SubmitForm, …): refuse the body, or flag it. */
  actions: policy.default('refuse'),
  /** Embedded files and file attachments: refuse the body, or flag it. */
  embeddedFiles: policy.default('refuse'),
  /** The most compressed data of one stream the check holds to inflate it (default 16 MiB). */
  maxStreamBytes: z
    .int()
    .min(1024)
    .max(1024 * MIB)
    .default(16 * MIB),
  /** The most one stream may inflate to (default 32 MiB). */
  maxInflatedBytes: z
    .int()
    .min(1024)
    .max(1024 * MIB)
    .default(32 * MIB),
  /** The most all streams of one body may inflate to together (default 256 MiB). */
  maxTotalInflatedBytes: z
    .int()
    .min(1024)
    .max(64 * 1024 * MIB)
    .default(256 * MIB),
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
  /** What was flagged rather than refused (see PDF_FINDINGS), sorted and unique. */
  readonly findings: readonly PdfFinding[];
}

/** A check of one body. push() and end() throw RelayContentError, nothing else. */
export interface PdfCheck {
  push(chunk: Uint8Array): void;
  end(): PdfSummary;
  readonly bytes: number;
  /** The most body bytes the check held at once (header, tail window, stream data to inflate). */
  readonly peakBufferedBytes: number;
  /** Bytes inflated so far, all streams together (failed inflates counted at their bound). */
  readonly inflatedBytes: number;
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

interface OpenStream {
  readonly data: StreamData;
  readonly dict: TopDict;
  readonly objectStream: boolean;
  /** Its data is kept and decoded at its end. */
  readonly keep: boolean;
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

  const refuse = (rule: string, why: string, details: ErrorDetails = {}): RelayContentError =>
    refusal('RELAY_E_CONTENT_PDF', rule, why, { bytes, ...details });
  const findings = new PdfFindings(o, refuse);
  const structure = new PdfStructure(findings, refuse);
  const lexer = new PdfLexer(structure, 0);
  const budget: InflateBudget = {
    perStream: o.maxInflatedBytes,
    total: o.maxTotalInflatedBytes,
    used: 0,
  };
  const headerChecks: HeaderBudget = { left: MAX_HEADER_CHECKS };
  let stream: OpenStream | undefined;
  /** The first object stream that could not be read (refused at the end). */
  let unreadable: { why: string; offset: number } | undefined;

  const openStream = (dict: TopDict, at: number): OpenStream => {
    const objectStream = dict.type === 'ObjStm' || dict.hasFirst;
    const filters = dict.filters;
    let keep: boolean;
    if (objectStream) {
      keep = filters !== undefined && filters.every(decodable) && !dict.predictor;
      if (!keep) {
        unreadable ??= {
          why: 'an object stream whose filters the check cannot decode',
          offset: at,
        };
      }
    } else {
      keep = filters !== undefined && reachesFlate(filters);
    }
    const data = new StreamData(
      { length: dict.length, keep, maxKeep: o.maxStreamBytes },
      findings,
      refuse,
      headerChecks,
    );
    return { data, dict, objectStream, keep };
  };

  const closeStream = (s: OpenStream): void => {
    const { data, dict, objectStream, keep } = s;
    if (!keep) return;
    const decoded = decodeChain(data.data(), dict.filters ?? [], budget, refuse, data.dataStart);
    if (objectStream) {
      const why = decoded.bad
        ? 'an object stream whose data cannot be decoded'
        : !scanObjectStream(decoded.data, dict.n, dict.first, findings, data.dataStart)
          ? 'an object stream whose header is not N pairs of integers before /First'
          : undefined;
      if (why !== undefined) unreadable ??= { why, offset: data.dataStart };
    } else if (decoded.bad) {
      findings.add('bad-stream');
    }
  };

  const take = (piece: Uint8Array): void => {
    const at0 = bytes;
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
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    let i = 0;
    while (i < buf.length) {
      if (stream !== undefined) {
        const end = stream.data.feed(buf, i, buf.length, at0 + i);
        peak = Math.max(peak, headLength + tailLength + stream.data.buffered);
        if (end < 0) break;
        const s = stream;
        stream = undefined;
        closeStream(s);
        i = end;
      } else {
        lexer.pos = at0 + i;
        i = lexer.feed(buf, i, buf.length);
        const dict = structure.streamDict;
        if (dict !== undefined) {
          structure.streamDict = undefined;
          stream = openStream(dict, at0 + i);
        }
      }
    }
    peak = Math.max(peak, headLength + tailLength + (stream?.data.buffered ?? 0));
  };

  const life = checkLifecycle({
    kind: 'pdf',
    maxBytes: o.maxBytes,
    bytes: () => bytes,
    take,
    tooLarge: () =>
      refuse('size', `the body is larger than the limit of ${o.maxBytes} bytes`, {
        limit: o.maxBytes,
      }),
    typed: () => refuse('internal', 'the check failed unexpectedly'),
    finish: () => {
      if (headLength < HEAD) throw refuse('magic', 'the body is too short to be a PDF');
      const window = tail.subarray(0, tailLength);
      const at = window.lastIndexOf(EOF_MARK);
      if (at === -1 || !window.subarray(at + EOF_MARK.length).every((b) => WHITE.has(b))) {
        throw refuse('trailer', 'no %%EOF at the end: the PDF is truncated or has data appended');
      }
      let clean = false;
      if (stream === undefined) {
        clean = lexer.finish();
      } else {
        const refused = stream.data.abandon();
        if (refused !== undefined) throw refused;
      }
      structure.finish(clean && structure.streamDict === undefined);
      if (unreadable !== undefined) {
        throw refuse('structure', `${unreadable.why} cannot be scanned`, {
          offset: unreadable.offset,
        });
      }
      return Object.freeze({
        version: head.toString('latin1', 5, 8),
        bytes,
        findings: findings.list(),
      });
    },
  });

  return {
    get bytes() {
      return bytes;
    },
    get peakBufferedBytes() {
      return peak;
    },
    get inflatedBytes() {
      return budget.used;
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
