import type { Sensor } from '@shared/schemas/sensor.schema';
import { cityDayValues } from '../cityDay.generator';

/**
 * A quiet city: the simulator's city-day values (`cityDay.generator.ts`), with the few that
 * breach a default rule on an ordinary day held below it (1 % of lamps faulty, bins over 90 %
 * late in the day, feeders over 100 % at the evening peak). Load made of these raises no alert
 * but what the rules make of traffic at rush hour, so a load test measures ingest, not an alert
 * storm; breaches are injected on purpose where alerts are wanted.
 */
export function quietValues(sensor: Sensor, t: number): Record<string, number> {
  const v = cityDayValues(sensor, t, { seed: 7 });
  if (v['lampFault'] === 1) v['lampFault'] = 0;
  if (v['fillLevel'] !== undefined) v['fillLevel'] = Math.min(v['fillLevel'], 80);
  if (v['feederLoad'] !== undefined) v['feederLoad'] = Math.min(v['feederLoad'], 90);
  return v;
}
