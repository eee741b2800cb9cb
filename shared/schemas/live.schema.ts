import { z } from 'zod';
import { AlertSchema } from './alert.schema';
import { IncidentSchema } from './incident.schema';
import { DistrictIdSchema, EpochMsSchema, GridCellIdSchema } from './common.schema';
import { LatestReadingSchema } from './reading.schema';
import { SensorSchema } from './sensor.schema';
import { CityVitalsSchema } from './vitals.schema';

/** What a live client follows: the whole city, one district, or one grid cell. */
export const ScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('city') }),
  z.object({ kind: z.literal('district'), id: DistrictIdSchema }),
  z.object({ kind: z.literal('cell'), id: GridCellIdSchema }),
]);
export type Scope = z.infer<typeof ScopeSchema>;

/** Socket.IO room that carries a scope's deltas. */
export function roomOf(scope: Scope): string {
  return scope.kind === 'city' ? 'city' : `${scope.kind}:${scope.id}`;
}

/** Live counters pushed about once a second. */
export const LiveStatsSchema = z.object({
  serverTime: EpochMsSchema,
  /** Open socket connections on this node. */
  connections: z.number().int().nonnegative(),
  /** Accepted readings per second over the last 10 s. */
  readingsPerSec: z.number().nonnegative(),
  /** Accepted readings since start, total and per sensor kind. */
  accepted: z.number().int().nonnegative(),
  acceptedByKind: z.record(z.string(), z.number().int().nonnegative()),
  /** Rejected readings since start. */
  rejected: z.number().int().nonnegative(),
  /** Newest accepted observation time (epoch ms), for data-freshness display. */
  lastObservedAt: EpochMsSchema.nullable(),
  /** True while a built-in simulated feed is driving the data: the screen must say so. */
  simulated: z.boolean(),
});
export type LiveStats = z.infer<typeof LiveStatsSchema>;

/** Sent on connect and on every scope change: the state to start from. */
export const SnapshotSchema = z.object({
  v: z.literal('v1'),
  scope: ScopeSchema,
  serverTime: EpochMsSchema,
  sensors: z.array(SensorSchema),
  latest: z.array(LatestReadingSchema),
  openAlerts: z.array(AlertSchema),
  /** Open incidents touching the scope (correlated alerts). */
  openIncidents: z.array(IncidentSchema),
  stats: LiveStatsSchema,
  /** The scope's vitals with their trend (city and district scopes; absent for a cell, or before the first computation). */
  vitals: CityVitalsSchema.optional(),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** A pushed reading: compact, normalized (observedAt in epoch ms). */
export const LiveReadingSchema = z.object({
  sensorId: z.string(),
  observedAt: EpochMsSchema,
  values: z.record(z.string(), z.number()),
  quality: z.enum(['good', 'suspect', 'bad']).optional(),
});
export type LiveReading = z.infer<typeof LiveReadingSchema>;

/**
 * Readings coalesced for one room over one push interval (~100 ms): the newest
 * reading of each sensor that reported in the interval.
 */
export const ReadingsBatchSchema = z.object({
  v: z.literal('v1'),
  room: z.string(),
  items: z.array(LiveReadingSchema),
  /** Readings accepted in the interval for this room, before coalescing. */
  received: z.number().int().nonnegative(),
});
export type ReadingsBatch = z.infer<typeof ReadingsBatchSchema>;

/** After a recovered brief disconnect: latest values to catch up (reading batches are not replayed). */
export const ReadingsResyncSchema = z.object({
  v: z.literal('v1'),
  latest: z.array(LatestReadingSchema),
});
export type ReadingsResync = z.infer<typeof ReadingsResyncSchema>;
