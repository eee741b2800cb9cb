import type { RejectionReason } from '../../shared/schemas/ingest.schema';

const HOUR = 3_600_000;
const DAY = 86_400_000;

let lastObservedAt = 0;

/**
 * A fresh observation time (epoch ms), strictly later than the previous one
 * handed out, so that no two good readings of a test file repeat a stored
 * (sensor, observedAt) and count as duplicates.
 */
export function freshTime(): number {
  lastObservedAt = Math.max(Date.now() - 1000, lastObservedAt + 1);
  return lastObservedAt;
}

/** A reading of TRF-0001 (traffic detector of the Hangzhou pack) that every check accepts. */
export function goodReading(observedAt = freshTime(), speed = 42) {
  return { sensorId: 'TRF-0001', observedAt, values: { speed, volume: 900, occupancy: 0.2 } };
}

/** One reading of the Hangzhou pack as JSON text; `values` is spliced in raw so it may hold `1e999`. */
function readingText(sensorId: string, observedAt: number | string, values: string, extra = ''): string {
  return `{"sensorId":"${sensorId}","observedAt":${JSON.stringify(observedAt)},"values":${values}${extra}}`;
}

/** A reading that ingest refuses, with the reason and field the refusal must name. */
export interface BadReadingCase {
  /** What is wrong with the reading (used in test names). */
  what: string;
  reason: RejectionReason;
  /** Path of the offending field inside the reading (`values.pm25`), '' for the whole reading. */
  path: string;
  /** Sensor whose topic the reading is published on over MQTT. */
  topicSensorId: string;
  /** The reading as JSON text: raw, because `JSON.stringify` cannot write `1e999`. */
  json(now: number): string;
}

/**
 * Bad readings for both ingest paths (HTTP body item, MQTT payload), at least
 * one per per-reading rejection reason. The server runs with default limits:
 * 300 s clock skew, 7 days raw retention, auto-registration off.
 */
export const BAD_READINGS: readonly BadReadingCase[] = [
  {
    what: 'an object that is not a reading',
    reason: 'invalid_shape',
    path: '',
    topicSensorId: 'AQ-001',
    json: () => '{"foo":1}',
  },
  {
    what: 'a value sent as a string',
    reason: 'invalid_field',
    path: 'values.pm25',
    topicSensorId: 'AQ-001',
    json: (now) => readingText('AQ-001', now, '{"pm25":"12"}'),
  },
  {
    what: 'a reading without sensorId',
    reason: 'invalid_field',
    path: 'sensorId',
    topicSensorId: 'AQ-001',
    json: (now) => `{"observedAt":${now},"values":{"pm25":12}}`,
  },
  {
    what: 'an unknown quality flag',
    reason: 'invalid_field',
    path: 'quality',
    topicSensorId: 'AQ-001',
    json: (now) => readingText('AQ-001', now, '{"pm25":12}', ',"quality":"great"'),
  },
  {
    what: 'a value of 1e999',
    reason: 'non_finite',
    path: 'values.pm25',
    topicSensorId: 'AQ-001',
    json: (now) => readingText('AQ-001', now, '{"pm25":1e999}'),
  },
  {
    what: 'an observation time in words',
    reason: 'invalid_timestamp',
    path: 'observedAt',
    topicSensorId: 'AQ-001',
    json: () => readingText('AQ-001', 'yesterday', '{"pm25":12}'),
  },
  {
    // The ISO format check knows month lengths: the date is refused, not rolled over to 2 March.
    what: 'the 30th of February',
    reason: 'invalid_timestamp',
    path: 'observedAt',
    topicSensorId: 'AQ-001',
    json: () => readingText('AQ-001', '2026-02-30T00:00:00Z', '{"pm25":12}'),
  },
  {
    what: 'an observation an hour in the future',
    reason: 'future_timestamp',
    path: 'observedAt',
    topicSensorId: 'AQ-001',
    json: (now) => readingText('AQ-001', now + HOUR, '{"pm25":12}'),
  },
  {
    what: 'an observation 30 days old',
    reason: 'stale_timestamp',
    path: 'observedAt',
    topicSensorId: 'AQ-001',
    json: (now) => readingText('AQ-001', now - 30 * DAY, '{"pm25":12}'),
  },
  {
    what: 'a sensor that is not registered',
    reason: 'unknown_sensor',
    path: 'sensorId',
    topicSensorId: 'NOPE-404',
    json: (now) => readingText('NOPE-404', now, '{"pm25":12}'),
  },
  {
    what: 'a metric outside the catalog',
    reason: 'unknown_metric',
    path: 'values.radiation',
    topicSensorId: 'AQ-001',
    json: (now) => readingText('AQ-001', now, '{"radiation":3}'),
  },
  {
    what: 'PM2.5 from a traffic detector',
    reason: 'unknown_metric',
    path: 'values.pm25',
    topicSensorId: 'TRF-0001',
    json: (now) => readingText('TRF-0001', now, '{"speed":40,"pm25":12}'),
  },
  {
    what: 'an occupancy of 1.5',
    reason: 'out_of_range',
    path: 'values.occupancy',
    topicSensorId: 'TRF-0001',
    json: (now) => readingText('TRF-0001', now, '{"occupancy":1.5}'),
  },
  {
    what: 'a speed of -3 km/h',
    reason: 'out_of_range',
    path: 'values.speed',
    topicSensorId: 'TRF-0001',
    json: (now) => readingText('TRF-0001', now, '{"speed":-3}'),
  },
];

/** Payloads that are JSON but hold no reading at all (refused whole as `invalid_shape` on MQTT). */
export const NOT_READINGS = ['42', '"AQ-001"', 'null', '[]'] as const;

/** Bodies that are JSON but not `{ "readings": [ … ] }` with at least one item (refused whole on HTTP). */
export const NOT_READING_BODIES = ['42', '{"foo":1}', '{"readings":"AQ-001"}', '{"readings":[]}'] as const;

/** Text that is not JSON. */
export const MALFORMED_JSON = '{"sensorId":"AQ-001","observedAt":';

/** `count` valid readings of TRF-0001 one millisecond apart (for batch limits). */
export function readingsBatch(count: number): ReturnType<typeof goodReading>[] {
  const start = freshTime();
  lastObservedAt = start + count;
  return Array.from({ length: count }, (_, i) => goodReading(start + i));
}
