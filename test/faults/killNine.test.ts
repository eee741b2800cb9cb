import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/schemas/alert.schema';
import type { ReadingInput } from '../../shared/schemas/reading.schema';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import type { Worker } from '../../shared/schemas/worker.schema';
import type { WorkOrder } from '../../shared/schemas/workOrder.schema';
import { listSensors, postReadings } from '../helpers/cityOpsApi';
import { freePort, spawnServer, type ServerProcess } from '../helpers/serverProcess';
import { getJson, postJson, waitFor } from '../helpers/server';
import {
  AckLedger,
  LOAD_MS,
  LONG,
  QuietReadings,
  httpProducers,
  integrityCheck,
  missingFromStore,
  mqttProducers,
  openDashboard,
  openReadOnly,
  testTimeout,
  type Dashboard,
} from './faultKit';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A pending timer across the kill: the bin's fill level above 50 % for a minute. */
const PENDING_RULE = 'fault-bin-pending';
/** A learnt baseline across the kill: an upright manhole's tilt, learnt over 10 minutes. */
const BASELINE_RULE = 'fault-tilt-baseline';

interface StoredState {
  kindState: { lastAt?: number | null; n?: number };
  life: { phase: string; activeSince: number; lastAt: number };
}

/** The engine state of a rule as the server last saved it (read from the file beside the running server). */
function savedState(file: string, ruleId: string): StoredState | undefined {
  const db = openReadOnly(file);
  try {
    const row = db.prepare('SELECT data FROM rule_state WHERE rule_id = ?').pluck().get(ruleId);
    return typeof row === 'string' ? (JSON.parse(row) as StoredState) : undefined;
  } finally {
    db.close();
  }
}

/** Alerts and cases in the file: id → (rule, subject, state) and id → (alert, state). */
function storedAlertsAndCases(file: string) {
  const db = openReadOnly(file);
  try {
    const alerts = db
      .prepare('SELECT id, rule_id AS ruleId, subject_id AS subjectId, state FROM alerts')
      .all() as Array<{ id: string; ruleId: string; subjectId: string; state: string }>;
    const cases = db.prepare('SELECT id, alert_id AS alertId, state FROM work_orders').all() as Array<{
      id: string;
      alertId: string | null;
      state: string;
    }>;
    return { alerts, cases };
  } finally {
    db.close();
  }
}

