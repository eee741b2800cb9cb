import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatcher, DEFAULT_MIN_INTERVAL_MS } from '../../../../client/src/features/map/batcher';

describe('createBatcher', () => {
  let applied: Array<[string, number]>;
  const apply = (key: string, value: number) => applied.push([key, value]);

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_800_000_000_000);
    applied = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('applies the first update of a quiet source at once', () => {
    const b = createBatcher(apply);

    b.push('sensors', 1);

    expect(applied).toEqual([['sensors', 1]]);
  });

  it('holds later updates until the interval is up, then applies only the newest', () => {
    const b = createBatcher(apply);
    b.push('sensors', 1);

    vi.advanceTimersByTime(50);
    b.push('sensors', 2);
    b.push('sensors', 3);
    vi.advanceTimersByTime(DEFAULT_MIN_INTERVAL_MS - 51);
    expect(applied).toEqual([['sensors', 1]]);

    vi.advanceTimersByTime(1);
    expect(applied).toEqual([
      ['sensors', 1],
      ['sensors', 3],
    ]);
  });

  it('applies at most about 4 updates a second to a source pushed 100 times a second', () => {
    const b = createBatcher(apply);

    for (let i = 0; i < 100; i++) {
      b.push('alerts', i);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(DEFAULT_MIN_INTERVAL_MS);

    expect(applied.length).toBeLessThanOrEqual(5);
    expect(applied.at(-1)).toEqual(['alerts', 99]);
    const times = applied.length;
    vi.advanceTimersByTime(5_000);
    expect(applied.length).toBe(times);
  });

  it('limits each source on its own', () => {
    const b = createBatcher(apply);

    b.push('sensors', 1);
    b.push('alerts', 1);
    b.push('sensors', 2);

    expect(applied).toEqual([
      ['sensors', 1],
      ['alerts', 1],
    ]);
  });

  it('applies at once again after a quiet interval', () => {
    const b = createBatcher(apply);
    b.push('workers', 1);

    vi.advanceTimersByTime(DEFAULT_MIN_INTERVAL_MS);
    b.push('workers', 2);

    expect(applied).toEqual([
      ['workers', 1],
      ['workers', 2],
    ]);
  });

  it('applies what is waiting on flush, and nothing twice', () => {
    const b = createBatcher(apply);
    b.push('sensors', 1);
    b.push('sensors', 2);

    b.flush();
    vi.advanceTimersByTime(DEFAULT_MIN_INTERVAL_MS * 4);

    expect(applied).toEqual([
      ['sensors', 1],
      ['sensors', 2],
    ]);
  });

  it('drops what is waiting on cancel', () => {
    const b = createBatcher(apply);
    b.push('sensors', 1);
    b.push('sensors', 2);

    b.cancel();
    vi.advanceTimersByTime(DEFAULT_MIN_INTERVAL_MS * 4);

    expect(applied).toEqual([['sensors', 1]]);
  });
});
