import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadCityPack, resolveCityPackDir } from '../../../../server/src/cityPack/cityPack.loader';
import { compileScenario, ScenarioGenerator } from '../../../../simulators/src/scenario/generate';
import { ScenarioError } from '../../../../simulators/src/scenario/loadScenario';
import {
  ScenarioSchema,
  type TrafficIncidentSchema,
} from '../../../../simulators/src/scenario/scenario.schema';
import type { SimSensor } from '../../../../simulators/src/scenario/world';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const START = '2026-11-23T09:00:00+08:00';
const T0 = Date.parse(START);
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Every incident here starts at 10:00 (an hour in, mid-morning); the road is cleared 90 minutes later. */
const AT = T0 + HOUR;
const END = AT + 90 * MINUTE;
const SCENARIO_END = T0 + 5 * HOUR;

/** Tianmushan Road (arterial, 40 km/h free flow); the pack lists its detectors in the direction of travel. */
const ROAD = 'road-tianmushan';
const roadDetectors = pack.sensors.filter((s) => s.road?.id === ROAD);
/** The accident happens just past this detector: it is the head of the queue. */
const HEAD = 'TRF-0091';

/**
 * Great-circle km between two detectors, summed detector to detector along the road (independent of
 * the world's road geometry).
 */
function kmBetween(fromId: string, toId: string): number {
  const ids = roadDetectors.map((s) => s.id);
  const [a, b] = [ids.indexOf(fromId), ids.indexOf(toId)].sort((x, y) => x - y) as [number, number];
  let km = 0;
  for (let i = a + 1; i <= b; i++) {
    const [p, q] = [roadDetectors[i - 1]!.location!, roadDetectors[i]!.location!];
    const rad = Math.PI / 180;
    const h =
      Math.sin(((q[1] - p[1]) * rad) / 2) ** 2 +
      Math.cos(p[1] * rad) * Math.cos(q[1] * rad) * Math.sin(((q[0] - p[0]) * rad) / 2) ** 2;
    km += 2 * 6371.0088 * Math.asin(Math.sqrt(h));
  }
  return km;
}

/** Detectors upstream of the head (before it on the road), nearest first, with their distance to it. */
const upstream = roadDetectors
  .slice(
    0,
    roadDetectors.findIndex((s) => s.id === HEAD),
  )
  .reverse()
  .map((s) => ({ id: s.id, km: kmBetween(s.id, HEAD) }));
/** Detectors past the spot, nearest first. */
const downstream = roadDetectors.slice(roadDetectors.findIndex((s) => s.id === HEAD) + 1).map((s) => s.id);

type TrafficIncidentInput = Partial<z.input<typeof TrafficIncidentSchema>>;

/** A 5-hour scenario with one traffic incident (`crash`, 10:00 for 90 min), and the same day without it. */
function setup(incident: TrafficIncidentInput = {}, seed = 1) {
  const scenario = ScenarioSchema.parse({
    name: { zh: '交通事故', en: 'Traffic accident' },
    start: START,
    duration: '5h',
    seed,
    incidents: [
      {
        id: 'crash',
        type: 'traffic-accident',
        at: '+1h',
        duration: '90m',
        where: { sensor: HEAD },
        ...incident,
      },
    ],
  });
  const compiled = compileScenario(scenario, pack);
  const clean = compileScenario({ ...scenario, incidents: [] }, pack);
  const gen = new ScenarioGenerator(compiled);
  const base = new ScenarioGenerator(clean);
  /** Every report of a sensor between two times: what it reads, and what it would without the incident. */
  const series = (id: string, from = T0, to = SCENARIO_END) => {
    const sim = compiled.world.byId.get(id)!;
    return reportTimes(sim, from, to).map((t) => ({
      t,
      v: gen.observe(sim, t).values,
      c: base.observe(clean.world.byId.get(id)!, t).values,
    }));
  };
  return { compiled, clean, gen, base, series };
}

/** Report times of a sensor with `from` ≤ t < `to`. */
function reportTimes(sim: SimSensor, from: number, to: number): number[] {
  const out: number[] = [];
  for (
    let t = sim.phaseMs + Math.ceil((from - sim.phaseMs) / sim.periodMs) * sim.periodMs;
    t < to;
    t += sim.periodMs
  )
    out.push(t);
  return out;
}

