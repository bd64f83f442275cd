// A sorted list of sequence numbers with lazy deletion. In: sequence numbers as messages
// arrive (nearly always in increasing order, so insertion is an append). Out: the numbers
// ≥ a start, in order, for peek and listing; the caller says which numbers are still live
// and the list compacts itself when more than half of it is stale.
export class SeqIndex {
  private order: number[] = [];

  insert(seq: number): void {
    const a = this.order;
    const last = a[a.length - 1];
    if (last === undefined || seq > last) {
      a.push(seq);
      return;
    }
    const i = this.lowerBound(seq);
    if (a[i] === seq) return;
    a.splice(i, 0, seq);
  }

  /** Index of the first number ≥ seq. */
  private lowerBound(seq: number): number {
    const a = this.order;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((a[mid] ?? Infinity) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** What `lookup` finds for each number ≥ from, in order (stale numbers find nothing). */
  *from<T>(from: number, lookup: (seq: number) => T | undefined): Generator<T> {
    const a = this.order;
    for (let i = this.lowerBound(from); i < a.length; i++) {
      const found = lookup(a[i] ?? 0);
      if (found !== undefined) yield found;
    }
  }

  /** Drops stale numbers when they outnumber the live ones (amortised O(1)). */
  maybeCompact(live: number, isLive: (seq: number) => boolean): void {
    if (this.order.length > 2 * live + 1024) this.order = this.order.filter(isLive);
  }

  clear(): void {
    this.order = [];
  }
}
