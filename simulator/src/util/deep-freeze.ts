// Freezes a parsed config (or any plain data) all the way down. In: a value. Out: the same
// value, frozen with everything it holds, so that no part of the simulator can change a
// config another part has already read.
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
