import { reportTimes } from '../../../helpers/scenario';
import { describe, expect, it } from 'vitest';
import { METRICS, isMetricId } from '@shared/metrics';
import { loadCityPack, resolveCityPackDir } from '../../../../server/src/cityPack/cityPack.loader';
import {
  compileBaseEvents,
  compileGridEvents,
  compileRainstorm,
  type GridEventBurst,
  type Rainstorm,
} from '../../../../simulators/src/scenario/incidents/grid';
import { compileScenario, ScenarioGenerator } from '../../../../simulators/src/scenario/generate';
import type { ScenarioIssue } from '../../../../simulators/src/scenario/loadScenario';
import type { Draft, Label } from '../../../../simulators/src/scenario/model';
import {
  BaselineSchema,
  GridEventBurstSchema,
  RainstormSchema,
  ScenarioSchema,
  type GridEventKind,
} from '../../../../simulators/src/scenario/scenario.schema';
import { World, type SimSensor } from '../../../../simulators/src/scenario/world';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
/** A Monday morning: bins were emptied at 06:00, so none is near full by itself. */
const START = '2026-07-06T08:00:00+08:00';
const T0 = Date.parse(START);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** An 8-hour scenario with the given incidents; storms below start at +1h and last 3 h. */
function scenario(incidents: unknown[], seed = 1, extra: Record<string, unknown> = {}) {
  const parsed = ScenarioSchema.parse({
    name: { zh: '电网与积水', en: 'Grid and waterlogging' },
    start: START,
    duration: '8h',
    seed,
    incidents,
    ...extra,
  });
  const compiled = compileScenario(parsed, pack);
  return { compiled, gen: new ScenarioGenerator(compiled), world: compiled.world };
}

const storm = (params: Record<string, unknown> = {}) => ({
  id: 'storm',
  type: 'rainstorm',
  at: '+1h',
  duration: '3h',
  ...params,
});

const ofSubtype = (world: World, subtype: string) =>
  world.sensors.filter((s) => s.sensor.subtype === subtype);

/** Every reading of these sensors in [from, to), per sensor. */
function series(gen: ScenarioGenerator, sims: readonly SimSensor[], from: number, to: number): Draft[][] {
  return sims.map((sim) => reportTimes(sim, from, to).map((t) => gen.observe(sim, t)));
}

/** Values outside their metric's plausible range (ingest would refuse them), as `sensor metric=value`. */
function outOfRange(drafts: readonly Draft[]): string[] {
  const bad: string[] = [];
  for (const d of drafts)
    for (const [metric, value] of Object.entries(d.values))
      if (!isMetricId(metric) || value < METRICS[metric].min || value > METRICS[metric].max)
        bad.push(`${d.sim.sensor.id} ${metric}=${value}`);
  return bad;
}

/** The feeder nearest each streetlight, worked out here independently of the compiler. */
function nearestFeeder(world: World): Map<string, SimSensor> {
  const feeders = ofSubtype(world, 'feeder');
  const out = new Map<string, SimSensor>();
  for (const lamp of ofSubtype(world, 'streetlight')) {
    let best = feeders[0]!;
    for (const f of feeders)
      if (
        world.distanceKm(lamp.sensor.location!, f.sensor.location!) <
        world.distanceKm(lamp.sensor.location!, best.sensor.location!)
      )
        best = f;
    out.set(lamp.sensor.id, best);
  }
  return out;
}

function compileInput<I>(incident: I, world: World, issues: ScenarioIssue[]) {
  return {
    incident,
    world,
    start: T0 + HOUR,
    end: T0 + 2 * HOUR,
    scenarioEnd: T0 + 8 * HOUR,
    seed: 1,
    path: 'incidents[0]',
    issues,
  };
}

