import type { HistoryResolution } from '@shared/schemas/reading.schema';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const NATIVE_MS: Record<HistoryResolution, number> = { raw: 0, '1m': MINUTE, '1h': HOUR };

export interface ResolutionInput {
  from: number;
  to: number;
  now: number;
  /** `auto` or a resolution the caller insists on. */
  requested: 'auto' | HistoryResolution;
  maxPoints: number;
  /** The sensor's expected report interval, ms (estimates how many raw points a range holds). */
  reportIntervalMs: number;
  /** Retention of each resolution, ms: a range reaching past it is served from a coarser one. */
  retentionMs: Record<HistoryResolution, number>;
}

export interface ResolutionChoice {
  resolution: HistoryResolution;
  /** Merge stored points into buckets this wide (ms); 0 returns stored points as they are. */
  bucketMs: number;
}

/**
 * Pick the stored resolution and bucket width for a history query, so that a
 * dashboard never scans raw rows for a long range and never gets more than
 * `maxPoints` points. Pure.
 */
export function chooseResolution(input: ResolutionInput): ResolutionChoice {
  const span = Math.max(input.to - input.from, 1);
  let resolution: HistoryResolution;
  if (input.requested !== 'auto') {
    resolution = input.requested;
  } else {
    const oldest = input.now - input.from;
    if (span <= 2 * HOUR && oldest <= input.retentionMs.raw) resolution = 'raw';
    else if (span <= 3 * 24 * HOUR && oldest <= input.retentionMs['1m']) resolution = '1m';
    else resolution = '1h';
  }
  const native = NATIVE_MS[resolution];
  const step = resolution === 'raw' ? Math.max(input.reportIntervalMs, 1) : native;
  const expected = span / step;
  if (expected <= input.maxPoints) return { resolution, bucketMs: 0 };
  // Widen buckets to whole multiples of the stored step (whole seconds for raw) to stay under maxPoints.
  const unit = resolution === 'raw' ? 1000 : native;
  const bucketMs = Math.ceil(span / input.maxPoints / unit) * unit;
  return { resolution, bucketMs };
}
