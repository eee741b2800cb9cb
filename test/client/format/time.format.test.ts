import { describe, expect, it } from 'vitest';
import { formatDate, formatTime, zonedParts } from '../../../client/src/format/time.format';

describe('time formatting', () => {
  // 2026-11-21T16:59:07Z is 2026-11-22 00:59:07 in Shanghai (UTC+8): the date rolls over.
  const t = Date.UTC(2026, 10, 21, 16, 59, 7);

  it('shows the time in Asia/Shanghai whatever the machine zone', () => {
    expect(formatTime(t)).toBe('00:59:07');
  });

  it('shows the Shanghai date with a localized weekday', () => {
    expect(formatDate(t, 'zh')).toBe('2026-11-22 周日');
    expect(formatDate(t, 'en')).toBe('2026-11-22 Sun');
  });

  it('uses 00 rather than 24 for midnight', () => {
    expect(zonedParts(Date.UTC(2026, 10, 21, 16, 0, 0)).hour).toBe('00');
  });

  it('honours another zone when given one', () => {
    expect(formatTime(t, 'UTC')).toBe('16:59:07');
  });
});
