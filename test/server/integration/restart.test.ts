import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryResponse, ReadingInput } from '../../../shared/schemas/reading.schema';
import { readingsTopic } from '../../../shared/version';
import { history, latest, postReadings } from '../../helpers/cityOpsApi';
import { connectMqtt, publishJson } from '../../helpers/mqtt';
import { spawnServer, type ServerProcess } from '../../helpers/serverProcess';
import { startTestServer, type TestServer } from '../../helpers/server';

const MINUTE = 60_000;
const SENSOR = 'TRF-0001';

/** `count` readings of SENSOR, `stepMs` apart from the start of a whole minute half an hour ago. */
function series(count: number, stepMs: number): ReadingInput[] {
  const start = Math.floor((Date.now() - 30 * MINUTE) / MINUTE) * MINUTE;
  return Array.from({ length: count }, (_, i) => ({
    sensorId: SENSOR,
    observedAt: start + i * stepMs,
    values: { speed: 20 + (i % 40), volume: 600 + i, occupancy: 0.25 },
  }));
}

const timeOf = (r: ReadingInput) => r.observedAt as number;

/** Readings per 1-minute bucket, as the rollups should count them. */
function perMinute(readings: ReadingInput[]): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const r of readings) {
    const bucket = timeOf(r) - (timeOf(r) % MINUTE);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => a[0] - b[0]);
}

function expectAllStored(readings: ReadingInput[], raw: HistoryResponse, minutes: HistoryResponse): void {
  expect(raw.resolution).toBe('raw');
  expect(raw.points.map((p) => [p.t, p.avg])).toEqual(readings.map((r) => [timeOf(r), r.values['speed']]));
  expect(minutes.resolution).toBe('1m');
  expect(minutes.points.map((p) => [p.t, p.count])).toEqual(perMinute(readings));
}

async function histories(base: string, readings: ReadingInput[]) {
  const range = { metric: 'speed', from: timeOf(readings[0]!), to: timeOf(readings.at(-1)!) };
  return {
    raw: await history(base, SENSOR, { ...range, resolution: 'raw' }),
    minutes: await history(base, SENSOR, { ...range, resolution: '1m' }),
  };
}

describe('restart', () => {
  const toStop: Array<() => Promise<void>> = [];
  const folders: string[] = [];

  afterAll(async () => {
    for (const stop of toStop.reverse()) await stop();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged reading and its rollups across a graceful restart', async () => {
    const readings = series(18, 10_000);
    const first = await startTestServer();
    folders.push(first.dir);
    toStop.push(() => first.stop());
    const mqtt = await connectMqtt(first.mqttUrl);
    toStop.push(() => mqtt.endAsync());

    for (const r of readings.filter((_, i) => i % 2 === 0)) await publishJson(mqtt, readingsTopic(SENSOR), r);
    await postReadings(
      first.url,
      readings.filter((_, i) => i % 2 === 1),
    );
    await mqtt.endAsync();
    await first.stop();

    const second: TestServer = await startTestServer({}, first.dir);
    toStop.push(() => second.stop());
    const { raw, minutes } = await histories(second.url, readings);
    expectAllStored(readings, raw, minutes);
    expect(await latest(second.url, [SENSOR])).toEqual([readings.at(-1)]);
  });

  it('keeps every acknowledged reading and rebuilds the rollups after the process is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cityops-kill-'));
    folders.push(dir);
    const databaseFile = join(dir, 'cityops.db');
    const readings = series(60, 5_000);
    const viaMqtt = readings.filter((_, i) => i % 3 !== 0);
    const viaHttp = readings.filter((_, i) => i % 3 === 0);

    const doomed: ServerProcess = await spawnServer(databaseFile);
    toStop.push(() => doomed.kill('SIGKILL'));
    const mqtt = await connectMqtt(doomed.mqttUrl);
    // The connection dies with the server; that is the point, not a failure.
    mqtt.on('error', () => {});
    // In flight together; each PUBACK means that reading is committed.
    await Promise.all([
      ...viaMqtt.map((r) => publishJson(mqtt, readingsTopic(SENSOR), r)),
      postReadings(doomed.url, viaHttp),
    ]);
    await doomed.kill('SIGKILL');
    mqtt.end(true);

    const revived = await spawnServer(databaseFile);
    toStop.push(() => revived.kill('SIGTERM'));
    const { raw, minutes } = await histories(revived.url, readings);
    expectAllStored(readings, raw, minutes);
    expect(await latest(revived.url, [SENSOR])).toEqual([readings.at(-1)]);
    await revived.kill('SIGTERM');
    expect(revived.child.exitCode, revived.output()).toBe(0);
  });
});
