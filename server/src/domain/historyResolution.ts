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
  // The store groups points into epoch-aligned buckets and includes both ends of
  // the range, so a range touches one bucket more than span / width when unaligned.
  const buckets = (width: number) => Math.floor(input.to / width) - Math.floor(input.from / width) + 1;
  const stored =
    resolution === 'raw' ? Math.floor(span / Math.max(input.reportIntervalMs, 1)) + 1 : buckets(native);
  if (stored <= input.maxPoints) return { resolution, bucketMs: 0 };
  // Widen buckets to whole multiples of the stored step (whole seconds for raw) to stay under maxPoints.
  const unit = resolution === 'raw' ? 1000 : native;
  let bucketMs = Math.ceil(span / input.maxPoints / unit) * unit;
  while (buckets(bucketMs) > input.maxPoints) bucketMs += unit;
  return { resolution, bucketMs };
}
