import { onScopeDispose, readonly, ref } from 'vue';
import type { Ref } from 'vue';

/**
 * Browser time (epoch ms), refreshed every `intervalMs`. Ticks are aligned to
 * the interval boundary so that a seconds display flips on the second.
 */
export function useNow(intervalMs: number = 1000): Readonly<Ref<number>> {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  function tick(): void {
    now.value = Date.now();
    timer = setTimeout(tick, intervalMs - (now.value % intervalMs) + 1);
  }
  tick();
  onScopeDispose(() => clearTimeout(timer));
  return readonly(now);
}
