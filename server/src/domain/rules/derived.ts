import { computeAqiReport, type AqiConcentrations, type AqiStandard } from '@shared/domain/aqi';
import { computeTraffic } from '@shared/domain/traffic';
import type { Sample, SensorInfo } from './ruleKind';

/**
 * Derived metrics (see DERIVED_METRICS in shared/schemas/rule.schema.ts), computed from
 * readings before rules see them so any rule kind can watch them like reported metrics.
 *
 * - `aqi`: an air station's real-time AQI from rolling means of its own readings. Means are
 *   kept in hourly buckets over 24 h; the 1-hour (8-, 24-hour) mean is the current partial
 *   hour plus the previous 0 (7, 23) full hours plus the oldest hour weighted by the part
 *   of it still inside the window (the sliding-window estimate). The engine indexes these
 *   samples as `aqi:<standard>`, one per standard some rule asks for.
 * - `tti`, `tpi`, `congestion` (1 畅通 … 5 严重拥堵): per traffic detector from its speed and
 *   its road's free-flow speed (GB/T 33171).
 */

const POLLUTANTS = ['pm25', 'pm10', 'so2', 'no2', 'co', 'o3'] as const;
type Pollutant = (typeof POLLUTANTS)[number];
const HOUR_MS = 3_600_000;
const HOURS = 25;

/** Rolling hourly sums of one pollutant; ring indexed by hour number mod HOURS. Updated in place. */
interface HourRing {
  hour: number[];
  sum: number[];
  count: number[];
}

export interface DerivedState {
  air?: Partial<Record<Pollutant, HourRing>>;
}

/** What derived metrics the current rules need. */
export interface DerivedWanted {
  aqiStandards: ReadonlySet<AqiStandard>;
  traffic: boolean;
}

export function aqiKey(standard: AqiStandard): string {
  return `aqi:${standard}`;
}

function ringAdd(ring: HourRing, at: number, value: number): void {
  const h = Math.floor(at / HOUR_MS);
  const slot = h % HOURS;
  if (ring.hour[slot] !== h) {
    if (ring.hour[slot]! > h) return; // older than a day: outside every window
    ring.hour[slot] = h;
    ring.sum[slot] = 0;
    ring.count[slot] = 0;
  }
  ring.sum[slot]! += value;
  ring.count[slot]!++;
}

/** Sliding mean over `hours` hours ending at `at`, or undefined without data. */
export function ringMean(ring: HourRing, at: number, hours: number): number | undefined {
  const h = Math.floor(at / HOUR_MS);
  const inHour = (at - h * HOUR_MS) / HOUR_MS;
  let sum = 0;
  let count = 0;
  for (let k = 0; k <= hours; k++) {
    const hk = h - k;
    const slot = hk % HOURS;
    if (ring.hour[slot] !== hk) continue;
    const w = k < hours ? 1 : 1 - inHour;
    sum += ring.sum[slot]! * w;
    count += ring.count[slot]! * w;
  }
  return count > 0 ? sum / count : undefined;
}

function newRing(): HourRing {
  return {
    hour: new Array<number>(HOURS).fill(-1),
    sum: new Array<number>(HOURS).fill(0),
    count: new Array<number>(HOURS).fill(0),
  };
}

/** Concentrations of a station at `at` for a real-time report, from its rolling means. */
export function stationConcentrations(air: NonNullable<DerivedState['air']>, at: number): AqiConcentrations {
  const c: AqiConcentrations = {};
  const mean = (p: Pollutant, hours: number) => {
    const ring = air[p];
    return ring ? ringMean(ring, at, hours) : undefined;
  };
  c.pm25_1h = mean('pm25', 1);
  c.pm25_24h = mean('pm25', 24);
  c.pm10_1h = mean('pm10', 1);
  c.pm10_24h = mean('pm10', 24);
  c.so2_1h = mean('so2', 1);
  c.so2_24h = mean('so2', 24);
  c.no2_1h = mean('no2', 1);
  c.co_1h = mean('co', 1);
  c.co_8h = mean('co', 8);
  c.o3_1h = mean('o3', 1);
  c.o3_8h = mean('o3', 8);
  return c;
}

/**
 * Updates a sensor's derived state (air stations only; `undefined` for others) with one reading and returns the derived samples
 * (`aqi:<standard>`, `tti`, `tpi`, `congestion`) the current rules want.
 */
export function deriveSamples(
  state: DerivedState | undefined,
  sensor: SensorInfo,
  values: Readonly<Record<string, number>>,
  at: number,
  wanted: DerivedWanted,
): Sample[] {
  const samples: Sample[] = [];
  if (state && wanted.aqiStandards.size > 0 && sensor.kind === 'air') {
    let touched = false;
    for (const p of POLLUTANTS) {
      const v = values[p];
      if (v === undefined) continue;
      state.air ??= {};
      ringAdd((state.air[p] ??= newRing()), at, v);
      touched = true;
    }
    if (touched && state.air) {
      const input = stationConcentrations(state.air, at);
      for (const standard of wanted.aqiStandards) {
        const r = computeAqiReport(input, { standard, mode: 'realtime' });
        if (!r) continue;
        samples.push({
          sensorId: sensor.id,
          metric: aqiKey(standard),
          value: r.aqi,
          at,
          detail: {
            standard,
            level: r.level,
            category: r.category,
            color: r.color,
            primary: r.primaryPollutants,
          },
        });
      }
    }
  }
  const speed = values.speed;
  if (wanted.traffic && speed !== undefined && sensor.freeFlowKmh !== undefined && sensor.roadClass) {
    const t = computeTraffic({ speed }, { class: sensor.roadClass, freeFlowKmh: sensor.freeFlowKmh });
    if (t) {
      const detail = { state: t.state.id, zh: t.state.zh, en: t.state.en, color: t.state.color };
      samples.push(
        { sensorId: sensor.id, metric: 'tti', value: Math.round(t.tti * 100) / 100, at, detail },
        { sensorId: sensor.id, metric: 'tpi', value: Math.round(t.tpi * 10) / 10, at, detail },
        { sensorId: sensor.id, metric: 'congestion', value: t.state.rank + 1, at, detail },
      );
    }
  }
  return samples;
}
