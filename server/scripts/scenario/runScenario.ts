import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_READINGS_PER_BATCH } from '@shared/schemas/reading.schema';
import type { IngestStats } from '@shared/schemas/ingest.schema';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import {
  checkExpectations,
  type AlertHistory,
  type ExpectationResult,
} from '../../../simulators/src/scenario/expectations';
import { ScenarioGenerator, type CompiledScenario } from '../../../simulators/src/scenario/generate';
import { scoreDetections, type DetectionScore } from '../../../simulators/src/scenario/labels';
import { mqttSink } from '../../../simulators/src/scenario/sinks';
import { parseConfig } from '../../src/config';
import { startCityOps } from '../../src/main';
import { ScenarioDispatchLoop, type DispatchLoopStats } from '../../src/demo/dispatchLoop';

export interface ScenarioRunOptions {
  /** Virtual time advanced per step, ms: readings of a step are sent, then the engine ticks once. */
  stepMs?: number;
  /** Progress callback, called about every simulated hour. */
  onProgress?: (p: { simTime: number; sent: number; fraction: number }) => void;
  /** Extra server configuration (any config variable). */
  env?: Record<string, string>;
}

export interface ScenarioRunResult {
  compiled: CompiledScenario;
  passed: boolean;
  results: ExpectationResult[];
  score: DetectionScore;
  /** Every alert the run raised, with its events. */
  alerts: AlertHistory[];
  ingest: IngestStats['total'] & { rejectedByReason: IngestStats['rejectedByReason'] };
  /** Messages and readings the simulated devices sent. */
  sent: { messages: number; readings: number; malformed: number };
  /** Every case (work order) of the run, and what the dispatch loop did (null: no loop). */
  cases: WorkOrder[];
  dispatch: DispatchLoopStats | null;
  wallMs: number;
}

/**
 * Run a scenario against a CityOps server started in this process in virtual time: its
 * clock is the scenario's, the simulated devices publish over MQTT to its embedded broker
 * with a gateway credential (the real ingest path: validation, SQLite store, rule engine,
 * alert lifecycle), and the engine ticks after every step. A city day takes seconds to
 * minutes instead of a day. With citizens' reports or a `dispatch` section, the dispatch loop
 * runs after every tick too (reports, simulated dispatcher and workers; see server/src/demo/dispatchLoop.ts).
 * Then the stored alerts and cases are checked against the expectations.
 */
export async function runScenario(
  compiled: CompiledScenario,
  options: ScenarioRunOptions = {},
): Promise<ScenarioRunResult> {
  const stepMs = options.stepMs ?? 15_000;
  const wallStart = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'cityops-scenario-'));
  let now = compiled.start;
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    DATABASE_FILE: join(dir, 'cityops.db'),
    CITY_PACK: compiled.scenario.cityPack,
    LOG_LEVEL: 'silent',
    CLIENT_DIR: join(dir, 'no-client'),
    DEMO_FEED: 'false',
    // Commit each step at once: virtual time waits for nothing else.
    WRITE_FLUSH_MS: '0',
    ...options.env,
  });
  const server = await startCityOps(config, { virtualClock: () => now });
  const { alerting, alerts, devices, counters, store, workOrders } = server.services;
  let sent: ScenarioRunResult['sent'];
  let malformed = 0;
  try {
    const issued = await devices.issue({
      kind: 'gateway',
      subjectId: 'scenario',
      name: `scenario ${compiled.scenario.name.en}`,
      sensorIds: 'all',
    });
    // The simulated devices publish exactly as `npm run simulate` does: one gateway, QoS 1,
    // batches of readings and malformed payloads alone; the PUBACK comes after the commit.
    const sink = await mqttSink({
      url: server.mqttUrl,
      username: issued.credential.id,
      password: issued.secret,
      gateway: 'scenario',
      batch: MAX_READINGS_PER_BATCH,
    });
    const loop =
      compiled.scenario.dispatch || compiled.reports.length > 0
        ? await ScenarioDispatchLoop.start(server, compiled)
        : null;
    const generator = new ScenarioGenerator(compiled);
    const total = compiled.end - compiled.start;
    let nextReport = compiled.start + 3_600_000;
    try {
      for (let from = compiled.start - 1; from < compiled.end; from += stepMs) {
        const to = Math.min(compiled.end, from + stepMs);
        const emissions = generator.emissionsBetween(from, to);
        now = to;
        for (const e of emissions) if (e.reading === null) malformed++;
        await sink.send(emissions);
        alerting.tick();
        await alerting.settled();
        if (loop) {
          await loop.step(to);
          // Closing a case closes its alerts: let those writes land before the next tick.
          await alerting.settled();
        }
        if (to >= nextReport || to >= compiled.end) {
          options.onProgress?.({
            simTime: to,
            sent: sink.stats().readings,
            fraction: (to - compiled.start) / total,
          });
          nextReport += 3_600_000;
        }
      }
    } finally {
      await sink.close();
    }
    const { messages, readings } = sink.stats();
    sent = { messages, readings, malformed };
    await alerting.settled();
    const histories: AlertHistory[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await alerts.query({ limit: 1000, offset });
      for (const alert of page.items) histories.push({ alert, events: await alerts.events(alert.id) });
      if (page.items.length < 1000) break;
    }
    const cases: WorkOrder[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await workOrders.query({ limit: 500, offset });
      cases.push(...page.items);
      if (page.items.length < 500) break;
    }
    const results = checkExpectations(compiled, histories, {
      orders: cases,
      byReport: loop?.byReport ?? new Map(),
    });
    const stats = counters.snapshot(store.stats());
    return {
      compiled,
      passed: results.every((r) => r.passed),
      results,
      score: scoreDetections(compiled, histories),
      alerts: histories,
      ingest: { ...stats.total, rejectedByReason: stats.rejectedByReason },
      sent,
      cases,
      dispatch: loop?.summary() ?? null,
      wallMs: Date.now() - wallStart,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
