import { describe, expect, it } from 'vitest';
import { createPulseLoop } from '../../../../client/src/features/map/pulse';

/** A stand-in for requestAnimationFrame driven by hand: `run(ms)` plays frames every ~16.7 ms. */
function frames() {
  let now = 0;
  let next: ((t: number) => void) | null = null;
  let handle = 0;
  return {
    requestFrame: (cb: (t: number) => void) => {
      next = cb;
      return ++handle;
    },
    cancelFrame: () => {
      next = null;
    },
    run(ms: number) {
      const end = now + ms;
      while (next && now + 1000 / 60 <= end) {
        now += 1000 / 60;
        const cb = next;
        next = null;
        cb(now);
      }
      now = end;
    },
    get pending() {
      return next !== null;
    },
  };
}

describe('createPulseLoop', () => {
  it('ticks at most 4 times a second although frames come 60 times a second', () => {
    const f = frames();
    const ticks: number[] = [];
    const loop = createPulseLoop((t) => ticks.push(t), f);

    loop.start();
    f.run(2_000);

    expect(ticks.length).toBeGreaterThanOrEqual(7);
    expect(ticks.length).toBeLessThanOrEqual(9);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeGreaterThan(230);
  });

  it('stops asking for frames when stopped', () => {
    const f = frames();
    const ticks: number[] = [];
    const loop = createPulseLoop((t) => ticks.push(t), f);
    loop.start();
    f.run(500);

    loop.stop();
    const count = ticks.length;
    f.run(2_000);

    expect(loop.running).toBe(false);
    expect(f.pending).toBe(false);
    expect(ticks.length).toBe(count);
  });

  it('runs one loop however often it is started', () => {
    const f = frames();
    const ticks: number[] = [];
    const loop = createPulseLoop((t) => ticks.push(t), { ...f, hz: 2 });

    loop.start();
    loop.start();
    f.run(1_000);

    expect(ticks.length).toBeLessThanOrEqual(3);
  });
});
