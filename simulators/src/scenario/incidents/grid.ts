import type { MetricId } from '@shared/metrics';
import type { SensorSubtype } from '@shared/schemas/sensor.schema';
import type { z } from 'zod';
import { gauss, hashString, mulberry32, unit } from '../../noise';
import {
  addEffect,
  clamp,
  emptyIncident,
  envelope,
  round,
  type CompiledIncident,
  type IncidentCompileInput,
  type Label,
} from '../model';
import {
  GRID_EVENTS,
  type Baseline,
  type GridEventKind,
  type GridEventBurstSchema,
  type RainstormSchema,
} from '../scenario.schema';
import type { SimSensor, World } from '../world';

export type Rainstorm = z.infer<typeof RainstormSchema>;
export type GridEventBurst = z.infer<typeof GridEventBurstSchema>;

const MIN_MS = 60_000;
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Rainstorm physics (tuned in test/simulators/scenario/incidents/grid.test.ts)
// ---------------------------------------------------------------------------------------------

/** Share of the storm spent building up to the peak, and again fading out. */
const RAMP_SHARE = 0.25;
/**
 * What the drains carry away, mm/h. Rain below it never ponds, so an ordinary 暴雨 at the
 * 16 mm/h threshold leaves the streets dry and only heavier rain floods low spots.
 */
const DRAIN_CAPACITY_MM_H = 20;
/** Water level gained per minute per mm/h of rain above the drain capacity, cm per unit susceptibility. */
const INFLOW_CM_PER_MM_H_MIN = 0.085;
/**
 * Time constant of the outflow, minutes: the outflow is level / TAU, so standing water is
 * down to 5 % about 45 minutes after the rain falls below the drain capacity (dry within ~1 h).
 */
const DRAIN_TAU_MIN = 15;
/** Below this level (cm per unit susceptibility) after the storm the street counts as dry. */
const DRY_CM = 0.05;
/**
 * Susceptibility of a gauge's spot: depth = s · H(t). s = 0.2 + 1.6 u³ with u uniform, so
 * most spots stay shallow and about one in five is low-lying (s > 1, an underpass or a dip).
 */
const SUSCEPTIBILITY_MIN = 0.2;
const SUSCEPTIBILITY_SPAN = 1.6;
/** Noise key salt of the susceptibility: a property of the spot, the same for every storm. */
const SUSCEPTIBILITY_SALT = 0x5eed_a7e5;
/** Depth from which a gauge is labelled (the blue level of grid-waterlogging), cm. */
const LABEL_DEPTH_CM = 15;
/**
 * A feeder trips this long after water near it reaches the trip depth: the water has to get
 * into the ring main unit or a cable joint before the protection acts. It also puts the
 * trip after the first gauge reading that shows the depth (gauges report every minute).
 */
const TRIP_DELAY_MS = 2 * MIN_MS;

/**
 * 暴雨 and its disaster chain. Rain intensity I(t) builds up over the first quarter of the
 * storm, holds at `peakMmPerHour` and fades over the last quarter; weather stations in the area
 * report it as `rainfall`. Rain above the drain capacity fills a bucket whose level H(t)
 * (precomputed per minute) drains with a ~15 min time constant once the rain eases; each
 * waterlogging gauge in the area reads s · H(t) for its spot's susceptibility s. A feeder
 * (anywhere: water does not stop at a selector's edge) trips when a flooded gauge within
 * `feederRadiusKm` passes `feederTripDepthCm`, stays down for `feederRepair`, and the
 * streetlights it supplies (each lamp hangs on its nearest feeder) go dark meanwhile.
 * Order in time: water rises → feeders trip → lamps go dark.
 */
