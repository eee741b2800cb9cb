import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Registers what each component test starts from: an empty localStorage (the language toggle
 * remembers its choice; every test starts in Chinese) and a fresh active Pinia. Given `now`, the
 * clock is faked at it: only `Date` (`'date'`, timers stay real) or timers too (`'timers'`).
 * After each test, real timers and globals again.
 *
 * @returns the current test's Pinia, to mount with.
 */
export function freshPiniaEachTest(now?: number, fake: 'date' | 'timers' = 'date'): () => Pinia {
  let pinia: Pinia;
  beforeEach(() => {
    window.localStorage.clear();
    pinia = createPinia();
    setActivePinia(pinia);
    if (now !== undefined) vi.useFakeTimers(fake === 'date' ? { now, toFake: ['Date'] } : { now });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });
  return () => pinia;
}
