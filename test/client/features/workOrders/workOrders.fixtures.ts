import type { KpiResponse, KpiRow, WorkOrder } from '@shared/schemas/workOrder.schema';
import {
  useWorkOrdersStore,
  type KpisPush,
} from '../../../../client/src/features/workOrders/workOrders.store';
import { apiError, respond, stubApi } from '../../auth.fixtures';
import { T0 } from '../../live.fixtures';

export { entry, moved, workOrder } from '../worker/worker.fixtures';
export { T0 };

/** 00:00 Asia/Shanghai on the day of {@link T0} (16:00 there). */
export const DAY_START = Date.UTC(2026, 10, 20, 16, 0, 0);

const OPEN = 'state=registered,dispatched,accepted,handling,reported,returned,escalated&limit=500';

/** `GET` route keys of the resync (as `stubApi` matches them), for the day up to `now`. */
export function resyncRoutes(
  now: number = T0,
  where = '',
): { orders: string; all: string; districts: string } {
  return {
    orders: `GET /api/v1/work-orders?${OPEN}${where}`,
    all: `GET /api/v1/work-orders/kpis?groupBy=all&from=${DAY_START}&to=${now}`,
    districts: `GET /api/v1/work-orders/kpis?groupBy=district&from=${DAY_START}&to=${now}`,
  };
}

/** KPI figures of one group; rates as the server rounds them. */
export function kpiRow(key: string, overrides: Partial<KpiRow> = {}): KpiRow {
  return {
    key,
    registered: 40,
    due: 30,
    closed: 28,
    closedOnTime: 25,
    closeRate: 0.9333,
    onTimeRate: 0.8333,
    handled: 32,
    reworked: 2,
    reworkRate: 0.0625,
    responseAvgS: 450,
    responseP90S: 900,
    handlingAvgS: 3600,
    handlingP90S: 7200,
    overdue: 3,
    ratingAvg: 4.62,
    ratings: 13,
    ...overrides,
  };
}

/** A `kpis:updated` push for today up to `to`. */
export function kpisPush(city: KpiRow, districts: KpiRow[] = [], to: number = T0): KpisPush {
  return { from: DAY_START, to, city, districts };
}

/** The answer of `GET /api/v1/work-orders/kpis`. */
export function kpiAnswer(groupBy: 'all' | 'district', rows: KpiRow[], to: number = T0): Response {
  const body: KpiResponse = { from: DAY_START, to, groupBy, rows };
  return respond(body);
}

/** The work-order store after the city's resync at {@link T0} found the open cases `items` and the city's KPIs `city`. */
export async function resyncCity(items: WorkOrder[] = [], city: KpiRow = kpiRow('all')): Promise<void> {
  const routes = resyncRoutes();
  stubApi({
    [routes.orders]: () => respond({ items, total: items.length }),
    [routes.all]: () => kpiAnswer('all', [city]),
    [routes.districts]: () => kpiAnswer('district', []),
  });
  await useWorkOrdersStore().resync({ kind: 'city' }, T0);
}

/** The same for a role that may not read KPIs: no open case, and the KPIs refused. */
export async function resyncCityWithoutKpis(): Promise<void> {
  const routes = resyncRoutes();
  const forbidden = () => respond(apiError('forbidden', 'no kpis:read'), 403);
  stubApi({
    [routes.orders]: () => respond({ items: [], total: 0 }),
    [routes.all]: forbidden,
    [routes.districts]: forbidden,
  });
  await useWorkOrdersStore().resync({ kind: 'city' }, T0);
}
