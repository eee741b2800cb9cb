import 'fake-indexeddb/auto';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionInfo } from '@shared/schemas/auth.schema';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { Outbox } from '../../../../client/src/features/worker/outbox';
import type { OutboxTransport, TransportResult } from '../../../../client/src/features/worker/outbox';
import { bindOutboxToSession, outboxNameFor } from '../../../../client/src/features/worker/outboxSession';
import type { ClosableOutbox } from '../../../../client/src/features/worker/outboxSession';
import { useTasksStore } from '../../../../client/src/features/worker/tasks.store';
import { useWorkerActionsStore } from '../../../../client/src/features/worker/workerActions.store';
import { respond, stubApi } from '../../auth.fixtures';
import { moved, T0, workerSession, workOrder } from './worker.fixtures';

/** Records the commands sent, and in whose session (the user signed in when they were sent). */
class RecordingTransport implements OutboxTransport {
  readonly sent: { by: string | null; orderId: string; action: string }[] = [];
  constructor(private readonly who: () => string | null) {}
  async uploadPhoto(): Promise<TransportResult<{ id: string }>> {
    return { ok: true, data: { id: 'ph-1' } };
  }
  async command(orderId: string, action: string): Promise<TransportResult<WorkOrder>> {
    this.sent.push({ by: this.who(), orderId, action });
    return { ok: true, data: moved(workOrder(orderId), 'accepted') };
  }
  async create(): Promise<TransportResult<WorkOrder>> {
    return { ok: true, data: workOrder('wo-new') };
  }
}

/** A grid worker's session with its own user id. */
function sessionOf(userId: string, workerId: string): SessionInfo {
  const info = workerSession(workerId);
  return { ...info, user: { ...info.user, id: userId, username: userId } };
}

describe('bindOutboxToSession', () => {
  /** Unique per test: fake-indexeddb keeps databases for the whole file. */
  let userA: string;
  let userB: string;
  let signedIn: SessionInfo | null;
  let transport: RecordingTransport;
  let opened: { name: string; outbox: ClosableOutbox; closed: boolean }[];
  let unbind: () => void;

  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const run = crypto.randomUUID().slice(0, 8);
    userA = `u-a-${run}`;
    userB = `u-b-${run}`;
    signedIn = null;
    stubApi({
      'GET /api/v1/auth/me': () => (signedIn ? respond(signedIn) : respond({ error: {} }, 401)),
      'GET /api/v1/me/work-orders': () => respond({ items: [workOrder('wo-1')] }),
      'POST /api/v1/auth/logout': () => {
        signedIn = null;
        return respond(null, 204);
      },
    });
    transport = new RecordingTransport(() => useAuthStore().session?.user.id ?? null);
    opened = [];
    unbind = bindOutboxToSession(undefined, {
      transport,
      open: async (name) => {
        const outbox = await Outbox.open(name);
        const record = { name, outbox, closed: false };
        opened.push(record);
        const close = outbox.close.bind(outbox);
        outbox.close = () => {
          record.closed = true;
          close();
        };
        return outbox;
      },
    });
  });
  afterEach(() => {
    unbind();
    for (const o of opened) if (!o.closed) o.outbox.close();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const actions = () => useWorkerActionsStore();

  /** Sign in as `userId` and wait until their queue is attached. */
  async function signIn(userId: string, workerId: string): Promise<void> {
    signedIn = sessionOf(userId, workerId);
    expect(await useAuthStore().check()).toBe('signed-in');
    await vi.waitFor(() => expect(actions().ready).toBe(true));
    useTasksStore().applyServer(workOrder('wo-1', { assigneeId: workerId }));
  }

  it('opens nothing while nobody is signed in', async () => {
    expect(await useAuthStore().check()).toBe('signed-out');
    expect(opened).toEqual([]);
    expect(await actions().accept('wo-1')).toEqual({ ok: false, reason: 'not-ready' });
  });

  it("never shows or sends one worker's queued actions in another's session on the same phone", async () => {
    // Worker A accepts a case offline, then hands the phone over.
    actions().setOnline(false);
    await signIn(userA, 'w-0001');
    expect(await actions().accept('wo-1')).toEqual({ ok: true });
    expect(actions().queuedCount).toBe(1);
    await useAuthStore().logout();
    expect(actions().ready).toBe(false);
    expect(actions().entries).toEqual([]);

    // Worker B signs in, online: their queue is empty, and nothing of A's goes out.
    actions().setOnline(true);
    await signIn(userB, 'w-0002');
    expect(opened.map((o) => [o.name, o.closed])).toEqual([
      [outboxNameFor(userA), true],
      [outboxNameFor(userB), false],
    ]);
    expect(actions().entries).toEqual([]);
    expect(actions().queuedCount).toBe(0);
    await actions().flush();
    expect(transport.sent).toEqual([]);
    await useAuthStore().logout();

    // A signs back in: the accept is still there, and goes out in A's session.
    await signIn(userA, 'w-0001');
    await vi.waitFor(() =>
      expect(transport.sent).toEqual([{ by: userA, orderId: 'wo-1', action: 'accept' }]),
    );
    await vi.waitFor(() => expect(actions().queuedCount).toBe(0));
  });

  it('says so when the queue cannot be opened', async () => {
    unbind();
    unbind = bindOutboxToSession(undefined, {
      transport,
      open: () => Promise.reject(new Error('storage refused')),
    });
    signedIn = sessionOf(userA, 'w-0001');
    await useAuthStore().check();

    await vi.waitFor(() => expect(actions().storageError).toBe('storage refused'));
    expect(actions().ready).toBe(false);
  });
});
