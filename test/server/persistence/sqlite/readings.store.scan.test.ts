import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestReadingStore } from '../../../helpers/readingStore';
import type { Reading } from '../../../../shared/schemas/reading.schema';
import type { SqliteDatabase } from '../../../../server/src/persistence/sqlite/database';
import type { SqliteReadingStore } from '../../../../server/src/persistence/sqlite/readings.store';
import type { RawReadingPage, RawReadingScan } from '../../../../server/src/services/ports';

/** scanRaw: stored raw readings of some sensors, in time order, a page at a time, capped. */
const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 2);
const DAY_MINUTES = 1440;

describe('SqliteReadingStore.scanRaw', () => {
  let dir: string;
  let db: SqliteDatabase;
  let store: SqliteReadingStore;
  const stored: Reading[] = [];
  /** A burst of 25,000 readings 1 ms apart at noon of the second day (denser than a page). */
  const BURST_AT = START + 36 * 60 * MINUTE;

  async function scan(over: Partial<RawReadingScan> = {}): Promise<RawReadingPage[]> {
    const pages: RawReadingPage[] = [];
    for await (const page of store.scanRaw({
      sensorIds: ['A', 'B', 'C'],
      from: START,
      to: START + 2 * DAY_MINUTES * MINUTE,
      maxReadings: 1_000_000,
      ...over,
    }))
      pages.push(page);
    return pages;
  }

  const key = (r: Pick<Reading, 'observedAt' | 'sensorId'>) => `${r.observedAt}/${r.sensorId}`;
  const inOrder = (a: Reading, b: Reading) =>
    a.observedAt - b.observedAt || a.sensorId.localeCompare(b.sensorId);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-scan-'));
    ({ db, store } = await openTestReadingStore(dir));
    // A and B report every minute at the same instants for two days; C only in the burst.
    for (let i = 0; i < 2 * DAY_MINUTES; i++) {
      const t = START + i * MINUTE;
      stored.push({ sensorId: 'B', observedAt: t, values: { waterDepth: i % 50 }, quality: 'good' });
      stored.push({ sensorId: 'A', observedAt: t, values: { waterDepth: 1, battery: 90 } });
    }
    for (let i = 0; i < 25_000; i++)
      stored.push({ sensorId: 'C', observedAt: BURST_AT + i, values: { smoke: 0 } });
    for (let i = 0; i < stored.length; i += 5000) await store.write(stored.slice(i, i + 5000));
  });

  afterAll(async () => {
    await store?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns every reading of the sensors in the range once, ordered by time then sensor, in bounded pages', async () => {
    const pages = await scan();
    const readings = pages.flatMap((p) => p.readings);
    expect(readings).toHaveLength(stored.length);
    expect(readings).toEqual([...stored].sort(inOrder));
    expect(pages.every((p) => p.readings.length <= 20_000 && p.truncatedAt === undefined)).toBe(true);
    expect(pages.length).toBeGreaterThan(2);
    expect(readings.find((r) => r.sensorId === 'B')).toEqual({
      sensorId: 'B',
      observedAt: START,
      values: { waterDepth: 0 },
      quality: 'good',
    });
  });

  it('reads only the sensors asked for, from `from` inclusive to `to` exclusive', async () => {
    const from = START + 10 * MINUTE;
    const to = START + 20 * MINUTE;
    const readings = (await scan({ sensorIds: ['B'], from, to })).flatMap((p) => p.readings);
    expect(readings.map((r) => r.observedAt)).toEqual(
      Array.from({ length: 10 }, (_, i) => from + i * MINUTE),
    );
    expect(new Set(readings.map((r) => r.sensorId))).toEqual(new Set(['B']));
    expect(await scan({ sensorIds: [] })).toEqual([]);
    expect(await scan({ from: to, to })).toEqual([]);
  });

  it('stops at the cap on a whole millisecond and says where', async () => {
    // Readings come in (A, B) pairs per minute: a cap of 2,881 ends in the middle of minute 1440.
    const pages = await scan({ maxReadings: 2 * DAY_MINUTES + 1 });
    const readings = pages.flatMap((p) => p.readings);
    const cut = START + DAY_MINUTES * MINUTE;
    expect(pages.at(-1)?.truncatedAt).toBe(cut);
    expect(readings).toHaveLength(2 * DAY_MINUTES);
    expect(readings.every((r) => r.observedAt < cut)).toBe(true);
    expect(new Set(readings.map(key)).size).toBe(readings.length);
  });

  it('does not report a cap that the range exactly fills', async () => {
    const pages = await scan({ sensorIds: ['A'], maxReadings: 2 * DAY_MINUTES });
    expect(pages.flatMap((p) => p.readings)).toHaveLength(2 * DAY_MINUTES);
    expect(pages.some((p) => p.truncatedAt !== undefined)).toBe(false);
  });

  it('leaves the connection free between pages', async () => {
    const iterator = store.scanRaw({
      sensorIds: ['A', 'B', 'C'],
      from: START,
      to: BURST_AT + 25_000,
      maxReadings: 1e6,
    });
    for await (const page of iterator) {
      expect(page.readings.length).toBeGreaterThan(0);
      expect(
        await store.history({
          sensorId: 'A',
          metric: 'waterDepth',
          from: START,
          to: START + MINUTE,
          resolution: 'raw',
          bucketMs: 0,
        }),
      ).toHaveLength(2);
    }
  });
});