export function compileRainstorm(input: IncidentCompileInput<Rainstorm>): CompiledIncident {
  const { incident: inc, world, start, end, scenarioEnd, path, issues } = input;
  const out = emptyIncident(inc.id, inc.type, start, end);
  const salt = hashString(inc.id);

  const before = issues.length;
  const selected = world.select(inc.area, `${path}.area`, issues);
  const stations = selected.filter((s) => s.sensor.subtype === 'weather-station');
  const gauges = selected.filter((s) => s.sensor.subtype === 'waterlogging');
  if (stations.length + gauges.length === 0) {
    if (issues.length === before)
      issues.push({
        path: `${path}.area`,
        message: 'selects no weather station and no waterlogging gauge: the rain would show nowhere',
      });
    return out;
  }

  const ramp = (end - start) * RAMP_SHARE;
  const intensity = (t: number) => inc.peakMmPerHour * envelope(t, start, end - ramp, ramp, ramp);

  for (const sim of stations)
    addEffect(
      out,
      sim,
      {
        stage: 'world',
        from: start,
        to: end,
        apply(draft) {
          const v = draft.values;
          if (v['rainfall'] === undefined) return;
          // Stations a few km apart never read quite the same: ±3 % around the storm's intensity.
          const n = gauss((sim.key ^ salt) + 1, Math.floor(draft.t / 1000));
          v['rainfall'] = round(clamp(v['rainfall'] + intensity(draft.t) * (1 + 0.03 * n), 0, 300), 1);
        },
      },
      false,
    );

  const curve = waterCurve(intensity, start, end, scenarioEnd);
  const wetUntil = Math.min(scenarioEnd, start + (curve.length - 1) * MIN_MS);
  /** Gauges whose depth reaches the trip depth, with the first minute it does. */
  const wet: Array<{ sim: SimSensor; tripMinute: number }> = [];
  for (const sim of gauges) {
    const s = susceptibility(sim);
    const labels = intervalsAbove(curve, s, LABEL_DEPTH_CM).map(([a, b]) =>
      sensorLabel(
        inc.id,
        inc.type,
        sim,
        'waterDepth',
        start + Math.round(a * MIN_MS),
        start + Math.round(b * MIN_MS),
      ),
    );
    out.labels.push(...labels);
    if (wetUntil > start)
      addEffect(
        out,
        sim,
        {
          stage: 'world',
          from: start,
          to: wetUntil,
          apply(draft) {
            const v = draft.values;
            if (v['waterDepth'] === undefined) return;
            const depth = s * levelAt(curve, (draft.t - start) / MIN_MS);
            if (depth <= 0) return;
            // Ripples and surge: the noise grows a little with the depth.
            const n = gauss((sim.key ^ salt) + 2, Math.floor(draft.t / 1000));
            v['waterDepth'] = round(clamp(v['waterDepth'] + depth + n * (0.2 + 0.015 * depth), 0, 500), 1);
          },
        },
        labels.length > 0,
      );
    const trip =
      inc.feederTripDepthCm === null ? -1 : curve.findIndex((h) => s * h >= inc.feederTripDepthCm!);
    if (trip >= 0) wet.push({ sim, tripMinute: trip });
  }

  const repairMs = inc.feederRepair * 1000;
  for (const feeder of world.sensors) {
    if (feeder.sensor.subtype !== 'feeder' || !feeder.sensor.location) continue;
    let minute = Infinity;
    for (const g of wet)
      if (g.tripMinute < minute && g.sim.sensor.location)
        if (world.distanceKm(feeder.sensor.location, g.sim.sensor.location) <= inc.feederRadiusKm)
          minute = g.tripMinute;
    if (minute === Infinity) continue;
    const trip = start + minute * MIN_MS + TRIP_DELAY_MS;
    if (trip >= scenarioEnd) continue;
    addOutage(out, world, inc.id, inc.type, feeder, trip, trip + repairMs);
  }
  return out;
}

/**
 * The bucket: per minute, H += INFLOW · max(0, I − drain capacity) − H / TAU (explicit Euler,
 * stable for TAU > 1 min), from the storm's start until the street is dry after it, or the
 * scenario ends. H[m] is the level at `start + m` minutes, cm per unit susceptibility.
 */