describe('compileRainstorm', () => {
  // One heavy storm (60 mm/h peak for 3 h over the whole city) shared by the tests below.
  const heavy = scenario([storm()]);
  const stormStart = T0 + HOUR;
  const stormEnd = T0 + 4 * HOUR;
  const gauges = ofSubtype(heavy.world, 'waterlogging');
  const depths = series(heavy.gen, gauges, T0, T0 + 8 * HOUR);
  const incident = heavy.compiled.incidents.find((i) => i.id === 'storm')!;
  const labels = (metric: string) => incident.labels.filter((l) => l.metric === metric);

  it('reports the rain at weather stations: building up, at the peak, and gone after the storm', () => {
    const stations = ofSubtype(heavy.world, 'weather-station');
    const rain = (t: number) => stations.map((s) => heavy.gen.observe(s, t).values['rainfall']!);
    for (const r of rain(stormStart - MIN)) expect(r).toBe(0);
    // Halfway up the build-up (the first 45 minutes): about 30 mm/h.
    for (const r of rain(stormStart + 22.5 * MIN)) expect(r).toBeCloseTo(30, -1);
    const peak = rain(stormStart + 90 * MIN);
    for (const r of peak) {
      expect(r).toBeGreaterThan(54);
      expect(r).toBeLessThan(66);
    }
    expect(new Set(peak).size).toBeGreaterThan(1);
    for (const r of rain(stormEnd)) expect(r).toBe(0);
  });

  it('floods low-lying spots past the red, yellow and rising-fast levels of the default rules', () => {
    const max = depths.map((d) => Math.max(...d.map((x) => x.values['waterDepth']!)));
    expect(max.filter((m) => m >= 50).length).toBeGreaterThanOrEqual(3);
    expect(max.filter((m) => m >= 27).length).toBeGreaterThan(10);
    // Most spots stay shallow: the flooding is where the ground is low.
    expect(max.filter((m) => m < 27).length).toBeGreaterThan(gauges.length / 3);
    const rise = depths.map((d) => {
      let r = 0;
      for (let i = 10; i < d.length; i++)
        r = Math.max(r, d[i]!.values['waterDepth']! - d[i - 10]!.values['waterDepth']!);
      return r;
    });
    expect(rise.filter((r) => r >= 20).length).toBeGreaterThanOrEqual(2);
    expect(depths.flatMap(outOfRange)).toEqual([]);
  });

  it('drains the streets within about an hour of the rain easing', () => {
    for (const d of depths) {
      const late = d.filter((x) => x.t >= stormEnd + HOUR).map((x) => x.values['waterDepth']!);
      expect(Math.max(...late)).toBeLessThan(3);
    }
  });

  it('labels each gauge while its water stands at 15 cm or more', () => {
    const byGauge = new Map(labels('waterDepth').map((l) => [l.subject.id, l]));
    expect(byGauge.size).toBeGreaterThan(10);
    gauges.forEach((sim, i) => {
      const label = byGauge.get(sim.sensor.id);
      for (const d of depths[i]!) {
        const depth = d.values['waterDepth']!;
        // The label follows the noise-free depth; the reading's noise is well under 3 cm.
        if (depth >= 18)
          expect(label && d.t >= label.start && d.t < label.end, `${sim.sensor.id}`).toBe(true);
        if (depth < 12)
          expect(!label || d.t < label.start || d.t >= label.end, `${sim.sensor.id}`).toBe(true);
      }
    });
    for (const id of heavy.compiled.incidents.find((i) => i.id === 'storm')!.area.sensors)
      expect(incident.labels.some((l) => l.subject.id === id)).toBe(true);
  });

  it('runs the chain in order: water reaches 40 cm, then a feeder trips, then its lamps go dark', () => {
    let firstDeep = Infinity;
    for (const d of depths)
      for (const x of d) if (x.values['waterDepth']! >= 40) firstDeep = Math.min(firstDeep, x.t);
    const trips = labels('feederOnline').sort((a, b) => a.start - b.start);
    expect(trips.length).toBeGreaterThanOrEqual(3);
    const first = trips[0]!;
    const feeder = heavy.world.byId.get(first.subject.id)!;
    expect(heavy.gen.observe(feeder, first.start - 1000).values['feederOnline']).toBe(1);
    expect(heavy.gen.observe(feeder, first.start).values).toMatchObject({ feederOnline: 0, feederLoad: 0 });
    expect(heavy.gen.observe(feeder, first.end - 1000).values['feederOnline']).toBe(0);
    expect(heavy.gen.observe(feeder, first.end).values['feederOnline']).toBe(1);
    expect(first.end - first.start).toBe(5400 * 1000);

    const lamps = ofSubtype(heavy.world, 'streetlight');
    let firstDark = Infinity;
    for (const lamp of lamps) {
      if (heavy.gen.observe(lamp, stormStart).values['lampFault'] === 1) continue; // faulty before the storm
      for (const t of reportTimes(lamp, stormStart, T0 + 8 * HOUR))
        if (heavy.gen.observe(lamp, t).values['lampFault'] === 1) {
          firstDark = Math.min(firstDark, t);
          break;
        }
    }
    expect(firstDeep).toBeGreaterThan(stormStart);
    expect(firstDeep).toBeLessThan(first.start);
    expect(firstDark).toBeGreaterThanOrEqual(first.start);
    expect(firstDark).toBeLessThan(Infinity);
  });

  it('darkens a streetlight only while its nearest feeder is down', () => {
    const nearest = nearestFeeder(heavy.world);
    let dark = 0;
    for (const lamp of ofSubtype(heavy.world, 'streetlight')) {
      if (heavy.gen.observe(lamp, stormStart).values['lampFault'] === 1) continue;
      const feeder = nearest.get(lamp.sensor.id)!;
      for (const t of reportTimes(lamp, T0, T0 + 8 * HOUR)) {
        const v = heavy.gen.observe(lamp, t).values;
        const down = heavy.gen.observe(feeder, t).values['feederOnline'] === 0;
        expect(v['lampFault'] === 1, `${lamp.sensor.id} at +${(t - T0) / MIN} min`).toBe(down);
        if (down) {
          expect(v['lampOn']).toBe(0);
          dark++;
        }
      }
    }
    expect(dark).toBeGreaterThan(20);
    for (const l of labels('lampFault')) {
      const feeder = nearest.get(l.subject.id)!;
      expect(
        labels('feederOnline').some((f) => f.subject.id === feeder.sensor.id && f.start === l.start),
      ).toBe(true);
    }
  });

  it('never trips a feeder with no deep water within feederRadiusKm', () => {
    const deep = gauges.filter((_, i) => depths[i]!.some((d) => d.values['waterDepth']! >= 38));
    const tripped = new Set(labels('feederOnline').map((l) => l.subject.id));
    let far = 0;
    for (const feeder of ofSubtype(heavy.world, 'feeder')) {
      const near = deep.some(
        (g) => heavy.world.distanceKm(g.sensor.location!, feeder.sensor.location!) <= 1.5,
      );
      if (near) continue;
      far++;
      expect(tripped.has(feeder.sensor.id), feeder.sensor.id).toBe(false);
      for (const t of reportTimes(feeder, T0, T0 + 8 * HOUR).filter((_, i) => i % 5 === 0))
        expect(heavy.gen.observe(feeder, t).values['feederOnline']).toBe(1);
    }
    expect(far).toBeGreaterThan(30);
  });

  it('raises no water to 15 cm and trips nothing in light rain of 16 mm/h', () => {
    const light = scenario([storm({ peakMmPerHour: 16 })]);
    const lightGauges = ofSubtype(light.world, 'waterlogging');
    for (const d of series(light.gen, lightGauges, stormStart, stormEnd + HOUR))
      for (const x of d) expect(x.values['waterDepth']).toBeLessThan(15);
    expect(light.compiled.incidents.find((i) => i.id === 'storm')!.labels).toEqual([]);
  });

  it('trips no feeder when feederTripDepthCm is null, however deep the water', () => {
    const { compiled } = scenario([storm({ peakMmPerHour: 120, feederTripDepthCm: null })]);
    const labelled = compiled.incidents.find((i) => i.id === 'storm')!.labels;
    expect(labelled.some((l) => l.metric === 'waterDepth')).toBe(true);
    expect(labelled.filter((l) => l.metric !== 'waterDepth')).toEqual([]);
  });

  it('keeps the rain inside its area', () => {
    const { compiled, gen, world } = scenario([storm({ area: { districts: ['330108'] } })]);
    const inc = compiled.incidents.find((i) => i.id === 'storm')!;
    const outside = ofSubtype(world, 'waterlogging').filter((g) => g.sensor.districtId !== '330108');
    for (const g of outside)
      expect(gen.observe(g, stormStart + 2 * HOUR).values['waterDepth']).toBeLessThan(2);
    for (const l of inc.labels.filter((x) => x.metric === 'waterDepth'))
      expect(world.byId.get(l.subject.id)!.sensor.districtId).toBe('330108');
  });

  it('reports an unknown district of its area under the incident path', () => {
    const issues: ScenarioIssue[] = [];
    const inc: Rainstorm = RainstormSchema.parse({ ...storm(), area: { districts: ['330199'] } });
    compileRainstorm(compileInput(inc, heavy.world, issues));
    expect(issues).toEqual([
      { path: 'incidents[0].area.districts[0]', message: expect.stringContaining('330199') },
    ]);
  });

  it('reports an area with neither weather stations nor waterlogging gauges', () => {
    const issues: ScenarioIssue[] = [];
    const inc: Rainstorm = RainstormSchema.parse({ ...storm(), area: { subtypes: ['manhole'] } });
    compileRainstorm(compileInput(inc, heavy.world, issues));
    expect(issues).toEqual([
      { path: 'incidents[0].area', message: expect.stringMatching(/weather station/) },
    ]);
  });
});

