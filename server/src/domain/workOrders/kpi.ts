/**
 * 数字城管 KPIs of work orders (DOMAIN.md §6), computed from the cases' timelines. Pure: the
 * window is passed in, nothing reads the clock.
 *
 * Times. An entry's effective time is `doneAt ?? at` (when the worker did it, even offline).
 * Figures describe the window [from, to) as it stood at `to`: entries whose effective time is
 * at or after `to` are ignored, so a past window gives the same figures tomorrow (except when
 * a phone syncs late an entry it did before `to`).
 *
 * Cases. The cases of the window are those registered in it (立案: `createdAt` in [from, to)).
 * Every figure is about them, except `overdue`.
 * - registered (立案数): the cases of the window, cancelled ones included.
 * - due (应结案数): cases of the window not cancelled before `to` whose deadline (处置时限,
 *   `deadlineAt`) is before `to`, or which were closed before `to`. A case whose deadline is
 *   after `to` and which is still open is not due yet.
 * - closed (结案数): due cases with a passing verification (核实结案) before `to`.
 * - closedOnTime (按期结案数): closed cases whose passing report (the last report before the
 *   passing verification) has an effective time ≤ `deadlineAt`.
 * - closeRate (结案率) = closed / due; onTimeRate (按期结案率) = closedOnTime / due; null when
 *   nothing is due. Rates are rounded to 4 decimals (0.9372).
 * - handled (处置数): cases with at least one report (反馈); reworked: cases with at least one
 *   failed verification (返工); reworkRate (返工率) = reworked / handled, null when none handled.
 * - Response time: for each accept, its time minus that of the latest dispatch or reassign
 *   before it. Handling time: for each report made on site (from `handling`, so after an
 *   accept and check-in, or after rework), its time minus that of the latest accept before
 *   it; a rework round therefore counts from the original accept. A department's answer to an
 *   escalated case (escalated → reported) is not handling time. Both in seconds: mean and
 *   90th percentile (nearest rank: the ⌈0.9·n⌉-th smallest), rounded to whole seconds, null
 *   when there is no sample.
 * - overdue: `overdue` entries (a stage's limit ran out) recorded (`at`) in [from, to), of
 *   any case passed in, whenever it was registered: a supervisor wants to see every missed
 *   limit of the window, old cases included.
 * - ratingAvg: mean stars of the served party's ratings (evaluate entries by `citizen`;
 *   supervisors' ratings are left out), rounded to 2 decimals; ratings = their count.
 *
 * Groups (`groupBy`), one row per key, rows sorted by key:
 * - `all`: one row, key `all` (always present, even with nothing in it).
 * - `worker`: registered, due, closed and closedOnTime go to the case's current assignee;
 *   everything drawn from an entry (handled, reworked, response, handling, rating, overdue)
 *   goes to the worker assigned when the entry happened, i.e. the `assigneeId` of the latest
 *   dispatch or reassign, cleared when the case is returned (退回) or escalated (转办) until it is
 *   dispatched again. No assignee: key `unassigned`. A case reassigned between two workers may
 *   count as handled for both.
 * - `cell`, `district`, `category`: the case's `gridCellId`, `districtId`, `category`.
 * - `period`: the start of the day, week (from Monday) or month, in Asia/Shanghai (UTC+8, no
 *   daylight saving), holding the case's `createdAt`, as ISO-8601 with its offset
 *   (`2026-11-21T00:00:00+08:00`). Overdue entries go to the period of their own `at`, so
 *   every row lies in the window.
 * Rows of a grouping add up to the `all` row for every count, except handled and reworked when
 * grouped by worker (see above).
 */
import type { KpiRow, TimelineEntry, WorkOrder } from '@shared/schemas/workOrder.schema';
import { shanghaiFields } from '@shared/domain/shanghaiTime';

export interface KpiOptions {
  /** Window start, epoch ms, inclusive. */
  from: number;
  /** Window end, epoch ms, exclusive. */
  to: number;
  groupBy: 'all' | 'worker' | 'cell' | 'district' | 'category' | 'period';
  /** Length of a period when grouping by `period`. */
  period: 'day' | 'week' | 'month';
}

/** Asia/Shanghai has been UTC+8 all year round since 1991. */
const UNASSIGNED = 'unassigned';

interface Acc {
  registered: number;
  due: number;
  closed: number;
  closedOnTime: number;
  handled: Set<string>;
  reworked: Set<string>;
  /** Samples, ms. */
  response: number[];
  handling: number[];
  overdue: number;
  stars: number[];
}

const effective = (e: TimelineEntry) => e.doneAt ?? e.at;

