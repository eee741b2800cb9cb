import { reportTimes } from '../../../helpers/scenario';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { METRICS } from '@shared/metrics';
import { checkReading, type ReadingCheckContext } from '../../../../server/src/domain/readingValidation';
import { loadCityPack, resolveCityPackDir } from '../../../../server/src/cityPack/cityPack.loader';
import {
  compileFaults,
  MAIN_METRIC,
  MALFORMED_KINDS,
} from '../../../../simulators/src/scenario/incidents/faults';
import { compileScenario, ScenarioGenerator } from '../../../../simulators/src/scenario/generate';
import type { ScenarioIssue } from '../../../../simulators/src/scenario/loadScenario';
import type { Draft } from '../../../../simulators/src/scenario/model';
import { ScenarioSchema, SensorFaultSchema } from '../../../../simulators/src/scenario/scenario.schema';
import { World, type SimSensor } from '../../../../simulators/src/scenario/world';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const START = '2026-11-23T06:00:00+08:00';
const T0 = Date.parse(START);
const HOUR = 3_600_000;
/** Every incident here starts an hour in and lasts two hours. */
const AT = T0 + HOUR;
const END = AT + 2 * HOUR;

/** A fault incident as written in a scenario file, without the fields every test shares. */
type FaultInput = Omit<z.input<typeof SensorFaultSchema>, 'id' | 'type' | 'at' | 'duration'>;

/** A 6-hour scenario with one fault incident (`f1`, +1h for 2h), and the same day without it. */
function setup(fault: FaultInput, seed = 1) {
  const scenario = ScenarioSchema.parse({
    name: { zh: '传感器故障', en: 'Sensor faults' },
    start: START,
    duration: '6h',
    seed,
    incidents: [{ id: 'f1', type: 'sensor-faults', at: '+1h', duration: '2h', ...fault }],
  });
  const compiled = compileScenario(scenario, pack);
  const clean = compileScenario({ ...scenario, incidents: [] }, pack);
  const incident = compiled.incidents.find((i) => i.id === 'f1')!;
  const affected = incident.labels.map((l) => compiled.world.byId.get(l.subject.id)!);
  return {
    compiled,
    incident,
    affected,
    gen: new ScenarioGenerator(compiled),
    clean: new ScenarioGenerator(clean),
  };
}

function drafts(gen: ScenarioGenerator, sims: readonly SimSensor[], from: number, to: number): Draft[] {
  return sims.flatMap((sim) => reportTimes(sim, from, to).map((t) => gen.observe(sim, t)));
}

/** The server's ingest checks with its default limits (300 s clock skew, 7 days retention). */
function ingestContext(now: number): ReadingCheckContext {
  const byId = new Map(pack.sensors.map((s) => [s.id, new Set<string>(s.metrics.map((m) => m.metric))]));
  return {
    now,
    maxFutureMs: 300_000,
    maxAgeMs: 7 * 86_400_000,
    autoRegister: false,
    sensorOf: (id) => {
      const metrics = byId.get(id);
      return metrics && { id, metrics };
    },
  };
}

/** Why ingest refuses these bytes (JSON that does not parse counts as `malformed_json`), or null if it accepts them. */
function refusal(bytes: string, now: number): string | null {
  let json: unknown;
  try {
    json = JSON.parse(bytes);
  } catch {
    return 'malformed_json';
  }
  // An MQTT payload may be an array of readings: each is checked on its own.
  const items = Array.isArray(json) ? json : [json];
  for (const item of items) {
    const check = checkReading(item, ingestContext(now));
    if (!check.ok) return check.rejection.reason;
  }
  return null;
}

function compileDirect(fault: FaultInput, seed = 1) {
  const issues: ScenarioIssue[] = [];
  const incident = SensorFaultSchema.parse({
    id: 'f1',
    type: 'sensor-faults',
    at: '+1h',
    duration: '2h',
    ...fault,
  });
  const out = compileFaults({
    incident,
    world: new World(pack, seed),
    start: AT,
    end: END,
    scenarioEnd: T0 + 6 * HOUR,
    seed,
    path: 'incidents[3]',
    issues,
  });
  return { out, issues };
}

