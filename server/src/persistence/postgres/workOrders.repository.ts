import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import type { WorkOrderFilter, WorkOrderInsert, WorkOrderRepository } from '../../services/ports';
import { counterName, NEXT_NUMBER_SQL, workOrderColumns, workOrderWhere } from '../rows/workOrders';
import { query, type PgPool } from './database';
import { documentPagePg } from './sqlWhere';

type DataRow = { data: string };
const first = (rows: readonly DataRow[]) => (rows[0] ? (JSON.parse(rows[0].data) as WorkOrder) : null);

/**
 * 案卷 in PostgreSQL. Each update is a compare-and-set on `version` (a node that read an older
 * version changes nothing and is told so); `work_orders_open_alert` keeps one open case per
 * alert and `create_key` one case per client action, whichever node the clicks reached.
 */
export class PgWorkOrderRepository implements WorkOrderRepository {
  constructor(private readonly pool: PgPool) {}

  async nextNumber(day: string): Promise<number> {
    const { rows } = await query<{ value: number }>(this.pool, NEXT_NUMBER_SQL, [counterName(day)]);
    return rows[0]!.value;
  }

  async insert(order: WorkOrder, createKey?: string): Promise<WorkOrderInsert> {
    const c = workOrderColumns(order);
    const result = await query(
      this.pool,
      `INSERT INTO work_orders (id, version, state, category, source, district_id, grid_cell_id, assignee_id,
         alert_id, incident_id, starts_at, updated_at, due_at, overdue_at, closed, create_key, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [
        c.id,
        c.version,
        c.state,
        c.category,
        c.source,
        c.districtId,
        c.gridCellId,
        c.assigneeId,
        c.alertId,
        c.incidentId,
        c.startsAt,
        c.updatedAt,
        c.dueAt,
        c.overdueAt,
        c.closed,
        createKey ?? null,
        c.data,
      ],
    );
    if (result.rowCount === 1) return { order, inserted: true };
    const repeated = createKey === undefined ? null : await this.findByCreateKey(createKey);
    if (repeated) return { order: repeated, inserted: false, conflict: 'create-key' };
    if (order.alertId !== undefined) {
      const { rows } = await query<DataRow>(
        this.pool,
        `SELECT data FROM work_orders WHERE alert_id = ? AND closed = 0`,
        [order.alertId],
      );
      const open = first(rows);
      if (open) return { order: open, inserted: false, conflict: 'open-alert' };
    }
    throw new Error(`work order ${order.id} was not inserted: its id is taken`);
  }

  async findByCreateKey(createKey: string): Promise<WorkOrder | null> {
    const { rows } = await query<DataRow>(this.pool, `SELECT data FROM work_orders WHERE create_key = ?`, [
      createKey,
    ]);
    return first(rows);
  }

  async update(order: WorkOrder): Promise<boolean> {
    const c = workOrderColumns(order);
    // alert_id is fixed at registration and never rewritten (as in SQLite).
    const result = await query(
      this.pool,
      `UPDATE work_orders SET version = ?, state = ?, category = ?, district_id = ?, grid_cell_id = ?,
         assignee_id = ?, incident_id = ?, updated_at = ?, due_at = ?, overdue_at = ?, closed = ?, data = ?
       WHERE id = ? AND version = ?`,
      [
        c.version,
        c.state,
        c.category,
        c.districtId,
        c.gridCellId,
        c.assigneeId,
        c.incidentId,
        c.updatedAt,
        c.dueAt,
        c.overdueAt,
        c.closed,
        c.data,
        c.id,
        c.version - 1,
      ],
    );
    return result.rowCount === 1;
  }

  async find(id: string): Promise<WorkOrder | null> {
    const { rows } = await query<DataRow>(this.pool, `SELECT data FROM work_orders WHERE id = ?`, [id]);
    return first(rows);
  }

  async query(filter: WorkOrderFilter): Promise<{ items: WorkOrder[]; total: number }> {
    return documentPagePg<WorkOrder>(
      this.pool,
      'work_orders',
      workOrderWhere(filter),
      filter.limit,
      filter.offset,
    );
  }

  async listOpen(): Promise<WorkOrder[]> {
    const { rows } = await query<DataRow>(
      this.pool,
      `SELECT data FROM work_orders WHERE closed = 0 ORDER BY starts_at`,
    );
    return rows.map((r) => JSON.parse(r.data) as WorkOrder);
  }

  async forKpis(from: number, to: number): Promise<WorkOrder[]> {
    const { rows } = await query<DataRow>(
      this.pool,
      `SELECT data FROM work_orders WHERE starts_at < ? AND updated_at >= ? ORDER BY starts_at`,
      [to, from],
    );
    return rows.map((r) => JSON.parse(r.data) as WorkOrder);
  }
}
