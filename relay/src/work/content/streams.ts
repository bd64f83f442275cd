// The content checks as Transform streams, for bodies that arrive streamed (Hybrid Connections).
// In: body bytes. Out: the same bytes, each chunk passed on only after the check took it; the
// chunk that breaks a rule is not passed on, and the stream errors with the RelayContentError, so
// a pipeline to the back office aborts before more is sent. Some rules are known only at the end
// (an unclosed XML root, a PDF trailer): the consumer must treat the body as accepted only once
// the stream has finished without error (an HTTP request is then complete; a file drop renames).
import { Transform, type TransformCallback } from 'node:stream';
import { isRelayContentError, RelayContentError } from './errors';
import {
  createPdfCheck,
  type PdfCheck,
  type PdfCheckInput,
  type PdfCheckOptions,
  type PdfSummary,
} from './pdf';
import {
  createXmlCheck,
  type XmlCheck,
  type XmlCheckInput,
  type XmlCheckOptions,
  type XmlSummary,
} from './xml';

interface Check<S> {
  push(chunk: Uint8Array): void;
  end(): S;
}

/** A pass-through stream that checks what flows through it. */
export class ContentCheckStream<S, C extends Check<S> = Check<S>> extends Transform {
  /** The check itself (for its counters, e.g. a PDF check's peakBufferedBytes). */
  readonly check: C;
  #summary: S | undefined;

  constructor(check: C) {
    super();
    this.check = check;
  }

  /** The body's summary, once the stream has finished without error. */
  get summary(): S | undefined {
    return this.#summary;
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!(chunk instanceof Uint8Array)) {
      done(new RelayContentError('RELAY_E_CONTENT_CONFIG', 'a content check takes bytes only'));
      return;
    }
    try {
      this.check.push(chunk);
    } catch (e) {
      done(asError(e));
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.#summary = this.check.end();
    } catch (e) {
      done(asError(e));
      return;
    }
    done();
  }
}

function asError(e: unknown): Error {
  return isRelayContentError(e)
    ? e
    : new RelayContentError('RELAY_E_CONTENT_CONFIG', 'the content check failed unexpectedly');
}

/** A Transform that passes an XML body through while checking it. */
export function xmlCheckStream(
  options?: XmlCheckInput | XmlCheckOptions,
): ContentCheckStream<XmlSummary, XmlCheck> {
  return new ContentCheckStream(createXmlCheck(options));
}

/** A Transform that passes a PDF body through while checking it. */
export function pdfCheckStream(
  options?: PdfCheckInput | PdfCheckOptions,
): ContentCheckStream<PdfSummary, PdfCheck> {
  return new ContentCheckStream(createPdfCheck(options));
}
