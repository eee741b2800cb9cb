import type { LngLat } from '@shared/schemas/common.schema';
import type { ScenarioIssue } from './loadScenario';
import type { Baseline, Incident } from './scenario.schema';
import type { SimSensor, World } from './world';

/** One observation being generated: the baseline values, then every effect on top, in order. */
export interface Draft {
  sim: SimSensor;
  /** Scenario time of the observation, epoch ms. */
  t: number;
  values: Record<string, number>;
  /** The time the device stamps (clock skew moves it away from `t`). */
  observedAt: number;
  /** The device sends nothing (dropout). */
  drop: boolean;
  /** The device sends these bytes instead of a reading (malformed payload). */
  raw: string | null;
}

export interface GenContext {
  world: World;
  baseline: Baseline;
  /** Values the sensor would report at `t` without sensor faults (baseline + incidents). */
  physical(sim: SimSensor, t: number): Record<string, number>;
}

/**
 * What an incident does to one sensor's readings. Effects are pure: the same draft and
 * time always give the same change, so a run can start anywhere and stay byte-identical.
 */
export interface Effect {
  /** `world` changes what there is to measure; `fault` changes what the sensor reports. */
  stage: 'world' | 'fault';
  /** Active window (ms, `from` ≤ t < `to`); outside it the effect is not called. */
  from: number;
  to: number;
  apply(draft: Draft, ctx: GenContext): void;
}

/** Ground truth for scoring detectors: what was wrong, where, and when. */
export interface Label {
  incident: string;
  type: Incident['type'];
  /** What the label is about: a sensor, or an area (cell, district, the whole city). */
  subject: { type: 'sensor' | 'cell' | 'district' | 'city'; id: string };
  /** The metric that shows it (for faults: the metric affected, or `*` for all). */
  metric: string;
  start: number;
  end: number;
}

/** A 12345 report a `citizen-reports` incident makes: sent through Open311 when its time comes. */
export interface CitizenReport {
  /** Scenario time of the call, epoch ms. */
  t: number;
  incident: string;
  /** Its place in the incident's reports (0, 1, …); `incident#index` names it. */
  index: number;
  /** Case category id, and its Open311 `service_code`. */
  category: string;
  serviceCode: string;
  location: LngLat;
  /** The grid cell containing `location` (where the server registers the case) and its district. */
  gridCellId: string;
  districtId: string;
  description: string;
  /** The sensor the report is about, when it names one. */
  sensorId?: string;
}

/** `incident#index`: how a report is named in the runner and in `--out` files. */
export const reportKey = (r: Pick<CitizenReport, 'incident' | 'index'>): string => `${r.incident}#${r.index}`;

/** An incident turned into effects per sensor and its ground-truth labels. */
export interface CompiledIncident {
  id: string;
  type: Incident['type'];
  start: number;
  end: number;
  /** Effects by sensor id. */
  effects: Map<string, Effect[]>;
  labels: Label[];
  /** Where it happens, for expectations that name the incident. */
  area: { sensors: Set<string>; cells: Set<string>; districts: Set<string> };
  /** Citizens' reports (`citizen-reports` incidents), by time. */
  reports: CitizenReport[];
}

/** Builds one incident type; issues (unknown ids…) go to `issues` under `path`. */
export interface IncidentCompileInput<I extends Incident> {
  incident: I;
  world: World;
  /** Resolved times, epoch ms. */
  start: number;
  end: number;
  /** End of the whole scenario (effects may last until then). */
  scenarioEnd: number;
  /**
   * Start of the scenario and its offset (minutes east of UTC), to resolve times given inside
   * the incident (a citizen report's `at`); default: the incident's start, UTC.
   */
  scenarioStart?: number;
  offsetMin?: number;
  seed: number;
  path: string;
  issues: ScenarioIssue[];
}

export function emptyIncident(
  id: string,
  type: Incident['type'],
  start: number,
  end: number,
): CompiledIncident {
  return {
    id,
    type,
    start,
    end,
    effects: new Map(),
    labels: [],
    area: { sensors: new Set(), cells: new Set(), districts: new Set() },
    reports: [],
  };
}

/** Add an effect for a sensor and record the sensor (and its cell and district) in the incident's area. */
export function addEffect(target: CompiledIncident, sim: SimSensor, effect: Effect, inArea = true): void {
  const list = target.effects.get(sim.sensor.id);
  if (list) list.push(effect);
  else target.effects.set(sim.sensor.id, [effect]);
  if (!inArea) return;
  target.area.sensors.add(sim.sensor.id);
  if (sim.sensor.gridCellId) target.area.cells.add(sim.sensor.gridCellId);
  if (sim.sensor.districtId) target.area.districts.add(sim.sensor.districtId);
}

export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
export const round = (v: number, digits: number) => Number(v.toFixed(digits));

/**
 * Strength of something that builds up linearly over `up` ms, holds, and fades over `down`
 * ms after `end`: 0 → 1 → 0.
 */
export function envelope(t: number, start: number, end: number, up: number, down: number): number {
  if (t < start) return 0;
  if (up > 0 && t < start + up) return (t - start) / up;
  if (t < end) return 1;
  if (down > 0 && t < end + down) return 1 - (t - end) / down;
  return 0;
}
