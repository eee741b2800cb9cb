import { OPEN_WORK_ORDER_STATES, WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type { WorkOrderState } from '@shared/schemas/workOrder.schema';
import type { CityVitals } from '@shared/schemas/vitals.schema';

/** The wall's case figures: open cases per state, in all, and overdue. */
export interface CaseCounts {
  /** Open cases per state (every state present; 0 for none and for the closed states). */
  byState: Readonly<Record<WorkOrderState, number>>;
  /** Open cases in all. */
  open: number;
  /** Open cases whose current stage ran out of time. */
  overdue: number;
  /**
   * `vitals`: the server's count of every open case of the scope; `list`: counted from the open
   * cases this client fetched (at most one API page, RESYNC_LIMIT) and the pushes since.
   */
  source: 'vitals' | 'list';
}

/** What the work-order store counted from its own list of open cases. */
export interface ListedCounts {
  countsByState: Readonly<Record<WorkOrderState, number>>;
  openCount: number;
  overdueCount: number;
}

/**
 * The case figures for the wall: the server's 城市体征 when it has sent them (they count every
 * open case, where the fetched list stops at one page), else what the client counted itself.
 */
export function caseCounts(vitals: CityVitals | null, listed: ListedCounts): CaseCounts {
  if (vitals) {
    const w = vitals.workOrders;
    const byState = Object.fromEntries(WORK_ORDER_STATES.map((s) => [s, 0])) as Record<
      WorkOrderState,
      number
    >;
    for (const state of OPEN_WORK_ORDER_STATES) byState[state] = w.byState[state] ?? 0;
    return { byState, open: w.open, overdue: w.overdue, source: 'vitals' };
  }
  return {
    byState: listed.countsByState,
    open: listed.openCount,
    overdue: listed.overdueCount,
    source: 'list',
  };
}
