import type { Sensor } from '@shared/schemas/sensor.schema';
import { gauss, hashString, unit } from './noise';
import { shanghaiDayStart, shanghaiFields } from '@shared/domain/shanghaiTime';

/**
 * A plain city day: values a sensor would report at a time, with the daily
 * rhythm of the city (Asia/Shanghai local time, UTC+8 all year) and sensor
 * noise, but no incidents. Pure and deterministic: (sensor, time, seed) →
 * values. The scenario simulator (its own issue) adds incidents and faults.
 */

/** Local hour of day in Asia/Shanghai as a fraction, 0 ≤ h < 24. */
export function shanghaiHour(t: number): number {
  return (t - shanghaiDayStart(t)) / 3_600_000;
}

/** Day of week in Asia/Shanghai, 0 = Sunday. */
export function shanghaiWeekday(t: number): number {
  return shanghaiFields(t).getUTCDay();
}

const bump = (h: number, centre: number, width: number) => Math.exp(-(((h - centre) / width) ** 2));
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** Traffic demand 0..1: morning and evening peaks on workdays, a flatter day at weekends. */
export function trafficDemand(t: number): number {
  const h = shanghaiHour(t);
  const wd = shanghaiWeekday(t);
  const weekend = wd === 0 || wd === 6;
  const base = 0.15 + 0.35 * bump(h, 13, 6);
  const peaks = weekend ? 0.25 * bump(h, 15, 4) : 0.65 * bump(h, 8.2, 1.1) + 0.6 * bump(h, 18, 1.3);
  const night = h < 5 ? -0.1 : 0;
  return clamp(base + peaks + night, 0.02, 1);
}

export interface GeneratorContext {
  /** Seed of the run: another seed gives another (equally plausible) day. */
  seed: number;
  /** Scale of traffic demand (default 1, an ordinary day). */
  trafficScale?: number;
  /** Scale of background air pollution (default 1). */
  airScale?: number;
}

/** Values of one reading of `sensor` observed at `t` (epoch ms). */
export function cityDayValues(sensor: Sensor, t: number, ctx: GeneratorContext): Record<string, number> {
  const key = hashString(sensor.id) ^ ctx.seed;
  const trafficScale = ctx.trafficScale ?? 1;
  const air = ctx.airScale ?? 1;
  const step = Math.floor(t / 1000);
  const n = (k: number) => gauss(key + k, step);
  const h = shanghaiHour(t);
  const values: Record<string, number> = {};
  switch (sensor.subtype) {
    case 'loop-detector': {
      const free = sensor.road?.freeFlowKmh ?? 40;
      const capacity =
        sensor.road?.class === 'expressway' ? 4200 : sensor.road?.class === 'arterial' ? 2400 : 1200;
      // Demand relative to this spot's capacity varies; about one detector in twelve sits on a
      // real bottleneck whose rush hour reaches 中度/严重拥堵 (the others stay at most 轻度).
      const bottleneck = 0.7 + 0.35 * unit(key, 7) + (unit(key, 8) < 0.08 ? 0.4 : 0);
      const d = clamp(trafficDemand(t) * bottleneck * trafficScale, 0, 1.2);
      const congestion = clamp(0.5 * d ** 3, 0, 0.8);
      values['speed'] = round(clamp(free * (1 - congestion) + n(1) * 3, 3, 140), 1);
      values['volume'] = Math.round(clamp(capacity * d * (1 - congestion * 0.4) + n(2) * 60, 0, 9000));
      values['occupancy'] = round(clamp(0.04 + 0.6 * congestion + d * 0.1 + n(3) * 0.01, 0, 0.98), 3);
      break;
    }
    case 'aq-station': {
      const traffic = trafficDemand(t) * trafficScale;
      const site = (0.8 + 0.4 * unit(key, 11)) * air;
      const pm25 = clamp((28 + 12 * bump(h, 8, 3) + 10 * bump(h, 21, 3)) * site + n(1) * 3, 2, 500);
      values['pm25'] = round(pm25, 1);
      values['pm10'] = round(clamp(pm25 * (1.5 + 0.2 * unit(key, 12)) + n(2) * 4, 3, 800), 1);
      values['o3'] = round(clamp(40 + 110 * bump(h, 15, 3) + n(3) * 6, 2, 400), 1);
      values['no2'] = round(clamp((18 + 40 * traffic) * site + n(4) * 3, 2, 300), 1);
      values['so2'] = round(clamp(6 + 2 * unit(key, 13) + n(5) * 0.8, 1, 100), 1);
      values['co'] = round(clamp(0.5 + 0.4 * traffic + n(6) * 0.05, 0.1, 10), 2);
      break;
    }
    case 'weather-station': {
      values['rainfall'] = 0;
      values['windSpeed'] = round(clamp(2.5 + 1.5 * bump(h, 14, 4) + n(1) * 0.5, 0, 20), 1);
      values['windDir'] = Math.round(
        (((90 + 30 * Math.sin((t / 86_400_000) * 2 * Math.PI) + n(2) * 10) % 360) + 360) % 360,
      );
      values['temperature'] = round(14 + 6 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + n(3) * 0.3, 1);
      break;
    }
    case 'manhole':
      values['tilt'] = round(clamp(0.8 + unit(key, 21) * 1.5 + n(1) * 0.2, 0, 90), 1);
      values['battery'] = round(clamp(95 - unit(key, 22) * 25, 5, 100), 0);
      break;
    case 'waterlogging':
      values['waterDepth'] = round(clamp(n(1) * 0.3, 0, 500), 1);
      values['battery'] = round(clamp(97 - unit(key, 23) * 20, 5, 100), 0);
      break;
    case 'streetlight': {
      const dark = h < 6.2 || h >= 17.6;
      const faulty = unit(key, 24) < 0.01 ? 1 : 0;
      values['lampOn'] = dark && !faulty ? 1 : 0;
      values['lampFault'] = faulty;
      break;
    }
    case 'feeder':
      values['feederLoad'] = round(
        clamp(35 + 30 * bump(h, 11, 4) + 35 * bump(h, 20, 2.5) + n(1) * 3, 5, 120),
        1,
      );
      values['feederOnline'] = 1;
      break;
    case 'smoke':
      values['smoke'] = round(clamp(0.05 + n(1) * 0.02, 0, 100), 2);
      values['temperature'] = round(22 + 4 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + n(2) * 0.3, 1);
      values['battery'] = round(clamp(96 - unit(key, 25) * 30, 5, 100), 0);
      break;
    case 'waste-bin': {
      // Bins fill through the day and are emptied at 06:00.
      const sinceEmptied = (h - 6 + 24) % 24;
      values['fillLevel'] = round(
        clamp((sinceEmptied / 24) * (70 + 30 * unit(key, 26)) + n(1) * 2, 0, 100),
        0,
      );
      values['battery'] = round(clamp(94 - unit(key, 27) * 30, 5, 100), 0);
      break;
    }
  }
  // Keep only what the sensor declares (the generator may know more metrics than a device reports).
  const declared = new Set<string>(sensor.metrics.map((m) => m.metric));
  for (const k of Object.keys(values)) if (!declared.has(k)) delete values[k];
  return values;
}