describe('sensor-fault selection', () => {
  it('affects round(share × n) of the selected sensors', () => {
    const where: FaultInput['where'] = { districts: ['330104'], subtypes: ['loop-detector'] };
    const n = pack.sensors.filter((s) => s.districtId === '330104' && s.subtype === 'loop-detector').length;
    for (const share of [0.1, 0.25, 0.5, 1]) {
      const { out, issues } = compileDirect({ fault: 'dropout', where, share });
      expect(issues).toEqual([]);
      expect(out.labels).toHaveLength(Math.round(share * n));
      expect(out.effects.size).toBe(Math.round(share * n));
      for (const id of out.effects.keys()) {
        const s = pack.sensors.find((x) => x.id === id)!;
        expect([s.districtId, s.subtype]).toEqual(['330104', 'loop-detector']);
      }
    }
  });

  it('draws the affected sensors from the seed', () => {
    const where: FaultInput['where'] = { subtypes: ['manhole'] };
    const ids = (seed: number) => [
      ...compileDirect({ fault: 'stuck', where, share: 0.2 }, seed).out.effects.keys(),
    ];
    expect(ids(1)).toEqual(ids(1));
    expect(ids(2)).not.toEqual(ids(1));
  });

  it('reports a where that selects no sensors at the where field', () => {
    const trf = pack.sensors.find((s) => s.subtype === 'loop-detector')!.id;
    const { out, issues } = compileDirect({ fault: 'dropout', where: { sensors: [trf], kinds: ['air'] } });
    expect(issues).toEqual([
      { path: 'incidents[3].where', message: expect.stringMatching(/selects no sensors/) },
    ]);
    expect(out.effects.size).toBe(0);
  });

  it('reports an unknown district at its place in where, once', () => {
    const { issues } = compileDirect({ fault: 'dropout', where: { districts: ['330199'] } });
    expect(issues).toEqual([
      { path: 'incidents[3].where.districts[0]', message: expect.stringMatching(/330199/) },
    ]);
  });

  it('reports a share that rounds to no sensor at the share field', () => {
    const { issues } = compileDirect({
      fault: 'spike',
      where: { subtypes: ['weather-station'] },
      share: 0.05,
    });
    expect(issues).toEqual([
      { path: 'incidents[3].share', message: expect.stringMatching(/rounds to none/) },
    ]);
  });
});

describe('sensor-fault labels and area', () => {
  it('labels each affected sensor with the main metric of a value fault, from its onset to the end', () => {
    const { out } = compileDirect({ fault: 'drift', where: { districts: ['330102'] }, share: 0.3 });
    expect(out.labels.length).toBeGreaterThan(30);
    for (const label of out.labels) {
      const sensor = pack.sensors.find((s) => s.id === label.subject.id)!;
      expect(label).toEqual({
        incident: 'f1',
        type: 'sensor-faults',
        subject: { type: 'sensor', id: sensor.id },
        metric: MAIN_METRIC[sensor.subtype].metric,
        start: AT,
        end: END,
      });
    }
    expect([...out.area.sensors].sort()).toEqual(out.labels.map((l) => l.subject.id).sort());
    expect([...out.area.districts]).toEqual(['330102']);
    expect(out.area.cells.size).toBeGreaterThan(5);
  });

  it('labels faults of the whole reading with metric *', () => {
    for (const fault of ['dropout', 'clock-skew', 'malformed'] as const) {
      const { out } = compileDirect({ fault, where: { subtypes: ['feeder'] }, share: 0.5 });
      expect(out.labels).toHaveLength(30);
      expect(new Set(out.labels.map((l) => l.metric))).toEqual(new Set(['*']));
    }
  });

  it('gives each affected sensor one fault-stage effect from its onset to the end', () => {
    const { out } = compileDirect({ fault: 'spike', where: { subtypes: ['smoke'] }, ramp: true });
    for (const [id, list] of out.effects) {
      const label = out.labels.find((l) => l.subject.id === id)!;
      expect(list).toEqual([expect.objectContaining({ stage: 'fault', from: label.start, to: END })]);
    }
  });
});

