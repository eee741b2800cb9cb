import type { MetricId } from '@shared/metrics';
import type { SensorKind, SensorSubtype } from '@shared/schemas/sensor.schema';

/**
 * Which kind and device family an auto-registered sensor most likely is,
 * judged from the metrics of its first reading. First match wins.
 */
const RULES: ReadonlyArray<{ metrics: readonly MetricId[]; kind: SensorKind; subtype: SensorSubtype }> = [
  { metrics: ['speed', 'volume', 'occupancy'], kind: 'traffic', subtype: 'loop-detector' },
  { metrics: ['pm25', 'pm10', 'o3', 'no2', 'so2', 'co'], kind: 'air', subtype: 'aq-station' },
  { metrics: ['rainfall', 'windSpeed', 'windDir'], kind: 'weather', subtype: 'weather-station' },
  { metrics: ['tilt'], kind: 'grid-event', subtype: 'manhole' },
  { metrics: ['waterDepth'], kind: 'grid-event', subtype: 'waterlogging' },
  { metrics: ['lampOn', 'lampFault'], kind: 'grid-event', subtype: 'streetlight' },
  { metrics: ['feederLoad', 'feederOnline'], kind: 'grid-event', subtype: 'feeder' },
  { metrics: ['smoke'], kind: 'grid-event', subtype: 'smoke' },
  { metrics: ['fillLevel'], kind: 'grid-event', subtype: 'waste-bin' },
  { metrics: ['temperature'], kind: 'weather', subtype: 'weather-station' },
];

export function inferSensorType(metrics: readonly string[]): { kind: SensorKind; subtype: SensorSubtype } {
  for (const rule of RULES) {
    if (metrics.some((m) => (rule.metrics as readonly string[]).includes(m))) {
      return { kind: rule.kind, subtype: rule.subtype };
    }
  }
  // Only `battery`: nothing says what the device measures; file it with urban
  // infrastructure, where an engineer will place and classify it.
  return { kind: 'grid-event', subtype: 'manhole' };
}
