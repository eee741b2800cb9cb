import { METRICS, type MetricId } from '@shared/metrics';
import type { SensorSubtype } from '@shared/schemas/sensor.schema';
import type { z } from 'zod';
import { hashString, mulberry32, unit } from '../../noise';
import {
  addEffect,
  clamp,
  emptyIncident,
  round,
  type CompiledIncident,
  type Effect,
  type IncidentCompileInput,
} from '../model';
import type { SensorFaultSchema } from '../scenario.schema';
import type { SimSensor } from '../world';

export type SensorFault = z.infer<typeof SensorFaultSchema>;
export type FaultKind = SensorFault['fault'];

const HOUR_MS = 3_600_000;

/** The metric a fault of one value (stuck, spike, drift) shows on, for one device family. */
export interface MainMetric {
  metric: MetricId;
  /** Decimals the baseline rounds it to: a spiked speed still looks like a speed reading. */
  digits: number;
  /**
   * The name other firmware or a misconfigured gateway gives it; not in the metric catalog,
   * so the server refuses it as `unknown_metric`.
   */
  vendorName: string;
}

export const MAIN_METRIC: Record<SensorSubtype, MainMetric> = {
  'loop-detector': { metric: 'speed', digits: 1, vendorName: 'spd_kmh' },
  'aq-station': { metric: 'pm25', digits: 1, vendorName: 'PM2.5' },
  'weather-station': { metric: 'temperature', digits: 1, vendorName: 'temp_c' },
  manhole: { metric: 'tilt', digits: 1, vendorName: 'angle' },
  waterlogging: { metric: 'waterDepth', digits: 1, vendorName: 'depth_cm' },
  streetlight: { metric: 'lampOn', digits: 0, vendorName: 'lamp_state' },
  feeder: { metric: 'feederLoad', digits: 1, vendorName: 'load_pct' },
  smoke: { metric: 'smoke', digits: 2, vendorName: 'obscuration' },
  'waste-bin': { metric: 'fillLevel', digits: 0, vendorName: 'fill_pct' },
};

/** Chance per reading of an affected sensor when the scenario gives none. */
const DEFAULT_PROBABILITY: Record<FaultKind, number> = {
  dropout: 1,
  stuck: 1,
  spike: 0.05,
  drift: 1,
  'clock-skew': 1,
  malformed: 0.2,
};

/** Faults that touch every metric of a reading (label metric `*`) rather than the main one. */
const WHOLE_READING = new Set<FaultKind>(['dropout', 'clock-skew', 'malformed']);

/** Salts so that the per-reading draws of different fault kinds are independent. */
const SALT: Record<FaultKind, number> = {
  dropout: 101,
  stuck: 102,
  spike: 103,
  drift: 104,
  'clock-skew': 105,
  malformed: 106,
};

/** What a broken device or gateway sends instead of a reading; each is refused by ingest. */
export interface MalformedKind {
  /** What is wrong with it (test names, docs). */
  what: string;
  /** The bytes, made from the reading the device meant to send. */
  bytes(
    reading: { sensorId: string; observedAt: number; values: Record<string, number> },
    main: MainMetric,
  ): string;
}

/**
 * The malformed payloads a device cycles through. Every one is refused by the server:
 * `JSON.parse` fails (`malformed_json`) or `checkReading` names a reason.
 */
export const MALFORMED_KINDS: readonly MalformedKind[] = [
  {
    // A connection cut mid-message: a strict prefix of an object is never valid JSON.
    what: 'truncated JSON',
    bytes: (r) => {
      const json = JSON.stringify(r);
      return json.slice(0, Math.max(1, Math.floor(json.length * 0.6)));
    },
  },
  {
    // Firmware that formats numbers as text ("12.5").
    what: 'a value as a string',
    bytes: (r, { metric }) =>
      JSON.stringify({ ...r, values: { ...r.values, [metric]: String(r.values[metric] ?? 0) } }),
  },
  {
    what: 'no sensorId',
    bytes: ({ observedAt, values }) => JSON.stringify({ observedAt, values }),
  },
  {
    // A device without a real-time clock.
    what: 'observedAt in words',
    bytes: (r) => JSON.stringify({ ...r, observedAt: 'yesterday' }),
  },
  {
    // A CSV-minded gateway: value and time as a bare array, not a reading object.
    what: 'a bare array instead of an object',
    bytes: (r, { metric }) => JSON.stringify([r.values[metric] ?? 0, r.observedAt]),
  },
  {
    // A failed conversion printed by a writer that does not check: JSON has no NaN.
    what: 'NaN as a bare token',
    bytes: (r, { metric }) =>
      JSON.stringify({ ...r, values: { ...r.values, [metric]: '@NaN@' } }).replace('"@NaN@"', 'NaN'),
  },
  {
    what: 'an unknown metric name',
    bytes: (r, main) => {
      const values = Object.fromEntries(
        Object.entries(r.values).map(([k, v]) => [k === main.metric ? main.vendorName : k, v]),
      );
      return JSON.stringify({ ...r, values });
    },
  },
  {
    what: 'an empty payload',
    bytes: () => '',
  },
];