describe('sensor-fault effects', () => {
  it('drops readings at the given probability, only inside the window', () => {
    const { gen, affected } = setup({
      fault: 'dropout',
      where: { subtypes: ['loop-detector'] },
      share: 0.05,
      probability: 0.3,
    });
    expect(affected).toHaveLength(10);
    const inside = drafts(gen, affected, AT, END);
    expect(inside).toHaveLength(10 * 360);
    const dropped = inside.filter((d) => d.drop).length / inside.length;
    expect(dropped).toBeGreaterThan(0.27);
    expect(dropped).toBeLessThan(0.33);
    expect(drafts(gen, affected, AT - HOUR, AT).some((d) => d.drop)).toBe(false);
    expect(drafts(gen, affected, END, END + HOUR).some((d) => d.drop)).toBe(false);
  });

  it('drops every reading by default', () => {
    const { gen, affected } = setup({
      fault: 'dropout',
      where: { districts: ['330108'], subtypes: ['aq-station'] },
    });
    expect(affected).toHaveLength(6);
    expect(drafts(gen, affected, AT, END).every((d) => d.drop)).toBe(true);
  });

  it('repeats what the sensor measured at its onset while observedAt advances', () => {
    const { gen, clean, affected } = setup({
      fault: 'stuck',
      where: { subtypes: ['loop-detector'] },
      share: 0.02,
    });
    for (const sim of affected) {
      const frozen = clean.observe(sim, AT).values;
      const inside = drafts(gen, [sim], AT, END);
      expect(inside.map((d) => d.values)).toEqual(inside.map(() => frozen));
      expect(inside.map((d) => d.observedAt)).toEqual(reportTimes(sim, AT, END));
      // The real speed moves over two hours; the stuck one does not.
      const real = new Set(drafts(clean, [sim], AT, END).map((d) => d.values['speed']));
      expect(real.size).toBeGreaterThan(10);
      const after = reportTimes(sim, END, END + HOUR)[0]!;
      expect(gen.observe(sim, after).values).toEqual(clean.observe(sim, after).values);
    }
  });

  it('freezes what the sensor physically measured, world incidents included', () => {
    const detector = pack.sensors.find((s) => s.subtype === 'loop-detector' && s.road)!.id;
    const scenario = ScenarioSchema.parse({
      name: { zh: '事故与卡滞', en: 'Accident and a stuck detector' },
      start: START,
      duration: '6h',
      incidents: [
        { id: 'crash', type: 'traffic-accident', at: '+30m', duration: '3h', where: { sensor: detector } },
        {
          id: 'f1',
          type: 'sensor-faults',
          at: '+1h',
          duration: '2h',
          fault: 'stuck',
          where: { sensors: [detector] },
        },
      ],
    });
    const gen = new ScenarioGenerator(compileScenario(scenario, pack));
    const crashOnly = new ScenarioGenerator(
      compileScenario({ ...scenario, incidents: scenario.incidents.slice(0, 1) }, pack),
    );
    const sim = gen.compiled.world.byId.get(detector)!;
    const frozen = crashOnly.observe(sim, AT).values;
    expect(frozen['speed']).toBeLessThan(15);
    for (const d of drafts(gen, [sim], AT, END)) expect(d.values).toEqual(frozen);
  });

  it('multiplies the main metric of some readings by the spike factor and leaves the rest', () => {
    const { gen, clean, affected } = setup({
      fault: 'spike',
      where: { subtypes: ['aq-station'] },
      probability: 0.2,
      spikeFactor: 3,
    });
    expect(affected).toHaveLength(36);
    let spiked = 0;
    let total = 0;
    for (const sim of affected)
      for (const t of reportTimes(sim, AT, END)) {
        const got = gen.observe(sim, t).values;
        const want = clean.observe(sim, t).values;
        total++;
        if (got['pm25'] !== want['pm25']) {
          spiked++;
          expect(got['pm25']).toBe(Number((want['pm25']! * 3).toFixed(1)));
        }
        expect({ ...got, pm25: 0 }).toEqual({ ...want, pm25: 0 });
      }
    expect(total).toBe(36 * 120);
    expect(spiked / total).toBeGreaterThan(0.17);
    expect(spiked / total).toBeLessThan(0.23);
  });

  it('sends a spike beyond the plausible range unclamped, so the server refuses it as out_of_range', () => {
    const { gen, affected } = setup({
      fault: 'spike',
      where: { districts: ['330102'], subtypes: ['aq-station'] },
      probability: 1,
      spikeFactor: 100,
    });
    for (const d of drafts(gen, affected, AT, AT + 600_000)) {
      expect(d.values['pm25']).toBeGreaterThan(METRICS.pm25.max);
      const reading = { sensorId: d.sim.sensor.id, observedAt: d.observedAt, values: d.values };
      expect(refusal(JSON.stringify(reading), d.t)).toBe('out_of_range');
    }
  });

  it('drifts the main metric linearly with the time since onset, by a share of its range per hour', () => {
    const { gen, clean, affected } = setup({
      fault: 'drift',
      where: { subtypes: ['feeder'] },
      share: 0.1,
      driftPerHour: 0.05,
    });
    expect(affected).toHaveLength(6);
    const perHour = 0.05 * (METRICS.feederLoad.max - METRICS.feederLoad.min); // 15 %/h
    for (const sim of affected)
      for (const t of reportTimes(sim, AT, END).filter((_, i) => i % 10 === 0)) {
        const got = gen.observe(sim, t).values['feederLoad']!;
        const want = clean.observe(sim, t).values['feederLoad']!;
        expect(got - want).toBeCloseTo((perHour * (t - AT)) / HOUR, 0);
        expect(gen.observe(sim, t).values['feederOnline']).toBe(1);
      }
  });

  it('holds a drift at the end of the metric range', () => {
    const { gen, affected } = setup({
      fault: 'drift',
      where: { districts: ['330104'], subtypes: ['waste-bin'] },
      driftPerHour: 1,
    });
    const late = drafts(gen, affected, AT + HOUR, END);
    expect(late.length).toBeGreaterThan(100);
    expect(late.every((d) => d.values['fillLevel'] === METRICS.fillLevel.max)).toBe(true);
  });

  it('shifts observedAt by the skew and leaves the values', () => {
    const { gen, clean, affected } = setup({ fault: 'clock-skew', where: { subtypes: ['weather-station'] } });
    expect(affected).toHaveLength(6);
    for (const sim of affected)
      for (const t of reportTimes(sim, AT, AT + 600_000)) {
        const d = gen.observe(sim, t);
        expect(d.observedAt).toBe(t + 3_600_000);
        expect(d.values).toEqual(clean.observe(sim, t).values);
        const reading = { sensorId: sim.sensor.id, observedAt: d.observedAt, values: d.values };
        expect(refusal(JSON.stringify(reading), t)).toBe('future_timestamp');
      }
  });
});

