import { describe, expect, it } from 'vitest';
import { onDuty } from '../../../../server/src/domain/workOrders/roster';

const HOUR = 3_600_000;
/** The instant it is `hh:mm` on 21 Nov 2026 in Shanghai (UTC+8); tests run with TZ=UTC. */
const shanghai = (hh: number, mm = 0): number => Date.UTC(2026, 10, 21, hh, mm) - 8 * HOUR;

describe('onDuty', () => {
  const night = { start: '20:00', end: '08:00' };
  const day = { start: '08:00', end: '20:00' };

  it('counts 02:00 Shanghai time as inside an overnight 20:00→08:00 shift', () => {
    expect(onDuty(night, shanghai(2))).toBe(true);
  });

  it('counts 12:00 Shanghai time as outside an overnight 20:00→08:00 shift', () => {
    expect(onDuty(night, shanghai(12))).toBe(false);
  });

  it('counts 22:00 Shanghai time, before midnight, as inside an overnight shift', () => {
    expect(onDuty(night, shanghai(22))).toBe(true);
  });

  it('reads the shift in Shanghai time, not UTC', () => {
    // 12:00 in Shanghai is 04:00 UTC, outside 08:00–20:00 if read as UTC.
    expect(onDuty(day, shanghai(12))).toBe(true);
    // 02:00 in Shanghai is 18:00 UTC the day before, inside 08:00–20:00 if read as UTC.
    expect(onDuty(day, shanghai(2))).toBe(false);
  });

  it('includes the start minute and excludes the end minute', () => {
    expect(onDuty(day, shanghai(8))).toBe(true);
    expect(onDuty(day, shanghai(8) - 1)).toBe(false);
    expect(onDuty(day, shanghai(20) - 1)).toBe(true);
    expect(onDuty(day, shanghai(20))).toBe(false);
    expect(onDuty(night, shanghai(20))).toBe(true);
    expect(onDuty(night, shanghai(8))).toBe(false);
  });

  it('treats a shift whose start equals its end as round the clock', () => {
    for (const h of [0, 6, 12, 18, 23])
      expect(onDuty({ start: '06:00', end: '06:00' }, shanghai(h, 30))).toBe(true);
  });

  it('accepts 24:00 as the end of the day', () => {
    expect(onDuty({ start: '16:00', end: '24:00' }, shanghai(23, 59))).toBe(true);
    expect(onDuty({ start: '16:00', end: '24:00' }, shanghai(0, 30))).toBe(false);
  });

  it('throws on a malformed shift time', () => {
    expect(() => onDuty({ start: '25:00', end: '08:00' }, shanghai(2))).toThrow(RangeError);
    expect(() => onDuty({ start: '20:00', end: '8:00' }, shanghai(2))).toThrow(RangeError);
    expect(() => onDuty({ start: '20:60', end: '08:00' }, shanghai(2))).toThrow(RangeError);
  });
});
