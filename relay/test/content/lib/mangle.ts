// Byte edits for property tests and fuzz targets of the content guards. In: a body and a list of
// edits. Out: the body with each edit applied in turn (set a byte, insert one, delete one), and
// the arbitrary of such edit lists.
import fc from 'fast-check';

export type ByteEdit = readonly [number, number, string];

/** Up to `maxLength` edits: a position (taken modulo the length), a byte and what to do. */
export function byteEdits(maxLength: number): fc.Arbitrary<ByteEdit[]> {
  return fc.array(
    fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('set', 'insert', 'delete'),
    ),
    { maxLength },
  );
}

/** `body` with each edit applied in turn (the input is not changed). */
export function mangle(body: Buffer, list: readonly ByteEdit[]): Buffer {
  let bytes = Buffer.from(body);
  for (const [pos, byte, op] of list) {
    const at = bytes.length === 0 ? 0 : pos % bytes.length;
    if (op === 'set' && bytes.length > 0) bytes[at] = byte;
    else if (op === 'insert') {
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]);
    } else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
  }
  return bytes;
}