describe('malformed payloads', () => {
  it.each(MALFORMED_KINDS.map((k) => [k.what, k] as const))(
    'refuses %s from every kind of device',
    (_what, kind) => {
      const quiet = ScenarioSchema.parse({ name: { zh: '平静', en: 'Quiet' }, start: START, duration: '3h' });
      const gen = new ScenarioGenerator(compileScenario(quiet, pack));
      for (const subtype of Object.keys(MAIN_METRIC) as (keyof typeof MAIN_METRIC)[]) {
        const sim = gen.compiled.world.sensors.find((s) => s.sensor.subtype === subtype)!;
        const d = gen.observe(sim, AT);
        const reading = { sensorId: sim.sensor.id, observedAt: d.observedAt, values: d.values };
        // The reading the device meant to send is accepted: the refusal is the malformation's.
        expect(refusal(JSON.stringify(reading), AT)).toBeNull();
        expect(refusal(kind.bytes(reading, MAIN_METRIC[subtype]), AT)).not.toBeNull();
      }
    },
  );

  it('sends malformed bytes for the given share of readings, cycling through every kind', () => {
    const { gen, affected } = setup({
      fault: 'malformed',
      where: { subtypes: ['loop-detector'] },
      share: 0.05,
    });
    const inside = drafts(gen, affected, AT, END);
    const raw = inside.filter((d) => d.raw !== null);
    expect(raw.length / inside.length).toBeGreaterThan(0.17);
    expect(raw.length / inside.length).toBeLessThan(0.23);
    const reasons = new Map<string, number>();
    for (const d of raw) {
      const reason = refusal(d.raw!, d.t);
      expect(reason).not.toBeNull();
      reasons.set(reason!, (reasons.get(reason!) ?? 0) + 1);
    }
    expect([...reasons.keys()].sort()).toEqual(
      ['invalid_field', 'invalid_shape', 'invalid_timestamp', 'malformed_json', 'unknown_metric'].sort(),
    );
    // Each kind is one of 8 in the cycle: JSON that does not parse is 3 of them.
    expect(reasons.get('malformed_json')! / raw.length).toBeCloseTo(3 / 8, 1);
  });

  it('puts malformed payloads in the emitted stream, one kind after the other', () => {
    const { gen, clean, affected } = setup({
      fault: 'malformed',
      where: { districts: ['330103'], subtypes: ['feeder'] },
      probability: 1,
    });
    const sim = affected[0]!;
    const emitted = gen.emissionsBetween(AT, AT + 600_000).filter((e) => e.sensorId === sim.sensor.id);
    expect(emitted).toHaveLength(10);
    const kinds = emitted.map((e) => {
      expect(e.reading).toBeNull();
      const d = clean.observe(sim, e.t);
      const meant = { sensorId: sim.sensor.id, observedAt: d.observedAt, values: d.values };
      return MALFORMED_KINDS.findIndex((k) => k.bytes(meant, MAIN_METRIC.feeder) === e.line);
    });
    expect(kinds.map((k, i) => (k - kinds[0]! - i + 16) % 8)).toEqual(kinds.map(() => 0));
  });
});

