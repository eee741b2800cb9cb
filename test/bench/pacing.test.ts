import { describe, expect, it } from 'vitest';
import { pacingSchedule, pickLane, runClosedLoop, runPaced } from './pacing';

describe('pacingSchedule', () => {
  it('offers exactly rate × duration ÷ message size messages, one in each slot', () => {
    const due = pacingSchedule({ ratePerSec: 10_000, perMessage: 500, durationMs: 10_000, seed: 1 });
    expect(due).toHaveLength(200);
    const gap = 50;
    due.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(i * gap);
      expect(t).toBeLessThan((i + 1) * gap);
    });
  });

  it('keeps the mean rate: the last message is due within one gap of the end', () => {
    const due = pacingSchedule({ ratePerSec: 1_000, perMessage: 1, durationMs: 2_000, seed: 9 });
    expect(due).toHaveLength(2_000);
    expect(due[due.length - 1]).toBeGreaterThan(1_999);
    expect(due[due.length - 1]).toBeLessThan(2_000);
    for (let i = 1; i < due.length; i++) expect(due[i]!).toBeGreaterThan(due[i - 1]!);
  });

  it('draws random phases inside the slots, the same for the same seed', () => {
    const plan = { ratePerSec: 1_000, perMessage: 500, durationMs: 10_000, seed: 3 };
    const a = pacingSchedule(plan);
    expect(pacingSchedule(plan)).toEqual(a);
    expect(pacingSchedule({ ...plan, seed: 4 })).not.toEqual(a);
    // Phases against a 100 ms push timer are spread, not locked (2 messages a second, 500 ms apart).
    const phases = new Set(Array.from(a, (t) => Math.floor((t % 100) / 10)));
    expect(phases.size).toBeGreaterThan(5);
  });

  it('rounds a load that does not fill its last message down', () => {
    expect(pacingSchedule({ ratePerSec: 1_000, perMessage: 500, durationMs: 2_900, seed: 1 })).toHaveLength(
      5,
    );
  });

  it('refuses a load without a rate, a message size or a duration', () => {
    expect(() => pacingSchedule({ ratePerSec: 0, perMessage: 1, durationMs: 1_000, seed: 1 })).toThrow(
      /positive rate/,
    );
    expect(() => pacingSchedule({ ratePerSec: 10, perMessage: 0, durationMs: 1_000, seed: 1 })).toThrow();
    expect(() => pacingSchedule({ ratePerSec: 10, perMessage: 1, durationMs: -5, seed: 1 })).toThrow();
  });
});

describe('pickLane', () => {
  it('takes the first lane with room, looking from the given one on in turn', () => {
    expect(pickLane([0, 0, 0], 2, 1)).toBe(1);
    expect(pickLane([2, 2, 1], 2, 0)).toBe(2);
    expect(pickLane([1, 2, 2], 2, 1)).toBe(0);
  });

  it('answers −1 when every window is full', () => {
    expect(pickLane([4, 4, 4, 4], 4, 2)).toBe(-1);
  });
});

describe('runPaced', () => {
  it('sends on schedule, counts the acknowledged readings, and skips what finds every window full', async () => {
    const schedule = Float64Array.from([0, 0, 0, 0, 30]);
    const lanes: number[] = [];
    const result = await runPaced({
      schedule,
      lanes: 2,
      window: 1,
      durationMs: 40,
      send: (lane) => {
        lanes.push(lane);
        // Acknowledged at once, but only after the send loop of this instant: the two others due
        // at 0 find both windows full; the one due at 30 ms finds room.
        return Promise.resolve(10);
      },
    });
    expect(lanes).toEqual([0, 1, 0]);
    expect(result).toMatchObject({
      sent: 3,
      skipped: 2,
      acked: 3,
      failed: 0,
      unfinished: 0,
      readingsAcked: 30,
    });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(40);
  }, 5_000);

  it('counts failures with the first reason and waits no longer than the stall limit', async () => {
    const result = await runPaced({
      schedule: Float64Array.from([0, 5, 10]),
      lanes: 1,
      window: 10,
      durationMs: 10,
      stallMs: 50,
      send: (_lane, index) =>
        index === 0
          ? Promise.reject(new Error('no PUBACK'))
          : index === 1
            ? Promise.resolve(1)
            : new Promise<number>(() => {}),
    });
    expect(result).toMatchObject({ sent: 3, acked: 1, failed: 1, unfinished: 1, firstFailure: 'no PUBACK' });
  });
});

describe('runClosedLoop', () => {
  it('keeps each window full until the end and stops refilling a lane after a failure', async () => {
    let sent = 0;
    const result = await runClosedLoop({
      lanes: 2,
      window: 3,
      durationMs: 30,
      send: async (lane) => {
        sent += 1;
        await new Promise((r) => setTimeout(r, 2));
        if (lane === 1) throw new Error('refused');
        return 5;
      },
    });
    expect(result.failed).toBe(3);
    expect(result.acked).toBeGreaterThan(3);
    expect(result.readingsAcked).toBe(result.acked * 5);
    expect(result.sent).toBe(sent);
    expect(result.unfinished).toBe(0);
  });
});
