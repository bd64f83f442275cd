// A binary min-heap. In: items and a "less than" order. Out: the smallest item first.
// Used for ready messages (by sequence number) and for deadlines (by time); callers delete
// lazily (they skip stale items when they pop), so every operation is O(log n).
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as T;
      if (!this.less(item, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const left = a[l] as T;
      let child = l;
      let c = left;
      if (r < n) {
        const right = a[r] as T;
        if (this.less(right, left)) {
          child = r;
          c = right;
        }
      }
      if (!this.less(c, last)) break;
      a[i] = c;
      i = child;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
