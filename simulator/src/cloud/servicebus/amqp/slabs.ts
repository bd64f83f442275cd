// Where held message bytes live. In: the encoded bytes of a message, as a view into whatever
// buffer the transfer arrived in. Out: a copy of exactly those bytes inside a large slab.
// Why: the transfer buffers (rhea's frames, the concatenation of a multi-frame batch) come
// and go by the thousand; if held messages kept slices of them, the long-lived bytes would
// sit between short-lived ones in malloc's heap and pin its holes (about 10 MB for 100,000
// held 1 KB messages). Slabs are few and large (malloc maps them on their own), and a slab
// is freed by the garbage collector once no held message refers to it. The cost: a slab
// stays while any one of its messages does (at most SLAB_BYTES for one straggler).

/** Size of one slab. Above glibc's mmap threshold, so each slab is a mapping of its own. */
export const SLAB_BYTES = 1024 * 1024;
/** Messages larger than this get an exact buffer of their own instead of slab space. */
const OWN_BUFFER_ABOVE = SLAB_BYTES / 4;

export class PayloadSlabs {
  #slab: Buffer = Buffer.allocUnsafeSlow(0);
  #used = 0;

  /** Copies `bytes` into slab space and returns the copy. */
  hold(bytes: Buffer): Buffer {
    const n = bytes.length;
    if (n > OWN_BUFFER_ABOVE) {
      const own = Buffer.allocUnsafeSlow(n);
      bytes.copy(own);
      return own;
    }
    if (this.#used + n > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    bytes.copy(this.#slab, at);
    // Keep 8-byte alignment between messages (cheap, and typed-array views stay possible).
    this.#used = at + ((n + 7) & ~7);
    return this.#slab.subarray(at, at + n);
  }
}
