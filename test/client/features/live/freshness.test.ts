import { describe, expect, it } from 'vitest';
import {
  freshnessMessage,
  freshnessOf,
  STALE_AFTER_MS,
} from '../../../../client/src/features/live/freshness';

describe('freshnessOf', () => {
  const now = 1_800_000_000_000;

  it('says none when nothing was observed yet', () => {
    expect(freshnessOf(null, now)).toEqual({ state: 'none', ageMs: null });
  });

  it('is fresh up to and including the stale limit', () => {
    expect(freshnessOf(now - 3000, now)).toEqual({ state: 'fresh', ageMs: 3000 });
    expect(freshnessOf(now - STALE_AFTER_MS, now).state).toBe('fresh');
  });

  it('is stale past sixty seconds', () => {
    expect(STALE_AFTER_MS).toBe(60_000);
    expect(freshnessOf(now - 60_001, now)).toEqual({ state: 'stale', ageMs: 60_001 });
  });

  it('treats an observation from slightly in the future as age zero', () => {
    expect(freshnessOf(now + 2000, now)).toEqual({ state: 'fresh', ageMs: 0 });
  });

  it('honours a custom limit', () => {
    expect(freshnessOf(now - 10_000, now, 5000).state).toBe('stale');
  });
});

describe('freshnessMessage', () => {
  it('picks the unit that fits the age', () => {
    expect(freshnessMessage({ state: 'none', ageMs: null })).toEqual({ key: 'fresh.none' });
    expect(freshnessMessage({ state: 'fresh', ageMs: 400 })).toEqual({ key: 'fresh.justNow' });
    expect(freshnessMessage({ state: 'fresh', ageMs: 3999 })).toEqual({
      key: 'fresh.seconds',
      params: { n: 3 },
    });
    expect(freshnessMessage({ state: 'stale', ageMs: 150_000 })).toEqual({
      key: 'fresh.minutes',
      params: { n: 2 },
    });
    expect(freshnessMessage({ state: 'stale', ageMs: 2 * 3_600_000 + 5 })).toEqual({
      key: 'fresh.hours',
      params: { n: 2 },
    });
  });
});
