import { expect } from 'vitest';
import { ApiErrorBodySchema, type ApiErrorBody } from '../../shared/schemas/errors.schema';
import { IngestStatsSchema, REJECTION_REASONS, type IngestStats } from '../../shared/schemas/ingest.schema';
import { LatestReadingSchema } from '../../shared/schemas/reading.schema';

/** `GET /api/v1/ingest/stats`, checked against the contract. */
export async function ingestStats(url: string): Promise<IngestStats> {
  const res = await fetch(`${url}/api/v1/ingest/stats`);
  expect(res.status).toBe(200);
  return IngestStatsSchema.parse(await res.json());
}

/** What changed in the rejection counters between two stats snapshots: only the reasons that moved. */
export function rejectionDelta(
  before: IngestStats,
  after: IngestStats,
): { byReason: Record<string, number>; http: number; mqtt: number } {
  const byReason: Record<string, number> = {};
  for (const reason of REJECTION_REASONS) {
    const d = (after.rejectedByReason[reason] ?? 0) - (before.rejectedByReason[reason] ?? 0);
    if (d !== 0) byReason[reason] = d;
  }
  return {
    byReason,
    http: after.byPath.http.rejected - before.byPath.http.rejected,
    mqtt: after.byPath.mqtt.rejected - before.byPath.mqtt.rejected,
  };
}

/**
 * Read an HTTP error response: JSON, exactly `{ error: { code, message, details[] } }`
 * by the contract, and nothing in it that looks like a stack trace or a source path.
 */
export async function readApiError(res: Response): Promise<ApiErrorBody> {
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const text = await res.text();
  expect(text).not.toMatch(/\bat .+:\d+:\d+|\.ts\b|node_modules|Error:/);
  const raw = JSON.parse(text) as { error?: Record<string, unknown> };
  expect(Object.keys(raw)).toEqual(['error']);
  expect(Object.keys(raw.error ?? {}).sort()).toEqual(['code', 'details', 'message']);
  return ApiErrorBodySchema.parse(raw);
}

/** `GET /api/health` answers ready. */
export async function expectReady(url: string): Promise<void> {
  const res = await fetch(`${url}/api/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', ready: true });
}

/** Latest values of one sensor from `GET /api/v1/readings/latest`, or undefined when it never reported. */
export async function latestOf(url: string, sensorId: string) {
  const res = await fetch(`${url}/api/v1/readings/latest?sensorId=${encodeURIComponent(sensorId)}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { items: unknown[] };
  return body.items.map((item) => LatestReadingSchema.parse(item))[0];
}

/** Raw points of one metric between two times, from `GET /api/v1/sensors/:id/history`. */
export async function rawHistory(url: string, sensorId: string, metric: string, from: number, to: number) {
  const q = new URLSearchParams({ metric, from: String(from), to: String(to), resolution: 'raw' });
  const res = await fetch(`${url}/api/v1/sensors/${sensorId}/history?${q}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { points: Array<{ t: number; avg: number }> };
  return body.points.map((p) => ({ t: p.t, value: p.avg }));
}
