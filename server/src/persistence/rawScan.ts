import type { Reading } from '@shared/schemas/reading.schema';
import type { RawReadingPage, RawReadingScan } from '../services/ports';

/** Rows a raw-scan page may hold (windows aim at half of it). */
const SCAN_PAGE_ROWS = 20_000;
const SCAN_FIRST_WINDOW_MS = 60_000;
const SCAN_MAX_WINDOW_MS = 86_400_000;

/** A stored reading row as the stores read it back. */
export interface RawRow {
  sensorId: string;
  observedAt: number;
  /** The values: JSON text (SQLite) or already parsed (PostgreSQL jsonb). */
  values: string | Record<string, number>;
  quality: string | null;
}

export function readingOf(r: RawRow): Reading {
  return {
    sensorId: r.sensorId,
    observedAt: r.observedAt,
    values: typeof r.values === 'string' ? (JSON.parse(r.values) as Record<string, number>) : r.values,
    ...(r.quality ? { quality: r.quality as Reading['quality'] } : {}),
  };
}

/**
 * Rows of the sensors `ids` with from ≤ observedAt < to, ordered by observedAt then sensor id,
 * at most `limit` of them (no limit when `limit` is -1).
 */
export type FetchWindow = (
  ids: readonly string[],
  from: number,
  to: number,
  limit: number,
) => Promise<RawRow[]>;

/**
 * Raw readings of some sensors in time order, a page at a time, for any store keyed
 * (sensor_id, ts): each page is one time window read with `fetch`; the window adapts to the
 * density of readings so a page holds about SCAN_PAGE_ROWS / 2 of them (a window that
 * overflows is halved and read again). Nothing is held open between pages.
 */
export async function* scanRawWindows(
  scan: RawReadingScan,
  fetch: FetchWindow,
): AsyncGenerator<RawReadingPage> {
  const { from, to, maxReadings, sensorIds } = scan;
  if (sensorIds.length === 0 || !(from < to)) return;
  let start = from;
  let windowMs = SCAN_FIRST_WINDOW_MS;
  let read = 0;
  while (start < to) {
    const end = Math.min(to, start + windowMs);
    // One millisecond cannot be split further: read all of it (at most one row per sensor).
    const limit = end - start > 1 ? SCAN_PAGE_ROWS + 1 : -1;
    let rows = await fetch(sensorIds, start, end, limit);
    if (limit > 0 && rows.length > SCAN_PAGE_ROWS) {
      windowMs = Math.max(1, Math.floor((end - start) / 2));
      continue;
    }
    if (read + rows.length > maxReadings) {
      // Stop at a whole millisecond, so the pages cover [from, truncatedAt) completely.
      const truncatedAt = rows[maxReadings - read]!.observedAt;
      rows = rows.filter((r) => r.observedAt < truncatedAt);
      yield { readings: rows.map(readingOf), truncatedAt };
      return;
    }
    read += rows.length;
    if (rows.length > 0) yield { readings: rows.map(readingOf) };
    const target = SCAN_PAGE_ROWS / 2;
    const next = rows.length === 0 ? windowMs * 4 : ((end - start) * target) / rows.length;
    windowMs = Math.min(SCAN_MAX_WINDOW_MS, Math.max(1, Math.floor(next)));
    start = end;
  }
}