/** Whether a reading shows the event (the state the default rules look for). */
const IN_EVENT: Record<GridEventKind, (v: Record<string, number>) => boolean> = {
  'manhole-displaced': (v) => v['tilt']! > 15,
  smoke: (v) => v['smoke']! > 5,
  'feeder-outage': (v) => v['feederOnline'] === 0 && v['feederLoad'] === 0,
  'feeder-overload': (v) => v['feederLoad']! > 100,
  'streetlight-failure': (v) => v['lampFault'] === 1 && v['lampOn'] === 0,
  'bin-overflow': (v) => v['fillLevel']! > 90,
};
const SUBTYPE: Record<GridEventKind, string> = {
  'manhole-displaced': 'manhole',
  smoke: 'smoke',
  'feeder-outage': 'feeder',
  'feeder-overload': 'feeder',
  'streetlight-failure': 'streetlight',
  'bin-overflow': 'waste-bin',
};
const METRIC: Record<GridEventKind, string> = {
  'manhole-displaced': 'tilt',
  smoke: 'smoke',
  'feeder-outage': 'feederOnline',
  'feeder-overload': 'feederLoad',
  'streetlight-failure': 'lampFault',
  'bin-overflow': 'fillLevel',
};
const EVENTS = Object.keys(IN_EVENT) as GridEventKind[];

