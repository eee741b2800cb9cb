import { describe, expect, it } from 'vitest';
import { DEFAULT_CITY_PACK_DIR, loadCityPack } from '../../server/src/cityPack/cityPack.loader';
import { ReadingFactory } from '../../simulators/src/load/readingFactory';
import { holds, instantRules } from '../helpers/instantRules';
import { planBreaches } from './browserLoad';
import {
  firstReadingKey,
  MessageBuilder,
  planInjections,
  spreadBreaches,
  type BreachInjection,
} from './liveReadings';

const sensors = loadCityPack(DEFAULT_CITY_PACK_DIR).sensors;
const subtypeOf = new Map(sensors.map((s) => [s.id, s.subtype]));
const T = Date.parse('2026-11-21T06:30:00Z');

describe('planInjections', () => {
  const rows = 9;
  const plan = planInjections(planBreaches(sensors, rows * 20), rows, 20);

  it('gives each row its share of the breaches', () => {
    expect(plan).toHaveLength(rows);
    for (const row of plan) expect(row).toHaveLength(20);
  });

  it('uses each sensor once in the whole run: an alert already open is not raised again', () => {
    const ids = plan.flat().map((b) => b.sensorId);
    expect(new Set(ids).size).toBe(rows * 20);
  });

  it('mixes the subtypes in every row, each breach on a rule that fires on its first reading', () => {
    for (const row of plan) {
      expect(new Set(row.map((b) => subtypeOf.get(b.sensorId))).size).toBeGreaterThanOrEqual(4);
      for (const b of row) {
        const sensor = sensors.find((s) => s.id === b.sensorId)!;
        const fires = instantRules(sensor).some(
          (rule) => rule.metric in b.values && rule.levels.some((l) => holds(b.values[rule.metric]!, l)),
        );
        expect(fires, `${b.sensorId} ${JSON.stringify(b.values)}`).toBe(true);
      }
    }
  });

  it('refuses a plan with fewer sensors than rows × breaches', () => {
    expect(() => planInjections(planBreaches(sensors, 20), 2, 20)).toThrow(
      /need 40 sensors; the plan has 20/,
    );
  });
});

describe('spreadBreaches', () => {
  it('spreads the breaches of a row evenly over the window, at (j + ½) × window ÷ count', () => {
    const planned = planInjections(planBreaches(sensors, 20), 1, 20)[0]!;
    const spread = spreadBreaches(planned, 9_500);
    expect(spread.map((b) => b.atMs)).toEqual(Array.from({ length: 20 }, (_, j) => (j + 0.5) * 475));
    expect(spread.map((b) => b.sensorId)).toEqual(planned.map((b) => b.sensorId));
    // Every breach is due before the window ends, so the last message still carries one.
    expect(Math.max(...spread.map((b) => b.atMs))).toBeLessThan(9_500);
  });
});

describe('MessageBuilder', () => {
  const injections: BreachInjection[] = [
    { sensorId: sensors.find((s) => s.subtype === 'smoke')!.id, values: { smoke: 8 }, atMs: 100 },
    { sensorId: sensors.find((s) => s.subtype === 'manhole')!.id, values: { tilt: 20 }, atMs: 150 },
    { sensorId: sensors.find((s) => s.subtype === 'waste-bin')!.id, values: { fillLevel: 95 }, atMs: 900 },
  ];

  it('puts the breaches due by a message first, stamped with its send time, and fills it with quiet readings', () => {
    const builder = new MessageBuilder(new ReadingFactory(sensors), 500, injections);
    expect(builder.build(50, T).breaches).toEqual([]);
    // The message due at 160 ms carries both breaches due by then, even though one was due at 100.
    const msg = builder.build(160, T + 160);
    expect(msg.readings).toHaveLength(500);
    expect(msg.breaches).toEqual([
      { sensorId: injections[0]!.sensorId, sentAt: T + 160 },
      { sensorId: injections[1]!.sensorId, sentAt: T + 160 },
    ]);
    expect(msg.readings.slice(0, 2).map((r) => r.sensorId)).toEqual([
      injections[0]!.sensorId,
      injections[1]!.sensorId,
    ]);
    expect(builder.unsent()).toBe(1);
  });

  it('sends one breach per single-reading message, in order', () => {
    const builder = new MessageBuilder(new ReadingFactory(sensors), 1, injections);
    const first = builder.build(200, T);
    const second = builder.build(201, T);
    expect(first.readings.map((r) => r.sensorId)).toEqual([injections[0]!.sensorId]);
    expect(second.readings.map((r) => r.sensorId)).toEqual([injections[1]!.sensorId]);
    expect(builder.build(202, T).breaches).toEqual([]);
    expect(builder.unsent()).toBe(1);
  });
});

describe('firstReadingKey', () => {
  const a = '{"sensorId":"SMK-0001","observedAt":1763700000123,"values":{"smoke":0.1}}';
  const b = '{"sensorId":"MH-0002","observedAt":1763700000124,"values":{"tilt":1}}';

  it('reads the sensor and time of the first reading of a batch, a single reading, or their bytes', () => {
    expect(firstReadingKey(`[${a},${b}]`)).toBe('SMK-0001|1763700000123');
    expect(firstReadingKey(b)).toBe('MH-0002|1763700000124');
    expect(firstReadingKey(Buffer.from(`[${b},${a}]`))).toBe('MH-0002|1763700000124');
  });

  it('finds nothing in a payload that does not start with a reading', () => {
    expect(firstReadingKey('{"readings":"none"}')).toBeNull();
    expect(firstReadingKey(Buffer.alloc(0))).toBeNull();
  });
});
