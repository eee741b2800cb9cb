import type { HttpRefusals } from '../../shared/schemas/httpRefusals.schema';
import type { IngestResult, IngestStats } from '../../shared/schemas/ingest.schema';
import type { HistoryResponse, LatestReading, ReadingInput } from '../../shared/schemas/reading.schema';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import { getJson, postJson } from './server';

/** Typed calls to the CityOps HTTP API of a running test server; each one fails the test on an unexpected status. */

async function ok<T>(url: string): Promise<T> {
  const res = await getJson<T>(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Sensors of the catalog matching the filter (all of them, not one page). */
export async function listSensors(
  base: string,
  filter: { districtId?: string; gridCellId?: string; kind?: string } = {},
): Promise<Sensor[]> {
  const q = new URLSearchParams({ ...filter, limit: '5000' });
  return (await ok<{ items: Sensor[] }>(`${base}/api/v1/sensors?${q}`)).items;
}

export interface HistoryParams {
  metric: string;
  from: number;
  to: number;
  resolution?: 'auto' | 'raw' | '1m' | '1h';
  maxPoints?: number;
}

export function history(base: string, sensorId: string, params: HistoryParams): Promise<HistoryResponse> {
  const q = new URLSearchParams(
    Object.entries(params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
  return ok<HistoryResponse>(`${base}/api/v1/sensors/${encodeURIComponent(sensorId)}/history?${q}`);
}

export async function latest(base: string, sensorIds: readonly string[]): Promise<LatestReading[]> {
  const q = new URLSearchParams({ sensorId: sensorIds.join(',') });
  return (await ok<{ items: LatestReading[] }>(`${base}/api/v1/readings/latest?${q}`)).items;
}

export function ingestStats(base: string): Promise<IngestStats> {
  return ok<IngestStats>(`${base}/api/v1/ingest/stats`);
}

export function httpRefusals(base: string): Promise<HttpRefusals> {
  return ok<HttpRefusals>(`${base}/api/v1/http/refusals`);
}

/** What was counted between two snapshots of a counter map (keys whose count did not move left out). */
export function countsAdded(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, n]) => [k, n - (before[k] ?? 0)] as const)
      .filter(([, n]) => n !== 0),
  );
}

/** POST /api/v1/readings and expect 200. */
export async function postReadings(base: string, readings: readonly ReadingInput[]): Promise<IngestResult> {
  const res = await postJson<IngestResult>(`${base}/api/v1/readings`, { readings });
  if (res.status !== 200)
    throw new Error(`POST /api/v1/readings answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}