describe('compileGridEvents', () => {
  const quiet = scenario([]);
  /** Devices of a family not already in the event state on a quiet morning (1 % of lamps are broken anyway). */
  const healthy = (event: GridEventKind) =>
    ofSubtype(quiet.world, SUBTYPE[event])
      .filter((s) => !IN_EVENT[event](quiet.gen.observe(s, T0 + HOUR).values))
      .map((s) => s.sensor.id);

  it.each(EVENTS)(
    'hits exactly count devices with %s, each first seen in the event state inside its window',
    (event) => {
      const { compiled, gen, world } = scenario([
        {
          id: 'burst',
          type: 'grid-events',
          event,
          at: '+1h',
          duration: '2h',
          count: 6,
          lasts: '40m',
          where: { sensors: healthy(event) },
        },
      ]);
      const hits = compiled.incidents[0]!.labels.filter((l) => l.metric === METRIC[event]);
      expect(hits).toHaveLength(6);
      expect(new Set(hits.map((l) => l.subject.id)).size).toBe(6);
      for (const l of hits) {
        expect(l.start).toBeGreaterThanOrEqual(T0 + HOUR);
        expect(l.start).toBeLessThan(T0 + 3 * HOUR);
        expect(l.end - l.start).toBe(40 * MIN);
        const sim = world.byId.get(l.subject.id)!;
        const seen = reportTimes(sim, T0, T0 + 8 * HOUR).filter((t) =>
          IN_EVENT[event](gen.observe(sim, t).values),
        );
        expect(seen.length).toBeGreaterThan(0);
        expect(seen[0]!).toBeGreaterThanOrEqual(l.start);
        expect(seen[0]! - l.start).toBeLessThan(sim.periodMs);
        expect(seen.at(-1)!).toBeLessThan(l.end);
      }
    },
  );

  it('puts every hit device past the default rule lines, a few of them well past', () => {
    const { compiled, gen, world } = scenario([
      {
        id: 'covers',
        type: 'grid-events',
        event: 'manhole-displaced',
        at: '+1h',
        duration: '10m',
        count: 30,
      },
      { id: 'smoke', type: 'grid-events', event: 'smoke', at: '+1h', duration: '10m', count: 10 },
      { id: 'load', type: 'grid-events', event: 'feeder-overload', at: '+1h', duration: '10m', count: 20 },
      { id: 'bins', type: 'grid-events', event: 'bin-overflow', at: '+1h', duration: '10m', count: 20 },
    ]);
    const after = T0 + HOUR + 20 * MIN;
    const read = (id: string, metric: string) =>
      compiled.incidents
        .find((i) => i.id === id)!
        .labels.map((l) => gen.observe(world.byId.get(l.subject.id)!, after).values[metric]!);
    const tilt = read('covers', 'tilt');
    expect(Math.min(...tilt)).toBeGreaterThan(15);
    expect(tilt.filter((v) => v > 45).length).toBeGreaterThanOrEqual(5);
    expect(tilt.filter((v) => v <= 45).length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...read('smoke', 'smoke'))).toBeGreaterThan(5);
    const load = read('load', 'feederLoad');
    expect(Math.min(...load)).toBeGreaterThan(100);
    expect(load.filter((v) => v > 120).length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...read('bins', 'fillLevel'))).toBeGreaterThan(90);
    // The fire warms the smoke detector's housing by 10–30 °C.
    const smoke = compiled.incidents.find((i) => i.id === 'smoke')!.labels[0]!;
    const sim = world.byId.get(smoke.subject.id)!;
    const warm =
      gen.observe(sim, after).values['temperature']! - quiet.gen.observe(sim, after).values['temperature']!;
    expect(warm).toBeGreaterThan(9);
    expect(warm).toBeLessThan(31);
  });

  it('darkens the streetlights of a feeder that goes out, for as long as it is out', () => {
    const nearest = nearestFeeder(quiet.world);
    const { compiled, gen, world } = scenario([
      {
        id: 'out',
        type: 'grid-events',
        event: 'feeder-outage',
        at: '+1h',
        duration: '1h',
        count: 10,
        lasts: '30m',
      },
    ]);
    const labels = compiled.incidents[0]!.labels;
    const feeders = labels.filter((l) => l.metric === 'feederOnline');
    const lamps = labels.filter((l) => l.metric === 'lampFault');
    expect(lamps.length).toBeGreaterThan(0);
    for (const l of lamps) {
      const feeder = feeders.find((f) => f.subject.id === nearest.get(l.subject.id)!.sensor.id)!;
      expect([l.start, l.end]).toEqual([feeder.start, feeder.end]);
      const lamp = world.byId.get(l.subject.id)!;
      expect(gen.observe(lamp, l.start + MIN).values).toMatchObject({ lampOn: 0, lampFault: 1 });
    }
  });

  it('lasts to the end of the scenario when lasts is not given', () => {
    const { compiled } = scenario([
      { id: 'bins', type: 'grid-events', event: 'bin-overflow', at: '+1h', duration: '1h', count: 3 },
    ]);
    for (const l of compiled.incidents[0]!.labels) expect(l.end).toBe(T0 + 8 * HOUR);
  });

  it('reports too high a count, an empty selection and an unknown sensor at their paths', () => {
    const world = new World(pack, 1);
    const run = (params: Record<string, unknown>) => {
      const issues: ScenarioIssue[] = [];
      const inc: GridEventBurst = GridEventBurstSchema.parse({
        id: 'b',
        type: 'grid-events',
        at: '+1h',
        duration: '1h',
        ...params,
      });
      compileGridEvents(compileInput(inc, world, issues));
      return issues;
    };
    expect(run({ event: 'smoke', count: 151 })).toEqual([
      { path: 'incidents[0].count', message: expect.stringMatching(/151.*only 150 smoke/) },
    ]);
    expect(run({ event: 'manhole-displaced', where: { subtypes: ['feeder'] } })).toEqual([
      { path: 'incidents[0].where', message: expect.stringContaining('manhole') },
    ]);
    expect(run({ event: 'smoke', where: { sensors: ['SM-9999'] } })).toEqual([
      { path: 'incidents[0].where.sensors[0]', message: expect.stringContaining('SM-9999') },
    ]);
    expect(run({ event: 'smoke', count: 150 })).toEqual([]);
  });
});

