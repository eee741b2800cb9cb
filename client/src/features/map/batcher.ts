/**
 * Rate-limits updates per key: the first update of a quiet key goes through at once, later ones
 * within `minIntervalMs` are coalesced and only the newest is applied when the interval is up. A
 * map source re-tiles its whole GeoJSON on every `setData`, so under an alert storm it must not
 * see more than a few a second.
 */
export interface Batcher<K, V> {
  /** Queue `value` for `key`; it replaces a value still waiting for the same key. */
  push(key: K, value: V): void;
  /** Apply everything waiting now (e.g. before the map is torn down or re-created). */
  flush(): void;
  /** Drop everything waiting and stop the timers. */
  cancel(): void;
}

export interface BatcherOptions {
  /** Least time between two applications for one key, ms. */
  minIntervalMs?: number;
  /** Clock, ms (fake timers replace Date too). */
  now?: () => number;
}

/** At most ~4 `setData` a second per source. */
export const DEFAULT_MIN_INTERVAL_MS = 250;

export function createBatcher<K, V>(
  apply: (key: K, value: V) => void,
  options: BatcherOptions = {},
): Batcher<K, V> {
  const minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const lastApplied = new Map<K, number>();
  const waiting = new Map<K, V>();
  const timers = new Map<K, ReturnType<typeof setTimeout>>();

  function applyNow(key: K, value: V): void {
    waiting.delete(key);
    lastApplied.set(key, now());
    apply(key, value);
  }

  function fire(key: K): void {
    timers.delete(key);
    if (waiting.has(key)) applyNow(key, waiting.get(key) as V);
  }

  return {
    push(key, value) {
      const last = lastApplied.get(key);
      const t = now();
      if (!timers.has(key) && (last === undefined || t - last >= minIntervalMs)) {
        applyNow(key, value);
        return;
      }
      waiting.set(key, value);
      if (!timers.has(key))
        timers.set(
          key,
          setTimeout(() => fire(key), minIntervalMs - (t - (last ?? t))),
        );
    },
    flush() {
      for (const [key, timer] of timers) {
        clearTimeout(timer);
        timers.delete(key);
      }
      for (const [key, value] of [...waiting]) applyNow(key, value);
    },
    cancel() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      waiting.clear();
    },
  };
}
