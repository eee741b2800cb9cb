import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../shared/schemas/reading.schema';
import { WriteBatcher } from '../../../server/src/persistence/writeBatcher';

const readings = (n: number, from = 0): Reading[] =>
  Array.from({ length: n }, (_, i) => ({
    sensorId: 'S-1',
    observedAt: from + i,
    receivedAt: from + i,
    values: { speed: 40 },
  })) as Reading[];

/** A store whose commits the test completes by hand. */
function heldCommits() {
  const held: Array<{ n: number; done: () => void }> = [];
  const batcher = new WriteBatcher(
    (batch) =>
      new Promise<ArrayLike<number>>((resolve) => {
        held.push({ n: batch.length, done: () => resolve(new Array<number>(batch.length).fill(1)) });
      }),
    { flushMs: 1, maxBatch: 10 },
  );
  return { batcher, held };
}

describe('WriteBatcher: queue figures', () => {
  it('counts queued readings until their commit and keeps the high-water mark', async () => {
    const { batcher, held } = heldCommits();
    const first = batcher.write(readings(10)); // a full batch: goes to the store at once
    expect(held.map((h) => h.n)).toEqual([10]);
    const second = batcher.write(readings(4, 100)); // waits behind the batch in flight
    expect(batcher.stats()).toMatchObject({ queued: 14, queuedPeak: 14 });

    held[0]!.done();
    expect(await first).toMatchObject({ duplicates: 0 });
    await new Promise((r) => setTimeout(r, 5)); // the timer sends the waiting 4
    expect(held.map((h) => h.n)).toEqual([10, 4]);
    expect(batcher.stats()).toMatchObject({ queued: 4, queuedPeak: 14 });

    held[1]!.done();
    await second;
    expect(batcher.stats()).toMatchObject({ queued: 0, queuedPeak: 14, written: 14, flushes: 2 });
  });
});
