import { describe, expect, it } from 'vitest';
import {
  shanghaiDate,
  shanghaiDayStart,
  shanghaiFields,
  shanghaiLocalIso,
  shanghaiMinuteOfDay,
} from '../../../shared/domain/shanghaiTime';

/** 2026-11-21 23:30 UTC = 2026-11-22 07:30 in Shanghai. */
const AT = Date.UTC(2026, 10, 21, 23, 30, 15);

describe('Asia/Shanghai wall clock', () => {
  it('reads the local date, time and weekday eight hours ahead of UTC, across the UTC date line', () => {
    expect(shanghaiLocalIso(AT)).toBe('2026-11-22T07:30:15');
    expect(shanghaiDate(AT)).toBe('2026-11-22');
    expect(shanghaiFields(AT).getUTCDay()).toBe(0); // a Sunday in Shanghai, Saturday in UTC
  });

  it('starts the local day at 16:00 UTC of the day before', () => {
    expect(shanghaiDayStart(AT)).toBe(Date.UTC(2026, 10, 21, 16, 0, 0));
    expect(shanghaiDayStart(Date.UTC(2026, 10, 21, 16, 0, 0))).toBe(Date.UTC(2026, 10, 21, 16, 0, 0));
    expect(shanghaiDayStart(Date.UTC(2026, 10, 21, 15, 59, 59))).toBe(Date.UTC(2026, 10, 20, 16, 0, 0));
  });

  it('counts minutes from local midnight, also before 1970', () => {
    expect(shanghaiMinuteOfDay(AT)).toBe(7 * 60 + 30);
    expect(shanghaiMinuteOfDay(Date.UTC(1969, 11, 31, 17, 5))).toBe(65);
  });
});
