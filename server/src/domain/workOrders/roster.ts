import { shanghaiMinuteOfDay } from '@shared/domain/shanghaiTime';

/**
 * 排班 — whether a grid worker is on duty. Shifts are daily, in Asia/Shanghai local time
 * (a fixed UTC+8: the result does not depend on the host's TZ).
 */

const DAY_MINUTES = 24 * 60;

/** Minutes after local midnight of an `HH:MM` time; `24:00` is accepted as midnight at the end of the day. */
function minutesOfDay(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const h = Number(m?.[1]);
  const min = Number(m?.[2]);
  if (!m || min > 59 || h > 24 || (h === 24 && min !== 0))
    throw new RangeError(`invalid shift time "${hhmm}"`);
  return (h * 60 + min) % DAY_MINUTES;
}

/**
 * Whether a worker's daily shift (Asia/Shanghai `HH:MM` start/end, may cross midnight;
 * start === end means 24 h) covers the instant `now` (epoch ms). The shift includes its
 * start minute and excludes its end: 08:00→20:00 covers 08:00:00 up to 19:59:59.999.
 * Throws a RangeError on a malformed time.
 */
export function onDuty(shift: { start: string; end: string }, now: number): boolean {
  const start = minutesOfDay(shift.start);
  const end = minutesOfDay(shift.end);
  if (start === end) return true;
  const local = shanghaiMinuteOfDay(now);
  return start < end ? local >= start && local < end : local >= start || local < end;
}
