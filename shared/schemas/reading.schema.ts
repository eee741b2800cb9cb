import { z } from 'zod';
import { IdSchema, EpochMsSchema } from './common.schema';

/** Quality flag a device or gateway may attach to a reading. */
export const ReadingQualitySchema = z.enum(['good', 'suspect', 'bad']);
export type ReadingQuality = z.infer<typeof ReadingQualitySchema>;

/** Most readings one HTTP request or one MQTT message may carry. */
export const MAX_READINGS_PER_BATCH = 5000;

/**
 * A reading as a device sends it (wire format v1) and, after parsing, as the
 * platform carries it: `observedAt` is accepted as an ISO-8601 timestamp with
 * offset (`2026-11-21T08:00:00Z`, `2026-11-21T16:00:00+08:00`) or epoch
 * milliseconds, and always comes out as epoch milliseconds (UTC).
 */
export const ReadingSchema = z.object({
  sensorId: IdSchema,
  /** When the value was observed (not when it was sent or received). */
  observedAt: z
    .union([z.iso.datetime({ offset: true }), EpochMsSchema])
    .transform((v) => (typeof v === 'number' ? v : Date.parse(v))),
  /** Values keyed by metric id (see the metric catalog for units). Finite numbers only. */
  values: z
    .record(z.string().min(1).max(32), z.number())
    .refine((v) => Object.keys(v).length > 0, 'must contain at least one metric'),
  quality: ReadingQualitySchema.optional(),
});
/** Wire shape (what producers send). */
export type ReadingInput = z.input<typeof ReadingSchema>;
/** Normalized shape (observedAt in epoch ms): what the platform stores and pushes. */
export type Reading = z.output<typeof ReadingSchema>;

/** Body of `POST /api/v1/readings`. Items are validated one by one so each rejection names its index. */
export const ReadingBatchBodySchema = z.object({
  readings: z.array(z.unknown()).min(1).max(MAX_READINGS_PER_BATCH),
});

/** A point of a history series. Raw points have min = avg = max and count = 1. */
export const HistoryPointSchema = z.object({
  /** Bucket start (or observation time for raw points), epoch ms. */
  t: EpochMsSchema,
  min: z.number(),
  avg: z.number(),
  max: z.number(),
  count: z.number().int().positive(),
});
export type HistoryPoint = z.infer<typeof HistoryPointSchema>;

export const HISTORY_RESOLUTIONS = ['raw', '1m', '1h'] as const;
export const HistoryResolutionSchema = z.enum(HISTORY_RESOLUTIONS);
export type HistoryResolution = z.infer<typeof HistoryResolutionSchema>;

export const HistoryQuerySchema = z
  .object({
    metric: z.string().min(1).max(32),
    /** Start of the range, ISO-8601 or epoch ms. Default: `to` − 1 h. */
    from: z.union([z.iso.datetime({ offset: true }), z.coerce.number().int().nonnegative()]).optional(),
    /** End of the range, ISO-8601 or epoch ms. Default: now. */
    to: z.union([z.iso.datetime({ offset: true }), z.coerce.number().int().nonnegative()]).optional(),
    /** `auto` picks the coarsest stored resolution that still gives detail for the range. */
    resolution: z.enum(['auto', ...HISTORY_RESOLUTIONS]).default('auto'),
    /** Upper bound on returned points; buckets are merged to stay under it. */
    maxPoints: z.coerce.number().int().min(10).max(10000).default(1000),
  })
  .strict();
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

export const HistoryResponseSchema = z.object({
  sensorId: IdSchema,
  metric: z.string(),
  unit: z.string(),
  /** Stored resolution the points come from. */
  resolution: HistoryResolutionSchema,
  /** Width of each returned bucket in ms (0 for raw points). */
  bucketMs: z.number().int().nonnegative(),
  from: EpochMsSchema,
  to: EpochMsSchema,
  points: z.array(HistoryPointSchema),
});
export type HistoryResponse = z.infer<typeof HistoryResponseSchema>;

/** Latest known values of a sensor: each metric holds its newest value; observedAt is the newest reading's time. */
export const LatestReadingSchema = z.object({
  sensorId: IdSchema,
  /** Time of the newest reading, epoch ms. */
  observedAt: EpochMsSchema,
  values: z.record(z.string(), z.number()),
  quality: ReadingQualitySchema.optional(),
});
export type LatestReading = z.infer<typeof LatestReadingSchema>;