function waterCurve(
  intensity: (t: number) => number,
  start: number,
  end: number,
  scenarioEnd: number,
): number[] {
  const minutes = Math.ceil((scenarioEnd - start) / MIN_MS);
  const h = [0];
  for (let m = 0; m < minutes; m++) {
    const level = h[m]!;
    const excess = Math.max(0, intensity(start + (m + 0.5) * MIN_MS) - DRAIN_CAPACITY_MM_H);
    const next = Math.max(0, level + INFLOW_CM_PER_MM_H_MIN * excess - level / DRAIN_TAU_MIN);
    h.push(next);
    if (start + (m + 1) * MIN_MS >= end && next < DRY_CM) {
      h[h.length - 1] = 0;
      break;
    }
  }
  return h;
}

/** Level at fractional minute `m` (linear between minutes; 0 before the storm, the last value past the curve). */
function levelAt(curve: readonly number[], m: number): number {
  if (m <= 0) return 0;
  if (m >= curve.length - 1) return curve[curve.length - 1]!;
  const i = Math.floor(m);
  return curve[i]! + (curve[i + 1]! - curve[i]!) * (m - i);
}

/** How low-lying a gauge's spot is; keyed on the sensor (and seed), not the storm. */
function susceptibility(sim: SimSensor): number {
  return SUSCEPTIBILITY_MIN + SUSCEPTIBILITY_SPAN * unit(sim.key, SUSCEPTIBILITY_SALT) ** 3;
}

