import turfDistance from '@turf/distance';
import { point } from '@turf/helpers';
import type { LngLat } from '@shared/schemas/common.schema';
import type { TimelineEntry, WorkOrder, WorkOrderAction } from '@shared/schemas/workOrder.schema';
import { hashString, unit } from '../noise';
import type { SimWorkerSettings } from './scenario.schema';

/**
 * Simulated grid workers (网格员) and the simulated verifier of a scenario's dispatch loop,
 * pure: from a case and the scenario's settings, the next thing someone does to it and when.
 * The runner does it (through the work-order service, as that person) once the virtual clock
 * gets there. A worker accepts `acceptAfter` after the dispatch, travels from where they are
 * at `travelKmh` and checks in with the site's QR code, handles it for `handle` and reports
 * with a photo; the verifier checks `verifyAfter` later, failing the first report of a seeded
 * share (`reworkShare`) of the cases once (返工), after which the worker handles it again.
 */

export type SimAction =
  | { action: 'accept'; at: number }
  | { action: 'checkIn'; at: number; code: string; travelKm: number }
  | { action: 'report'; at: number }
  | { action: 'verify'; at: number; result: 'pass' | 'fail' };

/** What the pure decision needs of a case. */
export type SimCase = Pick<WorkOrder, 'id' | 'state' | 'location' | 'reworkCount' | 'timeline'>;

export interface SimContext {
  /** Where the assigned worker sets off from (their live position, else their home base); null: on site. */
  from: LngLat | null;
  settings: SimWorkerSettings;
  /** The scenario's seed: another seed fails other cases' first reports. */
  seed: number;
}

/** Salt of the rework draw, so that it does not coincide with other draws keyed on the case id. */
const REWORK_SALT = 0x7e_c0_de;

/** Whether the verifier fails this case's first report: a share `share` of the cases, fixed by id and seed. */
export function failsFirstReport(caseId: string, seed: number, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  return unit(hashString(caseId), seed, REWORK_SALT) < share;
}

/** How long the trip takes, ms (great-circle distance at `kmh`); 0 without a starting point. */
export function travel(from: LngLat | null, to: LngLat, kmh: number): { km: number; ms: number } {
  if (!from) return { km: 0, ms: 0 };
  const km = turfDistance(point(from), point(to), { units: 'kilometers' });
  return { km, ms: Math.round((km / kmh) * 3_600_000) };
}

/** Effective time of the last entry with one of these actions (and data), or null. */
function lastAt(
  order: SimCase,
  actions: readonly WorkOrderAction[],
  match: (e: TimelineEntry) => boolean = () => true,
): number | null {
  for (let i = order.timeline.length - 1; i >= 0; i--) {
    const e = order.timeline[i]!;
    if (actions.includes(e.action) && match(e)) return e.doneAt ?? e.at;
  }
  return null;
}

/**
 * The next action on a case and its time (which may be past: do it now), or null when nobody
 * simulated has anything to do (not dispatched yet, returned, escalated, closed, cancelled).
 */
export function nextSimAction(order: SimCase, ctx: SimContext): SimAction | null {
  const s = ctx.settings;
  switch (order.state) {
    case 'dispatched': {
      const since = lastAt(order, ['dispatch', 'reassign']);
      return since === null ? null : { action: 'accept', at: since + s.acceptAfter * 1000 };
    }
    case 'accepted': {
      const since = lastAt(order, ['accept']);
      if (since === null) return null;
      const trip = travel(ctx.from, order.location, s.travelKmh);
      return {
        action: 'checkIn',
        at: since + trip.ms,
        code: `cityops:site:${order.id}`,
        travelKm: trip.km,
      };
    }
    case 'handling': {
      // On site since the check-in, or since the verifier sent the report back.
      const since = lastAt(
        order,
        ['checkIn', 'verify'],
        (e) => e.action === 'checkIn' || e.data?.['result'] === 'fail',
      );
      return since === null ? null : { action: 'report', at: since + s.handle * 1000 };
    }
    case 'reported': {
      const since = lastAt(order, ['report']);
      if (since === null) return null;
      const fail = order.reworkCount === 0 && failsFirstReport(order.id, ctx.seed, s.reworkShare);
      return { action: 'verify', at: since + s.verifyAfter * 1000, result: fail ? 'fail' : 'pass' };
    }
    default:
      return null;
  }
}
