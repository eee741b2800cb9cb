import { describe, expect, it } from 'vitest';
import { chooseResolution, type ResolutionInput } from '../../../server/src/domain/historyResolution';

const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-21T08:00:00Z');

/** A query ending now over `span`, with default retention (7 d raw, 90 d 1m, 730 d 1h) and a 20 s sensor. */
function input(span: number, over: Partial<ResolutionInput> = {}): ResolutionInput {
  return {
    from: NOW - span,
    to: NOW,
    now: NOW,
    requested: 'auto',
    maxPoints: 1000,
    reportIntervalMs: 20 * SECOND,
    retentionMs: { raw: 7 * DAY, '1m': 90 * DAY, '1h': 730 * DAY },
    ...over,
  };
}

/** How many epoch-aligned buckets of width `w` a range touches, both ends included (how the store groups). */
const bucketsIn = (from: number, to: number, w: number) => Math.floor(to / w) - Math.floor(from / w) + 1;

describe('chooseResolution', () => {
  it('serves a short recent range from raw readings as they are', () => {
    expect(chooseResolution(input(HOUR))).toEqual({ resolution: 'raw', bucketMs: 0 });
  });

  it('serves a range of days from 1-minute rollups', () => {
    expect(chooseResolution(input(2 * DAY)).resolution).toBe('1m');
  });

  it('serves a long range from 1-hour rollups', () => {
    expect(chooseResolution(input(30 * DAY))).toEqual({ resolution: '1h', bucketMs: 0 });
  });

  it('falls back to 1-minute rollups for a short range older than raw retention', () => {
    const from = NOW - 10 * DAY;
    expect(chooseResolution(input(HOUR, { from, to: from + HOUR })).resolution).toBe('1m');
  });

  it('falls back to 1-hour rollups for a short range older than 1-minute retention', () => {
    const from = NOW - 100 * DAY;
    expect(chooseResolution(input(HOUR, { from, to: from + HOUR })).resolution).toBe('1h');
  });

  it('keeps the resolution the caller insists on, widening its buckets to respect maxPoints', () => {
    const raw = chooseResolution(input(30 * DAY, { requested: 'raw', reportIntervalMs: MINUTE }));
    expect(raw.resolution).toBe('raw');
    expect(raw.bucketMs).toBeGreaterThanOrEqual((30 * DAY) / 1000);
    expect(chooseResolution(input(HOUR, { requested: '1h' }))).toEqual({ resolution: '1h', bucketMs: 0 });
  });

  it('merges 1-minute rollups of a two-day range into 3-minute buckets to stay under 1000 points', () => {
    expect(chooseResolution(input(2 * DAY))).toEqual({ resolution: '1m', bucketMs: 3 * MINUTE });
  });

  it('merges raw readings of a fast sensor into whole-second buckets to stay under maxPoints', () => {
    expect(chooseResolution(input(2 * HOUR, { reportIntervalMs: SECOND }))).toEqual({
      resolution: 'raw',
      bucketMs: 8 * SECOND,
    });
  });

  it('widens buckets to a whole multiple of the stored step that keeps every range under maxPoints', () => {
    const offsets = [0, 1, 37 * SECOND, 59 * MINUTE + 59 * SECOND];
    const spans = [30 * MINUTE, 2 * HOUR, 50 * HOUR, 3 * DAY, 1000 * MINUTE, 40 * DAY, 400 * DAY];
    for (const maxPoints of [10, 100, 1000, 10_000]) {
      for (const span of spans) {
        for (const offset of offsets) {
          const to = NOW - offset;
          const q = input(span, { from: to - span, to, maxPoints, reportIntervalMs: SECOND });
          const { resolution, bucketMs } = chooseResolution(q);
          const step = { raw: SECOND, '1m': MINUTE, '1h': HOUR }[resolution];
          const where = `${resolution} span ${span} offset ${offset} maxPoints ${maxPoints}`;
          if (bucketMs === 0) {
            // Stored points as they are: raw ones every report interval, rollups aligned to their step.
            const stored =
              resolution === 'raw' ? Math.floor(span / q.reportIntervalMs) + 1 : bucketsIn(q.from, to, step);
            expect(stored, where).toBeLessThanOrEqual(maxPoints);
          } else {
            expect(bucketMs % step, where).toBe(0);
            expect(bucketsIn(q.from, to, bucketMs), where).toBeLessThanOrEqual(maxPoints);
            // Not wider than needed: one step narrower would not fit (or would not be a whole step at all).
            if (bucketMs > step)
              expect(bucketsIn(q.from, to, bucketMs - step), where).toBeGreaterThan(maxPoints);
          }
        }
      }
    }
  });
});
