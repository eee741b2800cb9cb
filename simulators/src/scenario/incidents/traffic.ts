import { gauss } from '../../noise';
import {
  addEffect,
  clamp,
  emptyIncident,
  round,
  type CompiledIncident,
  type IncidentCompileInput,
} from '../model';
import type { TrafficIncidentSchema } from '../scenario.schema';
import type { z } from 'zod';

type TrafficIncident = z.infer<typeof TrafficIncidentSchema>;

const HOUR_MS = 3_600_000;
/** The queue reaches a detector this long after it starts growing past it (speed drops over ~1 min). */
const ONSET_MS = 60_000;

/**
 * 交通事故 / 道路施工. Capacity drops at a spot on a road. A queue grows upstream (against the
 * road's vertex order, which is the direction of travel) at `queueGrowthKmh` up to
 * `maxQueueKm`; when the road is cleared its front moves back upstream at `dischargeKmh`.
 * A detector is in the queue while the queue reaches back past it: crawling speed, high
 * occupancy, low volume. Downstream detectors see free-flowing but thin traffic.
 */
export function compileTrafficIncident(input: IncidentCompileInput<TrafficIncident>): CompiledIncident {
  const { incident: inc, world, start, end, path, issues } = input;
  const out = emptyIncident(inc.id, inc.type, start, end);
  const strength = inc.strength ?? (inc.type === 'traffic-accident' ? 0.85 : 0.5);

  let roadId: string;
  let atKm: number;
  if ('sensor' in inc.where) {
    const sim = world.byId.get(inc.where.sensor);
    if (!sim || !sim.sensor.road) {
      issues.push({
        path: `${path}.where.sensor`,
        message: sim
          ? `"${inc.where.sensor}" is not a traffic detector on a road`
          : `no sensor "${inc.where.sensor}" in the city pack`,
      });
      return out;
    }
    roadId = sim.sensor.road.id;
    const pos = world.roadDetectors(roadId).find((p) => p.sim === sim)!;
    atKm = pos.alongKm + 0.01; // just downstream of the detector: it is the queue's head
  } else {
    roadId = inc.where.road;
    const length = world.roadLengthKm(roadId);
    if (length === 0) {
      const known = world.pack.roads.map((r) => r.id).join(', ');
      issues.push({
        path: `${path}.where.road`,
        message: `no road "${roadId}" in the city pack (roads: ${known})`,
      });
      return out;
    }
    atKm = inc.where.position * length;
  }

  const growth = inc.queueGrowthKmh / HOUR_MS; // km of queue per ms
  const discharge = inc.dischargeKmh / HOUR_MS;
  /** The queue's length when the spot is cleared, km. */
  const longest = Math.min(inc.maxQueueKm, growth * (end - start));

  for (const { sim, alongKm } of world.roadDetectors(roadId)) {
    const d = atKm - alongKm; // > 0: upstream of the spot
    const free = sim.sensor.road?.freeFlowKmh ?? 40;
    if (d >= 0 && d <= longest) {
      // The tail reaches it at `onset`; once the spot is cleared, the queue's front moves back
      // upstream at the discharge speed and releases it.
      const onset = start + d / growth;
      const release = end + d / discharge;
      addEffect(out, sim, {
        stage: 'world',
        from: onset,
        to: release,
        apply(draft) {
          const k = Math.min(1, (draft.t - onset) / ONSET_MS);
          const step = Math.floor(draft.t / 1000);
          const n = (i: number) => gauss(sim.key + 40 + i, step);
          // Crawling: a few km/h at the head, a little faster further back.
          const crawl = clamp(free * (1 - strength) * 0.35 + d * 1.5 + n(1) * 1.2, 2, free);
          const v = draft.values;
          if (v['speed'] !== undefined)
            v['speed'] = round(v['speed'] + (Math.min(v['speed'], crawl) - v['speed']) * k, 1);
          if (v['occupancy'] !== undefined)
            v['occupancy'] = round(
              clamp(v['occupancy'] + (0.62 + 0.2 * strength + n(2) * 0.03 - v['occupancy']) * k, 0, 0.98),
              3,
            );
          if (v['volume'] !== undefined)
            v['volume'] = Math.round(
              clamp(v['volume'] * (1 - k * (0.4 + 0.5 * strength)) + n(3) * 20, 0, 9000),
            );
        },
      });
      out.labels.push({
        incident: inc.id,
        type: inc.type,
        subject: { type: 'sensor', id: sim.sensor.id },
        metric: 'speed',
        start: onset,
        end: release,
      });
    } else if (d < 0 && d > -3) {
      // Downstream: only what gets past the spot.
      addEffect(
        out,
        sim,
        {
          stage: 'world',
          from: start,
          to: end,
          apply(draft) {
            const v = draft.values;
            if (v['volume'] !== undefined) v['volume'] = Math.round(v['volume'] * (1 - strength * 0.8));
            if (v['speed'] !== undefined) v['speed'] = round(Math.max(v['speed'], free * 0.9), 1);
            if (v['occupancy'] !== undefined)
              v['occupancy'] = round(v['occupancy'] * (1 - strength * 0.6), 3);
          },
        },
        false,
      );
    }
  }
  if (out.labels.length === 0)
    issues.push({
      path: `${path}.where`,
      message: `no loop detector on road "${roadId}" at or upstream of this spot`,
    });
  return out;
}
