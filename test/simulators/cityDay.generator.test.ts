import { describe, expect, it } from 'vitest';
import { METRICS, type MetricId } from '@shared/metrics';
import type { Sensor } from '@shared/schemas/sensor.schema';
import { loadCityPack, resolveCityPackDir } from '../../server/src/cityPack/cityPack.loader';
import {
  cityDayValues,
  shanghaiHour,
  shanghaiWeekday,
  trafficDemand,
  type GeneratorContext,
} from '../../simulators/src/cityDay.generator';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const sensors = pack.sensors.filter((s) => !s.autoRegistered);
const ofSubtype = (subtype: Sensor['subtype']) => sensors.filter((s) => s.subtype === subtype);
const loops = ofSubtype('loop-detector');
const aqStations = ofSubtype('aq-station');
const streetlights = ofSubtype('streetlight');
const bins = ofSubtype('waste-bin');

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Midnight in Hangzhou (UTC+8) of Monday 23 November 2026 and of Saturday 28 November 2026. */
const MONDAY = Date.parse('2026-11-23T00:00:00+08:00');
const SATURDAY = Date.parse('2026-11-28T00:00:00+08:00');
const CTX: GeneratorContext = { seed: 1 };

/** Local time `h` hours after a midnight. */
const at = (day: number, h: number) => day + h * HOUR;
/** Local hours of a day every `stepMin` minutes from `from` (inclusive) to `to` (exclusive). */
function hours(from: number, to: number, stepMin = 5): number[] {
  const out: number[] = [];
  for (let m = from * 60; m < to * 60; m += stepMin) out.push(m / 60);
  return out;
}
const argmax = (xs: readonly number[], f: (x: number) => number) =>
  xs.reduce((best, x) => (f(x) > f(best) ? x : best), xs[0]!);
const argmin = (xs: readonly number[], f: (x: number) => number) => argmax(xs, (x) => -f(x));
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const freeFlow = (s: Sensor) => s.road?.freeFlowKmh ?? 40;

/** Mean of a metric over sensors and over the readings of the ten minutes starting at local hour `h`. */
function meanOf(list: readonly Sensor[], metric: string, t: number, ctx: GeneratorContext = CTX): number {
  const values: number[] = [];
  for (const s of list)
    for (let k = 0; k < 10; k++) values.push(cityDayValues(s, t + k * MINUTE, ctx)[metric]!);
  return mean(values);
}

/** Network-wide mean of speed ÷ free-flow speed at `t`. */
function speedRatio(t: number, ctx: GeneratorContext = CTX): number {
  return mean(loops.map((s) => cityDayValues(s, t, ctx)['speed']! / freeFlow(s)));
}

