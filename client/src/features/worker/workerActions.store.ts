import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RETURN_REASONS, WorkOrder, WorkOrderState } from '@shared/schemas/workOrder.schema';
import { useAuthStore } from '../auth/auth.store';
import type { FlushReport, Outbox, OutboxEntry, OutboxTransport } from './outbox';
import { useWorkerPositionStore } from './position.store';
import { useTasksStore } from './tasks.store';

/** What the store needs of the offline queue: the real {@link Outbox}, or a stand-in in tests. */
export type OutboxLike = Pick<
  Outbox,
  'enqueuePhoto' | 'enqueueCommand' | 'enqueueCreate' | 'list' | 'dismiss' | 'flush'
>;

/** The worker's actions on a task (the commands the queue replays). */
export type TaskAction = 'accept' | 'return' | 'checkIn' | 'report' | 'note';

/** A photo the worker took, before it goes into the queue. */
export interface PickedPhoto {
  blob: Blob;
  /** `image/jpeg`, `image/png` or `image/webp`. */
  mime: string;
  /** When it was taken: the file's `lastModified`, epoch ms. EXIF, if any, is read by the server. */
  takenAt?: number;
}

/** Photos per report (the API's limit). */
export const MAX_PHOTOS = 9;
/** Largest photo the server takes by default (MAX_PHOTO_BYTES), bytes: checked before queueing. */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
/** Image types the server takes. */
export const PHOTO_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp'];

/** Why a picked file cannot be queued as a photo; null when it can. */
export function photoProblem(file: { size: number; type: string }): 'too-big' | 'bad-type' | null {
  if (!PHOTO_TYPES.includes(file.type)) return 'bad-type';
  return file.size > MAX_PHOTO_BYTES ? 'too-big' : null;
}

export type ReturnReason = (typeof RETURN_REASONS)[number];

/** How the worker proves they are on site. */
export type CheckInInput = { method: 'qr'; code: string } | { method: 'proximity' };

/** 巡查上报: a problem the worker found on patrol. */
export interface PatrolInput {
  category: string;
  title: string;
  description?: string;
  photos: PickedPhoto[];
}

/** Why an action was not queued. */
export type ActionRefusal =
  /** The offline queue is not open (yet, or the browser refused storage). */
  | 'not-ready'
  /** The task's state (as shown, queued actions included) does not allow it. */
  | 'state'
  /** It needs the phone's position and there is none. */
  | 'no-fix'
  /** Writing to the queue failed. */
  | 'storage';
export type ActionResult = { ok: true } | { ok: false; reason: ActionRefusal };

/** The state a queued action moves its case to (`note` moves nothing). */
const TARGET_STATE: Partial<Record<TaskAction, WorkOrderState>> = {
  accept: 'accepted',
  return: 'returned',
  checkIn: 'handling',
  report: 'reported',
};

/** States from which the worker may take each action (the server's state machine has the last word). */
const ALLOWED_FROM: Record<TaskAction, readonly WorkOrderState[]> = {
  accept: ['dispatched'],
  return: ['dispatched', 'accepted'],
  checkIn: ['accepted'],
  report: ['handling'],
  note: ['dispatched', 'accepted', 'handling', 'reported'],
};

/** Whether a task shown in `state` offers `action`. */
export function allows(state: WorkOrderState, action: TaskAction): boolean {
  return ALLOWED_FROM[action].includes(state);
}

/**
 * The state to show for a case: the server's, moved on by the actions still waiting in the
 * queue for it (in their order), so the worker sees "accepted" the moment they tap it.
 */
export function optimisticState(
  order: Pick<WorkOrder, 'id' | 'state'>,
  entries: readonly OutboxEntry[],
): WorkOrderState {
  let state = order.state;
  for (const e of entries) {
    if (e.kind !== 'command' || e.orderId !== order.id || e.state !== 'pending' || !e.action) continue;
    state = TARGET_STATE[e.action] ?? state;
  }
  return state;
}

/**
 * The worker's actions. Every action goes into the offline queue first (IndexedDB) and is
 * sent from there — at once when the phone is online, else when it is back — so nothing a
 * worker does in a basement is lost. Until the server confirms it, the task shows its new
 * state marked "待同步"; the server's answer replaces it, and a refusal becomes a notice
 * saying why (then the task is fetched again).
 */