describe('compileBaseEvents', () => {
  const world = new World(pack, 1);
  const month = { start: T0, end: T0 + 30 * DAY };
  const rates: Partial<Record<GridEventKind, number>> = {
    'manhole-displaced': 0.2,
    smoke: 0.1,
    'feeder-outage': 0.05,
    'feeder-overload': 0.5,
    'streetlight-failure': 0.1,
    'bin-overflow': 1,
  };
  const baseline = BaselineSchema.parse({
    events: Object.fromEntries(Object.entries(rates).map(([k, r]) => [k, { perDeviceDay: r, lasts: '30m' }])),
  });
  const compiled = compileBaseEvents({ baseline, world, ...month, seed: 1 });

  it('starts about r events per device and day over 30 simulated days', () => {
    expect(compiled.id).toBe('baseline');
    expect(compiled.type).toBe('grid-events');
    for (const event of EVENTS) {
      // One stream at a time: an outage also labels the lamps it darkens (lampFault).
      const alone = compileBaseEvents({
        baseline: BaselineSchema.parse({ events: { [event]: { perDeviceDay: rates[event], lasts: '30m' } } }),
        world,
        ...month,
        seed: 1,
      });
      const devices = ofSubtype(world, SUBTYPE[event]).length;
      const expected = rates[event]! * devices * 30;
      const n = alone.labels.filter(
        (l) => l.metric === METRIC[event] && l.start >= month.start && l.start < month.end,
      ).length;
      // Within four standard deviations of a Poisson count.
      expect(Math.abs(n - expected), `${event}: ${n} events, ${expected} expected`).toBeLessThan(
        4 * Math.sqrt(expected),
      );
    }
    for (const l of compiled.labels) {
      expect(l.incident).toBe('baseline');
      expect(l.end - l.start).toBe(30 * MIN);
    }
  });

  it('shows an event on the device exactly like a burst of the same kind', () => {
    const { gen, world: w } = scenario([], 1, {
      baseline: { events: { 'manhole-displaced': { perDeviceDay: 2, lasts: '1h' } } },
    });
    const base = gen.compiled.incidents.find((i) => i.id === 'baseline')!;
    const inside = base.labels.filter((l) => l.start >= T0 && l.end <= T0 + 8 * HOUR);
    expect(inside.length).toBeGreaterThan(10);
    for (const l of inside) {
      const sim = w.byId.get(l.subject.id)!;
      for (const t of reportTimes(sim, l.start, l.end)) {
        const tilt = gen.observe(sim, t).values['tilt']!;
        expect(tilt).toBeGreaterThan(15);
        expect(tilt).toBeLessThanOrEqual(90);
      }
      const covered = (t: number) =>
        base.labels.some((x) => x.subject.id === l.subject.id && t >= x.start && t < x.end);
      for (const t of [l.start - sim.periodMs, l.end + sim.periodMs])
        if (!covered(t)) expect(gen.observe(sim, t).values['tilt']!).toBeLessThan(5);
    }
  });

  it('gives a window the same events a longer run has in it', () => {
    const day = { start: T0 + 10 * DAY + 7 * MIN, end: T0 + 11 * DAY };
    const short = compileBaseEvents({ baseline, world, ...day, seed: 1 });
    const key = (l: Label) => `${l.subject.id} ${l.metric} ${l.start} ${l.end}`;
    const overlapping = compiled.labels.filter((l) => l.end > day.start && l.start < day.end).map(key);
    expect(short.labels.map(key).sort()).toEqual(overlapping.sort());
  });

  it('has no events when the baseline names none', () => {
    const none = compileBaseEvents({ baseline: BaselineSchema.parse({}), world, ...month, seed: 1 });
    expect(none.labels).toEqual([]);
    expect(none.effects.size).toBe(0);
  });
});

