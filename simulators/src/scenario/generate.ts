import type { CityPack } from '@shared/schemas/cityPack.schema';
import type { ReadingInput } from '@shared/schemas/reading.schema';
import { cityDayValues } from '../cityDay.generator';
import { compileAirIncident } from './incidents/air';
import { compileCitizenReports } from './incidents/citizen';
import { compileFaults } from './incidents/faults';
import { compileBaseEvents, compileGridEvents, compileRainstorm } from './incidents/grid';
import { compileTrafficIncident } from './incidents/traffic';
import { ScenarioError, type ScenarioIssue } from './loadScenario';
import type {
  CitizenReport,
  CompiledIncident,
  Draft,
  Effect,
  GenContext,
  IncidentCompileInput,
  Label,
} from './model';
import type { Incident, Scenario } from './scenario.schema';
import { offsetMinutesOf, resolveTime } from './time';
import { firstReportAfter, World, type SimSensor } from './world';

/** One message a device sends: a reading, or (a malformed payload) raw bytes. */
export interface Emission {
  /** Scenario time the device sends it, epoch ms. */
  t: number;
  sensorId: string;
  /** The reading, or null when the device sends malformed bytes. */
  reading: ReadingInput | null;
  /** The payload as sent: the reading's JSON, or the malformed bytes. */
  line: string;
}

/** A scenario ready to generate: resolved times, its world and compiled incidents. */
export interface CompiledScenario {
  scenario: Scenario;
  world: World;
  seed: number;
  start: number;
  end: number;
  /** Offset of the scenario's start, minutes east of UTC (local times in reports use it). */
  offsetMin: number;
  /** Injected incidents, in file order; base-rate grid events come last (id `baseline`). */
  incidents: CompiledIncident[];
  /** Ground truth of every incident, sorted by start. */
  labels: Label[];
  /** Effects by sensor id: world effects first, then faults, each in incident order. */
  effects: Map<string, Effect[]>;
  /** Every citizen's report of the scenario, by time (then incident order). */
  reports: CitizenReport[];
}

type Compiler = (input: IncidentCompileInput<Incident>) => CompiledIncident;
const COMPILERS: Record<Incident['type'], Compiler> = {
  'traffic-accident': compileTrafficIncident as Compiler,
  'road-works': compileTrafficIncident as Compiler,
  'pollution-episode': compileAirIncident as Compiler,
  rainstorm: compileRainstorm as Compiler,
  'grid-events': compileGridEvents as Compiler,
  'sensor-faults': compileFaults as Compiler,
  'citizen-reports': compileCitizenReports as Compiler,
};

/**
 * Resolve a scenario against a city pack: times, sensors, incidents. Ids that do not exist
 * in the pack are reported like schema errors (a {@link ScenarioError} naming each field).
 */
