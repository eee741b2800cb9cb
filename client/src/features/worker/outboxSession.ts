import type { Pinia } from 'pinia';
import { watch } from 'vue';
import { useAuthStore } from '../auth/auth.store';
import { Outbox } from './outbox';
import type { OutboxTransport } from './outbox';
import { useWorkerActionsStore } from './workerActions.store';
import type { OutboxLike } from './workerActions.store';

/** A queue the binding can open and close: the real {@link Outbox}, or a stand-in in tests. */
export type ClosableOutbox = OutboxLike & Pick<Outbox, 'close'>;

export interface OutboxSessionOptions {
  /** How queued actions reach the server. */
  transport: OutboxTransport;
  /** Open the queue database of this name (default {@link Outbox.open}). */
  open?: (name: string) => Promise<ClosableOutbox>;
}

/**
 * The IndexedDB database of one user's offline queue. A phone may be shared (a shift hands it
 * over): each user's queued actions stay in their own queue, sent only in their own session.
 */
export function outboxNameFor(userId: string): string {
  return `cityops-worker:${userId}`;
}

/**
 * Give the worker's actions store the signed-in user's own offline queue: opened after
 * sign-in, detached (nothing more is queued or sent) the moment the user signs out or
 * another user's session appears, then closed. What a user left unsent stays in their
 * queue for their next sign-in on this phone; nobody else sees or sends it. A queue that
 * cannot be opened (private browsing, storage refused) is reported, not silently lost.
 * Returns a function that unbinds it (and closes the open queue).
 */
export function bindOutboxToSession(pinia: Pinia | undefined, options: OutboxSessionOptions): () => void {
  const auth = useAuthStore(pinia);
  const actions = useWorkerActionsStore(pinia);
  const open = options.open ?? ((name: string) => Outbox.open(name));

  /** The user whose queue should be open now (null: nobody). */
  let wanted: string | null = null;
  /** The user whose queue is open, and that queue. */
  let current: { userId: string; outbox: ClosableOutbox } | null = null;
  /** Switches run one after the other: a queue is closed before the next one opens. */
  let switching: Promise<void> = Promise.resolve();

  async function switchTo(userId: string | null): Promise<void> {
    if (userId !== wanted) return; // Superseded by a later switch.
    if (current && current.userId !== userId) {
      const { outbox } = current;
      current = null;
      await actions.detach();
      outbox.close();
    }
    if (userId === null || current || userId !== wanted) return;
    let outbox: ClosableOutbox;
    try {
      outbox = await open(outboxNameFor(userId));
    } catch (err) {
      if (userId === wanted) actions.markUnavailable(err instanceof Error ? err.message : String(err));
      return;
    }
    if (userId !== wanted) {
      outbox.close();
      return;
    }
    current = { userId, outbox };
    await actions.attach(outbox, options.transport);
  }

  function follow(userId: string | null): void {
    // At once, before anything else runs: nothing more is queued into or sent from the old queue.
    if (userId !== wanted) void actions.detach();
    wanted = userId;
    switching = switching.then(() => switchTo(userId)).catch(() => undefined);
  }

  const stop = watch(() => auth.session?.user.id ?? null, follow, { immediate: true, flush: 'sync' });

  return () => {
    stop();
    follow(null);
  };
}
