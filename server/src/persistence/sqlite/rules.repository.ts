import type { Rule } from '@shared/schemas/rule.schema';
import type { SubjectSnapshot } from '../../domain/rules/engine';
import type {
  RuleRecord,
  RuleRepository,
  RuleStateRepository,
  SensorEngineState,
} from '../../services/ports';
import {
  ruleRecordFromRow,
  ruleVersionConflict,
  sensorEngineStateFromRow,
  sensorEngineStateToRow,
  type SensorEngineStateRow,
} from '../rows/rule';
import type { SqliteDatabase } from './database';

/** Rules and their version history. */
export class SqliteRuleRepository implements RuleRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async listCurrent(): Promise<Rule[]> {
    const rows = this.db.prepare(`SELECT data FROM rules WHERE deleted = 0 ORDER BY id`).all() as Array<{
      data: string;
    }>;
    return rows.map((r) => JSON.parse(r.data) as Rule);
  }

  async find(id: string): Promise<RuleRecord | null> {
    const row = this.db.prepare(`SELECT data, deleted FROM rules WHERE id = ?`).get(id) as
      { data: string; deleted: number } | undefined;
    return row ? ruleRecordFromRow(row) : null;
  }

  async versions(id: string): Promise<Rule[]> {
    const rows = this.db
      .prepare(`SELECT data FROM rule_versions WHERE rule_id = ? ORDER BY version DESC`)
      .all(id) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as Rule);
  }

  async saveVersion(rule: Rule, deleted = false): Promise<void> {
    this.db.transaction(() => {
      const current = this.db.prepare(`SELECT version FROM rules WHERE id = ?`).get(rule.id) as
        { version: number } | undefined;
      const expected = (current?.version ?? 0) + 1;
      if (rule.version !== expected) {
        throw ruleVersionConflict(rule.id, rule.version, expected);
      }
      const data = JSON.stringify(rule);
      this.db
        .prepare(
          `INSERT INTO rule_versions (rule_id, version, updated_at, updated_by, reason, data) VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(rule.id, rule.version, rule.updatedAt, rule.updatedBy, rule.reason, data);
      this.db
        .prepare(
          `INSERT INTO rules (id, version, kind, enabled, deleted, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET version = excluded.version, kind = excluded.kind, enabled = excluded.enabled,
             deleted = excluded.deleted, updated_at = excluded.updated_at, data = excluded.data`,
        )
        .run(rule.id, rule.version, rule.kind, rule.enabled ? 1 : 0, deleted ? 1 : 0, rule.updatedAt, data);
    })();
  }

  async count(): Promise<number> {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM rules`).get() as { n: number }).n;
  }
}

/** Engine state: per (rule, subject) and per sensor, written behind in batches. */
export class SqliteRuleStateRepository implements RuleStateRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async loadSubjects(subjectKeys?: readonly string[]): Promise<SubjectSnapshot[]> {
    const rows = (
      subjectKeys
        ? this.db
            .prepare(`SELECT data FROM rule_state WHERE subject_key IN (SELECT value FROM json_each(?))`)
            .all(JSON.stringify(subjectKeys))
        : this.db.prepare(`SELECT data FROM rule_state`).all()
    ) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as SubjectSnapshot);
  }

  async loadSensors(sensorIds?: readonly string[]): Promise<SensorEngineState[]> {
    const rows = (
      sensorIds
        ? this.db
            .prepare(
              `SELECT sensor_id, last_seen, data FROM sensor_engine_state
               WHERE sensor_id IN (SELECT value FROM json_each(?))`,
            )
            .all(JSON.stringify(sensorIds))
        : this.db.prepare(`SELECT sensor_id, last_seen, data FROM sensor_engine_state`).all()
    ) as SensorEngineStateRow[];
    return rows.map(sensorEngineStateFromRow);
  }

  async save(
    subjects: readonly SubjectSnapshot[],
    sensors: readonly SensorEngineState[],
    at: number,
  ): Promise<void> {
    const putSubject = this.db.prepare(
      `INSERT INTO rule_state (rule_id, subject_key, rule_version, updated_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (rule_id, subject_key) DO UPDATE SET rule_version = excluded.rule_version,
         updated_at = excluded.updated_at, data = excluded.data`,
    );
    const putSensor = this.db.prepare(
      `INSERT INTO sensor_engine_state (sensor_id, last_seen, data) VALUES (?, ?, ?)
       ON CONFLICT (sensor_id) DO UPDATE SET last_seen = excluded.last_seen, data = excluded.data`,
    );
    this.db.transaction(() => {
      for (const s of subjects) putSubject.run(s.ruleId, s.subjectKey, s.ruleVersion, at, JSON.stringify(s));
      for (const s of sensors) {
        const row = sensorEngineStateToRow(s);
        putSensor.run(row.sensor_id, row.last_seen, row.data);
      }
    })();
  }

  async deleteRule(ruleId: string): Promise<void> {
    this.db.prepare(`DELETE FROM rule_state WHERE rule_id = ?`).run(ruleId);
  }
}
