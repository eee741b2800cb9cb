import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { WorkerPosition } from '@shared/schemas/workOrder.schema';
import { getJson, HttpError } from '../../api/http';

/** A position older than this is dropped, ms (the dispatch ranking trusts a live position as long). */
export const POSITION_MAX_AGE_MS = 15 * 60_000;

/**
 * Where the positions stand: never asked, on their way, loaded, refused to this role (403: the map
 * shows no workers), or failed (the last ones stay).
 */
export type PositionsStatus = 'idle' | 'loading' | 'ready' | 'unavailable' | 'failed';

/** The newer of two positions of one worker. */
function newer(held: WorkerPosition | undefined, next: WorkerPosition): boolean {
  return held === undefined || next.at > held.at;
}

/**
 * Grid workers' live positions for the wall's map: the API's list on every resync (connect, scope
 * switch), `worker:moved` pushes between. Phones report only on duty, so a position stops being
 * news after {@link POSITION_MAX_AGE_MS}: older ones are dropped. A role that may not read workers
 * gets nothing, pushes included.
 */
export const useWorkerPositionsStore = defineStore('workerPositions', () => {
  /** Newest fresh position of each worker, by worker id. */
  const byWorker = shallowRef<ReadonlyMap<string, WorkerPosition>>(new Map());
  /** Where the list stands (`unavailable`: this role may not read workers). */
  const status = ref<PositionsStatus>('idle');

  // Bookkeeping, never shown.
  let requestNo = 0;
  /** Positions pushed while a resync was on its way (its answer may be older than they are). */
  let pushedDuringResync: Map<string, WorkerPosition> | null = null;

  /** `worker:moved`: a worker's phone reported a position. */
  function moved(position: WorkerPosition): void {
    if (status.value === 'unavailable') return;
    if (pushedDuringResync && newer(pushedDuringResync.get(position.workerId), position))
      pushedDuringResync.set(position.workerId, position);
    if (!newer(byWorker.value.get(position.workerId), position)) return;
    const next = new Map(byWorker.value);
    next.set(position.workerId, position);
    byWorker.value = next;
  }

  /** Drop positions older than {@link POSITION_MAX_AGE_MS} at `now` (server time, epoch ms). */
  function prune(now: number): void {
    const since = now - POSITION_MAX_AGE_MS;
    let stale = false;
    for (const p of byWorker.value.values()) if (p.at < since) stale = true;
    if (!stale) return;
    byWorker.value = new Map([...byWorker.value].filter(([, p]) => p.at >= since));
  }

  /**
   * Take the API's word again (`GET /api/v1/worker-positions`), keeping pushes newer than its
   * answer, and drop what is stale at `now` (server time). Only the newest resync applies its
   * answer. Never rejects.
   */
  async function resync(now: number = Date.now()): Promise<void> {
    requestNo += 1;
    const no = requestNo;
    const pushed = new Map<string, WorkerPosition>();
    pushedDuringResync = pushed;
    status.value = 'loading';
    try {
      const { items } = await getJson<{ items: WorkerPosition[] }>('/api/v1/worker-positions');
      if (no !== requestNo) return;
      const next = new Map<string, WorkerPosition>();
      for (const p of [...items, ...pushed.values()])
        if (newer(next.get(p.workerId), p)) next.set(p.workerId, p);
      byWorker.value = next;
      status.value = 'ready';
      prune(now);
    } catch (err) {
      if (no !== requestNo) return;
      const refused = err instanceof HttpError && err.status === 403;
      status.value = refused ? 'unavailable' : 'failed';
      // Pushed before the refusal, perhaps: a role without the permission is shown nothing.
      if (refused) byWorker.value = new Map();
    } finally {
      if (pushedDuringResync === pushed) pushedDuringResync = null;
    }
  }

  /** Forget everything (sign-out): the next user must not see where the previous one's workers were. */
  function clear(): void {
    requestNo += 1;
    byWorker.value = new Map();
    status.value = 'idle';
    pushedDuringResync = null;
  }

  return { byWorker, status, moved, prune, resync, clear };
});
