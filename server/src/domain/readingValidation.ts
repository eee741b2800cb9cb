import { isMetricId, METRICS } from '@shared/metrics';
import type { RejectionReason } from '@shared/schemas/ingest.schema';
import { ReadingSchema, type Reading } from '@shared/schemas/reading.schema';

/** What the validator needs to know about a registered sensor. */
export interface KnownSensor {
  id: string;
  /** Metric ids the sensor reports. */
  metrics: ReadonlySet<string>;
}

export interface ReadingCheckContext {
  /** Current time, epoch ms (passed in: the domain has no clock). */
  now: number;
  /** Largest accepted lead of observedAt over `now`, ms. */
  maxFutureMs: number;
  /** Largest accepted age of observedAt, ms. */
  maxAgeMs: number;
  sensorOf(id: string): KnownSensor | undefined;
  /** Accept readings of unknown sensors (they will be registered). */
  autoRegister: boolean;
  /** Sensor named by the MQTT topic the reading came on, if any. */
  topicSensorId?: string | undefined;
}

export interface Rejection {
  reason: RejectionReason;
  /** Path of the offending field inside the reading (`values.pm25`), '' for the whole reading. */
  path: string;
  message: string;
}

export type ReadingCheck =
  { ok: true; reading: Reading; known: boolean } | { ok: false; rejection: Rejection };

function reject(reason: RejectionReason, path: string, message: string): ReadingCheck {
  return { ok: false, rejection: { reason, path, message } };
}

const READING_FIELDS = ['sensorId', 'observedAt', 'values'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validate one reading as it arrived (parsed JSON, not yet trusted) and
 * normalize it. Pure: everything it depends on is in `ctx`. Never throws for
 * bad input; every refusal carries one reason, the field path and a sentence.
 */
export function checkReading(input: unknown, ctx: ReadingCheckContext): ReadingCheck {
  if (!isRecord(input)) return reject('invalid_shape', '', 'a reading must be a JSON object');
  // An object with none of a reading's fields is something else sent to the wrong place, not a reading with a bad field.
  if (!READING_FIELDS.some((f) => Object.hasOwn(input, f))) {
    return reject('invalid_shape', '', 'not a reading: expected sensorId, observedAt and values');
  }

  // JSON can carry 1e999, which parses to Infinity: name it rather than calling it a type error.
  const rawValues = input['values'];
  if (isRecord(rawValues)) {
    for (const [metric, value] of Object.entries(rawValues)) {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        return reject(
          'non_finite',
          `values.${metric}`,
          `${metric} is ${String(value)}; values must be finite numbers`,
        );
      }
    }
  }

  const parsed = ReadingSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.map(String).join('.') : '';
    const message = issue ? `${path || 'reading'}: ${issue.message}` : 'invalid reading';
    return reject(path.startsWith('observedAt') ? 'invalid_timestamp' : 'invalid_field', path, message);
  }
  const reading = parsed.data;

  if (!Number.isFinite(reading.observedAt)) {
    return reject('invalid_timestamp', 'observedAt', 'observedAt is not a real calendar time');
  }
  if (ctx.topicSensorId !== undefined && ctx.topicSensorId !== reading.sensorId) {
    return reject(
      'topic_mismatch',
      'sensorId',
      `topic names sensor ${ctx.topicSensorId} but the payload says ${reading.sensorId}`,
    );
  }
  if (reading.observedAt > ctx.now + ctx.maxFutureMs) {
    const aheadSec = Math.round((reading.observedAt - ctx.now) / 1000);
    return reject(
      'future_timestamp',
      'observedAt',
      `observedAt is ${aheadSec} s in the future (device clock?)`,
    );
  }
  if (reading.observedAt < ctx.now - ctx.maxAgeMs) {
    const days = ((ctx.now - reading.observedAt) / 86_400_000).toFixed(1);
    return reject(
      'stale_timestamp',
      'observedAt',
      `observedAt is ${days} days old, older than raw retention`,
    );
  }

  const sensor = ctx.sensorOf(reading.sensorId);
  if (!sensor && !ctx.autoRegister) {
    return reject('unknown_sensor', 'sensorId', `sensor ${reading.sensorId} is not registered`);
  }

  // The metrics as sent, not as parsed: the schema drops a `__proto__` member, which must be
  // refused like any other unknown metric rather than vanish from an accepted reading.
  for (const metric of Object.keys(rawValues as Record<string, unknown>)) {
    const value = reading.values[metric]!;
    if (!isMetricId(metric)) {
      return reject('unknown_metric', `values.${metric}`, `${metric} is not a known metric`);
    }
    if (sensor && !sensor.metrics.has(metric)) {
      return reject('unknown_metric', `values.${metric}`, `sensor ${sensor.id} does not report ${metric}`);
    }
    const info = METRICS[metric];
    if (value < info.min || value > info.max) {
      return reject(
        'out_of_range',
        `values.${metric}`,
        `${metric} = ${value} ${info.unit} is outside the plausible range ${info.min}–${info.max}`,
      );
    }
  }

  return { ok: true, reading, known: sensor !== undefined };
}
