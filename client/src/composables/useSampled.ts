import { onScopeDispose, shallowRef, watch } from 'vue';
import type { Ref, WatchSource } from 'vue';

/**
 * A copy of `source` that changes at most once per `intervalMs`, always ending
 * on the newest value. Data may change ten times a second; people on the other
 * side of the room cannot read that fast.
 */
export function useSampled<T>(source: WatchSource<T>, intervalMs: number): Readonly<Ref<T>> {
  const read = (): T => (typeof source === 'function' ? (source as () => T)() : source.value);
  const sampled = shallowRef<T>(read());
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush(): void {
    timer = undefined;
    last = Date.now();
    sampled.value = read();
  }

  watch(source, () => {
    if (timer !== undefined) return;
    const wait = last + intervalMs - Date.now();
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  });
  onScopeDispose(() => clearTimeout(timer));
  return sampled;
}
