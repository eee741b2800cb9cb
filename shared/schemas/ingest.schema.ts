import { z } from 'zod';

/**
 * Why a reading (or a whole payload) was refused at ingest. Counted per reason
 * at `GET /api/v1/ingest/stats`.
 */
export const REJECTION_REASONS = [
  /** The payload is not JSON. */
  'malformed_json',
  /** The payload exceeds the byte limit. */
  'payload_too_large',
  /** More readings in one payload than the batch limit. */
  'batch_too_large',
  /** HTTP only: the body is not declared as application/json. */
  'unsupported_media_type',
  /** The payload is JSON but not a reading, an array of readings or `{ readings: [...] }`. */
  'invalid_shape',
  /** A field is missing or has the wrong type or format. */
  'invalid_field',
  /** A value is NaN or ±Infinity (e.g. `1e999`). */
  'non_finite',
  /** `observedAt` is not a valid time. */
  'invalid_timestamp',
  /** `observedAt` is further in the future than the allowed clock skew. */
  'future_timestamp',
  /** `observedAt` is older than the accepted age (past raw retention). */
  'stale_timestamp',
  /** The sensor is not registered (and auto-registration is off). */
  'unknown_sensor',
  /** The metric is not in the catalog or not one this sensor reports. */
  'unknown_metric',
  /** A value is outside the metric's physically plausible range. */
  'out_of_range',
  /** The MQTT topic names another sensor than the payload. */
  'topic_mismatch',
  /** The device credential does not cover this sensor. */
  'forbidden_sensor',
  /** The platform is shedding load; retry later. */
  'overloaded',
  /** HTTP only: this client sent more requests than its rate allows; retry after Retry-After. */
  'rate_limited',
  /** The store could not commit the readings (disk full, database busy); nothing was acknowledged, retry later. */
  'store_unavailable',
] as const;
export const RejectionReasonSchema = z.enum(REJECTION_REASONS);
export type RejectionReason = z.infer<typeof RejectionReasonSchema>;

export const INGEST_PATHS = ['mqtt', 'http'] as const;
export type IngestPath = (typeof INGEST_PATHS)[number];

export const RejectedReadingSchema = z.object({
  /** Position of the reading in the submitted batch (0-based); -1 when the whole payload was refused. */
  index: z.number().int().min(-1),
  reason: RejectionReasonSchema,
  /** Path of the offending field inside the reading, e.g. `values.pm25`. */
  path: z.string(),
  message: z.string(),
});
export type RejectedReading = z.infer<typeof RejectedReadingSchema>;

/** Response of `POST /api/v1/readings`. Accepted readings are durable when this is sent. */
export const IngestResultSchema = z.object({
  /** Readings accepted (new or already stored). */
  accepted: z.number().int().nonnegative(),
  /** Of the accepted, how many repeated a stored (sensor, observedAt): idempotent, stored once. */
  duplicates: z.number().int().nonnegative(),
  rejected: z.array(RejectedReadingSchema),
});
export type IngestResult = z.infer<typeof IngestResultSchema>;

const PathCountersSchema = z.object({
  /** Payloads (MQTT messages or HTTP requests) received. */
  payloads: z.number().int().nonnegative(),
  /** Readings offered, including those in rejected payloads where they could be counted. */
  received: z.number().int().nonnegative(),
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
});

/**
 * Event-loop lag of the server process over a trailing window: how late a timer due every 10 ms
 * fired, i.e. how long the loop was busy elsewhere. Every socket push, MQTT ack and HTTP answer
 * waits at least this long.
 */
export const EventLoopLagSchema = z.object({
  /** Length of the trailing window, s (the current second and the ones before it). */
  windowSec: z.number().int().positive(),
  /** Timer samples in the window (about 100 per second). */
  samples: z.number().int().nonnegative(),
  /** Median lag, ms. */
  p50Ms: z.number().nonnegative(),
  /** 99th-percentile lag, ms. */
  p99Ms: z.number().nonnegative(),
  /** Longest lag, ms. */
  maxMs: z.number().nonnegative(),
  /** Mean lag, ms. */
  meanMs: z.number().nonnegative(),
});
export type EventLoopLag = z.infer<typeof EventLoopLagSchema>;

/** `GET /api/v1/ingest/stats` */
export const IngestStatsSchema = z.object({
  since: z.number().int(),
  total: PathCountersSchema,
  byPath: z.object({ mqtt: PathCountersSchema, http: PathCountersSchema }),
  /** Rejections counted per reason (readings, or payloads where the whole payload was refused). */
  rejectedByReason: z.record(RejectionReasonSchema, z.number().int().nonnegative()),
  /** Accepted readings per sensor kind. */
  acceptedByKind: z.record(z.string(), z.number().int().nonnegative()),
  store: z.object({
    /** Readings waiting in the write queue. */
    queued: z.number().int().nonnegative(),
    /** The most readings ever queued at once since start: what the write queue's bound held. */
    queuedPeak: z.number().int().nonnegative(),
    /** Readings written (new rows). */
    written: z.number().int().nonnegative(),
    flushes: z.number().int().nonnegative(),
    /** Duration of the last flush transaction in ms. */
    lastFlushMs: z.number().nonnegative(),
    /** Flushes that failed; nothing in them was acknowledged (HTTP 503, no PUBACK), producers send again. */
    failures: z.number().int().nonnegative(),
    /**
     * Set while writes fail (disk full, database busy, I/O error): SQLite's code and message,
     * since when (epoch ms) and how many batches failed; null once a write commits again.
     */
    failing: z
      .object({
        code: z.string(),
        message: z.string(),
        since: z.number().int(),
        failures: z.number().int().positive(),
      })
      .nullable(),
  }),
  /** Readings per second over the last 10 s. */
  ratePerSec: z.number().nonnegative(),
  /** Event-loop lag over the last 10 s; null where the process does not measure it. */
  eventLoop: EventLoopLagSchema.nullable(),
  /**
   * The embedded broker's TCP connections: open now, the cap (MQTT_MAX_CONNECTIONS) and how many
   * were closed at once because it was reached. Null with an external broker.
   */
  mqttConnections: z
    .object({
      open: z.number().int().nonnegative(),
      max: z.number().int().positive(),
      refused: z.number().int().nonnegative(),
    })
    .nullable(),
});
export type IngestStats = z.infer<typeof IngestStatsSchema>;
