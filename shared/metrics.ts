import { z } from 'zod';

/**
 * Every metric a sensor may report, with its unit and the physically plausible
 * range. A reading outside [min, max] is rejected at ingest as `out_of_range`:
 * such a value is a device fault, not a city event (a real 900 µg/m³ PM2.5 is
 * inside the range and must pass).
 */
export const METRICS = {
  // Traffic detectors (GB/T 33171; FIWARE TrafficFlowObserved).
  speed: { unit: 'km/h', min: 0, max: 250, zh: '车速', en: 'Speed' },
  volume: { unit: 'veh/h', min: 0, max: 20000, zh: '流量', en: 'Volume' },
  occupancy: { unit: 'ratio', min: 0, max: 1, zh: '占有率', en: 'Occupancy' },
  // Air-quality stations (HJ 633). CO in mg/m³, the others in µg/m³.
  pm25: { unit: 'µg/m³', min: 0, max: 2000, zh: 'PM2.5', en: 'PM2.5' },
  pm10: { unit: 'µg/m³', min: 0, max: 3000, zh: 'PM10', en: 'PM10' },
  o3: { unit: 'µg/m³', min: 0, max: 2000, zh: '臭氧', en: 'O₃' },
  no2: { unit: 'µg/m³', min: 0, max: 4000, zh: '二氧化氮', en: 'NO₂' },
  so2: { unit: 'µg/m³', min: 0, max: 3000, zh: '二氧化硫', en: 'SO₂' },
  co: { unit: 'mg/m³', min: 0, max: 150, zh: '一氧化碳', en: 'CO' },
  // Weather stations (drive rainstorm and pollution-drift scenarios).
  rainfall: { unit: 'mm/h', min: 0, max: 300, zh: '雨强', en: 'Rainfall' },
  windSpeed: { unit: 'm/s', min: 0, max: 75, zh: '风速', en: 'Wind speed' },
  windDir: { unit: '°', min: 0, max: 360, zh: '风向', en: 'Wind direction' },
  temperature: { unit: '°C', min: -50, max: 150, zh: '温度', en: 'Temperature' },
  // Urban infrastructure (grid events).
  tilt: { unit: '°', min: 0, max: 90, zh: '井盖倾角', en: 'Cover tilt' },
  waterDepth: { unit: 'cm', min: 0, max: 500, zh: '积水深度', en: 'Water depth' },
  lampOn: { unit: 'bool', min: 0, max: 1, zh: '路灯亮灯', en: 'Lamp on' },
  lampFault: { unit: 'bool', min: 0, max: 1, zh: '路灯故障', en: 'Lamp fault' },
  feederLoad: { unit: '%', min: 0, max: 300, zh: '馈线负载率', en: 'Feeder load' },
  feederOnline: { unit: 'bool', min: 0, max: 1, zh: '馈线在线', en: 'Feeder online' },
  smoke: { unit: '%obs/m', min: 0, max: 100, zh: '烟雾浓度', en: 'Smoke' },
  fillLevel: { unit: '%', min: 0, max: 100, zh: '满溢度', en: 'Fill level' },
  battery: { unit: '%', min: 0, max: 100, zh: '电量', en: 'Battery' },
} as const satisfies Record<string, MetricInfo>;

export interface MetricInfo {
  /** Unit of the value, SI-style symbol; `bool` means 0 or 1, `ratio` means 0..1. */
  unit: string;
  /** Smallest physically plausible value. */
  min: number;
  /** Largest physically plausible value. */
  max: number;
  /** Chinese label for the UI. */
  zh: string;
  /** English label for the UI. */
  en: string;
}

export type MetricId = keyof typeof METRICS;
export const METRIC_IDS = Object.keys(METRICS) as [MetricId, ...MetricId[]];
export const MetricIdSchema = z.enum(METRIC_IDS);

export function isMetricId(value: string): value is MetricId {
  return Object.hasOwn(METRICS, value);
}