describe('city-day baseline (cityDay.generator)', () => {
  it('places the dates of these tests on a Monday and a Saturday in Asia/Shanghai', () => {
    expect(shanghaiWeekday(MONDAY)).toBe(1);
    expect(shanghaiWeekday(SATURDAY)).toBe(6);
    expect(shanghaiHour(at(MONDAY, 8))).toBeCloseTo(8, 9);
    // 23:30 UTC on Sunday is already 07:30 on Monday in Hangzhou.
    expect(shanghaiWeekday(Date.parse('2026-11-22T23:30:00Z'))).toBe(1);
    expect(shanghaiHour(Date.parse('2026-11-22T23:30:00Z'))).toBeCloseTo(7.5, 9);
  });

  it('peaks traffic demand around 08:00 and 18:00 on a workday and bottoms it out at night', () => {
    const demand = (h: number) => trafficDemand(at(MONDAY, h));
    const morning = argmax(hours(5, 12), demand);
    const evening = argmax(hours(15, 22), demand);
    expect(morning).toBeGreaterThanOrEqual(7.75);
    expect(morning).toBeLessThanOrEqual(8.75);
    expect(evening).toBeGreaterThanOrEqual(17.5);
    expect(evening).toBeLessThanOrEqual(18.5);
    expect(demand(morning)).toBeGreaterThan(0.85);
    expect(demand(evening)).toBeGreaterThan(0.85);
    // A real trough between the peaks.
    expect(demand(12)).toBeLessThan(0.6 * demand(morning));
    // The quietest time of the day is at night, and it is much quieter than the peaks.
    const quietest = argmin(hours(0, 24), demand);
    expect(quietest < 5 || quietest >= 22).toBe(true);
    expect(demand(quietest)).toBeLessThan(0.1);
    expect(demand(3)).toBeLessThan(0.15);
  });

  it('has no morning rush on a Saturday: demand only grows towards a broad afternoon maximum', () => {
    const saturday = (h: number) => trafficDemand(at(SATURDAY, h));
    const monday = (h: number) => trafficDemand(at(MONDAY, h));
    expect(saturday(8)).toBeLessThan(0.5 * monday(8));
    // From 06:00 to 12:00 it only rises: no local maximum near 08:00.
    const morning = hours(6, 12, 10);
    for (let i = 1; i < morning.length; i++)
      expect(saturday(morning[i]!)).toBeGreaterThanOrEqual(saturday(morning[i - 1]!));
    const busiest = argmax(hours(0, 24), saturday);
    expect(busiest).toBeGreaterThanOrEqual(12);
    expect(busiest).toBeLessThanOrEqual(17);
    // Sunday is a weekend day too.
    const sunday = SATURDAY + 24 * HOUR;
    expect(trafficDemand(at(sunday, 8))).toBeCloseTo(saturday(8), 9);
  });

  it('slows loop detectors most in the rush hours and leaves them near free flow at night', () => {
    const day = hours(0, 24, 15);
    const ratio = (h: number) => speedRatio(at(MONDAY, h));
    const ratios = new Map(day.map((h) => [h, ratio(h)]));
    const slowestMorning = argmin(hours(5, 12, 15), (h) => ratios.get(h)!);
    const slowestEvening = argmin(hours(15, 22, 15), (h) => ratios.get(h)!);
    expect(slowestMorning).toBeGreaterThanOrEqual(7.75);
    expect(slowestMorning).toBeLessThanOrEqual(8.75);
    expect(slowestEvening).toBeGreaterThanOrEqual(17.5);
    expect(slowestEvening).toBeLessThanOrEqual(18.5);
    // The slowest time of the whole day is one of the two rush hours.
    expect([slowestMorning, slowestEvening]).toContain(argmin(day, (h) => ratios.get(h)!));
    expect(ratios.get(slowestMorning)!).toBeLessThan(0.75);
    expect(ratios.get(slowestEvening)!).toBeLessThan(0.8);
    for (const h of [0, 2, 3, 4, 23]) expect(ratios.get(h)!, `${h}:00`).toBeGreaterThan(0.97);
    // Midday flows well, if not freely.
    expect(ratios.get(12)!).toBeGreaterThan(0.9);
  });

  it('puts only a minority of detectors (the bottlenecks) into 中度拥堵 at the morning peak', () => {
    // 中度拥堵 per GB/T 33171: delay ratio ≥ 0.6, i.e. speed at most 40 % of free flow. Each detector
    // is judged by its mean speed over the ten minutes around the peak of demand (every 20 s), so
    // noise cannot tip it either way.
    const peak = at(
      MONDAY,
      argmax(hours(5, 12), (h) => trafficDemand(at(MONDAY, h))),
    );
    const congestedAt = (t: number) =>
      loops.filter((s) => {
        const speeds: number[] = [];
        for (let k = -15; k < 15; k++) speeds.push(cityDayValues(s, t + k * 20_000, CTX)['speed']!);
        return mean(speeds) < 0.4 * freeFlow(s);
      });
    const atPeak = congestedAt(peak);
    expect(atPeak.length).toBeGreaterThan(0);
    // About one detector in twelve sits on a bottleneck (the generator draws 8 %); not all of them
    // reach 中度拥堵 even at the very peak (11 of the 195 detectors, about one in eighteen, for this
    // seed): fewer than one in ten.
    expect(atPeak.length / loops.length).toBeLessThan(0.1);
    // Half an hour before the peak, only the real bottlenecks are congested.
    expect(congestedAt(peak - 30 * MINUTE).length / loops.length).toBeLessThan(0.1);
    // Nobody is congested at 03:00.
    expect(congestedAt(at(MONDAY, 3))).toEqual([]);
  });

  it('peaks ozone in the afternoon and keeps it low at night', () => {
    const o3 = (h: number) => meanOf(aqStations, 'o3', at(MONDAY, h));
    const day = hours(0, 24, 30);
    const peak = argmax(day, o3);
    expect(peak).toBeGreaterThanOrEqual(13);
    expect(peak).toBeLessThanOrEqual(17);
    expect(o3(peak)).toBeGreaterThan(120);
    for (const h of [0, 3, 22]) expect(o3(h), `${h}:00`).toBeLessThan(0.4 * o3(peak));
  });

  it('follows traffic with NO2: every station reads more at 08:00 than at 03:00', () => {
    for (const s of aqStations) {
      const rush = cityDayValues(s, at(MONDAY, 8), CTX)['no2']!;
      const night = cityDayValues(s, at(MONDAY, 3), CTX)['no2']!;
      expect(rush, s.id).toBeGreaterThan(night + 10);
    }
    // And the network mean follows the weekday rush: Saturday 08:00 is well below Monday 08:00.
    expect(meanOf(aqStations, 'no2', at(SATURDAY, 8))).toBeLessThan(
      meanOf(aqStations, 'no2', at(MONDAY, 8)) - 10,
    );
  });

  it('switches working streetlights on at night and off at noon', () => {
    const working = streetlights.filter((s) => cityDayValues(s, at(MONDAY, 12), CTX)['lampFault'] === 0);
    // A few lamps are broken from the start, but only a few.
    expect(working.length).toBeGreaterThan(0.95 * streetlights.length);
    for (const h of [0, 3, 5.5, 18.5, 22]) {
      const on = working.filter((s) => cityDayValues(s, at(MONDAY, h), CTX)['lampOn'] === 1);
      expect(on.length, `${h}:00`).toBe(working.length);
    }
    for (const h of [8, 12, 15])
      expect(
        streetlights.filter((s) => cityDayValues(s, at(MONDAY, h), CTX)['lampOn'] === 1),
        `${h}:00`,
      ).toEqual([]);
    // A broken lamp stays dark at night.
    for (const s of streetlights.filter((x) => !working.includes(x)))
      expect(cityDayValues(s, at(MONDAY, 22), CTX)['lampOn']).toBe(0);
  });

  it('fills waste bins through the day and empties them at 06:00', () => {
    const fill = (h: number) => meanOf(bins, 'fillLevel', at(MONDAY, h));
    const through = [6.5, 9, 12, 15, 18, 21, 24 + 3, 24 + 5.5].map(fill);
    for (let i = 1; i < through.length; i++) expect(through[i]!).toBeGreaterThan(through[i - 1]!);
    expect(fill(6.1)).toBeLessThan(5);
    expect(fill(5.7)).toBeGreaterThan(60);
    // Each bin: nearly full just before the round, nearly empty just after it.
    for (const s of bins) {
      const before = cityDayValues(s, at(MONDAY, 5.9), CTX)['fillLevel']!;
      const after = cityDayValues(s, at(MONDAY, 6.1), CTX)['fillLevel']!;
      expect(before - after, s.id).toBeGreaterThan(50);
      expect(before).toBeLessThanOrEqual(100);
      expect(after).toBeGreaterThanOrEqual(0);
    }
  });

  it('scales traffic with trafficScale and background pollution with airScale', () => {
    const t = at(MONDAY, 10);
    // No demand at all: everyone at free flow, (almost) nobody on the road.
    expect(speedRatio(t, { seed: 1, trafficScale: 0 })).toBeGreaterThan(0.98);
    expect(meanOf(loops, 'volume', t, { seed: 1, trafficScale: 0 })).toBeLessThan(60);
    // A heavier day: slower and busier than an ordinary one, which is slower and busier than a light one.
    const light = { seed: 1, trafficScale: 0.5 };
    const heavy = { seed: 1, trafficScale: 1.5 };
    expect(speedRatio(t, heavy)).toBeLessThan(speedRatio(t, CTX) - 0.05);
    expect(speedRatio(t, CTX)).toBeLessThan(speedRatio(t, light));
    expect(meanOf(loops, 'volume', t, heavy)).toBeGreaterThan(1.2 * meanOf(loops, 'volume', t));
    expect(meanOf(loops, 'volume', t)).toBeGreaterThan(1.5 * meanOf(loops, 'volume', t, light));
    // Traffic also drives NO2 and CO at the air stations.
    expect(meanOf(aqStations, 'no2', t, heavy)).toBeGreaterThan(meanOf(aqStations, 'no2', t) + 5);

    // Twice the background pollution: about twice the PM2.5, PM10 and NO2; ozone is photochemistry,
    // not background.
    const dirty = { seed: 1, airScale: 2 };
    for (const metric of ['pm25', 'pm10', 'no2']) {
      const ratio = meanOf(aqStations, metric, t, dirty) / meanOf(aqStations, metric, t);
      expect(ratio, metric).toBeGreaterThan(1.8);
      expect(ratio, metric).toBeLessThan(2.2);
    }
    expect(meanOf(aqStations, 'o3', t, dirty)).toBeCloseTo(meanOf(aqStations, 'o3', t), 5);
    // airScale leaves the roads alone.
    expect(speedRatio(t, dirty)).toBe(speedRatio(t, CTX));
  });

  it('is a pure function of sensor, time and seed: another seed is another, equally shaped day', () => {
    const t = at(MONDAY, 8);
    for (const s of [loops[0]!, aqStations[0]!, bins[0]!])
      expect(cityDayValues(s, t, { seed: 7 })).toEqual(cityDayValues(s, t, { seed: 7 }));
    const seed7 = loops.map((s) => cityDayValues(s, t, { seed: 7 })['speed']);
    const seed8 = loops.map((s) => cityDayValues(s, t, { seed: 8 })['speed']);
    expect(seed8).not.toEqual(seed7);
    expect(speedRatio(t, { seed: 8 })).toBeLessThan(0.8);
  });

  it('reports exactly the metrics each sensor declares, inside their plausible ranges', () => {
    for (const s of sensors) {
      for (const h of [3, 8, 15, 18]) {
        const values = cityDayValues(s, at(MONDAY, h), CTX);
        expect(Object.keys(values).sort(), s.id).toEqual(s.metrics.map((m) => m.metric).sort());
        for (const [metric, v] of Object.entries(values)) {
          const info = METRICS[metric as MetricId];
          expect(v, `${s.id} ${metric}`).toBeGreaterThanOrEqual(info.min);
          expect(v, `${s.id} ${metric}`).toBeLessThanOrEqual(info.max);
        }
      }
    }
  });
});
