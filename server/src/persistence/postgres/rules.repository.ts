import type { Rule } from '@shared/schemas/rule.schema';
import type { SubjectSnapshot } from '../../domain/rules/engine';
import type {
  RuleRecord,
  RuleRepository,
  RuleStateRepository,
  SensorEngineState,
} from '../../services/ports';
import { parseDocuments } from '../rows/documents';
import {
  ruleRecordFromRow,
  ruleVersionConflict,
  sensorEngineStateFromRow,
  sensorEngineStateToRow,
  type SensorEngineStateRow,
} from '../rows/rule';
import { query, transaction, type PgClient, type PgPool } from './database';

/**
 * Rules and their version history in PostgreSQL. Two nodes may save the same rule at once: the
 * current row is locked while the next version is checked and written, and the first version of
 * a new rule is claimed by its (rule, version) key, so exactly one save of a version succeeds and
 * the other fails with the same `conflict` the SQLite store raises.
 */
export class PgRuleRepository implements RuleRepository {
  constructor(private readonly pool: PgPool) {}

  async listCurrent(): Promise<Rule[]> {
    return parseDocuments<Rule>(
      (await this.pool.query('SELECT data FROM rules WHERE deleted = 0 ORDER BY id')).rows,
    );
  }

  async find(id: string): Promise<RuleRecord | null> {
    const row = (
      await query<{ data: string; deleted: number }>(
        this.pool,
        'SELECT data, deleted FROM rules WHERE id = ?',
        [id],
      )
    ).rows[0];
    return row ? ruleRecordFromRow(row) : null;
  }

  async versions(id: string): Promise<Rule[]> {
    const { rows } = await query(
      this.pool,
      'SELECT data FROM rule_versions WHERE rule_id = ? ORDER BY version DESC',
      [id],
    );
    return parseDocuments<Rule>(rows);
  }

  async saveVersion(rule: Rule, deleted = false): Promise<void> {
    await transaction(this.pool, async (c) => {
      // FOR UPDATE: a second saver waits here and then reads the version the first one wrote.
      const current = (
        await query<{ version: number }>(c, 'SELECT version FROM rules WHERE id = ? FOR UPDATE', [rule.id])
      ).rows[0];
      const expected = (current?.version ?? 0) + 1;
      if (rule.version !== expected) throw ruleVersionConflict(rule.id, rule.version, expected);
      // A new rule has no row to lock: two first saves meet on the version's key instead, and the
      // one that finds it taken (after the other commits) stores nothing.
      if (!(await insertVersion(c, rule))) throw ruleVersionConflict(rule.id, rule.version, rule.version + 1);
      await query(
        c,
        `INSERT INTO rules (id, version, kind, enabled, deleted, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, kind = excluded.kind, enabled = excluded.enabled,
           deleted = excluded.deleted, updated_at = excluded.updated_at, data = excluded.data`,
        [
          rule.id,
          rule.version,
          rule.kind,
          rule.enabled ? 1 : 0,
          deleted ? 1 : 0,
          rule.updatedAt,
          JSON.stringify(rule),
        ],
      );
    });
  }

  async count(): Promise<number> {
    return (await query<{ n: number }>(this.pool, 'SELECT COUNT(*) AS n FROM rules')).rows[0]!.n;
  }
}

/** Store a rule version unless that (rule, version) is stored already; whether it was stored. */
async function insertVersion(c: PgClient, rule: Rule): Promise<boolean> {
  const result = await query(
    c,
    `INSERT INTO rule_versions (rule_id, version, updated_at, updated_by, reason, data) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (rule_id, version) DO NOTHING`,
    [rule.id, rule.version, rule.updatedAt, rule.updatedBy, rule.reason, JSON.stringify(rule)],
  );
  return result.rowCount === 1;
}

const byText =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * Engine state in PostgreSQL: per (rule, subject) and per sensor, written behind in batches.
 * A batch is one statement per table (rows passed as arrays), in one transaction.
 */
export class PgRuleStateRepository implements RuleStateRepository {
  constructor(private readonly pool: PgPool) {}

  async loadSubjects(subjectKeys?: readonly string[]): Promise<SubjectSnapshot[]> {
    const { rows } = subjectKeys
      ? await this.pool.query<{ data: string }>(
          'SELECT data FROM rule_state WHERE subject_key = ANY($1::text[])',
          [subjectKeys],
        )
      : await this.pool.query<{ data: string }>('SELECT data FROM rule_state');
    return parseDocuments<SubjectSnapshot>(rows);
  }

  async loadSensors(sensorIds?: readonly string[]): Promise<SensorEngineState[]> {
    const { rows } = sensorIds
      ? await this.pool.query<SensorEngineStateRow>(
          'SELECT sensor_id, last_seen, data FROM sensor_engine_state WHERE sensor_id = ANY($1::text[])',
          [sensorIds],
        )
      : await this.pool.query<SensorEngineStateRow>(
          'SELECT sensor_id, last_seen, data FROM sensor_engine_state',
        );
    return rows.map(sensorEngineStateFromRow);
  }

  /**
   * Each key appears once per batch (the engine's snapshots give each dirty state once). Rows
   * are written in key order, so two nodes saving overlapping batches lock them in the same
   * order and cannot deadlock.
   */
  async save(
    subjects: readonly SubjectSnapshot[],
    sensors: readonly SensorEngineState[],
    at: number,
  ): Promise<void> {
    const subjectRows = [...subjects].sort(byText((s) => `${s.ruleId}\u0000${s.subjectKey}`));
    const sensorRows = sensors.map(sensorEngineStateToRow).sort(byText((s) => s.sensor_id));
    await transaction(this.pool, async (c) => {
      if (subjectRows.length) {
        await query(
          c,
          `INSERT INTO rule_state (rule_id, subject_key, rule_version, updated_at, data)
           SELECT rule_id, subject_key, rule_version, ?::bigint, data
           FROM unnest(?::text[], ?::text[], ?::integer[], ?::text[]) AS s (rule_id, subject_key, rule_version, data)
           ON CONFLICT (rule_id, subject_key) DO UPDATE SET rule_version = excluded.rule_version,
             updated_at = excluded.updated_at, data = excluded.data`,
          [
            at,
            subjectRows.map((s) => s.ruleId),
            subjectRows.map((s) => s.subjectKey),
            subjectRows.map((s) => s.ruleVersion),
            subjectRows.map((s) => JSON.stringify(s)),
          ],
        );
      }
      if (sensorRows.length) {
        await query(
          c,
          `INSERT INTO sensor_engine_state (sensor_id, last_seen, data)
           SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[])
           ON CONFLICT (sensor_id) DO UPDATE SET last_seen = excluded.last_seen, data = excluded.data`,
          [
            sensorRows.map((s) => s.sensor_id),
            sensorRows.map((s) => s.last_seen),
            sensorRows.map((s) => s.data),
          ],
        );
      }
    });
  }

  async deleteRule(ruleId: string): Promise<void> {
    await query(this.pool, 'DELETE FROM rule_state WHERE rule_id = ?', [ruleId]);
  }
}
