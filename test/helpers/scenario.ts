import { firstReportAfter, type SimSensor } from '../../simulators/src/scenario/world';

/** Report times of a sensor with `from` ≤ t < `to` (the generator's own rhythm). */
export function reportTimes(sim: SimSensor, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = firstReportAfter(sim, from - 1); t < to; t += sim.periodMs) out.push(t);
  return out;
}
