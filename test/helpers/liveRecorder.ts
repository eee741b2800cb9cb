import type { LiveReading, ReadingsBatch, ReadingsResync, Snapshot } from '../../shared/schemas/live.schema';
import type { TestSocket } from './server';
import { waitFor } from './server';

/** Everything a live client received since recording started. */
export interface LiveRecord {
  batches: ReadingsBatch[];
  snapshots: Snapshot[];
  resyncs: ReadingsResync[];
  /** Pushed readings of every batch, in arrival order. */
  items(): LiveReading[];
  /** How many times the reading (sensor, observedAt) was pushed. */
  count(sensorId: string, observedAt: number): number;
  find(sensorId: string, observedAt: number): LiveReading | undefined;
  /** Resolve with the pushed reading once it arrived. */
  waitForReading(sensorId: string, observedAt: number, timeoutMs?: number): Promise<LiveReading>;
  stop(): void;
}

/** Record the `readings:batch`, `snapshot` and `readings:resynced` events of a socket. */
export function recordLive(socket: TestSocket): LiveRecord {
  const batches: ReadingsBatch[] = [];
  const snapshots: Snapshot[] = [];
  const resyncs: ReadingsResync[] = [];
  const onBatch = (b: ReadingsBatch) => batches.push(b);
  const onSnapshot = (s: Snapshot) => snapshots.push(s);
  const onResync = (r: ReadingsResync) => resyncs.push(r);
  socket.on('readings:batch', onBatch);
  socket.on('snapshot', onSnapshot);
  socket.on('readings:resynced', onResync);
  const items = () => batches.flatMap((b) => b.items);
  const matching = (sensorId: string, observedAt: number) =>
    items().filter((i) => i.sensorId === sensorId && i.observedAt === observedAt);
  return {
    batches,
    snapshots,
    resyncs,
    items,
    count: (sensorId, observedAt) => matching(sensorId, observedAt).length,
    find: (sensorId, observedAt) => matching(sensorId, observedAt)[0],
    waitForReading: (sensorId, observedAt, timeoutMs = 10_000) =>
      waitFor(() => matching(sensorId, observedAt)[0], timeoutMs, `push of ${sensorId}@${observedAt}`),
    stop: () => {
      socket.off('readings:batch', onBatch);
      socket.off('snapshot', onSnapshot);
      socket.off('readings:resynced', onResync);
    },
  };
}
