/**
 * Schema migrations, applied in order on start inside one transaction each.
 * Append only: never edit a migration that has shipped.
 *
 * Readings are one row per (sensor, observation time) in a WITHOUT ROWID table
 * keyed by (sensor_id, ts): the key is the uniqueness that makes duplicates
 * idempotent and the only B-tree a write touches. Rollups are keyed the same
 * way per metric, so history queries are range scans on the primary key.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalog, readings, rollups, alerts',
    sql: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
      );
      CREATE TABLE districts (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL
      );
      CREATE TABLE grid_cells (
        id TEXT PRIMARY KEY,
        district_id TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX grid_cells_district ON grid_cells (district_id);
      CREATE TABLE sensors (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        district_id TEXT,
        grid_cell_id TEXT,
        auto_registered INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL
      );
      CREATE TABLE readings (
        sensor_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        values_json TEXT NOT NULL,
        quality TEXT,
        PRIMARY KEY (sensor_id, ts)
      ) WITHOUT ROWID;
      CREATE TABLE rollup_1m (
        sensor_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        sum REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (sensor_id, metric, bucket)
      ) WITHOUT ROWID;
      CREATE TABLE rollup_1h (
        sensor_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        sum REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (sensor_id, metric, bucket)
      ) WITHOUT ROWID;
      -- Rollups of the open buckets live in the writer's memory and are flushed every few
      -- seconds. dirty_from is the earliest observation time of raw rows committed since
      -- the last flush: after a crash the writer rebuilds rollups from raw from there on.
      CREATE TABLE rollup_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        dirty_from INTEGER
      );
      INSERT INTO rollup_state (id, dirty_from) VALUES (1, NULL);
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      -- One open alert per (rule, subject): the store enforces it, not a lock in the process.
      CREATE UNIQUE INDEX alerts_one_open ON alerts (rule_id, subject_type, subject_id)
        WHERE state IN ('pending', 'firing', 'acknowledged');
    `,
  },
  {
    version: 3,
    name: 'users and sessions',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        district_ids_json TEXT,
        worker_id TEXT,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        demo INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_login_at INTEGER
      );
      -- The session token never touches the disk: id is its SHA-256.
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        revoked_at INTEGER,
        ip TEXT,
        user_agent TEXT
      );
      CREATE INDEX sessions_user ON sessions (user_id);
    `,
  },
  {
    // The audit trail: hash-chained (server/src/domain/auditChain.ts), head in meta 'audit_head'.
    // The triggers make it append-only for every connection, so altering history takes a
    // deliberate DROP TRIGGER — which `npm run audit:verify` then catches through the hashes.
    version: 2,
    name: 'audit log',
    sql: `
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor_type TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_role TEXT,
        action TEXT NOT NULL,
        target_type TEXT,
        target_id TEXT,
        before_json TEXT,
        after_json TEXT,
        origin_json TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_actor ON audit_log (actor_id);
      CREATE INDEX audit_log_action ON audit_log (action);
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only');
      END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only');
      END;
    `,
  },
  {
    version: 4,
    name: 'device credentials',
    sql: `
      -- secret_hash is the SHA-256 of a 256-bit random secret (high entropy: no KDF needed).
      CREATE TABLE device_credentials (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        name TEXT NOT NULL,
        sensor_ids_json TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        rotated_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX device_credentials_subject ON device_credentials (kind, subject_id);
    `,
  },
  {
    version: 5,
    name: 'rules, rule state, alert history',
    sql: `
      -- Current version of each rule (deleted rules keep their row and history).
      CREATE TABLE rules (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      -- Every version ever saved, with who and why.
      CREATE TABLE rule_versions (
        rule_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (rule_id, version)
      ) WITHOUT ROWID;
      -- Engine state per (rule, subject): pending timers, hysteresis, detector baselines.
      CREATE TABLE rule_state (
        rule_id TEXT NOT NULL,
        subject_key TEXT NOT NULL,
        rule_version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (rule_id, subject_key)
      ) WITHOUT ROWID;
      -- Engine state per sensor: derived-metric rolling means, last seen.
      CREATE TABLE sensor_engine_state (
        sensor_id TEXT PRIMARY KEY,
        last_seen INTEGER,
        data TEXT
      ) WITHOUT ROWID;
      -- Queryable alert columns (the JSON stays the source of truth).
      ALTER TABLE alerts ADD COLUMN district_id TEXT;
      ALTER TABLE alerts ADD COLUMN grid_cell_id TEXT;
      ALTER TABLE alerts ADD COLUMN firing_at INTEGER;
      ALTER TABLE alerts ADD COLUMN acknowledged_at INTEGER;
      ALTER TABLE alerts ADD COLUMN resolved_at INTEGER;
      ALTER TABLE alerts ADD COLUMN closed_at INTEGER;
      CREATE INDEX alerts_starts_at ON alerts (starts_at);
      CREATE INDEX alerts_rule ON alerts (rule_id, starts_at);
      CREATE INDEX alerts_district ON alerts (district_id, starts_at);
      -- What happened to each alert, in order (acknowledge, escalate, resolve, close…).
      CREATE TABLE alert_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT
      );
      CREATE INDEX alert_events_alert ON alert_events (alert_id, seq);
    `,
  },
  {
    version: 6,
    name: 'silences, inhibition rules, incidents',
    sql: `
      -- Silences (maintenance windows); expired ones stay for history.
      CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expired_at INTEGER,
        data TEXT NOT NULL
      );
      CREATE TABLE inhibitions (
        id TEXT PRIMARY KEY,
        updated_at INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
      );
      -- Correlated groups of alerts (the JSON is the source of truth).
      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_active_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX incidents_starts_at ON incidents (starts_at);
      CREATE INDEX incidents_active ON incidents (state, last_active_at);
      ALTER TABLE alerts ADD COLUMN incident_id TEXT;
      CREATE INDEX alerts_incident ON alerts (incident_id);
    `,
  },
  {
    version: 7,
    name: 'work orders, photos, worker positions, settings, Open311',
    sql: `
      -- 案卷: the JSON document (with its timeline) is the source of truth; columns serve queries.
      -- starts_at is the registration time (named as in alerts/incidents so paging is shared).
      CREATE TABLE work_orders (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        category TEXT NOT NULL,
        source TEXT NOT NULL,
        district_id TEXT NOT NULL,
        grid_cell_id TEXT NOT NULL,
        assignee_id TEXT,
        alert_id TEXT,
        incident_id TEXT,
        starts_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        due_at INTEGER,
        overdue_at INTEGER,
        closed INTEGER NOT NULL DEFAULT 0,
        -- Idempotency of a create: the creating user and the client's action id.
        create_key TEXT UNIQUE,
        data TEXT NOT NULL
      );
      CREATE INDEX work_orders_starts_at ON work_orders (starts_at);
      CREATE INDEX work_orders_open ON work_orders (closed, due_at);
      CREATE INDEX work_orders_assignee ON work_orders (assignee_id, closed);
      CREATE INDEX work_orders_alert ON work_orders (alert_id);
      CREATE INDEX work_orders_updated ON work_orders (updated_at);
      -- Case numbers per Asia/Shanghai day (WO-20261121-0007).
      CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- Photos: metadata + the image itself (kept with the case in the same file/backup).
      CREATE TABLE photos (
        id TEXT PRIMARY KEY,
        work_order_id TEXT,
        uploaded_by TEXT NOT NULL,
        uploaded_at INTEGER NOT NULL,
        -- Idempotency of an upload: the uploader and the client's key.
        client_key TEXT UNIQUE,
        data TEXT NOT NULL,
        bytes BLOB NOT NULL
      );
      CREATE INDEX photos_work_order ON photos (work_order_id);
      -- Last reported position of each grid worker.
      CREATE TABLE worker_positions (
        worker_id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      -- Small editable settings (the dispatch policy), with who changed them last.
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      -- Open311 API keys (only a hash of the key is kept).
      CREATE TABLE open311_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at INTEGER
      );
      -- Who reported a citizen request (personal data, never pushed) and through which key.
      CREATE TABLE open311_requests (
        work_order_id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        service_code TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: 'one open work order per alert',
    sql: `
      -- Two clicks on 一键派单 must not make two cases: the store keeps one open case per alert.
      -- An open case that repeated another's alert before this (the older stays) loses the column
      -- copy only; its JSON keeps the link.
      UPDATE work_orders SET alert_id = NULL
        WHERE closed = 0 AND alert_id IS NOT NULL AND rowid NOT IN (
          SELECT MIN(rowid) FROM work_orders WHERE closed = 0 AND alert_id IS NOT NULL GROUP BY alert_id);
      CREATE UNIQUE INDEX work_orders_open_alert ON work_orders (alert_id)
        WHERE closed = 0 AND alert_id IS NOT NULL;
    `,
  },
];
