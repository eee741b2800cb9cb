import type { Migration } from '../sqlite/migrations';

/**
 * PostgreSQL schema migrations, applied in order on start (under an advisory lock, one
 * transaction each). Append only: never edit a migration that has shipped.
 *
 * Version 1 is the SQLite schema as of its migration 8, translated: epoch ms and counts are
 * BIGINT, flags BOOLEAN-like SMALLINT kept as in SQLite (0/1) so the shared SQL reads the same,
 * documents TEXT (the JSON is the source of truth, as in SQLite), reading values JSONB (history
 * extracts one metric). Ids and sensor ids compare bytewise (COLLATE "C"), so lists come back
 * in the same order as from SQLite whatever the database's locale. The uniqueness that keeps nodes honest is in the schema, not in a
 * process: one open alert per (rule, subject), one open case per alert, one case per create
 * key, case numbers from an atomic counter, the audit chain's head row locked per append.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalog, readings, rollups, alerts, identity, audit, devices, rules, incidents, work orders',
    sql: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
      );
      CREATE TABLE districts (
        id TEXT COLLATE "C" PRIMARY KEY,
        data TEXT NOT NULL
      );
      CREATE TABLE grid_cells (
        id TEXT COLLATE "C" PRIMARY KEY,
        district_id TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX grid_cells_district ON grid_cells (district_id);
      CREATE TABLE sensors (
        id TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT NOT NULL,
        district_id TEXT,
        grid_cell_id TEXT,
        auto_registered SMALLINT NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE workers (
        id TEXT COLLATE "C" PRIMARY KEY,
        data TEXT NOT NULL
      );
      -- One row per (sensor, observation time): the key makes a retransmission a no-op.
      -- The BRIN index on ts serves retention deletes at almost no write cost.
      CREATE TABLE readings (
        sensor_id TEXT COLLATE "C" NOT NULL,
        ts BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        values_json JSONB NOT NULL,
        quality TEXT,
        PRIMARY KEY (sensor_id, ts)
      );
      CREATE INDEX readings_ts ON readings USING brin (ts);
      -- Rollups are updated in the transaction that inserts the raw rows (additive upserts), so
      -- any number of nodes may write them and a crash leaves nothing to repair.
      CREATE TABLE rollup_1m (
        sensor_id TEXT COLLATE "C" NOT NULL,
        metric TEXT NOT NULL,
        bucket BIGINT NOT NULL,
        min DOUBLE PRECISION NOT NULL,
        max DOUBLE PRECISION NOT NULL,
        sum DOUBLE PRECISION NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (sensor_id, metric, bucket)
      );
      CREATE INDEX rollup_1m_bucket ON rollup_1m USING brin (bucket);
      CREATE TABLE rollup_1h (
        sensor_id TEXT COLLATE "C" NOT NULL,
        metric TEXT NOT NULL,
        bucket BIGINT NOT NULL,
        min DOUBLE PRECISION NOT NULL,
        max DOUBLE PRECISION NOT NULL,
        sum DOUBLE PRECISION NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (sensor_id, metric, bucket)
      );
      CREATE INDEX rollup_1h_bucket ON rollup_1h USING brin (bucket);

      CREATE TABLE alerts (
        id TEXT COLLATE "C" PRIMARY KEY,
        rule_id TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        starts_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        district_id TEXT,
        grid_cell_id TEXT,
        firing_at BIGINT,
        acknowledged_at BIGINT,
        resolved_at BIGINT,
        closed_at BIGINT,
        incident_id TEXT,
        data TEXT NOT NULL
      );
      -- One open alert per (rule, subject): the store enforces it for every node.
      CREATE UNIQUE INDEX alerts_one_open ON alerts (rule_id, subject_type, subject_id)
        WHERE state IN ('pending', 'firing', 'acknowledged');
      CREATE INDEX alerts_starts_at ON alerts (starts_at);
      CREATE INDEX alerts_rule ON alerts (rule_id, starts_at);
      CREATE INDEX alerts_district ON alerts (district_id, starts_at);
      CREATE INDEX alerts_incident ON alerts (incident_id);
      CREATE TABLE alert_events (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT
      );
      CREATE INDEX alert_events_alert ON alert_events (alert_id, seq);

      CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        username TEXT NOT NULL,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        district_ids_json TEXT,
        worker_id TEXT,
        password_hash TEXT NOT NULL,
        disabled SMALLINT NOT NULL DEFAULT 0,
        demo SMALLINT NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        last_login_at BIGINT
      );
      -- Usernames are unique whatever their case (SQLite: COLLATE NOCASE).
      CREATE UNIQUE INDEX users_username ON users (lower(username));
      CREATE TABLE sessions (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        revoked_at BIGINT,
        ip TEXT,
        user_agent TEXT
      );
      CREATE INDEX sessions_user ON sessions (user_id);

      -- The hash-chained audit trail, append-only for every connection (see the triggers).
      CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
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
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END;
      $$;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

      CREATE TABLE device_credentials (
        id TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        name TEXT NOT NULL,
        sensor_ids_json TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        rotated_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX device_credentials_subject ON device_credentials (kind, subject_id);

      CREATE TABLE rules (
        id TEXT COLLATE "C" PRIMARY KEY,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        enabled SMALLINT NOT NULL,
        deleted SMALLINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE rule_versions (
        rule_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (rule_id, version)
      );
      CREATE TABLE rule_state (
        rule_id TEXT NOT NULL,
        subject_key TEXT NOT NULL,
        rule_version INTEGER NOT NULL,
        updated_at BIGINT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (rule_id, subject_key)
      );
      -- A node taking a partition loads its sensors' states by subject key (a sensor rule's key is the sensor id).
      CREATE INDEX rule_state_subject ON rule_state (subject_key);
      CREATE TABLE sensor_engine_state (
        sensor_id TEXT PRIMARY KEY,
        last_seen BIGINT,
        data TEXT
      );

      CREATE TABLE silences (
        id TEXT COLLATE "C" PRIMARY KEY,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        expired_at BIGINT,
        data TEXT NOT NULL
      );
      CREATE TABLE inhibitions (
        id TEXT COLLATE "C" PRIMARY KEY,
        updated_at BIGINT NOT NULL,
        deleted SMALLINT NOT NULL DEFAULT 0,
        data TEXT NOT NULL
      );
      CREATE TABLE incidents (
        id TEXT COLLATE "C" PRIMARY KEY,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        starts_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        last_active_at BIGINT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX incidents_starts_at ON incidents (starts_at);
      CREATE INDEX incidents_active ON incidents (state, last_active_at);

      CREATE TABLE work_orders (
        id TEXT COLLATE "C" PRIMARY KEY,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        category TEXT NOT NULL,
        source TEXT NOT NULL,
        district_id TEXT NOT NULL,
        grid_cell_id TEXT NOT NULL,
        assignee_id TEXT,
        alert_id TEXT,
        incident_id TEXT,
        starts_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        due_at BIGINT,
        overdue_at BIGINT,
        closed SMALLINT NOT NULL DEFAULT 0,
        create_key TEXT UNIQUE,
        data TEXT NOT NULL
      );
      CREATE INDEX work_orders_starts_at ON work_orders (starts_at);
      CREATE INDEX work_orders_open ON work_orders (closed, due_at);
      CREATE INDEX work_orders_assignee ON work_orders (assignee_id, closed);
      CREATE INDEX work_orders_alert ON work_orders (alert_id);
      CREATE INDEX work_orders_updated ON work_orders (updated_at);
      -- Two clicks on 一键派单, on two nodes, still make one case: one open case per alert.
      CREATE UNIQUE INDEX work_orders_open_alert ON work_orders (alert_id)
        WHERE closed = 0 AND alert_id IS NOT NULL;
      CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value BIGINT NOT NULL
      );
      CREATE TABLE photos (
        id TEXT COLLATE "C" PRIMARY KEY,
        work_order_id TEXT,
        uploaded_by TEXT NOT NULL,
        uploaded_at BIGINT NOT NULL,
        client_key TEXT UNIQUE,
        data TEXT NOT NULL,
        bytes BYTEA NOT NULL
      );
      CREATE INDEX photos_work_order ON photos (work_order_id);
      CREATE TABLE worker_positions (
        worker_id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE open311_keys (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at BIGINT
      );
      CREATE TABLE open311_requests (
        work_order_id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        service_code TEXT NOT NULL,
        requested_at BIGINT NOT NULL,
        data TEXT NOT NULL
      );
    `,
  },
];