/**
 * Sensor faults: the data is wrong, not the city. A seeded share of the selected sensors
 * is affected, all at `at` or (with `ramp`) one after another across the window, so the
 * faulty share grows steadily like a degrading network; all recover at `at + duration`.
 * Effects run in the `fault` stage, after every world effect, so a stuck sensor freezes
 * what it really measured and a spike multiplies the real value.
 */
export function compileFaults(input: IncidentCompileInput<SensorFault>): CompiledIncident {
  const { incident: inc, world, start, end, seed, path, issues } = input;
  const out = emptyIncident(inc.id, inc.type, start, end);
  const incHash = hashString(inc.id);

  const before = issues.length;
  const candidates = world.select(inc.where, `${path}.where`, issues);
  if (candidates.length === 0) {
    // Unknown ids were already reported by the selector; only an empty but valid selection needs a word.
    if (issues.length === before)
      issues.push({
        path: `${path}.where`,
        message: 'selects no sensors: every given field narrows the selection, and together they match none',
      });
    return out;
  }
  const shuffled = [...candidates];
  const rand = mulberry32((seed ^ incHash) >>> 0);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const k = Math.round(inc.share * shuffled.length);
  if (k === 0) {
    issues.push({
      path: `${path}.share`,
      message: `share ${inc.share} of the ${shuffled.length} selected sensors rounds to none; raise it or widen where`,
    });
    return out;
  }

  const probability = inc.probability ?? DEFAULT_PROBABILITY[inc.fault];
  shuffled.slice(0, k).forEach((sim, i) => {
    const onset = inc.ramp ? start + Math.floor(((end - start) * i) / k) : start;
    const main = MAIN_METRIC[sim.sensor.subtype];
    /** Per-reading draw: does the fault show on this reading? */
    const hits = (t: number) =>
      probability >= 1 || unit(sim.key ^ incHash, Math.floor(t / 1000), SALT[inc.fault]) < probability;
    addEffect(out, sim, {
      stage: 'fault',
      from: onset,
      to: end,
      apply: faultOf(inc, sim, onset, main, hits),
    });
    out.labels.push({
      incident: inc.id,
      type: inc.type,
      subject: { type: 'sensor', id: sim.sensor.id },
      metric: WHOLE_READING.has(inc.fault) ? '*' : main.metric,
      start: onset,
      end,
    });
  });
  return out;
}

/** The change a fault makes to one reading of a faulty sensor. */
function faultOf(
  inc: SensorFault,
  sim: SimSensor,
  onset: number,
  main: MainMetric,
  hits: (t: number) => boolean,
): Effect['apply'] {
  const m = main.metric;
  switch (inc.fault) {
    case 'dropout':
      return (draft) => {
        if (hits(draft.t)) draft.drop = true;
      };
    case 'stuck':
      // Every value frozen at what the sensor physically measured when it froze; the clock runs on.
      return (draft, ctx) => {
        draft.values = { ...ctx.physical(sim, onset) };
      };
    case 'spike':
      // Not clamped: a spike beyond the plausible range must reach the server and be refused
      // there (out_of_range); one inside it is a plausible value the rules must cope with.
      return (draft) => {
        const v = draft.values[m];
        if (v !== undefined && hits(draft.t)) draft.values[m] = round(v * inc.spikeFactor, main.digits);
      };
    case 'drift': {
      // A calibration walking away at a steady rate; the sensor saturates at the ends of its range.
      const { min, max } = METRICS[m];
      const perMs = (inc.driftPerHour * (max - min)) / HOUR_MS;
      return (draft) => {
        const v = draft.values[m];
        if (v !== undefined)
          draft.values[m] = round(clamp(v + perMs * (draft.t - onset), min, max), main.digits);
      };
    }
    case 'clock-skew': {
      const skewMs = Math.round(inc.skewSec * 1000);
      return (draft) => {
        draft.observedAt += skewMs;
      };
    }
    case 'malformed': {
      // Kinds follow the reading count (offset per sensor), so every kind shows up in turn.
      const kinds = MALFORMED_KINDS.length;
      return (draft) => {
        if (!hits(draft.t)) return;
        const n = Math.floor((draft.t - sim.phaseMs) / sim.periodMs) + (sim.key % kinds);
        const kind = MALFORMED_KINDS[((n % kinds) + kinds) % kinds]!;
        draft.raw = kind.bytes(
          { sensorId: sim.sensor.id, observedAt: draft.observedAt, values: draft.values },
          main,
        );
      };
    }
  }
}
