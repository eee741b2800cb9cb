import { describe, expect, it } from 'vitest';
import { ReadingSchema } from '../../shared/schemas/reading.schema';
import { DEFAULT_CITY_PACK_DIR, loadCityPack } from '../../server/src/cityPack/cityPack.loader';
import { ReadingFactory } from '../../simulators/src/load/readingFactory';
import { holds, instantRules } from '../helpers/instantRules';

const sensors = loadCityPack(DEFAULT_CITY_PACK_DIR).sensors;
const T = Date.parse('2026-11-21T06:30:00Z');

describe('ReadingFactory', () => {
  it('reports every sensor in turn with readings the ingest schema accepts, observed at the send time', () => {
    const readings = new ReadingFactory(sensors);
    readings.refresh(T);
    const seen = new Set<string>();
    for (let i = 0; i < sensors.length; i++) {
      const r = readings.next(T + 0.4);
      const parsed = ReadingSchema.parse(JSON.parse(r.json));
      expect(parsed.sensorId).toBe(r.sensorId);
      expect(r.observedAt).toBe(T);
      seen.add(r.sensorId);
    }
    expect(seen.size).toBe(sensors.length);
    expect(readings.next(T + 0.6).observedAt).toBe(T + 1);
  });

  it('moves a sensor on by at least 1 ms per reading, so the store never sees it twice at one time', () => {
    const one = [sensors[0]!];
    const readings = new ReadingFactory(one);
    const times = [
      readings.next(T).observedAt,
      readings.next(T).observedAt,
      readings.breach(one[0]!.id, {}, T).observedAt,
    ];
    expect(times).toEqual([T, T + 1, T + 2]);
    expect(readings.next(T + 10).observedAt).toBe(T + 10);
  });

  it('sends quiet values: no default rule that fires on one reading fires on them', () => {
    const readings = new ReadingFactory(sensors);
    for (const hour of [0, 8, 14, 18]) {
      readings.refresh(Date.parse('2026-11-21T00:00:00+08:00') + hour * 3_600_000);
      for (let i = 0; i < sensors.length; i++) {
        const r = readings.next(T);
        const values = (JSON.parse(r.json) as { values: Record<string, number> }).values;
        const sensor = sensors.find((s) => s.id === r.sensorId)!;
        for (const rule of instantRules(sensor)) {
          const v = values[rule.metric];
          if (v === undefined) continue;
          expect(
            rule.levels.some((l) => holds(v, l)),
            `${r.sensorId} ${rule.metric}=${v} at ${hour}h`,
          ).toBe(false);
        }
      }
    }
  });

  it('merges breach values over the quiet ones', () => {
    const bin = sensors.find((s) => s.subtype === 'waste-bin')!;
    const readings = new ReadingFactory(sensors);
    const values = (JSON.parse(readings.breach(bin.id, { fillLevel: 95 }, T).json) as { values: object })
      .values;
    expect(values).toMatchObject({ fillLevel: 95 });
    expect(Object.keys(values).sort()).toEqual(bin.metrics.map((m) => m.metric).sort());
  });
});