export const useWorkerActionsStore = defineStore('workerActions', () => {
  const auth = useAuthStore();
  const tasks = useTasksStore();
  const position = useWorkerPositionStore();

  /** The queue's entries, in replay order, as last read. */
  const entries = shallowRef<readonly OutboxEntry[]>([]);
  /** Whether the browser says it has a network (`navigator.onLine`, kept by the socket binding). */
  const online = ref(
    typeof navigator !== 'undefined' && typeof navigator.onLine === 'boolean' ? navigator.onLine : true,
  );
  /** True while queued actions are being sent. */
  const flushing = ref(false);
  /** Whether the queue is open. */
  const ready = ref(false);
  /** Why the queue could not be opened or written; null when it works. */
  const storageError = ref<string | null>(null);
  /** When the queue was last sent, epoch ms; null before the first time. */
  const lastFlushAt = ref<number | null>(null);

  let outbox: OutboxLike | null = null;
  let transport: OutboxTransport | null = null;
  let running: Promise<FlushReport | null> | null = null;
  let again: Promise<FlushReport | null> | null = null;

  /** Actions (not photos) waiting to be sent: the header's "待同步 N". */
  const queuedCount = computed(
    () => entries.value.filter((e) => e.state === 'pending' && e.kind !== 'photo').length,
  );

  /** The queued actions of one case, in order. */
  function pendingFor(orderId: string): OutboxEntry[] {
    return entries.value.filter(
      (e) => e.state === 'pending' && e.kind === 'command' && e.orderId === orderId,
    );
  }

  /** Whether the case has actions the server has not confirmed yet. */
  function isPendingSync(orderId: string): boolean {
    return entries.value.some((e) => e.state === 'pending' && e.kind === 'command' && e.orderId === orderId);
  }

  /** The state to show for a case (queued actions applied). */
  function stateOf(order: Pick<WorkOrder, 'id' | 'state'>): WorkOrderState {
    return optimisticState(order, entries.value);
  }

  /** Read the queue again; refused entries become notices (once), and their cases are fetched again. */
  async function reload(): Promise<void> {
    const queue = outbox;
    if (!queue) return;
    const listed = await queue.list();
    // Signed out (or someone else signed in) meanwhile: that queue is no longer shown.
    if (outbox !== queue) return;
    entries.value = listed;
    let refused = false;
    for (const e of entries.value) {
      if (e.state === 'pending') continue;
      const id = `outbox:${e.id}`;
      if (tasks.notices.some((n) => n.id === id)) continue;
      tasks.addNotice({
        id,
        kind: 'conflict',
        ...(e.orderId ? { orderId: e.orderId } : {}),
        entryId: e.id,
        text: e.problem?.explanation ?? {
          zh: '服务器未接受此操作。',
          en: 'The server did not accept this action.',
        },
        at: Date.now(),
      });
      refused ||= e.orderId !== undefined;
    }
    if (refused) void tasks.refresh();
  }

  /** Start using a queue (the signed-in user's, once IndexedDB is open), and send what it holds. */
  async function attach(next: OutboxLike, nextTransport: OutboxTransport): Promise<void> {
    outbox = next;
    transport = nextTransport;
    ready.value = true;
    storageError.value = null;
    await reload();
    if (online.value && outbox === next) void flush();
  }

  /**
   * Stop using the queue (sign-out): from now on nothing is queued, shown or sent until a queue
   * is attached again. Resolves once a flush still running has ended, so that the caller can
   * close the queue safely.
   */
  async function detach(): Promise<void> {
    const wasRunning = running;
    outbox = null;
    transport = null;
    ready.value = false;
    storageError.value = null;
    lastFlushAt.value = null;
    entries.value = [];
    await wasRunning?.catch(() => undefined);
  }

  /** The queue could not be opened (private mode, storage refused): actions are refused, not lost silently. */
  function markUnavailable(message: string): void {
    ready.value = false;
    storageError.value = message;
  }

  async function runFlush(): Promise<FlushReport | null> {
    const queue = outbox;
    if (!queue || !transport) return null;
    flushing.value = true;
    try {
      const report = await queue.flush(transport);
      // Signed out meanwhile: the answers concern a user no longer here.
      if (outbox !== queue) return report;
      lastFlushAt.value = Date.now();
      for (const order of report.changed) tasks.applyServer(order);
      // The session ended under us: find out (the sign-in view follows); the entries wait.
      if (report.stoppedBy?.status === 401) void auth.check();
      return report;
    } catch (err) {
      if (outbox === queue) storageError.value = err instanceof Error ? err.message : String(err);
      return null;
    } finally {
      flushing.value = false;
      await reload().catch(() => undefined);
    }
  }

  /**
   * Send the queue (in order). Resolves with the flush report, or null when there is no
   * queue, nobody is signed in, or it failed. A call while a flush runs is answered by one
   * more flush after it (what was queued meanwhile may have missed the running one).
   */
  function flush(): Promise<FlushReport | null> {
    // Without a session every action would be refused (401) and dropped as failed: wait for one.
    if (auth.status !== 'signed-in') return Promise.resolve(null);
    if (running) {
      again ??= running.then(() => {
        again = null;
        return flush();
      });
      return again;
    }
    running = runFlush().finally(() => (running = null));
    return running;
  }

  async function enqueued(write: () => Promise<unknown>): Promise<ActionResult> {
    if (!outbox) return { ok: false, reason: 'not-ready' };
    try {
      await write();
    } catch (err) {
      storageError.value = err instanceof Error ? err.message : String(err);
      return { ok: false, reason: 'storage' };
    }
    await reload();
    if (online.value) void flush();
    return { ok: true };
  }

  function command(
    orderId: string,
    action: TaskAction,
    body: Record<string, unknown>,
  ): Promise<ActionResult> {
    const order = tasks.byId.get(orderId);
    if (!outbox) return Promise.resolve({ ok: false, reason: 'not-ready' });
    if (!order || !allows(stateOf(order), action)) return Promise.resolve({ ok: false, reason: 'state' });
    const queue = outbox;
    return enqueued(() => queue.enqueueCommand(orderId, action, body));
  }

  function currentFix(): { location: [number, number]; accuracyM: number } | null {
    const fix = position.fix;
    return fix ? { location: fix.location, accuracyM: fix.accuracyM } : null;
  }

  /** Queue the photos (with the current position) and return their placeholders. */
  async function enqueuePhotos(queue: OutboxLike, photos: readonly PickedPhoto[]): Promise<string[]> {
    const fix = currentFix();
    const ids: string[] = [];
    for (const p of photos)
      ids.push(
        await queue.enqueuePhoto({
          blob: p.blob,
          mime: p.mime,
          ...(fix ? { lng: fix.location[0], lat: fix.location[1], accuracyM: fix.accuracyM } : {}),
          ...(p.takenAt !== undefined ? { takenAt: p.takenAt } : {}),
        }),
      );
    return ids;
  }

  /** 接单 */
  function accept(orderId: string): Promise<ActionResult> {
    return command(orderId, 'accept', {});
  }

  /** 退回: not this worker's case, with the reason. */
  function returnTask(orderId: string, reason: ReturnReason, note = ''): Promise<ActionResult> {
    return command(orderId, 'return', { reason, note: note.trim() });
  }

  /** 到场签到, by the site's QR code or by the current position. */
  function checkIn(orderId: string, input: CheckInInput): Promise<ActionResult> {
    if (input.method === 'qr') return command(orderId, 'checkIn', { method: 'qr', code: input.code.trim() });
    const fix = currentFix();
    if (!fix) return Promise.resolve({ ok: false, reason: 'no-fix' });
    return command(orderId, 'checkIn', { method: 'proximity', fix });
  }

  /** 反馈: what was done, with photos of the result. */
  async function report(
    orderId: string,
    note: string,
    photos: readonly PickedPhoto[],
  ): Promise<ActionResult> {
    const order = tasks.byId.get(orderId);
    if (!outbox) return { ok: false, reason: 'not-ready' };
    if (!order || !allows(stateOf(order), 'report')) return { ok: false, reason: 'state' };
    const queue = outbox;
    return enqueued(async () => {
      const photoIds = await enqueuePhotos(queue, photos);
      await queue.enqueueCommand(orderId, 'report', { note: note.trim(), photoIds });
    });
  }

  /** 备注 on a task (no state change). */
  function note(orderId: string, text: string): Promise<ActionResult> {
    return command(orderId, 'note', { note: text.trim() });
  }

  /** 巡查上报: a new case at the current position. */
  async function patrolReport(input: PatrolInput): Promise<ActionResult> {
    if (!outbox) return { ok: false, reason: 'not-ready' };
    const fix = currentFix();
    if (!fix) return { ok: false, reason: 'no-fix' };
    const queue = outbox;
    const description = input.description?.trim();
    return enqueued(async () => {
      const photoIds = await enqueuePhotos(queue, input.photos);
      await queue.enqueueCreate({
        category: input.category,
        title: input.title.trim(),
        ...(description ? { description } : {}),
        location: fix.location,
        photoIds,
      });
    });
  }

  /** The worker read a notice; a refused queue entry goes with it. */
  async function dismissNotice(id: string): Promise<void> {
    const notice = tasks.notices.find((n) => n.id === id);
    tasks.dismissNotice(id);
    if (notice?.entryId && outbox) {
      await outbox.dismiss(notice.entryId);
      await reload();
    }
  }

  function setOnline(next: boolean): void {
    online.value = next;
  }

  return {
    entries,
    online,
    flushing,
    ready,
    storageError,
    lastFlushAt,
    queuedCount,
    pendingFor,
    isPendingSync,
    stateOf,
    attach,
    detach,
    markUnavailable,
    flush,
    accept,
    returnTask,
    checkIn,
    report,
    note,
    patrolReport,
    dismissNotice,
    setOnline,
  };
});