describe('kill -9 of the server under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-fault-kill-'));
  const file = join(dir, 'cityops.db');
  const cleanups: Array<() => Promise<void> | void> = [];

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'keeps every acknowledged reading, alert and case, resumes timers and baselines, and dashboards resync by themselves',
    async () => {
      const env = {
        PORT: String(await freePort()),
        MQTT_PORT: String(await freePort()),
        RULE_STATE_PERSIST_MS: '200',
        INGEST_HTTP_REQUESTS_PER_SEC: '100000',
        LOGIN_ATTEMPTS_PER_MINUTE: '10000',
      };
      let server: ServerProcess = await spawnServer(file, env);
      cleanups.push(() => server.kill('SIGKILL'));
      const base = server.url;
      const now = Date.now();

      // --- Seed what must survive -------------------------------------------------------
      const sensors = await listSensors(base);
      const workers = (await getJson<{ items: Worker[] }>(`${base}/api/v1/workers`)).body.items;
      const smoke = sensors.find(
        (s) =>
          s.subtype === 'smoke' && workers.some((w) => s.gridCellId && w.gridCellIds.includes(s.gridCellId)),
      ) as Sensor;
      const worker = workers.find((w) => w.gridCellIds.includes(smoke.gridCellId!))!;
      const bin = sensors.find((s) => s.subtype === 'waste-bin')!;
      const manhole = sensors.find((s) => s.subtype === 'manhole')!;

      for (const rule of [
        {
          id: PENDING_RULE,
          name: { zh: '测试垃圾桶', en: 'Fault test bin' },
          kind: 'threshold',
          scope: { sensorIds: [bin.id] },
          params: { metric: 'fillLevel', levels: [{ severity: 'yellow', op: '>', value: 50, clear: 40 }] },
          for: '60s',
        },
        {
          id: BASELINE_RULE,
          name: { zh: '测试井盖基线', en: 'Fault test manhole baseline' },
          kind: 'anomaly',
          scope: { sensorIds: [manhole.id] },
          params: {
            metric: 'tilt',
            direction: 'up',
            seasonality: 'none',
            warmup: '5m',
            minSamples: 20,
          },
        },
      ]) {
        const res = await postJson(`${base}/api/v1/rules`, { reason: 'fault rehearsal', rule });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }

      // A fire alarm raised and dispatched to the cell's grid worker before the kill.
      const smokeAt = now - 25 * MINUTE;
      await postReadings(base, [{ sensorId: smoke.id, observedAt: smokeAt, values: { smoke: 12 } }]);
      const fire = await waitFor(
        async () =>
          (await getJson<{ items: Alert[] }>(`${base}/api/v1/alerts?subjectId=${smoke.id}&ruleId=grid-smoke`))
            .body.items[0],
        10_000,
        'the fire alert',
      );
      const dispatched = await postJson<WorkOrder>(`${base}/api/v1/alerts/${fire.id}/dispatch`, {
        assigneeId: worker.id,
      });
      expect(dispatched.status, JSON.stringify(dispatched.body)).toBe(201);
      const fireCase = dispatched.body;
      expect(fireCase.state).toBe('dispatched');

      // The manhole's baseline: 30 readings over ten minutes, tilt 1° ± 0.1°.
      const baselineStart = now - 45 * MINUTE;
      const baseline: ReadingInput[] = Array.from({ length: 30 }, (_, i) => ({
        sensorId: manhole.id,
        observedAt: baselineStart + i * 20 * SECOND,
        values: { tilt: 1 + ((i * 7) % 3) * 0.05 - 0.05, battery: 90 },
      }));
      await postReadings(base, baseline);
      // The bin above 50 % since t0: pending, 20 s into its minute.
      const t0 = now - 30 * MINUTE;
      await postReadings(
        base,
        [0, 10, 20].map((s) => ({
          sensorId: bin.id,
          observedAt: t0 + s * SECOND,
          values: { fillLevel: 70 },
        })),
      );
      // What the restart will resume from: the engine state saved behind the readings.
      await waitFor(
        () => {
          const pending = savedState(file, PENDING_RULE)?.life;
          const learnt = savedState(file, BASELINE_RULE)?.kindState;
          return (
            pending?.phase === 'pending' &&
            pending.activeSince === t0 &&
            pending.lastAt === t0 + 20 * SECOND &&
            learnt?.lastAt === baseline.at(-1)!.observedAt &&
            learnt.n === baseline.length
          );
        },
        10_000,
        'the engine state to be saved',
      );

      // --- Dashboards and load, then kill -9 in the middle of it ---------------------------
      const boards: Dashboard[] = [];
      for (let i = 0; i < (LONG ? 10 : 3); i++) boards.push(await openDashboard(base));
      cleanups.push(() => boards.forEach((b) => b.close()));

      const seeded = new Set([smoke.id, bin.id, manhole.id]);
      const quiet = new QuietReadings(
        sensors.filter((s) => !seeded.has(s.id)),
        50 * MINUTE,
        now,
      );
      const ledger = new AckLedger();
      const mqtt = await mqttProducers(server.mqttUrl, quiet, ledger, { clients: LONG ? 8 : 4 });
      const http = httpProducers(base, quiet, ledger, { clients: LONG ? 4 : 2 });
      await waitFor(() => ledger.size > 0, 10_000, 'the first acknowledged readings');
      await new Promise((r) => setTimeout(r, LOAD_MS));
      const before = storedAlertsAndCases(file);
      await server.kill('SIGKILL');
      await Promise.all([mqtt.stop(), http.stop()]);
      const acked = ledger.size;
      // The load was cut off by the kill, not finished before it.
      expect(mqtt.counts().failed + http.counts().failed).toBeGreaterThan(0);
      expect(acked).toBeGreaterThan(0);

      // --- Restart on the same file and ports ---------------------------------------------
      server = await spawnServer(file, env);

      // Dashboards reconnect by themselves and start again from a fresh snapshot.
      await waitFor(() => boards.every((b) => b.snapshots.length >= 2), 30_000, 'every dashboard to resync');
      const newestAcked = new Map<string, number>();
      for (const k of ledger.keys) {
        const at = k.lastIndexOf('@');
        const sensorId = k.slice(0, at);
        newestAcked.set(sensorId, Math.max(newestAcked.get(sensorId) ?? 0, Number(k.slice(at + 1))));
      }
      for (const board of boards) {
        const resync = board.snapshots.at(-1)!;
        expect(resync.openAlerts.filter((a) => a.id === fire.id)).toEqual([
          expect.objectContaining({ workOrderId: fireCase.id, state: 'firing' }),
        ]);
        const latest = new Map(resync.latest.map((r) => [r.sensorId, r.observedAt as number]));
        const behind = [...newestAcked].filter(([id, at]) => (latest.get(id) ?? 0) < at);
        expect(behind, 'sensors whose resync shows an older reading than one acknowledged').toEqual([]);
      }

      // The fire alarm still breaches: the open alert takes it, nothing new is raised.
      await postReadings(base, [{ sensorId: smoke.id, observedAt: smokeAt + MINUTE, values: { smoke: 14 } }]);
      // The pending minute resumes from t0 (saved), not from the first reading after the restart.
      await postReadings(
        base,
        [30, 40, 50].map((s) => ({
          sensorId: bin.id,
          observedAt: t0 + s * SECOND,
          values: { fillLevel: 72 },
        })),
      );
      // The learnt baseline makes a tilt of 8° anomalous at once (a fresh detector would still be warming up).
      const spikeAt = (baseline.at(-1)!.observedAt as number) + 20 * SECOND;
      await postReadings(base, [
        { sensorId: manhole.id, observedAt: spikeAt, values: { tilt: 8, battery: 90 } },
      ]);
      const anomaly = await waitFor(
        async () =>
          (await getJson<{ items: Alert[] }>(`${base}/api/v1/alerts?ruleId=${BASELINE_RULE}`)).body.items[0],
        10_000,
        'the anomaly alert on the restored baseline',
      );
      expect(anomaly).toMatchObject({ state: 'firing', startsAt: spikeAt, subject: { id: manhole.id } });

      // Readings are judged in order: the spike's alert exists, so the bin's readings were judged too.
      const pendingAlerts = async () =>
        (await getJson<{ items: Alert[] }>(`${base}/api/v1/alerts?ruleId=${PENDING_RULE}`)).body.items;
      expect(await pendingAlerts()).toEqual([expect.objectContaining({ state: 'pending', startsAt: t0 })]);
      await postReadings(base, [
        { sensorId: bin.id, observedAt: t0 + 60 * SECOND, values: { fillLevel: 72 } },
      ]);
      const fired = await waitFor(
        async () => (await pendingAlerts()).find((a) => a.state === 'firing'),
        10_000,
        'the pending alert to fire',
      );
      expect(fired).toMatchObject({ startsAt: t0, firingAt: t0 + 60 * SECOND });
      expect(await pendingAlerts()).toHaveLength(1);
      const events = (await getJson<{ events: Array<{ type: string }> }>(`${base}/api/v1/alerts/${fired.id}`))
        .body.events;
      expect(events.filter((e) => e.type === 'pending')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'firing')).toHaveLength(1);

      // The case is still the fire alarm's one case: a second dispatch is refused.
      const again = await postJson<{ error: { code: string } }>(
        `${base}/api/v1/alerts/${fire.id}/dispatch`,
        {},
      );
      expect(again.status).toBe(409);
      const fireAlerts = (
        await getJson<{ items: Alert[]; total: number }>(
          `${base}/api/v1/alerts?subjectId=${smoke.id}&ruleId=grid-smoke`,
        )
      ).body;
      expect(fireAlerts.total).toBe(1);
      expect(fireAlerts.items[0]).toMatchObject({ id: fire.id, workOrderId: fireCase.id });

      // Live pushes flow again to every dashboard.
      const marker = quiet.next();
      await postReadings(base, [marker]);
      await waitFor(
        () => boards.every((b) => b.pushed(marker.sensorId, marker.observedAt as number) > 0),
        15_000,
        'the marker reading on every dashboard',
      );

      // --- After a clean stop: the file holds everything that was acknowledged -------------
      await server.kill('SIGTERM');
      expect(server.child.exitCode, server.output()).toBe(0);
      const { missing, checked } = missingFromStore(file, ledger);
      expect(checked).toBe(acked);
      expect(missing, `${missing.length} of ${checked} acknowledged readings are not stored`).toEqual([]);
      expect(integrityCheck(file)).toEqual(['ok']);

      const after = storedAlertsAndCases(file);
      const afterAlerts = new Map(after.alerts.map((a) => [a.id, a]));
      expect(before.alerts.filter((a) => !afterAlerts.has(a.id))).toEqual([]);
      const openPerSubject = new Map<string, number>();
      for (const a of after.alerts.filter((x) => ['pending', 'firing', 'acknowledged'].includes(x.state))) {
        const k = `${a.ruleId}|${a.subjectId}`;
        openPerSubject.set(k, (openPerSubject.get(k) ?? 0) + 1);
      }
      expect([...openPerSubject].filter(([, n]) => n > 1)).toEqual([]);
      expect(after.alerts.filter((a) => a.ruleId === PENDING_RULE)).toHaveLength(1);
      expect(after.cases.map((c) => c.id).sort()).toEqual(before.cases.map((c) => c.id).sort());
      expect(after.cases.filter((c) => c.alertId === fire.id)).toEqual([
        { id: fireCase.id, alertId: fire.id, state: 'dispatched' },
      ]);
      console.info(
        `kill -9: ${acked} readings acknowledged before the kill (MQTT ${JSON.stringify(mqtt.counts())}, ` +
          `HTTP ${JSON.stringify(http.counts())}), all stored; ${boards.length} dashboards resynced`,
      );
    },
    testTimeout(150_000),
  );
});