/** Minute intervals [from, to) (fractional, crossing points interpolated) where s · H ≥ `depth`. */
function intervalsAbove(curve: readonly number[], s: number, depth: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = -1;
  for (let m = 1; m < curve.length; m++) {
    const a = s * curve[m - 1]!;
    const b = s * curve[m]!;
    if (from < 0 && a < depth && b >= depth) from = m - 1 + (depth - a) / (b - a);
    else if (from >= 0 && a >= depth && b < depth) {
      out.push([from, m - 1 + (a - depth) / (a - b)]);
      from = -1;
    }
  }
  if (from >= 0) out.push([from, curve.length - 1]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Grid events: bursts and the baseline's random streams share one description per event
// ---------------------------------------------------------------------------------------------

interface EventSpec {
  subtype: SensorSubtype;
  /** The metric the event shows on (the label's metric). */
  metric: MetricId;
  /**
   * Sets the event state on a reading. `m` are two uniform draws fixed per device and event
   * (how far the cover is lifted…); `n(i)` is small per-reading noise.
   */
  apply(v: Record<string, number>, m: readonly [number, number], n: (i: number) => number): void;
}

/** Sets a metric only if the device reports it (the baseline keeps declared metrics only). */
function set(v: Record<string, number>, metric: MetricId, value: number): void {
  if (v[metric] !== undefined) v[metric] = value;
}

/**
 * Event states, chosen against the default rules: a displaced cover tilts 20–70° (all above
 * the orange 15°, the steeper ones above the red 45°), smoke reads 8–30 %obs/m (red above 5),
 * an overloaded feeder 110–135 % (yellow above 100, orange above 120 once it holds 5 min), an
 * overflowing bin 95–100 % (blue above 90). The noise never carries a value back across those
 * lines (the noise is at most ±3.5 σ).
 */
const EVENTS: Record<GridEventKind, EventSpec> = {
  'manhole-displaced': {
    subtype: 'manhole',
    metric: 'tilt',
    apply: (v, m, n) => set(v, 'tilt', round(clamp(20 + 50 * m[0] + n(1) * 0.4, 0, 90), 1)),
  },
  smoke: {
    subtype: 'smoke',
    metric: 'smoke',
    apply(v, m, n) {
      set(v, 'smoke', round(clamp(8 + 22 * m[0] + n(1) * 0.3, 0, 100), 2));
      // The fire warms the detector's housing.
      if (v['temperature'] !== undefined)
        v['temperature'] = round(clamp(v['temperature'] + 10 + 20 * m[1] + n(2) * 0.3, -50, 150), 1);
    },
  },
  'feeder-outage': {
    subtype: 'feeder',
    metric: 'feederOnline',
    apply(v) {
      set(v, 'feederOnline', 0);
      set(v, 'feederLoad', 0);
    },
  },
  'feeder-overload': {
    subtype: 'feeder',
    metric: 'feederLoad',
    apply(v, m, n) {
      // A feeder that is down (a storm tripped it) carries no load at all.
      if (v['feederOnline'] !== 0)
        set(v, 'feederLoad', round(clamp(110 + 25 * m[0] + n(1) * 1.5, 0, 300), 1));
    },
  },
  'streetlight-failure': {
    subtype: 'streetlight',
    metric: 'lampFault',
    apply(v) {
      set(v, 'lampFault', 1);
      set(v, 'lampOn', 0);
    },
  },
  'bin-overflow': {
    subtype: 'waste-bin',
    metric: 'fillLevel',
    apply(v, m, n) {
      const fill = v['fillLevel'];
      if (fill !== undefined) v['fillLevel'] = round(clamp(Math.max(fill, 95 + 5 * m[0] + n(1)), 0, 100), 0);
    },
  },
};

/**
 * 井盖位移 and the other grid-event bursts: `count` devices of the event's family, drawn by a
 * seeded shuffle of those `where` selects, each entering the event state at its own moment
 * within [at, at + duration) and staying in it for `lasts` (default: to the scenario's end).
 * A feeder outage also darkens the streetlights the feeder supplies.
 */
export function compileGridEvents(input: IncidentCompileInput<GridEventBurst>): CompiledIncident {
  const { incident: inc, world, start, end, scenarioEnd, seed, path, issues } = input;
  const out = emptyIncident(inc.id, inc.type, start, end);
  const salt = hashString(inc.id);
  const { subtype } = EVENTS[inc.event];

  const before = issues.length;
  const candidates = world
    .select(inc.where, `${path}.where`, issues)
    .filter((s) => s.sensor.subtype === subtype);
  if (candidates.length === 0) {
    // Unknown ids were already reported by the selector; only an empty but valid selection needs a word.
    if (issues.length === before)
      issues.push({
        path: `${path}.where`,
        message: `selects no ${subtype} sensor, and a "${inc.event}" event needs one`,
      });
    return out;
  }
  if (inc.count > candidates.length) {
    issues.push({
      path: `${path}.count`,
      message: `${inc.count} devices asked for, but where selects only ${candidates.length} ${subtype} sensor(s)`,
    });
    return out;
  }

  const rand = mulberry32((seed ^ salt) >>> 0);
  const pool = [...candidates];
  for (let i = 0; i < inc.count; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  for (const sim of pool.slice(0, inc.count)) {
    const onset = start + Math.floor(rand() * (end - start));
    const to = inc.lasts !== undefined ? onset + inc.lasts * 1000 : Math.max(onset, scenarioEnd);
    addEvent(out, world, inc.event, sim, onset, to, [rand(), rand()], salt);
  }
  return out;
}

/**
 * The baseline's grid events as random streams (incident `baseline`): for each event family
 * with a rate r per device-day, every device of the family starts an event in an hour with
 * chance r / 24, at a seeded minute, lasting `lasts`. Hours are counted from the epoch, so a
 * window generated alone sees the same events as a long run; hours from `start − lasts` on
 * are scanned so events already under way at the start show too.
 */
export function compileBaseEvents(input: {
  baseline: Baseline;
  world: World;
  start: number;
  end: number;
  seed: number;
}): CompiledIncident {
  const { baseline, world, start, end } = input;
  const out = emptyIncident('baseline', 'grid-events', start, end);
  for (const kind of GRID_EVENTS) {
    const stream = baseline.events[kind];
    if (!stream || stream.perDeviceDay <= 0) continue;
    const chance = stream.perDeviceDay / 24;
    const lastsMs = stream.lasts * 1000;
    const kh = hashString(kind);
    const salt = hashString(`baseline:${kind}`);
    const first = Math.floor((start - lastsMs) / HOUR_MS);
    const last = Math.floor((end - 1) / HOUR_MS);
    for (const sim of world.sensors) {
      if (sim.sensor.subtype !== EVENTS[kind].subtype) continue;
      for (let b = first; b <= last; b++) {
        if (unit(sim.key, kh, b) >= chance) continue;
        const from = b * HOUR_MS + Math.floor(unit(sim.key, kh + 1, b) * 60) * MIN_MS;
        const to = from + lastsMs;
        if (to <= start || from >= end) continue;
        addEvent(out, world, kind, sim, from, to, [unit(sim.key, kh + 2, b), unit(sim.key, kh + 3, b)], salt);
      }
    }
  }
  return out;
}

/** One device in an event's state over [from, to), with its label (and dark lamps for an outage). */
function addEvent(
  out: CompiledIncident,
  world: World,
  event: GridEventKind,
  sim: SimSensor,
  from: number,
  to: number,
  m: readonly [number, number],
  salt: number,
): void {
  if (event === 'feeder-outage') {
    addOutage(out, world, out.id, out.type, sim, from, to);
    return;
  }
  const spec = EVENTS[event];
  addEffect(out, sim, {
    stage: 'world',
    from,
    to,
    apply(draft) {
      const step = Math.floor(draft.t / 1000);
      spec.apply(draft.values, m, (i) => gauss((sim.key ^ salt) + 10 + i, step));
    },
  });
  out.labels.push(sensorLabel(out.id, out.type, sim, spec.metric, from, to));
}

/** A feeder down over [from, to) and every streetlight it supplies dark meanwhile. */
function addOutage(
  out: CompiledIncident,
  world: World,
  incident: string,
  type: Label['type'],
  feeder: SimSensor,
  from: number,
  to: number,
): void {
  const noop = () => 0;
  addEffect(out, feeder, {
    stage: 'world',
    from,
    to,
    apply: (draft) => EVENTS['feeder-outage'].apply(draft.values, [0, 0], noop),
  });
  out.labels.push(sensorLabel(incident, type, feeder, 'feederOnline', from, to));
  for (const lamp of suppliedLamps(world).get(feeder.sensor.id) ?? []) {
    // The lamp controller reports the supply failure as a fault (it still has its backup cell).
    addEffect(out, lamp, {
      stage: 'world',
      from,
      to,
      apply: (draft) => EVENTS['streetlight-failure'].apply(draft.values, [0, 0], noop),
    });
    out.labels.push(sensorLabel(incident, type, lamp, 'lampFault', from, to));
  }
}

const LAMPS_BY_FEEDER = new WeakMap<World, Map<string, SimSensor[]>>();

/**
 * Streetlights by the feeder that supplies them: each lamp hangs on its nearest feeder.
 * Computed once per world (300 lamps × 60 feeders in the Hangzhou pack).
 */
export function suppliedLamps(world: World): ReadonlyMap<string, readonly SimSensor[]> {
  let map = LAMPS_BY_FEEDER.get(world);
  if (map) return map;
  map = new Map();
  const feeders = world.sensors.filter((s) => s.sensor.subtype === 'feeder' && s.sensor.location);
  for (const lamp of world.sensors) {
    if (lamp.sensor.subtype !== 'streetlight' || !lamp.sensor.location) continue;
    let best: SimSensor | undefined;
    let bestKm = Infinity;
    for (const f of feeders) {
      const km = world.distanceKm(lamp.sensor.location, f.sensor.location!);
      if (km < bestKm) [best, bestKm] = [f, km];
    }
    if (!best) continue;
    const list = map.get(best.sensor.id);
    if (list) list.push(lamp);
    else map.set(best.sensor.id, [lamp]);
  }
  LAMPS_BY_FEEDER.set(world, map);
  return map;
}

function sensorLabel(
  incident: string,
  type: Label['type'],
  sim: SimSensor,
  metric: MetricId,
  start: number,
  end: number,
): Label {
  return { incident, type, subject: { type: 'sensor', id: sim.sensor.id }, metric, start, end };
}
