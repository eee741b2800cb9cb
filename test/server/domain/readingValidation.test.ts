import { describe, expect, it } from 'vitest';
import {
  checkReading,
  type KnownSensor,
  type ReadingCheckContext,
} from '../../../server/src/domain/readingValidation';

const NOW = Date.parse('2026-11-21T08:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

const SENSORS: Record<string, KnownSensor> = {
  'TRF-1': { id: 'TRF-1', metrics: new Set(['speed', 'volume', 'occupancy']) },
  'AQ-1': { id: 'AQ-1', metrics: new Set(['pm25', 'pm10']) },
  'WX-1': { id: 'WX-1', metrics: new Set(['temperature']) },
};

function ctx(overrides: Partial<ReadingCheckContext> = {}): ReadingCheckContext {
  return {
    now: NOW,
    maxFutureMs: 5 * MINUTE,
    maxAgeMs: 7 * DAY,
    autoRegister: false,
    sensorOf: (id) => SENSORS[id],
    ...overrides,
  };
}

const reading = (over: Record<string, unknown> = {}) => ({
  sensorId: 'TRF-1',
  observedAt: NOW - MINUTE,
  values: { speed: 40 },
  ...over,
});

/** The rejection of `input`, or a failure naming what was accepted. */
function rejectionOf(input: unknown, context = ctx()) {
  const check = checkReading(input, context);
  if (check.ok) throw new Error(`expected a rejection, got ${JSON.stringify(check.reading)}`);
  return check.rejection;
}

describe('checkReading', () => {
  it('accepts a valid reading of a registered sensor and marks it known', () => {
    expect(checkReading(reading({ quality: 'suspect' }), ctx())).toEqual({
      ok: true,
      known: true,
      reading: { sensorId: 'TRF-1', observedAt: NOW - MINUTE, values: { speed: 40 }, quality: 'suspect' },
    });
  });

  it('normalizes an ISO observation time with an offset to epoch milliseconds', () => {
    const check = checkReading(reading({ observedAt: '2026-11-21T15:59:00+08:00' }), ctx());
    expect(check).toMatchObject({ ok: true, reading: { observedAt: NOW - MINUTE } });
  });

  it.each([42, 'TRF-1', null, [reading()], true])(
    'refuses %j as invalid_shape: a reading is a JSON object',
    (input) => {
      expect(rejectionOf(input)).toEqual({ reason: 'invalid_shape', path: '', message: expect.any(String) });
    },
  );

  it('refuses an object with none of the reading fields as invalid_shape', () => {
    expect(rejectionOf({ foo: 1 })).toEqual({
      reason: 'invalid_shape',
      path: '',
      message: expect.any(String),
    });
  });

  it.each([
    ['a value sent as a string', reading({ values: { speed: '40' } }), 'values.speed'],
    ['a missing sensorId', { observedAt: NOW, values: { speed: 40 } }, 'sensorId'],
    ['a sensorId that cannot be a topic level', reading({ sensorId: 'TRF/1' }), 'sensorId'],
    ['an unknown quality flag', reading({ quality: 'great' }), 'quality'],
    ['no values at all', reading({ values: {} }), 'values'],
    ['values given as an array', reading({ values: [40] }), 'values'],
  ])('refuses %s as invalid_field naming the field', (_what, input, path) => {
    expect(rejectionOf(input)).toEqual({ reason: 'invalid_field', path, message: expect.any(String) });
  });

  it.each([Infinity, -Infinity, NaN])('refuses a value of %s as non_finite', (value) => {
    expect(rejectionOf(reading({ values: { speed: value } }))).toEqual({
      reason: 'non_finite',
      path: 'values.speed',
      message: expect.stringContaining('finite'),
    });
  });

  it.each([
    ['words', 'yesterday'],
    ['the 30th of February', '2026-02-30T00:00:00Z'],
    ['a time without offset', '2026-11-21T08:00:00'],
    ['a negative epoch', -1],
    ['a fractional epoch', NOW + 0.5],
  ])('refuses an observation time given as %s as invalid_timestamp', (_what, observedAt) => {
    expect(rejectionOf(reading({ observedAt }))).toEqual({
      reason: 'invalid_timestamp',
      path: 'observedAt',
      message: expect.any(String),
    });
  });

  it('accepts an observation exactly at the allowed clock skew and refuses one a millisecond later', () => {
    expect(checkReading(reading({ observedAt: NOW + 5 * MINUTE }), ctx()).ok).toBe(true);
    expect(rejectionOf(reading({ observedAt: NOW + 5 * MINUTE + 1 }))).toEqual({
      reason: 'future_timestamp',
      path: 'observedAt',
      message: expect.stringContaining('300 s in the future'),
    });
  });

  it('accepts an observation exactly at the accepted age and refuses one a millisecond older', () => {
    expect(checkReading(reading({ observedAt: NOW - 7 * DAY }), ctx()).ok).toBe(true);
    expect(rejectionOf(reading({ observedAt: NOW - 7 * DAY - 1 }))).toEqual({
      reason: 'stale_timestamp',
      path: 'observedAt',
      message: expect.any(String),
    });
  });

  it('refuses a reading of an unregistered sensor as unknown_sensor', () => {
    expect(rejectionOf(reading({ sensorId: 'NOPE-1' }))).toEqual({
      reason: 'unknown_sensor',
      path: 'sensorId',
      message: expect.stringContaining('NOPE-1'),
    });
  });

  it('accepts a reading of an unregistered sensor when auto-registration is on, marked unknown', () => {
    expect(checkReading(reading({ sensorId: 'NEW-1' }), ctx({ autoRegister: true }))).toMatchObject({
      ok: true,
      known: false,
      reading: { sensorId: 'NEW-1' },
    });
  });

  it('refuses a metric outside the catalog as unknown_metric, even with auto-registration on', () => {
    const expected = { reason: 'unknown_metric', path: 'values.radiation', message: expect.any(String) };
    expect(rejectionOf(reading({ values: { radiation: 3 } }))).toEqual(expected);
    expect(
      rejectionOf(reading({ sensorId: 'NEW-1', values: { radiation: 3 } }), ctx({ autoRegister: true })),
    ).toEqual(expected);
  });

  it.each(['{"speed":40,"__proto__":12}', '{"__proto__":{"speed":1},"speed":40}'])(
    'refuses a __proto__ metric as unknown_metric instead of dropping it (values %s)',
    (values) => {
      // JSON.parse makes `__proto__` an own member; the schema alone would silently drop it.
      const input: unknown = JSON.parse(
        `{"sensorId":"TRF-1","observedAt":${NOW - MINUTE},"values":${values}}`,
      );
      expect(rejectionOf(input)).toEqual({
        reason: 'unknown_metric',
        path: 'values.__proto__',
        message: expect.stringContaining('__proto__'),
      });
    },
  );

  it('refuses a catalog metric the sensor does not report as unknown_metric', () => {
    expect(rejectionOf(reading({ values: { speed: 40, pm25: 12 } }))).toEqual({
      reason: 'unknown_metric',
      path: 'values.pm25',
      message: expect.stringContaining('TRF-1 does not report pm25'),
    });
  });

  it.each([
    ['occupancy', 1.5],
    ['occupancy', 1.0001],
    ['speed', -3],
    ['speed', 250.1],
  ])('refuses %s = %s as out_of_range', (metric, value) => {
    expect(rejectionOf(reading({ values: { [metric]: value } }))).toEqual({
      reason: 'out_of_range',
      path: `values.${metric}`,
      message: expect.any(String),
    });
  });

  it.each([
    ['TRF-1', 'occupancy', 0],
    ['TRF-1', 'occupancy', 1],
    ['TRF-1', 'speed', 250],
    ['WX-1', 'temperature', -50],
    ['AQ-1', 'pm25', 900],
  ])('accepts %s %s = %s at or inside the plausible range', (sensorId, metric, value) => {
    expect(checkReading(reading({ sensorId, values: { [metric]: value } }), ctx()).ok).toBe(true);
  });

  it('refuses a reading whose topic names another sensor as topic_mismatch', () => {
    expect(rejectionOf(reading(), ctx({ topicSensorId: 'TRF-2' }))).toEqual({
      reason: 'topic_mismatch',
      path: 'sensorId',
      message: expect.stringContaining('TRF-2'),
    });
  });

  it('accepts a reading whose topic names its own sensor', () => {
    expect(checkReading(reading(), ctx({ topicSensorId: 'TRF-1' })).ok).toBe(true);
  });

  it('never throws, whatever the input', () => {
    const odd: unknown[] = [
      undefined,
      {},
      { values: null },
      { sensorId: 1, observedAt: {}, values: 'x' },
      { ...reading(), values: { ['x'.repeat(40)]: 1 } },
      Object.create(null),
      reading({ observedAt: Number.MAX_VALUE }),
    ];
    for (const input of odd) expect(checkReading(input, ctx()).ok).toBe(false);
  });
});