describe('determinism', () => {
  const incidents = [
    storm(),
    { id: 'covers', type: 'grid-events', event: 'manhole-displaced', at: '+1h', duration: '2h', count: 40 },
  ];
  const extra = {
    baseline: { events: { 'bin-overflow': { perDeviceDay: 3 }, 'feeder-outage': { perDeviceDay: 1 } } },
  };
  const run = (seed: number) => {
    const { compiled, gen } = scenario(incidents, seed, extra);
    const labels = compiled.labels.map(
      (l) => `${l.incident} ${l.subject.id} ${l.metric} ${l.start} ${l.end}`,
    );
    // Ten minutes at the height of the storm, every sensor of the city.
    const lines = gen.emissionsBetween(T0 + 100 * MIN, T0 + 110 * MIN).map((e) => e.line);
    return { labels, lines };
  };

  it('gives identical emissions and labels for the same seed and different ones for another seed', () => {
    const a = run(7);
    expect(a.lines.length).toBeGreaterThan(1000);
    expect(run(7)).toEqual(a);
    const b = run(8);
    expect(b.lines).not.toEqual(a.lines);
    // Another seed picks other covers, other low-lying spots and other base events.
    const only = (labels: string[], incident: string) => labels.filter((l) => l.startsWith(`${incident} `));
    for (const incident of ['storm', 'covers', 'baseline'])
      expect(only(b.labels, incident), incident).not.toEqual(only(a.labels, incident));
  });
});
