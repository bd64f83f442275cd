// Valid PDFs around arbitrary bytes, for tests and benchmarks that need files the relay's PDF
// check accepts (header, objects, a cross-reference table that startxref points at, %%EOF) at
// any size, whole or as a head and a tail around a payload streamed in between. In: a payload
// (or its length) and a note. Out: the bytes. The payload is the data of a stream object that
// nothing references, with its exact /Length, so whatever it holds is never read as PDF syntax.

const HEADER = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';

/** The note as a PDF comment: printable ASCII only, one line, at most 200 characters. */
function comment(note: string): string {
  return note === '' ? '' : `% ${note.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}\n`;
}

/**
 * The head and tail that make `head + payload + tail` a valid PDF for a payload of exactly
 * `payloadLength` bytes.
 */
export function pdfFrame(payloadLength: number, note = ''): { head: Buffer; tail: Buffer } {
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new RangeError(`a payload length is a whole number of bytes, not ${payloadLength}`);
  }
  const objects = [
    '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n',
    '2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n',
  ];
  let head = `${HEADER}${comment(note)}`;
  const offsets: number[] = [];
  for (const o of objects) {
    offsets.push(Buffer.byteLength(head, 'latin1'));
    head += o;
  }
  offsets.push(Buffer.byteLength(head, 'latin1'));
  head += `3 0 obj\n<< /Length ${String(payloadLength)} >>\nstream\n`;
  const headBytes = Buffer.from(head, 'latin1');
  const streamEnd = '\nendstream\nendobj\n';
  const xrefAt = headBytes.length + payloadLength + streamEnd.length;
  const entries = offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  const tail =
    `${streamEnd}xref\n0 ${String(offsets.length + 1)}\n0000000000 65535 f \n${entries}` +
    `trailer\n<< /Size ${String(offsets.length + 1)} /Root 1 0 R >>\nstartxref\n${String(xrefAt)}\n%%EOF\n`;
  return { head: headBytes, tail: Buffer.from(tail, 'latin1') };
}

/** A valid PDF carrying `payload` (any bytes) and `note` (a comment). */
export function pdfAround(payload: Uint8Array, note = ''): Buffer {
  const { head, tail } = pdfFrame(payload.length, note);
  return Buffer.concat([head, payload, tail]);
}

/** The bytes a frame adds around its payload (for a PDF of an exact total size). */
export function pdfFrameBytes(payloadLength: number, note = ''): number {
  const { head, tail } = pdfFrame(payloadLength, note);
  return head.length + tail.length;
}

/**
 * The frame of a valid PDF of exactly `total` bytes and its payload length, or undefined when
 * `total` is too small for a frame (a few hundred bytes).
 */
export function pdfFrameOfSize(
  total: number,
  note = '',
): { head: Buffer; tail: Buffer; payload: number } | undefined {
  // The frame's size depends (by a digit or two) on the payload's length: settle it.
  let payload = Math.max(0, total - pdfFrameBytes(0, note));
  for (let i = 0; i < 4; i++) payload = Math.max(0, total - pdfFrameBytes(payload, note));
  const { head, tail } = pdfFrame(payload, note);
  return head.length + payload + tail.length === total ? { head, tail, payload } : undefined;
}

/** A valid PDF of exactly `total` bytes whose payload is `fill` (default spaces). */
export function pdfOfSize(total: number, note = '', fill = 0x20): Buffer {
  const frame = pdfFrameOfSize(total, note);
  if (frame === undefined) throw new RangeError(`no PDF frame fits ${total} bytes exactly`);
  return Buffer.concat([frame.head, Buffer.alloc(frame.payload, fill), frame.tail]);
}

/**
 * A valid PDF of exactly `total` bytes as `chunkSize`-byte chunks (the last may be shorter),
 * made one at a time: the payload of chunk i is the byte i % 251, so chunks differ and nothing
 * is held whole.
 */
export function* pdfChunks(total: number, chunkSize: number, note = ''): Generator<Buffer> {
  const frame = pdfFrameOfSize(total, note);
  if (frame === undefined) throw new RangeError(`no PDF frame fits ${total} bytes exactly`);
  const { head, tail } = frame;
  const tailAt = total - tail.length;
  for (let at = 0, i = 0; at < total; at += chunkSize, i++) {
    const chunk = Buffer.alloc(Math.min(chunkSize, total - at), i % 251);
    if (at < head.length) head.copy(chunk, 0, at, Math.min(head.length, at + chunk.length));
    if (at + chunk.length > tailAt) {
      const from = Math.max(at, tailAt);
      tail.copy(chunk, from - at, from - tailAt);
    }
    yield chunk;
  }
}
