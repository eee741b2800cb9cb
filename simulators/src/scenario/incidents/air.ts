import type { z } from 'zod';
import { METRICS, type MetricId } from '@shared/metrics';
import type { LngLat } from '@shared/schemas/common.schema';
import { gauss, hashString } from '../../noise';
import {
  addEffect,
  clamp,
  emptyIncident,
  envelope,
  round,
  type CompiledIncident,
  type Draft,
  type IncidentCompileInput,
  type Label,
} from '../model';
import type { PollutionEpisodeSchema } from '../scenario.schema';
import type { SimSensor } from '../world';

type PollutionEpisode = z.infer<typeof PollutionEpisodeSchema>;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const KM_PER_DEG_LAT = 111.32;
/**
 * Extra PM2.5 that makes a station (or a district's mean) part of the ground truth, µg/m³:
 * on top of a 25–50 baseline it lifts the 1-hour mean past 100–125, i.e. 轻度污染 or worse.
 */
export const LABEL_EXTRA_PM25 = 75;
/** A station the plume never adds this much to is left alone (no effect at all), µg/m³. */
const TOUCH_PM25 = 0.5;
/**
 * What comes with 1 µg/m³ of episode PM2.5 (a regional, secondary-aerosol haze): coarse dust,
 * a little NO2/SO2/CO from the same air mass, and less O3 under the haze. CO in mg/m³.
 */
const FOLLOWERS: ReadonlyArray<{ metric: MetricId; perPm25: number; digits: number }> = [
  { metric: 'pm25', perPm25: 1, digits: 1 },
  { metric: 'pm10', perPm25: 1.5, digits: 1 },
  { metric: 'no2', perPm25: 0.15, digits: 1 },
  { metric: 'so2', perPm25: 0.05, digits: 1 },
  { metric: 'co', perPm25: 0.006, digits: 2 },
  { metric: 'o3', perPm25: -0.1, digits: 1 },
];
/** O3 never drops below the baseline's own floor, µg/m³. */
const O3_FLOOR = 2;
/**
 * The plume's concentration wobbles slowly (turbulence, mixing height): knots of noise this far
 * apart, smoothly interpolated, so consecutive readings move together instead of jumping.
 */
const WOBBLE_KNOT_MS = 10 * MINUTE_MS;
/** Size of the wobble shared by the whole plume and of each station's own, as a share of the value. */
const WOBBLE_PLUME = 0.03;
const WOBBLE_STATION = 0.02;
/** Weather-station noise around the episode's wind: degrees and m/s (one standard deviation). */
const WIND_DIR_NOISE_DEG = 4;
const WIND_SPEED_NOISE_MS = 0.3;

/** A slowly varying noise ~N(0, <1): cosine interpolation between gauss knots. Pure in (key, t). */
function wobble(key: number, t: number): number {
  const x = t / WOBBLE_KNOT_MS;
  const i = Math.floor(x);
  const w = (1 - Math.cos((x - i) * Math.PI)) / 2;
  return gauss(key, i) * (1 - w) + gauss(key, i + 1) * w;
}

/**
 * Smallest integer t in (lo, hi] where `pass(t)` holds, given it fails at lo and holds at hi
 * (the curves here are smooth, so within a minute they cross a threshold once).
 */