type Series = ReturnType<ReturnType<typeof setup>['series']>;
/** In the queue: slower than half of what the detector would read on the same day without the incident. */
const crawling = (r: Series[number]) => r.v['speed']! < 0.5 * r.c['speed']!;
/** When the detector joined the queue (its first crawling report), or null. */
const onsetOf = (s: Series) => s.find(crawling)?.t ?? null;
/** When it was released (the report after its last crawling one), or null. */
function releaseOf(s: Series): number | null {
  const last = s.findLastIndex(crawling);
  return last < 0 ? null : (s[last + 1]?.t ?? null);
}
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<[number, number]>): number {
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

const accident = setup();

describe('traffic incidents (traffic-accident, road-works)', () => {
  it('brings the detector at the spot down to crawling speed within two minutes of the accident', () => {
    const head = accident.series(HEAD);
    // Before the accident it reads exactly what it would read on the same day without it.
    for (const r of head.filter((x) => x.t < AT)) expect(r.v).toEqual(r.c);
    const onset = onsetOf(head)!;
    expect(onset).toBeGreaterThanOrEqual(AT);
    expect(onset - AT).toBeLessThanOrEqual(2 * MINUTE);
    const jam = head.filter((r) => r.t >= AT + 2 * MINUTE && r.t < END);
    expect(jam.length).toBeGreaterThan(200);
    for (const r of jam) {
      expect(r.v['speed']!).toBeLessThanOrEqual(8);
      expect(r.v['occupancy']!).toBeGreaterThan(0.6);
      expect(r.v['volume']!).toBeLessThan(0.4 * r.c['volume']!);
    }
    // The clean day flows at 30–45 km/h here, mid-morning.
    expect(mean(jam.map((r) => r.c['speed']!))).toBeGreaterThan(30);
  });

  it('grows the queue upstream at about queueGrowthKmh: the farther a detector, the later it joins', () => {
    const queued = upstream.filter((u) => u.km <= 4);
    expect(queued.length).toBe(5);
    const onsets = queued.map((u) => ({ ...u, onset: onsetOf(accident.series(u.id))! }));
    for (let i = 1; i < onsets.length; i++) expect(onsets[i]!.onset).toBeGreaterThan(onsets[i - 1]!.onset);
    for (const o of onsets) {
      // The tail of the queue reaches it km ÷ 4 km/h after the accident (plus the minute its speed
      // takes to fall).
      const expected = AT + (o.km / 4) * HOUR;
      expect(o.onset - expected, o.id).toBeGreaterThanOrEqual(-30_000);
      expect(o.onset - expected, o.id).toBeLessThanOrEqual(2 * MINUTE);
    }
    const kmh = 1 / slope(onsets.map((o) => [o.km, (o.onset - AT) / HOUR]));
    expect(kmh).toBeGreaterThan(3.6);
    expect(kmh).toBeLessThan(4.4);

    // A faster-growing queue reaches the same detectors twice as early.
    const fast = setup({ queueGrowthKmh: 8 });
    for (const o of onsets.slice(1)) {
      const sooner = onsetOf(fast.series(o.id))! - AT;
      expect(sooner / (o.onset - AT), o.id).toBeGreaterThan(0.4);
      expect(sooner / (o.onset - AT), o.id).toBeLessThan(0.6);
    }
  });

  it('thins traffic downstream of the spot without slowing it', () => {
    for (const id of downstream.filter((d) => kmBetween(HEAD, d) < 2.5)) {
      const s = accident.series(id);
      const during = s.filter((r) => r.t >= AT + MINUTE && r.t < END);
      expect(mean(during.map((r) => r.v['volume']!)), id).toBeLessThan(
        0.5 * mean(during.map((r) => r.c['volume']!)),
      );
      for (const r of during) expect(r.v['speed']!, id).toBeGreaterThanOrEqual(r.c['speed']!);
      expect(onsetOf(s), id).toBeNull();
      // Once the road is clear, it is an ordinary day again.
      for (const r of s.filter((x) => x.t >= END)) expect(r.v, id).toEqual(r.c);
    }
  });

  it('never reaches back further than maxQueueKm, however long the road stays blocked', () => {
    // Three hours blocked would grow a 12 km queue; it stops at 4 km.
    const long = setup({ duration: '3h' });
    for (const u of upstream) {
      const s = long.series(u.id);
      if (u.km <= 3.95) expect(onsetOf(s), u.id).not.toBeNull();
      if (u.km >= 4.05) for (const r of s) expect(r.v, u.id).toEqual(r.c);
    }
    expect(upstream.some((u) => u.km > 4.05)).toBe(true);

    const short = setup({ maxQueueKm: 2 });
    for (const u of upstream) {
      const s = short.series(u.id);
      if (u.km <= 1.95) expect(onsetOf(s), u.id).not.toBeNull();
      if (u.km >= 2.05) for (const r of s) expect(r.v, u.id).toEqual(r.c);
    }
  });

  it('releases the queue front first once the road is cleared, at about dischargeKmh', () => {
    const queued = [{ id: HEAD, km: 0 }, ...upstream.filter((u) => u.km <= 4)];
    const releases = queued.map((u) => ({ ...u, release: releaseOf(accident.series(u.id))! }));
    // The head recovers within a minute of the road being cleared.
    expect(releases[0]!.release).toBeGreaterThanOrEqual(END);
    expect(releases[0]!.release - END).toBeLessThanOrEqual(MINUTE);
    for (let i = 1; i < releases.length; i++)
      expect(releases[i]!.release).toBeGreaterThan(releases[i - 1]!.release);
    for (const r of releases) {
      const expected = END + (r.km / 6) * HOUR;
      expect(r.release - expected, r.id).toBeGreaterThanOrEqual(-30_000);
      expect(r.release - expected, r.id).toBeLessThanOrEqual(MINUTE);
      // Released for good: from then on the readings are the clean day's.
      for (const x of accident.series(r.id, r.release)) expect(x.v, r.id).toEqual(x.c);
    }
    const kmh = 1 / slope(releases.map((r) => [r.km, (r.release - END) / HOUR]));
    expect(kmh).toBeGreaterThan(5.4);
    expect(kmh).toBeLessThan(6.6);

    // A slower discharge keeps the far end of the queue waiting longer.
    const slow = setup({ dischargeKmh: 3 });
    const far = releases.at(-1)!;
    const slowRelease = releaseOf(slow.series(far.id))! - END;
    expect(slowRelease / (far.release - END)).toBeGreaterThan(1.8);
    expect(slowRelease / (far.release - END)).toBeLessThan(2.2);
  });

  it('labels every queued detector (metric speed) from its onset to its release, and changes nothing else', () => {
    const { compiled, clean } = accident;
    const labels = compiled.labels.filter((l) => l.incident === 'crash');
    expect(labels.map((l) => l.subject.id)).toEqual([
      HEAD,
      ...upstream.filter((u) => u.km <= 4).map((u) => u.id),
    ]);
    for (const l of labels) {
      expect(l).toMatchObject({ type: 'traffic-accident', metric: 'speed', subject: { type: 'sensor' } });
      const s = accident.series(l.subject.id);
      // Crawling within a report or two of the label's start, until its end; the clean day outside it.
      const onset = onsetOf(s)!;
      expect(onset).toBeGreaterThanOrEqual(l.start);
      expect(onset - l.start).toBeLessThanOrEqual(MINUTE + 20_000);
      for (const r of s.filter((x) => x.t >= l.start + MINUTE && x.t < l.end)) expect(crawling(r)).toBe(true);
      for (const r of s.filter((x) => x.t < l.start || x.t >= l.end)) expect(r.v).toEqual(r.c);
      expect(l.end).toBeGreaterThan(END);
    }

    // Across the whole city and scenario, the only readings that change are on this road, and
    // only the labelled detectors ever slow down.
    const lines = new Map(
      new ScenarioGenerator(clean).emissionsBetween(T0, SCENARIO_END).map((e) => [`${e.sensorId}@${e.t}`, e]),
    );
    const emitted = accident.gen.emissionsBetween(T0, SCENARIO_END);
    expect(emitted.length).toBe(lines.size);
    const changed = new Set<string>();
    const slowed = new Set<string>();
    for (const e of emitted) {
      const c = lines.get(`${e.sensorId}@${e.t}`)!;
      if (e.line === c.line) continue;
      changed.add(e.sensorId);
      if (e.reading!.values['speed']! < 0.5 * c.reading!.values['speed']!) slowed.add(e.sensorId);
    }
    for (const id of changed) expect(compiled.world.byId.get(id)!.sensor.road?.id, id).toBe(ROAD);
    expect([...slowed].sort()).toEqual(labels.map((l) => l.subject.id).sort());
  });

  it('makes road works (default strength 0.5) milder than an accident at the same spot', () => {
    const works = setup({ type: 'road-works' });
    const worksAtHalf = setup({ type: 'road-works', strength: 0.5 });
    const headOf = (x: ReturnType<typeof setup>) => x.series(HEAD, AT + 2 * MINUTE, END).map((r) => r.v);
    // The default strength of road works is 0.5.
    expect(headOf(works)).toEqual(headOf(worksAtHalf));
    const [a, w] = [headOf(accident), headOf(works)];
    expect(mean(w.map((v) => v['speed']!))).toBeGreaterThan(mean(a.map((v) => v['speed']!)) + 3);
    expect(mean(w.map((v) => v['occupancy']!))).toBeLessThan(mean(a.map((v) => v['occupancy']!)));
    expect(mean(w.map((v) => v['volume']!))).toBeGreaterThan(mean(a.map((v) => v['volume']!)));
    // Still a queue: crawling at the spot and growing upstream just the same.
    for (const r of works.series(HEAD, AT + 2 * MINUTE, END)) expect(crawling(r)).toBe(true);
    expect(works.compiled.labels.map((l) => [l.subject.id, l.start, l.end, l.type])).toEqual(
      accident.compiled.labels.map((l) => [l.subject.id, l.start, l.end, 'road-works']),
    );
    // More of the traffic gets past road works than past a wreck.
    const next = downstream[0]!;
    const volumeDuring = (x: ReturnType<typeof setup>) =>
      mean(x.series(next, AT + MINUTE, END).map((r) => r.v['volume']!));
    expect(volumeDuring(works)).toBeGreaterThan(1.5 * volumeDuring(accident));
    // An explicit strength overrides the type's default: road works as bad as a wreck read the same.
    const severeWorks = setup({ type: 'road-works', strength: 0.85 });
    expect(headOf(severeWorks)).toEqual(headOf(accident));
  });

  it('places the spot by road and position as well as by sensor', () => {
    const world = accident.compiled.world;
    const roadKm = world.roadLengthKm(ROAD);
    const spotKm = 0.7 * roadKm;
    const along = new Map(world.roadDetectors(ROAD).map((p) => [p.sim.sensor.id, p.alongKm]));
    // The pack lists the road's detectors in the direction of travel (as this file assumes).
    expect([...along.keys()]).toEqual(roadDetectors.map((s) => s.id));
    // 70 % of the way along lies between the head detector and the next one.
    expect(along.get(HEAD)!).toBeLessThan(spotKm);
    expect(along.get(downstream[0]!)!).toBeGreaterThan(spotKm);

    const byRoad = setup({ where: { road: ROAD, position: 0.7 } });
    const labels = byRoad.compiled.labels;
    expect(labels.map((l) => l.subject.id)).toEqual(
      [...along]
        .filter(([, km]) => km <= spotKm && km >= spotKm - 4)
        .map(([id]) => id)
        .reverse(),
    );
    // The queue starts at the spot, which is further from every detector than the head detector is:
    // each detector joins (spot − head) ÷ 4 km/h later than with the accident at the head.
    const lag = ((spotKm - along.get(HEAD)!) / 4) * HOUR;
    for (const id of [HEAD, upstream[0]!.id, upstream[1]!.id]) {
      const delay = onsetOf(byRoad.series(id))! - onsetOf(accident.series(id))!;
      expect(Math.abs(delay - lag), id).toBeLessThanOrEqual(40_000);
    }
    // The detector past the spot sees thinner, not slower, traffic.
    const past = byRoad.series(downstream[0]!, AT + MINUTE, END);
    expect(past.some(crawling)).toBe(false);
    expect(mean(past.map((r) => r.v['volume']!))).toBeLessThan(0.5 * mean(past.map((r) => r.c['volume']!)));
  });

  it('names the field when the road, the sensor or the spot does not fit', () => {
    const issuesOf = (incident: TrafficIncidentInput) => {
      try {
        setup(incident);
      } catch (err) {
        expect(err).toBeInstanceOf(ScenarioError);
        return (err as ScenarioError).issues;
      }
      throw new Error('the scenario compiled');
    };
    expect(issuesOf({ where: { road: 'road-nowhere', position: 0.5 } })).toEqual([
      {
        path: 'incidents[0].where.road',
        message: expect.stringMatching(/no road "road-nowhere".*road-tianmushan/),
      },
    ]);
    expect(issuesOf({ where: { sensor: 'AQ-001' } })).toEqual([
      {
        path: 'incidents[0].where.sensor',
        message: expect.stringContaining('"AQ-001" is not a traffic detector'),
      },
    ]);
    expect(issuesOf({ where: { sensor: 'TRF-9999' } })).toEqual([
      { path: 'incidents[0].where.sensor', message: expect.stringContaining('no sensor "TRF-9999"') },
    ]);
    // At the very start of the road there is no detector upstream to queue.
    expect(issuesOf({ where: { road: ROAD, position: 0 } })).toEqual([
      { path: 'incidents[0].where', message: expect.stringContaining('no loop detector') },
    ]);
  });

  it('generates the same messages for the same seed and other noise for another seed', () => {
    const window = (x: ReturnType<typeof setup>) =>
      x.gen.emissionsBetween(AT, AT + 20 * MINUTE).map((e) => e.line);
    const again = setup();
    const other = setup({}, 2);
    expect(window(again)).toEqual(window(accident));
    expect(window(other)).not.toEqual(window(accident));
    // The physics does not depend on the seed: the same detectors queue at the same times.
    expect(other.compiled.labels).toEqual(accident.compiled.labels);
    expect(onsetOf(other.series(upstream[2]!.id))).not.toBeNull();
  });
});
