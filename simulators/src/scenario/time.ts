import { DurationSchema } from '@shared/schemas/rule.schema';

const DAY_MS = 86_400_000;

/** Offset of an ISO-8601 time with an offset, minutes east of UTC (`+08:00` → 480, `Z` → 0). */
export function offsetMinutesOf(iso: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** Seconds of a duration string or number (`"90m"` → 5400). */
export function durationSec(v: string | number): number {
  return DurationSchema.parse(v);
}

/**
 * Epoch ms of a scenario time expression: ISO-8601 with an offset; `+<duration>` after
 * `startMs`; or `HH:MM` local time in the start's offset, the first such moment at or after
 * the start.
 */
export function resolveTime(expr: string, startMs: number, offsetMin: number): number {
  if (expr.startsWith('+')) return startMs + durationSec(expr.slice(1)) * 1000;
  const hm = /^(\d{2}):(\d{2})$/.exec(expr);
  if (hm) {
    const offsetMs = offsetMin * 60_000;
    const localStart = startMs + offsetMs;
    const dayStart = localStart - (((localStart % DAY_MS) + DAY_MS) % DAY_MS);
    let local = dayStart + (Number(hm[1]) * 60 + Number(hm[2])) * 60_000;
    if (local < localStart) local += DAY_MS;
    return local - offsetMs;
  }
  return Date.parse(expr);
}

/** An instant as ISO-8601 in a fixed offset (`2026-11-23T07:40:00+08:00`), for reports and labels. */
export function isoInOffset(ms: number, offsetMin: number): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** `1h 05m 30s` style, for reports. */
export function formatDuration(ms: number): string {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts =
    h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m ${String(s).padStart(2, '0')}s` : `${s}s`;
  return neg ? `-${parts}` : parts;
}
