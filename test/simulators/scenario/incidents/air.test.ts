import { reportTimes } from '../../../helpers/scenario';
import { describe, expect, it } from 'vitest';
import type { LngLat } from '@shared/schemas/common.schema';
import { loadCityPack, resolveCityPackDir } from '../../../../server/src/cityPack/cityPack.loader';
import { compileScenario, ScenarioGenerator } from '../../../../simulators/src/scenario/generate';
import { ScenarioError } from '../../../../simulators/src/scenario/loadScenario';
import type { Label } from '../../../../simulators/src/scenario/model';
import { ScenarioSchema } from '../../../../simulators/src/scenario/scenario.schema';
import type { SimSensor } from '../../../../simulators/src/scenario/world';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const START = '2026-11-23T06:00:00+08:00';
const T0 = Date.parse(START);
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Every episode here starts an hour in, lasts 4 h, builds up over 1 h and fades over 2 h. */
const AT = T0 + HOUR;
const END = AT + 4 * HOUR;
const UNTIL = END + 2 * HOUR;
const XIHU = '330106';
const XIHU_CENTROID = pack.districts.find((d) => d.id === XIHU)!.centroid;

/** A plume over Xihu blowing east at 5 km/h, strong and wide enough to cross the city. */
const HAZE = {
  id: 'haze',
  type: 'pollution-episode',
  at: '+1h',
  duration: '4h',
  origin: { district: XIHU },
  wind: { towardDeg: 90, speedKmh: 5 },
  radiusKm: 9,
  peakPm25: 400,
  buildUp: '1h',
  fade: '2h',
};

/** A 10-hour scenario with the given episode (merged over HAZE), and the same day without it. */
function setup(episode: Record<string, unknown> = {}, seed = 1) {
  const scenario = ScenarioSchema.parse({
    name: { zh: '重污染过程', en: 'Pollution episode' },
    start: START,
    duration: '10h',
    seed,
    incidents: [{ ...HAZE, ...episode }],
  });
  const compiled = compileScenario(scenario, pack);
  const clean = compileScenario({ ...scenario, incidents: [] }, pack);
  const incident = compiled.incidents.find((i) => i.id === 'haze')!;
  const gen = new ScenarioGenerator(compiled);
  const base = new ScenarioGenerator(clean);
  const sim = (id: string) => compiled.world.byId.get(id)!;
  /** What the episode adds to a metric of a sensor at t (the reading minus the same day's reading without it). */
  const extra = (s: SimSensor, t: number, metric = 'pm25') =>
    gen.observe(s, t).values[metric]! - base.observe(s, t).values[metric]!;
  return { compiled, incident, gen, base, sim, extra };
}

const main = setup();
const aqStations = main.compiled.world.sensors.filter((s) => s.sensor.subtype === 'aq-station');

/** Time of the largest value of f sampled every `step` ms over [from, to). */
function argmax(f: (t: number) => number, from: number, to: number, step: number): number {
  let best = from;
  for (let t = from; t < to; t += step) if (f(t) > f(best)) best = t;
  return best;
}

/** The plume centre, computed independently: `km` east of the origin. */
function eastOf(origin: LngLat, km: number): LngLat {
  return [origin[0] + km / (111.32 * Math.cos((origin[1] * Math.PI) / 180)), origin[1]];
}

const labelsOf = (labels: readonly Label[], id: string) => labels.filter((l) => l.subject.id === id);
const inside = (labels: readonly Label[], t: number) => labels.some((l) => t >= l.start && t < l.end);