function firstPassing(lo: number, hi: number, pass: (t: number) => boolean): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (pass(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Intervals [start, end) where `f ≥ threshold`, from samples of f at `times` (the first and last
 * below the threshold), each edge refined to the millisecond.
 */
function intervalsAbove(
  times: readonly number[],
  samples: readonly number[],
  f: (t: number) => number,
  threshold: number,
): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let open: number | null = null;
  for (let i = 1; i < times.length; i++) {
    const was = samples[i - 1]! >= threshold;
    const is = samples[i]! >= threshold;
    if (!was && is) open = firstPassing(times[i - 1]!, times[i]!, (t) => f(t) >= threshold);
    else if (was && !is && open !== null) {
      out.push({ start: open, end: firstPassing(times[i - 1]!, times[i]!, (t) => f(t) < threshold) });
      open = null;
    }
  }
  return out;
}

/** Largest value of a series (a loop: long episodes have too many samples to spread into Math.max). */
function highest(values: readonly number[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** Add `delta` to a metric the reading has, kept inside the metric's plausible range. */
function addTo(draft: Draft, metric: MetricId, delta: number, digits: number): void {
  const v = draft.values[metric];
  if (v === undefined) return;
  const lo = metric === 'o3' ? Math.max(O3_FLOOR, METRICS.o3.min) : METRICS[metric].min;
  // Math.min: a floor never lifts a value that was already below it.
  draft.values[metric] = round(clamp(v + delta, Math.min(lo, v), METRICS[metric].max), digits);
}

/**
 * 重污染过程 (联防联治). A plume forms at `origin` and its centre drifts with the wind from `at`
 * (`towardDeg`, 0 = north, 90 = east, at `speedKmh`) for as long as it lasts. Its strength builds
 * up linearly over `buildUp`, holds until `at + duration` and fades over `fade`. A station at
 * `dist` km from the centre gets `peakPm25 · strength · 0.5^((dist/radiusKm)²)` extra PM2.5
 * (half at `radiusKm`), times a slow wobble of a few percent; PM10, NO2, SO2 and CO follow the
 * particulates, O3 drops a little under the haze. Weather stations report the episode's wind.
 *
 * Ground truth: per air station, the intervals where its extra PM2.5 ≥ 75 µg/m³ (metric `pm25`);
 * per district, where the mean extra over its stations ≥ 75 (metric `aqi`). Both are found by
 * sampling every minute at compile time (the effects are pure, so the same function gives the
 * labels and the readings) and refined to the millisecond.
 */
export function compileAirIncident(input: IncidentCompileInput<PollutionEpisode>): CompiledIncident {
  const { incident: inc, world, start, end, seed, path, issues } = input;
  const out = emptyIncident(inc.id, inc.type, start, end);
  const upMs = inc.buildUp * 1000;
  const fadeMs = inc.fade * 1000;
  const until = end + fadeMs;

  let origin: LngLat;
  if ('district' in inc.origin) {
    const centroid = world.districtCentroid(inc.origin.district);
    if (!centroid) {
      const known = world.pack.districts.map((d) => d.id).join(', ');
      issues.push({
        path: `${path}.origin.district`,
        message: `no district "${inc.origin.district}" in the city pack (districts: ${known})`,
      });
      return out;
    }
    origin = centroid;
  } else origin = inc.origin.lngLat;

  // Drift in degrees per ms; the plume moves on a straight line in lng/lat around the origin.
  const heading = (inc.wind.towardDeg * Math.PI) / 180;
  const kmPerMs = inc.wind.speedKmh / HOUR_MS;
  const dLatPerMs = (kmPerMs * Math.cos(heading)) / KM_PER_DEG_LAT;
  const dLngPerMs = (kmPerMs * Math.sin(heading)) / (KM_PER_DEG_LAT * Math.cos((origin[1] * Math.PI) / 180));
  const centreAt = (t: number): LngLat => {
    const dt = Math.max(0, t - start);
    return [origin[0] + dLngPerMs * dt, origin[1] + dLatPerMs * dt];
  };

  const incidentKey = hashString(inc.id);
  const plumeKey = (incidentKey ^ seed) >>> 0;
  /** Extra PM2.5 at a station at t, µg/m³ (0 outside the episode). Pure: readings and labels share it. */
  const extraAt = (sim: SimSensor, t: number): number => {
    const strength = envelope(t, start, end, upMs, fadeMs);
    if (strength <= 0 || !sim.sensor.location) return 0;
    const d = world.distanceKm(sim.sensor.location, centreAt(t)) / inc.radiusKm;
    const key = (sim.key ^ incidentKey) >>> 0;
    const factor = 1 + WOBBLE_PLUME * wobble(plumeKey + 61, t) + WOBBLE_STATION * wobble(key + 62, t);
    return inc.peakPm25 * strength * 0.5 ** (d * d) * factor;
  };

  const times: number[] = [];
  for (let t = start; t < until; t += MINUTE_MS) times.push(t);
  times.push(until);

  const stations = world.sensors.filter((s) => s.sensor.subtype === 'aq-station' && s.sensor.location);
  const samples = new Map<SimSensor, number[]>();
  const stationLabels: Label[] = [];
  let nearest: { id: string; km: number } | null = null;
  for (const sim of stations) {
    const series = times.map((t) => extraAt(sim, t));
    samples.set(sim, series);
    const km = world.distanceKm(sim.sensor.location!, origin);
    if (!nearest || km < nearest.km) nearest = { id: sim.sensor.id, km };
    if (highest(series) < TOUCH_PM25) continue;
    const labels = intervalsAbove(times, series, (t) => extraAt(sim, t), LABEL_EXTRA_PM25).map(
      (iv): Label => ({
        incident: inc.id,
        type: inc.type,
        subject: { type: 'sensor', id: sim.sensor.id },
        metric: 'pm25',
        ...iv,
      }),
    );
    stationLabels.push(...labels);
    addEffect(
      out,
      sim,
      {
        stage: 'world',
        from: start,
        to: until,
        apply(draft) {
          const extra = extraAt(sim, draft.t);
          for (const { metric, perPm25, digits } of FOLLOWERS) addTo(draft, metric, extra * perPm25, digits);
        },
      },
      labels.length > 0,
    );
  }
  if (out.effects.size === 0) {
    issues.push({
      path: `${path}.origin`,
      message:
        `the plume never reaches an air-quality station (nearest: ${nearest?.id ?? 'none'}, ` +
        `${nearest ? nearest.km.toFixed(1) : '?'} km from the origin): move it, widen radiusKm or raise peakPm25`,
    });
    return out;
  }

  // Districts: the mean over all their stations (the untouched ones count as 0 extra).
  const districtLabels: Label[] = [];
  for (const district of world.pack.districts) {
    const members = stations.filter((s) => s.sensor.districtId === district.id);
    if (members.length === 0) continue;
    const mean = times.map(
      (_, i) => members.reduce((sum, s) => sum + samples.get(s)![i]!, 0) / members.length,
    );
    if (highest(mean) < LABEL_EXTRA_PM25) continue;
    const f = (t: number) => members.reduce((sum, s) => sum + extraAt(s, t), 0) / members.length;
    for (const iv of intervalsAbove(times, mean, f, LABEL_EXTRA_PM25))
      districtLabels.push({
        incident: inc.id,
        type: inc.type,
        subject: { type: 'district', id: district.id },
        metric: 'aqi',
        ...iv,
      });
  }
  out.labels.push(...stationLabels, ...districtLabels);

  // Weather stations report the wind that carries the plume (it blows FROM the opposite side).
  const fromDeg = (inc.wind.towardDeg + 180) % 360;
  const speedMs = inc.wind.speedKmh / 3.6;
  for (const sim of world.sensors) {
    if (sim.sensor.subtype !== 'weather-station') continue;
    const key = (sim.key ^ incidentKey) >>> 0;
    addEffect(
      out,
      sim,
      {
        stage: 'world',
        from: start,
        to: until,
        apply(draft) {
          const step = Math.floor(draft.t / 1000);
          const v = draft.values;
          if (v['windDir'] !== undefined)
            v['windDir'] = Math.round(
              (((fromDeg + gauss(key + 71, step) * WIND_DIR_NOISE_DEG) % 360) + 360) % 360,
            );
          if (v['windSpeed'] !== undefined)
            v['windSpeed'] = round(
              clamp(speedMs + gauss(key + 72, step) * WIND_SPEED_NOISE_MS, 0, METRICS.windSpeed.max),
              1,
            );
        },
      },
      false,
    );
  }
  return out;
}
