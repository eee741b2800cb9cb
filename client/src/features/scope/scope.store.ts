import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { ApiErrorCode } from '@shared/schemas/errors.schema';
import { roomOf } from '@shared/schemas/live.schema';
import type { Scope } from '@shared/schemas/live.schema';
import { requestScope } from '../../socket/commands';
import { useConnectionStore } from '../connection/connection.store';
import { useLiveStore } from '../live/live.store';

/**
 * Which part of the city the wall follows. The choice is sent with
 * `scope:set`; the snapshot in the ack replaces the live state.
 */
export const useScopeStore = defineStore('scope', () => {
  /** Scope the operator chose; the live data follows it once the server acknowledges. */
  const selected = shallowRef<Scope>({ kind: 'city' });
  /** True while a `scope:set` awaits its ack. */
  const pending = ref(false);
  /** Error code of the last failed switch; null after a success or a new choice. */
  const error = ref<ApiErrorCode | null>(null);

  const live = useLiveStore();
  const connection = useConnectionStore();
  // Until the operator picks a scope, the wall follows the one the server starts it in: the whole
  // city, or the assigned district or cell of a user limited to one.
  let chosen = false;
  watch(
    () => live.scope,
    (scope) => {
      if (!chosen) selected.value = scope;
    },
  );
  // Only the newest request may apply its answer: a slow ack for an earlier
  // choice must not overwrite a later one.
  let requestNo = 0;

  async function send(target: Scope): Promise<void> {
    requestNo += 1;
    const no = requestNo;
    pending.value = true;
    const result = await requestScope(target);
    if (no !== requestNo) return;
    pending.value = false;
    if (result.ok) {
      error.value = null;
      live.applySnapshot(result.data);
    } else {
      error.value = result.error.code;
      // The selector must name the scope the data really belongs to.
      selected.value = live.scope;
    }
  }

  /** Follow `target`. While offline the choice is only recorded and sent on reconnect. */
  async function select(target: Scope): Promise<void> {
    chosen = true;
    selected.value = target;
    error.value = null;
    if (connection.status !== 'connected') return;
    await send(target);
  }

  /**
   * After a (re)connect, make the server follow the chosen scope again: a new
   * session starts at the user's default scope, a recovered one keeps the
   * scope it had. Nothing to do while the operator has not chosen one.
   */
  async function resubscribe(recovered: boolean): Promise<void> {
    if (!chosen) return;
    const serverRoom = recovered ? roomOf(live.scope) : roomOf({ kind: 'city' });
    if (roomOf(selected.value) === serverRoom) return;
    await send(selected.value);
  }

  /**
   * Ask for a fresh snapshot of the scope on screen (a tab that comes back after being hidden
   * starts over from it rather than from what piled up meanwhile). Offline: nothing to do, the
   * reconnect brings one.
   */
  async function refresh(): Promise<void> {
    if (connection.status !== 'connected') return;
    await send(chosen ? selected.value : live.scope);
  }

  /** Back to the whole city (on sign-out); an answer still on its way is dropped. */
  function reset(): void {
    requestNo += 1;
    chosen = false;
    selected.value = { kind: 'city' };
    pending.value = false;
    error.value = null;
  }

  return { selected, pending, error, select, resubscribe, refresh, reset };
});