describe('pollution episode (重污染过程)', () => {
  it('reaches a downwind district’s stations hours after the origin district’s', () => {
    // AQ-026 sits 2 km west of Xihu's centroid; AQ-017 (Jianggan) 22.5 km east of it: 4.5 h at 5 km/h.
    const origin = main.sim('AQ-026');
    const downwind = main.sim('AQ-017');
    expect(origin.sensor.districtId).toBe(XIHU);
    expect(downwind.sensor.districtId).toBe('330104');
    // A 9 km plume reaches AQ-017 well before its centre does, so compare starts, peaks and ends.
    const [first] = labelsOf(main.incident.labels, origin.sensor.id);
    const [later] = labelsOf(main.incident.labels, downwind.sensor.id);
    expect(first!.start).toBeLessThan(AT + 30 * MINUTE);
    expect(later!.start - first!.start).toBeGreaterThan(HOUR);
    expect(later!.end - first!.end).toBeGreaterThan(2 * HOUR);

    const peakOrigin = argmax((t) => main.extra(origin, t), AT, UNTIL, 10 * MINUTE);
    const peakDownwind = argmax((t) => main.extra(downwind, t), AT, UNTIL, 10 * MINUTE);
    expect(peakDownwind - peakOrigin).toBeGreaterThan(2.5 * HOUR);

    // Districts in turn: Jianggan stays polluted long after the plume has left Xihu.
    const district = (id: string) =>
      main.incident.labels.find((l) => l.subject.type === 'district' && l.subject.id === id)!;
    expect(district('330104').start).toBeGreaterThan(district(XIHU).start);
    expect(district('330104').end - district(XIHU).end).toBeGreaterThan(2 * HOUR);
  });

  it('peaks at the station nearest the drifting plume centre and falls off with distance', () => {
    // A narrow plume; 61.2 min after `at` its centre (5.1 km east of Xihu's centroid) is over AQ-012.
    const narrow = setup({ radiusKm: 3, peakPm25: 300 });
    const t = AT + 61.2 * MINUTE;
    const centre = eastOf(XIHU_CENTROID, 5 * (61.2 / 60));
    const byExtra = aqStations
      .map((s) => ({ s, extra: narrow.extra(s, t) }))
      .sort((a, b) => b.extra - a.extra);
    expect(byExtra[0]!.s.sensor.id).toBe('AQ-012');
    expect(byExtra[0]!.extra).toBeGreaterThan(270);
    // Half strength at radiusKm: extra ≈ peak · 0.5^((d/r)²), give or take the few-percent wobble.
    for (const { s, extra } of byExtra) {
      const d = narrow.compiled.world.distanceKm(s.sensor.location!, centre);
      const expected = 300 * 0.5 ** ((d / 3) ** 2);
      // (+0.5: a station the plume never adds 0.5 µg/m³ to is left alone.)
      expect(Math.abs(extra - expected)).toBeLessThanOrEqual(0.12 * expected + 0.5);
    }
  });

  it('leaves every reading untouched before `at` and after the fade', () => {
    const sims = main.compiled.world.sensors.filter((s) => main.compiled.effects.has(s.sensor.id));
    expect(sims.length).toBeGreaterThan(30);
    for (const s of sims)
      for (const t of [T0, AT - 1, UNTIL, UNTIL + 30 * MINUTE])
        expect(main.gen.observe(s, t).values).toEqual(main.base.observe(s, t).values);
    // …and is on the moment it starts (6 weather stations report the episode's wind).
    expect(main.gen.observe(main.sim('WX-05'), AT).values).not.toEqual(
      main.base.observe(main.sim('WX-05'), AT).values,
    );
  });

  it('builds up, holds and fades', () => {
    // A plume that does not move, centred on a station: what it adds follows the envelope alone.
    const still = setup({
      origin: { lngLat: main.sim('AQ-026').sensor.location },
      wind: { towardDeg: 90, speedKmh: 0 },
    });
    const s = still.sim('AQ-026');
    const at = (minutes: number) => still.extra(s, AT + minutes * MINUTE);
    const hold = [70, 120, 180, 230].map(at);
    for (const v of hold) expect(v).toBeGreaterThan(360);
    for (const v of hold) expect(v).toBeLessThan(440);
    expect(at(15) / 400).toBeCloseTo(0.25, 1);
    expect(at(30) / 400).toBeCloseTo(0.5, 1);
    expect(at(300) / 400).toBeCloseTo(0.5, 1);
    expect(at(330) / 400).toBeCloseTo(0.25, 1);
    for (let m = 10; m < 60; m += 10) expect(at(m)).toBeGreaterThan(at(m - 10));
    for (let m = 250; m < 360; m += 10) expect(at(m)).toBeLessThan(at(m - 10));
    expect(at(360)).toBe(0);
  });

  it('adds PM10, NO2, SO2 and CO in step with the PM2.5 and lowers O3', () => {
    const s = main.sim('AQ-012');
    const t = AT + 90 * MINUTE;
    const pm25 = main.extra(s, t);
    expect(pm25).toBeGreaterThan(300);
    expect(main.extra(s, t, 'pm10')).toBeCloseTo(1.5 * pm25, 0);
    expect(main.extra(s, t, 'no2')).toBeCloseTo(0.15 * pm25, 0);
    expect(main.extra(s, t, 'so2')).toBeCloseTo(0.05 * pm25, 0);
    expect(main.extra(s, t, 'co')).toBeCloseTo(0.006 * pm25, 1);
    expect(main.extra(s, t, 'o3')).toBeLessThan(-0.05 * pm25);
    expect(main.gen.observe(s, t).values['o3']).toBeGreaterThanOrEqual(2);
  });

  it('makes weather stations report the wind that carries the plume', () => {
    for (const s of main.compiled.world.sensors.filter((x) => x.sensor.subtype === 'weather-station'))
      for (const t of reportTimes(s, AT, UNTIL).filter((_, i) => i % 30 === 0)) {
        const v = main.gen.observe(s, t).values;
        // Blowing towards the east means wind from the west (270°).
        expect(Math.abs(v['windDir']! - 270)).toBeLessThanOrEqual(16);
        expect(Math.abs(v['windSpeed']! - 5 / 3.6)).toBeLessThanOrEqual(1.2);
      }
  });

  it('labels exactly the station readings whose extra PM2.5 is at least 75 µg/m³', () => {
    let labelled = 0;
    for (const s of aqStations) {
      const labels = labelsOf(main.incident.labels, s.sensor.id);
      for (const l of labels)
        expect(l).toMatchObject({ incident: 'haze', type: 'pollution-episode', metric: 'pm25' });
      for (const t of reportTimes(s, AT, UNTIL)) {
        const extra = main.extra(s, t);
        if (inside(labels, t)) {
          labelled++;
          expect(extra).toBeGreaterThanOrEqual(74.95);
        } else expect(extra).toBeLessThan(75.05);
      }
    }
    expect(labelled).toBeGreaterThan(1000);
  });

  it('labels a district while the mean extra PM2.5 of its stations is at least 75 µg/m³', () => {
    const districtLabels = main.incident.labels.filter((l) => l.subject.type === 'district');
    expect(new Set(districtLabels.map((l) => l.subject.id)).size).toBeGreaterThanOrEqual(4);
    for (const l of districtLabels) expect(l.metric).toBe('aqi');
    for (const district of pack.districts) {
      const members = aqStations.filter((s) => s.sensor.districtId === district.id);
      const labels = labelsOf(districtLabels, district.id);
      for (let t = AT; t < UNTIL; t += 5 * MINUTE) {
        const mean = members.reduce((sum, s) => sum + main.extra(s, t), 0) / members.length;
        if (inside(labels, t)) expect(mean).toBeGreaterThanOrEqual(74.95);
        else expect(mean).toBeLessThan(75.05);
      }
    }
  });

  it('puts exactly the labelled stations in the incident’s area', () => {
    const labelled = new Set(
      main.incident.labels.filter((l) => l.subject.type === 'sensor').map((l) => l.subject.id),
    );
    expect(main.incident.area.sensors).toEqual(labelled);
    expect(labelled.size).toBeLessThan(aqStations.length);
    expect(main.incident.area.districts).toContain('330104');
  });

  it('reports an unknown origin district at incidents[0].origin.district', () => {
    let error: unknown;
    try {
      setup({ origin: { district: '330199' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const issues = (error as ScenarioError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('incidents[0].origin.district');
    expect(issues[0]!.message).toContain('330199');
  });

  it('reports a plume that never reaches an air-quality station', () => {
    expect(() =>
      setup({ origin: { lngLat: [121.5, 31.2] }, radiusKm: 2, wind: { towardDeg: 0, speedKmh: 1 } }),
    ).toThrow(/incidents\[0\]\.origin: the plume never reaches an air-quality station/);
  });

  it('gives identical output for the same seed and different values for another seed', () => {
    const window = (g: ScenarioGenerator) => g.emissionsBetween(AT + 2 * HOUR, AT + 2 * HOUR + 2 * MINUTE);
    const again = setup();
    const lines = window(main.gen).map((e) => e.line);
    expect(window(again.gen).map((e) => e.line)).toEqual(lines);
    expect(again.incident.labels).toEqual(main.incident.labels);

    const other = setup({}, 2);
    expect(window(other.gen).map((e) => e.line)).not.toEqual(lines);
    // The plume itself wobbles differently, yet it is the same plume.
    const t = AT + 2 * HOUR;
    const a = aqStations.map((s) => main.extra(s, t));
    const b = aqStations.map((s) => other.extra(s, t));
    expect(b).not.toEqual(a);
    a.forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThanOrEqual(0.25 * v + 0.2));
  });
});
