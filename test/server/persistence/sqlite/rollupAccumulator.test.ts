import { describe, expect, it } from 'vitest';
import {
  RollupAccumulator,
  type RollupCell,
} from '../../../../server/src/persistence/sqlite/rollupAccumulator';

const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);

/** Merge drained cells the way the store's upsert does. */
function merged(cells: RollupCell[]): Map<string, Omit<RollupCell, 'sensorId' | 'metric' | 'bucket'>> {
  const out = new Map<string, Omit<RollupCell, 'sensorId' | 'metric' | 'bucket'>>();
  for (const c of cells) {
    const key = `${c.sensorId}|${c.metric}|${c.bucket}`;
    const cur = out.get(key);
    if (!cur) out.set(key, { min: c.min, max: c.max, sum: c.sum, count: c.count });
    else {
      cur.min = Math.min(cur.min, c.min);
      cur.max = Math.max(cur.max, c.max);
      cur.sum += c.sum;
      cur.count += c.count;
    }
  }
  return out;
}

describe('RollupAccumulator', () => {
  it('keeps min, max, sum and count per sensor, metric and minute and hour bucket', () => {
    const acc = new RollupAccumulator();
    acc.add('S1', T0 + 1_000, { pm25: 10, pm10: 20 });
    acc.add('S1', T0 + 2_000, { pm25: 30 });
    acc.add('S2', T0 + 3_000, { pm25: 5 });
    const { minutes, hours } = acc.drain();
    const m = merged(minutes);
    expect(m.get(`S1|pm25|${T0}`)).toEqual({ min: 10, max: 30, sum: 40, count: 2 });
    expect(m.get(`S1|pm10|${T0}`)).toEqual({ min: 20, max: 20, sum: 20, count: 1 });
    expect(m.get(`S2|pm25|${T0}`)).toEqual({ min: 5, max: 5, sum: 5, count: 1 });
    expect(merged(hours).get(`S1|pm25|${T0}`)).toEqual({ min: 10, max: 30, sum: 40, count: 2 });
  });

  it('splits readings into the right buckets when they cross minutes and arrive out of order', () => {
    const acc = new RollupAccumulator();
    const values = [
      [T0 + 59_000, 1],
      [T0 + 61_000, 2],
      [T0 + 10_000, 4], // late: back in the first minute
      [T0 + 62_000, 8],
    ] as const;
    for (const [t, v] of values) acc.add('S1', t, { speed: v });
    const m = merged(acc.drain().minutes);
    expect(m.get(`S1|speed|${T0}`)).toEqual({ min: 1, max: 4, sum: 5, count: 2 });
    expect(m.get(`S1|speed|${T0 + 60_000}`)).toEqual({ min: 2, max: 8, sum: 10, count: 2 });
  });

  it('starts empty after a drain', () => {
    const acc = new RollupAccumulator();
    acc.add('S1', T0, { speed: 3 });
    acc.drain();
    expect(acc.drain()).toEqual({ minutes: [], hours: [] });
  });

  it('drains a share of the open buckets at a time, oldest sensors first, and every closed bucket', () => {
    const acc = new RollupAccumulator();
    acc.add('S1', T0 + 1_000, { speed: 1 });
    acc.add('S2', T0 + 2_000, { speed: 2 });
    acc.add('S3', T0 + 3_000, { speed: 3 });
    acc.add('S3', T0 + 61_000, { speed: 4 }); // closes S3's first minute

    const first = acc.drainSome(1);
    expect(first.minutes.map((c) => `${c.sensorId}@${c.bucket - T0}`).sort()).toEqual(['S1@0', 'S3@0']);
    expect(acc.openSensors()).toBe(2);

    acc.add('S1', T0 + 4_000, { speed: 5 }); // S1 comes back at the end of the round
    const second = acc.drainSome(2);
    expect(second.minutes.map((c) => c.sensorId).sort()).toEqual(['S2', 'S3']);
    expect(acc.drainSome(5).minutes.map((c) => c.sensorId)).toEqual(['S1']);
  });

  it('reports the earliest bucket it still holds as the bound for crash repair', () => {
    const acc = new RollupAccumulator();
    expect(acc.oldestHeld()).toBeNull();
    acc.add('S1', T0 + 3_600_000 + 5_000, { speed: 1 });
    acc.add('S2', T0 + 10_000, { speed: 2 });
    expect(acc.oldestHeld()).toBe(T0);
    acc.drainSome(1); // S1, inserted first
    expect(acc.oldestHeld()).toBe(T0);
    acc.drainSome(1);
    expect(acc.oldestHeld()).toBeNull();
  });

  it('holds again cells it could not write, counted once with what arrived after them', () => {
    const acc = new RollupAccumulator();
    acc.add('S1', T0 + 1_000, { speed: 10 });
    acc.add('S1', T0 + 2_000, { speed: 20 });
    const failed = acc.drain(); // the write of these cells failed (disk full, database busy)
    acc.restore(failed);
    expect(acc.oldestHeld()).toBe(T0);
    acc.add('S1', T0 + 3_000, { speed: 30 }); // the same minute, opened again
    const { minutes, hours } = acc.drain();
    expect(merged(minutes).get(`S1|speed|${T0}`)).toEqual({ min: 10, max: 30, sum: 60, count: 3 });
    expect(merged(hours).get(`S1|speed|${T0}`)).toEqual({ min: 10, max: 30, sum: 60, count: 3 });
    expect(acc.drain()).toEqual({ minutes: [], hours: [] });
  });
});
