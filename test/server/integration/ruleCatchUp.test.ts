import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/schemas/alert.schema';
import { postReadings } from '../../helpers/cityOpsApi';
import { getJson, startTestServer, type TestServer } from '../../helpers/server';

const SMOKE = 'SM-0001';
/** Engine state is saved only when the server stops: what a kill -9 between saves leaves behind. */
const ENV = { RULE_STATE_PERSIST_MS: '300000' };

const reading = (observedAt: number, smoke: number) => ({
  sensorId: SMOKE,
  observedAt,
  values: { smoke, temperature: 20, battery: 80 },
});

async function smokeAlerts(server: TestServer): Promise<Alert[]> {
  const res = await getJson<{ items: Alert[] }>(`${server.url}/api/v1/alerts?ruleId=grid-smoke&limit=100`);
  expect(res.status).toBe(200);
  return res.body.items.filter((a) => a.subject.id === SMOKE);
}

/** The saved engine state (rule subjects and sensors), to put back later as if no save had followed. */
function saveState(file: string): () => void {
  const db = new Database(file);
  db.exec(`DROP TABLE IF EXISTS t_rule_state; DROP TABLE IF EXISTS t_sensor_state;
           CREATE TABLE t_rule_state AS SELECT * FROM rule_state;
           CREATE TABLE t_sensor_state AS SELECT * FROM sensor_engine_state;`);
  db.close();
  return () => {
    const again = new Database(file);
    again.exec(`DELETE FROM rule_state; INSERT INTO rule_state SELECT * FROM t_rule_state;
                DELETE FROM sensor_engine_state; INSERT INTO sensor_engine_state SELECT * FROM t_sensor_state;`);
    again.close();
  };
}

describe('judging readings the saved rule state had not seen, on start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-catchup-'));
  const file = join(dir, 'cityops.db');
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises a breach stored after the last save, and does not raise twice one whose alert is stored', async () => {
    const t0 = Date.now() - 10 * 60_000;
    server = await startTestServer(ENV, dir);
    expect((await postReadings(server.url, [reading(t0, 0)])).accepted).toBe(1);
    await server.stop();
    const restoreState = saveState(file);

    // A breach acknowledged and stored, then the process died before the engine judged it
    // (or before its alert was written): the file has the reading, the saved state does not.
    const db = new Database(file);
    db.prepare('INSERT INTO readings (sensor_id, ts, received_at, values_json) VALUES (?, ?, ?, ?)').run(
      SMOKE,
      t0 + 1000,
      Date.now(),
      JSON.stringify(reading(t0 + 1000, 12).values),
    );
    db.close();

    server = await startTestServer(ENV, dir);
    let alerts = await smokeAlerts(server);
    expect(alerts.map((a) => [a.state, a.startsAt])).toEqual([['firing', t0 + 1000]]);

    // The smoke clears and the alert resolves; the process dies again with the state saved
    // before any of it: judging the same readings again finds the stored alert.
    expect((await postReadings(server.url, [reading(t0 + 2000, 0)])).accepted).toBe(1);
    await server.stop();
    restoreState();
    server = await startTestServer(ENV, dir);
    alerts = await smokeAlerts(server);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.startsAt).toBe(t0 + 1000);
  });
});
