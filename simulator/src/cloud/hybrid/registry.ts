// The listeners of each Hybrid Connection. In: control channels that opened or closed, and
// "who takes the next request on path P". Out: admission within the per-path limit (Azure:
// 25), round-robin choice among the open listeners, listings for the control API. Pure data:
// no IO, no timers.

export interface Registered {
  readonly id: string;
}

export class ListenerRegistry<L extends Registered> {
  readonly #max: number;
  readonly #byPath = new Map<string, L[]>();
  readonly #cursor = new Map<string, number>();

  constructor(maxPerPath: number) {
    this.#max = maxPerPath;
  }

  /** Listeners on `path` (a configured path, as configured). */
  count(path: string): number {
    return this.#byPath.get(path)?.length ?? 0;
  }

  /** Adds `listener` unless `path` is full; returns whether it was added. */
  tryAdd(path: string, listener: L): boolean {
    const list = this.#byPath.get(path) ?? [];
    if (list.length >= this.#max) return false;
    list.push(listener);
    this.#byPath.set(path, list);
    return true;
  }

  /** Removes `listener`; returns whether it was registered. */
  remove(path: string, listener: L): boolean {
    const list = this.#byPath.get(path);
    if (list === undefined) return false;
    const i = list.indexOf(listener);
    if (i === -1) return false;
    list.splice(i, 1);
    const cursor = this.#cursor.get(path) ?? 0;
    // Keep the rotation fair: a removal before the cursor shifts everything after it.
    if (i < cursor) this.#cursor.set(path, cursor - 1);
    if (list.length === 0) {
      this.#byPath.delete(path);
      this.#cursor.delete(path);
    }
    return true;
  }

  /** The listener that takes the next request on `path` (round robin), or undefined. */
  next(path: string, usable: (l: L) => boolean = () => true): L | undefined {
    const list = this.#byPath.get(path);
    if (list === undefined || list.length === 0) return undefined;
    const start = this.#cursor.get(path) ?? 0;
    for (let k = 0; k < list.length; k += 1) {
      const i = (start + k) % list.length;
      const l = list[i];
      if (l !== undefined && usable(l)) {
        this.#cursor.set(path, (i + 1) % list.length);
        return l;
      }
    }
    return undefined;
  }

  /** Every listener on `path`, or on every path. */
  list(path?: string): L[] {
    if (path !== undefined) return [...(this.#byPath.get(path) ?? [])];
    return [...this.#byPath.values()].flat();
  }

  find(id: string): L | undefined {
    for (const list of this.#byPath.values()) {
      const l = list.find((x) => x.id === id);
      if (l !== undefined) return l;
    }
    return undefined;
  }
}
