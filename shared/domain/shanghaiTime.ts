/**
 * Asia/Shanghai wall-clock arithmetic. China has kept UTC+8 without daylight saving since
 * 1991, so a fixed offset is exact and needs no time-zone database; storage stays UTC, and these
 * helpers only name local days, hours and times (case numbers, KPI periods, labels, shifts).
 */

/** Asia/Shanghai minus UTC, ms. */
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** A Date whose UTC fields read the Shanghai wall clock at `at` (use getUTC… on it). */
export function shanghaiFields(at: number): Date {
  return new Date(at + SHANGHAI_OFFSET_MS);
}

/** `YYYY-MM-DDTHH:MM:SS` on the Shanghai wall clock (no offset suffix). */
export function shanghaiLocalIso(at: number): string {
  return shanghaiFields(at).toISOString().slice(0, 19);
}

/** The Shanghai calendar day of `at`, `YYYY-MM-DD`. */
export function shanghaiDate(at: number): string {
  return shanghaiLocalIso(at).slice(0, 10);
}

/** The instant the Shanghai day holding `at` began (local midnight), epoch ms. */
export function shanghaiDayStart(at: number): number {
  return Math.floor((at + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
}

/** Minutes since local midnight in Shanghai at `at` (0–1439). */
export function shanghaiMinuteOfDay(at: number): number {
  return Math.floor((at - shanghaiDayStart(at)) / 60_000);
}
