// An entity's messages in sequence-number order, with lazy deletion. In: messages as they
// arrive (nearly always in increasing order, so insertion is an append) and as they leave.
// Out: look-up by sequence number (binary search), the live count, and the live messages
// ≥ a start in order (peek, listing). One array of references is the whole cost per message
// (a Map by number beside a sorted list cost ~40 bytes more per held message). An entry is
// live while the owner's `isLive` says so; stale entries are dropped when they outnumber the
// live ones.
export class SeqIndex<T extends { readonly seq: number }> {
  private order: T[] = [];
  /** Live entries: insertions minus deletions. */
  size = 0;

  constructor(private readonly isLive: (item: T) => boolean) {}

  insert(item: T): void {
    const a = this.order;
    const last = a[a.length - 1];
    this.size++;
    if (last === undefined || item.seq > last.seq) {
      a.push(item);
      return;
    }
    const i = this.lowerBound(item.seq);
    if (a[i]?.seq === item.seq) {
      a[i] = item; // the same message back again (its stale entry is reused)
      return;
    }
    a.splice(i, 0, item);
  }

  /** Call once the item has left (or is leaving) the owner. */
  delete(_item: T): void {
    this.size--;
    if (this.order.length > 2 * this.size + 1024) {
      this.order = this.order.filter(this.isLive);
    }
  }

  /** The live item with this sequence number, if any. */
  get(seq: number): T | undefined {
    const item = this.order[this.lowerBound(seq)];
    return item?.seq === seq && this.isLive(item) ? item : undefined;
  }

  /** Index of the first entry with a number ≥ seq. */
  private lowerBound(seq: number): number {
    const a = this.order;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((a[mid]?.seq ?? Infinity) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The live items with numbers ≥ from, in order. */
  *from(from: number): Generator<T> {
    const a = this.order;
    for (let i = this.lowerBound(from); i < a.length; i++) {
      const item = a[i];
      if (item !== undefined && this.isLive(item)) yield item;
    }
  }

  clear(): void {
    this.order = [];
    this.size = 0;
  }
}
