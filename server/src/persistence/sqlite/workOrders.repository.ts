import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import type { WorkOrderFilter, WorkOrderInsert, WorkOrderRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';
import { documentPage } from './sqlWhere';
import {
  counterName,
  NEXT_NUMBER_SQL,
  workOrderColumns as columns,
  workOrderWhere,
} from '../rows/workOrders';

/**
 * 案卷 in SQLite: the JSON document is the source of truth; each update is a compare-and-set on
 * `version`. The partial unique index `work_orders_open_alert` (migration 8) keeps one open case
 * per alert whatever the writers do.
 */
export class SqliteWorkOrderRepository implements WorkOrderRepository {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly counterStmt;
  private readonly byCreateKeyStmt;
  private readonly openForAlertStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(
      `INSERT INTO work_orders (id, version, state, category, source, district_id, grid_cell_id, assignee_id,
         alert_id, incident_id, starts_at, updated_at, due_at, overdue_at, closed, create_key, data)
       VALUES (@id, @version, @state, @category, @source, @districtId, @gridCellId, @assigneeId, @alertId,
         @incidentId, @startsAt, @updatedAt, @dueAt, @overdueAt, @closed, @createKey, @data)
       ON CONFLICT DO NOTHING`,
    );
    // alert_id is fixed at registration and not rewritten: a case stored before migration 8 that
    // repeated another's alert keeps the NULL the migration gave it.
    this.updateStmt = db.prepare(
      `UPDATE work_orders SET version = @version, state = @state, category = @category,
         district_id = @districtId, grid_cell_id = @gridCellId, assignee_id = @assigneeId,
         incident_id = @incidentId, updated_at = @updatedAt, due_at = @dueAt, overdue_at = @overdueAt,
         closed = @closed, data = @data
       WHERE id = @id AND version = @version - 1`,
    );
    this.byCreateKeyStmt = db.prepare(`SELECT data FROM work_orders WHERE create_key = ?`);
    this.openForAlertStmt = db.prepare(`SELECT data FROM work_orders WHERE alert_id = ? AND closed = 0`);
    this.counterStmt = db.prepare(NEXT_NUMBER_SQL);
  }

  async nextNumber(day: string): Promise<number> {
    return (this.counterStmt.get(counterName(day)) as { value: number }).value;
  }

  async insert(order: WorkOrder, createKey?: string): Promise<WorkOrderInsert> {
    const info = this.insertStmt.run({ ...columns(order), createKey: createKey ?? null });
    if (info.changes === 1) return { order, inserted: true };
    const repeated = createKey === undefined ? null : await this.findByCreateKey(createKey);
    if (repeated) return { order: repeated, inserted: false, conflict: 'create-key' };
    const row =
      order.alertId === undefined
        ? undefined
        : (this.openForAlertStmt.get(order.alertId) as { data: string } | undefined);
    if (row) return { order: JSON.parse(row.data) as WorkOrder, inserted: false, conflict: 'open-alert' };
    throw new Error(`work order ${order.id} was not inserted: its id is taken`);
  }

  async findByCreateKey(createKey: string): Promise<WorkOrder | null> {
    const row = this.byCreateKeyStmt.get(createKey) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as WorkOrder) : null;
  }

  async update(order: WorkOrder): Promise<boolean> {
    return this.updateStmt.run(columns(order)).changes === 1;
  }

  async find(id: string): Promise<WorkOrder | null> {
    const row = this.db.prepare(`SELECT data FROM work_orders WHERE id = ?`).get(id) as
      { data: string } | undefined;
    return row ? (JSON.parse(row.data) as WorkOrder) : null;
  }

  async query(filter: WorkOrderFilter): Promise<{ items: WorkOrder[]; total: number }> {
    const where = workOrderWhere(filter);
    return documentPage<WorkOrder>(this.db, 'work_orders', where, filter.limit, filter.offset);
  }

  async listOpen(): Promise<WorkOrder[]> {
    const rows = this.db
      .prepare(`SELECT data FROM work_orders WHERE closed = 0 ORDER BY starts_at`)
      .all() as Array<{
      data: string;
    }>;
    return rows.map((r) => JSON.parse(r.data) as WorkOrder);
  }

  async forKpis(from: number, to: number): Promise<WorkOrder[]> {
    const rows = this.db
      .prepare(`SELECT data FROM work_orders WHERE starts_at < ? AND updated_at >= ? ORDER BY starts_at`)
      .all(to, from) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as WorkOrder);
  }
}
