import type { MessageKey, MessageParams } from '../../i18n/messages';

/**
 * Data older than this is STALE: the wall must stop presenting it as live.
 * A minute is several report intervals of every sensor kind we carry.
 */
export const STALE_AFTER_MS = 60_000;

/** How current the data on screen is. */
export interface Freshness {
  /** `none`: nothing observed yet; `fresh`: newest observation within the limit; `stale`: older. */
  state: 'none' | 'fresh' | 'stale';
  /** Age of the newest observation in ms (never negative); null when there is none. */
  ageMs: number | null;
}

/**
 * Freshness of the newest observation at `nowMs`. Both times must be on the
 * same clock (the server's; see the live store's clock offset). A device
 * clock slightly ahead gives a negative age, which counts as "just now".
 */
export function freshnessOf(
  lastObservedAt: number | null,
  nowMs: number,
  staleAfterMs: number = STALE_AFTER_MS,
): Freshness {
  if (lastObservedAt === null) return { state: 'none', ageMs: null };
  const ageMs = Math.max(0, nowMs - lastObservedAt);
  return { state: ageMs > staleAfterMs ? 'stale' : 'fresh', ageMs };
}

/** The i18n message that says how old the data is ("数据 3 秒前"). */
export function freshnessMessage(f: Freshness): { key: MessageKey; params?: MessageParams } {
  if (f.ageMs === null) return { key: 'fresh.none' };
  const seconds = Math.floor(f.ageMs / 1000);
  if (seconds < 1) return { key: 'fresh.justNow' };
  if (seconds < 60) return { key: 'fresh.seconds', params: { n: seconds } };
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return { key: 'fresh.minutes', params: { n: minutes } };
  return { key: 'fresh.hours', params: { n: Math.floor(minutes / 60) } };
}