/** KPI rows from case timelines (KpiRow in shared/schemas/workOrder.schema.ts), sorted by key. */
export function computeKpis(orders: readonly WorkOrder[], opts: KpiOptions): KpiRow[] {
  const { from, to, groupBy } = opts;
  if (!(from < to)) throw new RangeError(`KPI window is empty: from ${from} is not before to ${to}`);
  const groups = new Map<string, Acc>();
  const acc = (key: string): Acc => {
    let a = groups.get(key);
    if (!a) {
      a = {
        registered: 0,
        due: 0,
        closed: 0,
        closedOnTime: 0,
        handled: new Set(),
        reworked: new Set(),
        response: [],
        handling: [],
        overdue: 0,
        stars: [],
      };
      groups.set(key, a);
    }
    return a;
  };
  if (groupBy === 'all') acc('all');

  /** Key of a figure drawn from one entry of `order`, done while `assignee` had the case at time `t`. */
  const keyOf = (order: WorkOrder, assignee: string | undefined, t: number): string => {
    switch (groupBy) {
      case 'all':
        return 'all';
      case 'worker':
        return assignee ?? UNASSIGNED;
      case 'cell':
        return order.gridCellId;
      case 'district':
        return order.districtId;
      case 'category':
        return order.category;
      case 'period':
        return periodStart(t, opts.period);
    }
  };

  for (const order of orders) {
    const inWindow = order.createdAt >= from && order.createdAt < to;
    let assignee: string | undefined;
    let lastAssignedAt: number | undefined;
    let lastAcceptAt: number | undefined;
    let lastReportAt: number | undefined;
    let closedAt: number | undefined;
    let passingReportAt: number | undefined;
    let cancelled = false;

    for (const e of order.timeline) {
      if (e.action === 'overdue') {
        // Counted by when it was recorded, for every case passed in.
        if (e.at >= from && e.at < to) acc(keyOf(order, assignee, e.at)).overdue++;
        continue;
      }
      const t = effective(e);
      if (inWindow && t < to) {
        // Figures of the case's own entries go to its registration period.
        const key = () => keyOf(order, assignee, order.createdAt);
        switch (e.action) {
          case 'dispatch':
          case 'reassign':
            lastAssignedAt = t;
            break;
          case 'accept':
            if (lastAssignedAt !== undefined) acc(key()).response.push(t - lastAssignedAt);
            lastAcceptAt = t;
            break;
          case 'report':
            acc(key()).handled.add(order.id);
            if (e.from === 'handling' && lastAcceptAt !== undefined)
              acc(key()).handling.push(t - lastAcceptAt);
            lastReportAt = t;
            break;
          case 'verify':
            if (e.data?.result === 'fail') acc(key()).reworked.add(order.id);
            else if (e.data?.result === 'pass') {
              closedAt = t;
              passingReportAt = lastReportAt;
            }
            break;
          case 'evaluate':
            if (e.data?.by === 'citizen' && typeof e.data.stars === 'number')
              acc(key()).stars.push(e.data.stars);
            break;
          case 'cancel':
            cancelled = true;
            break;
          default:
            break;
        }
      }
      if (e.action === 'dispatch' || e.action === 'reassign') assignee = e.assigneeId;
      else if (e.action === 'return' || e.action === 'escalate') assignee = undefined;
    }
    if (!inWindow) continue;

    const a = acc(keyOf(order, order.assigneeId, order.createdAt));
    a.registered++;
    if (cancelled || (order.deadlineAt >= to && closedAt === undefined)) continue;
    a.due++;
    if (closedAt === undefined) continue;
    a.closed++;
    if (passingReportAt !== undefined && passingReportAt <= order.deadlineAt) a.closedOnTime++;
  }

  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, a]) => toRow(key, a));
}

function toRow(key: string, a: Acc): KpiRow {
  const handled = a.handled.size;
  const reworked = a.reworked.size;
  const response = durationStats(a.response);
  const handling = durationStats(a.handling);
  return {
    key,
    registered: a.registered,
    due: a.due,
    closed: a.closed,
    closedOnTime: a.closedOnTime,
    closeRate: rate(a.closed, a.due),
    onTimeRate: rate(a.closedOnTime, a.due),
    handled,
    reworked,
    reworkRate: rate(reworked, handled),
    responseAvgS: response.avg,
    responseP90S: response.p90,
    handlingAvgS: handling.avg,
    handlingP90S: handling.p90,
    overdue: a.overdue,
    ratingAvg: a.stars.length ? round(a.stars.reduce((s, x) => s + x, 0) / a.stars.length, 2) : null,
    ratings: a.stars.length,
  };
}

const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;
const rate = (n: number, d: number) => (d === 0 ? null : round(n / d, 4));

/** Mean and nearest-rank 90th percentile of durations in ms, as whole seconds. */
function durationStats(samplesMs: readonly number[]): { avg: number | null; p90: number | null } {
  if (samplesMs.length === 0) return { avg: null, p90: null };
  const sorted = [...samplesMs].sort((x, y) => x - y);
  const avg = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  const p90 = sorted[Math.ceil(0.9 * sorted.length) - 1] as number;
  return { avg: Math.round(avg / 1000), p90: Math.round(p90 / 1000) };
}

/** Start of the Asia/Shanghai day, week (Monday) or month holding `t`, as ISO-8601 with +08:00. */
function periodStart(t: number, period: KpiOptions['period']): string {
  // The UTC fields of this date read the Shanghai wall clock.
  const local = shanghaiFields(t);
  let day = local.getUTCDate();
  if (period === 'week') day -= (local.getUTCDay() + 6) % 7;
  if (period === 'month') day = 1;
  // Date.UTC carries a day before the 1st back into the previous month (and year).
  const start = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), day));
  return `${start.toISOString().slice(0, 10)}T00:00:00+08:00`;
}
