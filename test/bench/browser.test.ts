import { describe, expect, it } from 'vitest';
import { longTaskFigures } from './browser';

describe('long tasks of a window', () => {
  const tasks: [number, number][] = [
    [100, 120],
    [500, 60],
    [1_000, 250],
    [2_000, 80],
  ];

  it('counts the tasks starting inside the window and sums what each blocked beyond 50 ms', () => {
    const f = longTaskFigures(tasks, 400, 1_500);
    expect(f.count).toBe(2);
    expect(f.totalBlockingMs).toBe(10 + 200);
    expect(f.durationMs.max).toBe(250);
  });

  it('reports no blocking for a window without long tasks', () => {
    const f = longTaskFigures(tasks, 2_100, 3_000);
    expect(f.count).toBe(0);
    expect(f.totalBlockingMs).toBe(0);
  });
});
