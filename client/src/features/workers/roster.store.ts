import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { pageOf } from '@shared/schemas/common.schema';
import { RosterWorkerSchema } from '@shared/schemas/worker.schema';
import type { RosterWorker } from '@shared/schemas/worker.schema';
import { getJson, HttpError } from '../../api/http';
import { useAuthStore } from '../auth/auth.store';
import { useLiveStore } from '../live/live.store';

const RosterPageSchema = pageOf(RosterWorkerSchema);

/**
 * Where the roster stands: never asked, on its way, loaded, refused to this role (403: workers are
 * shown by roster id only), or failed (asked again the next time a screen needs it).
 */
export type RosterStatus = 'idle' | 'loading' | 'ready' | 'unavailable' | 'failed';

/**
 * The grid-worker roster as this user may see it (`GET /api/v1/workers`): names and phones in full
 * for an operator, masked (脱敏: `董**`, `138****6493`) for a viewer, exactly as the server sends
 * them — the client never unmasks nor masks anything itself. Cases, pushes and timelines name
 * workers by roster id only; screens look the person up here. Fetched once per signed-in session
 * and forgotten on sign-out.
 */
export const useRosterStore = defineStore('roster', () => {
  const auth = useAuthStore();
  const live = useLiveStore();

  /** Roster entries by worker id (personal fields as masked for this user). */
  const byId = shallowRef<ReadonlyMap<string, RosterWorker>>(new Map());
  /** Where the roster stands (`unavailable`: this role may not read it). */
  const status = ref<RosterStatus>('idle');

  // Bookkeeping, never shown.
  /** The user whose roster is held or on its way (another user's session fetches it again). */
  let loadedFor: string | null = null;
  let inFlight: Promise<void> | null = null;
  let requestNo = 0;

  async function fetchRoster(no: number): Promise<void> {
    status.value = 'loading';
    try {
      const page = RosterPageSchema.parse(await getJson<unknown>('/api/v1/workers'));
      if (no !== requestNo) return;
      byId.value = new Map(page.items.map((w) => [w.id, w]));
      status.value = 'ready';
    } catch (err) {
      if (no !== requestNo) return;
      byId.value = new Map();
      status.value = err instanceof HttpError && err.status === 403 ? 'unavailable' : 'failed';
    } finally {
      if (no === requestNo) inFlight = null;
    }
  }

  /**
   * Make sure the signed-in user's roster is here: fetched the first time a screen needs it in a
   * session, never again in that session once answered (a refusal included); a failure is tried
   * again on the next call. Never rejects.
   */
  function ensure(): Promise<void> {
    const user = auth.session?.user.id ?? null;
    if (user === null) return Promise.resolve();
    if (user !== loadedFor) clear();
    else if (status.value === 'ready' || status.value === 'unavailable') return Promise.resolve();
    else if (inFlight) return inFlight;
    loadedFor = user;
    requestNo += 1;
    inFlight = fetchRoster(requestNo);
    return inFlight;
  }

  /** The roster entry of a worker; undefined when the roster does not list them (or is not loaded). */
  function worker(id: string): RosterWorker | undefined {
    return byId.value.get(id);
  }

  /** Forget the roster (sign-out): the next user must not see the previous one's view of it. */
  function clear(): void {
    requestNo += 1;
    inFlight = null;
    loadedFor = null;
    byId.value = new Map();
    status.value = 'idle';
  }

  live.$onAction(({ name, after }) => {
    if (name === 'clear') after(clear);
  });

  return { byId, status, ensure, worker, clear };
});
