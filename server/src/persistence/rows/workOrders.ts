import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import type { WorkOrderFilter } from '../../services/ports';
import { SqlWhere } from '../sqlite/sqlWhere';

const TERMINAL = new Set(['closed', 'evaluated', 'cancelled']);

/** The queryable copies of a case's fields beside its JSON document (the source of truth). */
export function workOrderColumns(order: WorkOrder) {
  return {
    id: order.id,
    version: order.version,
    state: order.state,
    category: order.category,
    source: order.source,
    districtId: order.districtId,
    gridCellId: order.gridCellId,
    assigneeId: order.assigneeId ?? null,
    alertId: order.alertId ?? null,
    incidentId: order.incidentId ?? null,
    startsAt: order.createdAt,
    updatedAt: order.updatedAt,
    dueAt: order.dueAt,
    overdueAt: order.overdueAt,
    closed: TERMINAL.has(order.state) ? 1 : 0,
    data: JSON.stringify(order),
  };
}

/** WHERE of a case query (`?` placeholders). */
export function workOrderWhere(filter: WorkOrderFilter): SqlWhere {
  const where = new SqlWhere()
    .in('state', filter.states)
    .eq('category', filter.category)
    .eq('source', filter.source)
    .in('district_id', filter.districtIds)
    .eq('grid_cell_id', filter.gridCellId)
    .eq('assignee_id', filter.assigneeId)
    .range('starts_at', filter.from, filter.to)
    .range('updated_at', filter.updatedFrom, undefined);
  if (filter.workerView) {
    const { cellIds, workerId } = filter.workerView;
    const marks = cellIds.map(() => '?').join(', ');
    where.add(`(assignee_id = ?${cellIds.length ? ` OR grid_cell_id IN (${marks})` : ''})`, [
      workerId,
      ...cellIds,
    ]);
  }
  if (filter.overdue !== undefined)
    where.add(
      filter.overdue ? 'closed = 0 AND overdue_at IS NOT NULL' : '(closed = 1 OR overdue_at IS NULL)',
    );
  return where;
}

/** Case numbers per Asia/Shanghai day: an atomic upsert of the day's counter (both stores). */
export const NEXT_NUMBER_SQL = `INSERT INTO counters (name, value) VALUES (?, 1)
  ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`;

export const counterName = (day: string) => `work-order:${day}`;