describe('sensor-fault ramp', () => {
  it('brings the affected sensors in one by one, so the faulty share grows across the window', () => {
    const { gen, incident, affected } = setup({
      fault: 'dropout',
      where: { districts: ['330104'], subtypes: ['loop-detector'] },
      ramp: true,
    });
    const k = affected.length;
    expect(k).toBe(63);
    const onsets = incident.labels.map((l) => l.start);
    expect(onsets).toEqual(onsets.map((_, i) => AT + Math.floor((2 * HOUR * i) / k)));
    const faulty = (x: number) => {
      const t = AT + x * 2 * HOUR;
      return (
        affected.filter((sim) => gen.observe(sim, reportTimes(sim, t, t + sim.periodMs)[0]!).drop).length / k
      );
    };
    const shares = [0.1, 0.25, 0.5, 0.75, 0.95].map(faulty);
    shares.forEach((s, i) => expect(s).toBeCloseTo([0.1, 0.25, 0.5, 0.75, 0.95][i]!, 1));
    expect(faulty(1.05)).toBe(0);
    expect(incident.labels.every((l) => l.end === END)).toBe(true);
  });
});

describe('sensor-fault determinism', () => {
  it('emits identical payloads for the same seed and different ones for another', () => {
    const fault: FaultInput = {
      fault: 'malformed',
      where: { districts: ['330105'] },
      share: 0.5,
      probability: 0.5,
    };
    const lines = (seed: number) =>
      setup(fault, seed)
        .gen.emissionsBetween(AT, AT + 300_000)
        .map((e) => e.line)
        .join('\n');
    const a = lines(7);
    expect(lines(7)).toBe(a);
    expect(lines(8)).not.toBe(a);
  });
});