export function compileScenario(
  scenario: Scenario,
  pack: CityPack,
  options: { seed?: number; file?: string } = {},
): CompiledScenario {
  const seed = options.seed ?? scenario.seed;
  const world = new World(pack, seed);
  const start = Date.parse(scenario.start);
  const offsetMin = offsetMinutesOf(scenario.start);
  const end = start + scenario.duration * 1000;
  const issues: ScenarioIssue[] = [];
  const incidents: CompiledIncident[] = [];
  scenario.incidents.forEach((incident, i) => {
    const path = `incidents[${i}]`;
    const at = resolveTime(incident.at, start, offsetMin);
    if (at < start || at >= end)
      issues.push({
        path: `${path}.at`,
        message: `${incident.at} is outside the scenario (${scenario.start} + ${scenario.duration} s)`,
      });
    incidents.push(
      COMPILERS[incident.type]({
        incident,
        world,
        start: at,
        end: at + incident.duration * 1000,
        scenarioEnd: end,
        scenarioStart: start,
        offsetMin,
        seed,
        path,
        issues,
      }),
    );
  });
  incidents.push(compileBaseEvents({ baseline: scenario.baseline, world, start, end, seed }));
  scenario.expect.forEach((e, i) => {
    for (const key of ['after', 'from', 'to'] as const) {
      const v = (e as Record<string, unknown>)[key];
      if (typeof v !== 'string') continue;
      const t = resolveTime(v, start, offsetMin);
      if (t < start || t > end)
        issues.push({ path: `expect[${i}].${key}`, message: `${v} is outside the scenario` });
    }
    if (e.type !== 'case' && e.where) world.select(e.where, `expect[${i}].where`, issues);
  });
  if (issues.length > 0) throw new ScenarioError(options.file ?? scenario.name.en, issues);

  const effects = new Map<string, Effect[]>();
  for (const stage of ['world', 'fault'] as const)
    for (const inc of incidents)
      for (const [id, list] of inc.effects)
        for (const e of list) {
          if (e.stage !== stage) continue;
          const all = effects.get(id);
          if (all) all.push(e);
          else effects.set(id, [e]);
        }
  const labels = incidents
    .flatMap((i) => i.labels)
    .sort(
      (a, b) =>
        a.start - b.start || a.incident.localeCompare(b.incident) || a.subject.id.localeCompare(b.subject.id),
    );
  // Stable sort: reports at the same instant keep the incidents' order, then their own.
  const reports = incidents.flatMap((i) => i.reports).sort((a, b) => a.t - b.t);
  return { scenario, world, seed, start, end, offsetMin, incidents, labels, effects, reports };
}

/** Turns a compiled scenario into observations; pure, so any window can be generated alone. */
export class ScenarioGenerator {
  private readonly ctx: GenContext;

  constructor(readonly compiled: CompiledScenario) {
    this.ctx = {
      world: compiled.world,
      baseline: compiled.scenario.baseline,
      physical: (sim, t) => this.draft(sim, t, 'world').values,
    };
  }

  private draft(sim: SimSensor, t: number, upTo: 'world' | 'fault', shiftMs = 0): Draft {
    const { scenario, seed } = this.compiled;
    const draft: Draft = {
      sim,
      t,
      values: cityDayValues(sim.sensor, t, {
        seed,
        trafficScale: scenario.baseline.traffic,
        airScale: scenario.baseline.air,
      }),
      observedAt: t + shiftMs,
      drop: false,
      raw: null,
    };
    const effects = this.compiled.effects.get(sim.sensor.id);
    if (effects)
      for (const e of effects) {
        if (upTo === 'world' && e.stage === 'fault') break;
        if (t >= e.from && t < e.to) e.apply(draft, this.ctx);
      }
    return draft;
  }

  /** What the sensor reports at `t`, faults included; the device stamps `t + shiftMs`. */
  observe(sim: SimSensor, t: number, shiftMs = 0): Draft {
    return this.draft(sim, t, 'fault', shiftMs);
  }

  /**
   * Every message sent with `from` < t ≤ `to`, ordered by time, then by the sensor's place in
   * the pack. `shiftMs` moves the timestamps devices stamp (a live replay on another day),
   * malformed payloads included; the values stay those of the scenario's own time.
   */
  emissionsBetween(from: number, to: number, shiftMs = 0): Emission[] {
    const out: Array<Emission & { index: number }> = [];
    for (const sim of this.compiled.world.sensors) {
      for (let t = firstReportAfter(sim, from); t <= to; t += sim.periodMs) {
        const d = this.observe(sim, t, shiftMs);
        if (d.drop) continue;
        if (d.raw !== null) {
          out.push({ t, sensorId: sim.sensor.id, reading: null, line: d.raw, index: sim.index });
          continue;
        }
        const reading: ReadingInput = { sensorId: sim.sensor.id, observedAt: d.observedAt, values: d.values };
        out.push({ t, sensorId: sim.sensor.id, reading, line: JSON.stringify(reading), index: sim.index });
      }
    }
    out.sort((a, b) => a.t - b.t || a.index - b.index);
    return out.map(({ index: _index, ...e }) => e);
  }
}
