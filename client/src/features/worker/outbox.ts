import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import {
  explainBlocked,
  explainPhotoMissing,
  explainRefusal,
  type Explanation,
  type Refusal,
} from './outboxRefusals';

export { explainRefusal } from './outboxRefusals';

/**
 * The grid worker's offline queue (离线队列). What the worker does without a connection —
 * photos, case commands (接单, 到场签到, 反馈…), patrol reports (巡查上报) — is kept in
 * IndexedDB and replayed in order when the phone is back online. Every entry carries its own
 * id as the idempotency key (`actionId`, `X-Client-Key`), so replaying after a lost answer is
 * safe: the server recognises the action and answers with the case unchanged.
 *
 * Photos are stored as bytes (`ArrayBuffer`) and rebuilt into a Blob only to upload them:
 * Blobs inside IndexedDB have had WebKit bugs (stored Blobs unreadable after a restart), while
 * an ArrayBuffer clones the same way in every browser and in fake-indexeddb under Node. The
 * bytes live in their own object store, apart from the entries: listing the queue (after every
 * tap) reads only what each entry is, never megabytes of photos.
 */

export type OutboxKind = 'photo' | 'command' | 'create';
/** The case commands a grid worker can queue. */
export type OutboxAction = 'accept' | 'return' | 'checkIn' | 'report' | 'note';

/** A photo waiting to be uploaded, with the phone's fix and clock when it was taken. */
export interface OutboxPhoto {
  blob: Blob;
  /** `image/jpeg`, `image/png` or `image/webp`. */
  mime: string;
  /** Degrees (GCJ-02, as the phone's map reports them). */
  lng?: number;
  lat?: number;
  /** Horizontal accuracy of the fix, metres. */
  accuracyM?: number;
  /** Epoch ms. */
  takenAt?: number;
}

/** A queued photo as the queue lists it: what it is, without its bytes (read only to upload it). */
export interface OutboxPhotoInfo extends Omit<OutboxPhoto, 'blob'> {
  /** Bytes. */
  size: number;
}

/** Why the server (or the queue) refused an entry, and what the worker is told. */
export interface OutboxProblem extends Refusal {
  explanation: Explanation;
}

export interface OutboxEntry {
  /** Local id: 32 hex digits, also the entry's `actionId` / `X-Client-Key`. */
  id: string;
  /** Order of enqueueing (replay order). */
  seq: number;
  kind: OutboxKind;
  /** command: the case. */
  orderId?: string;
  action?: OutboxAction;
  /** command/create body; `photoIds` may hold `local:<entryId>` placeholders of queued photos. */
  body?: Record<string, unknown>;
  /** photo: what it is; its bytes stay in the database until it is uploaded. */
  photo?: OutboxPhotoInfo;
  /** Epoch ms when the worker did it (sent as `doneAt`). */
  createdAt: number;
  /** Times it was sent without a final answer (network errors) or refused. */
  attempts: number;
  state: 'pending' | 'conflict' | 'failed';
  /** Why the server refused it (conflict/failed), with the explanation shown to the worker. */
  problem?: OutboxProblem;
}

export type TransportResult<T> =
  | { ok: true; data: T }
  /** Refused (4xx): not retried. */
  | { ok: false; status: number; code: string; reason?: string; message: string }
  /** No connection, a timeout or a 5xx: retried later. */
  | { ok: false; status: 0; code: 'network'; message: string };

/** How the queue reaches the server: HTTP in the app ({@link httpTransport}), a fake in unit tests. */
export interface OutboxTransport {
  uploadPhoto(p: {
    blob: Blob;
    mime: string;
    clientKey: string;
    lng?: number;
    lat?: number;
    accuracyM?: number;
    takenAt?: number;
  }): Promise<TransportResult<{ id: string }>>;
  command(
    orderId: string,
    action: string,
    body: Record<string, unknown>,
  ): Promise<TransportResult<WorkOrder>>;
  create(body: Record<string, unknown>): Promise<TransportResult<WorkOrder>>;
}

export interface FlushReport {
  /** Entries the server accepted (and that left the queue). */
  sent: number;
  /** Entries refused during this flush with state `conflict` (incl. those that depended on a refused one). */
  conflicts: OutboxEntry[];
  /** Entries refused during this flush with state `failed`. */
  failed: OutboxEntry[];
  /** Entries still pending (to be sent on a later flush). */
  remaining: number;
  /** Cases as the server returned them, the latest version of each, in order of first change. */
  changed: WorkOrder[];
  /**
   * Why the flush stopped early, if it did: no connection (`network`), or an answer worth
   * waiting out rather than refusing the entry (401 signed out, 408, 429, 409 busy).
   */
  stoppedBy?: { status: number; code: string; message: string };
}

export interface OutboxOptions {
  /** Epoch ms now (tests pin it). */
  clock?: () => number;
}

const DEFAULT_DB_NAME = 'cityops-worker';
const PLACEHOLDER_PREFIX = 'local:';
const PLACEHOLDER = /^local:([0-9a-f]{32})$/;
/** How long an uploaded photo's server id is remembered once nothing queued names it (a draft may still hold it). */
const UPLOAD_MEMORY_MS = 7 * 86_400_000;

/** The database's version: 2 keeps photo bytes apart from the entries (version 1 had them inside). */
const DB_VERSION = 2;

type StoredEntry = OutboxEntry;
interface OutboxDB extends DBSchema {
  entries: { key: string; value: StoredEntry; indexes: { bySeq: number; byState: OutboxEntry['state'] } };
  /** A queued photo's bytes, by its entry id. */
  photoBytes: { key: string; value: ArrayBuffer };
  /** Uploaded photos: queue entry id → server photo id (to resolve `local:<id>` placeholders). */
  uploads: { key: string; value: { serverId: string; at: number } };
  /** `seq`: the last sequence number given out. */
  meta: { key: string; value: number };
}

/** 32 random hex digits. `crypto.randomUUID` needs a secure context; `getRandomValues` does not. */
function newEntryId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

/** Entry ids named by `local:<id>` placeholders anywhere in a body. */
function placeholdersIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    const m = PLACEHOLDER.exec(value);
    if (m?.[1]) found.add(m[1]);
  } else if (Array.isArray(value)) {
    for (const v of value) placeholdersIn(v, found);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) placeholdersIn(v, found);
  }
  return found;
}

/** A copy of `value` with placeholders replaced by server photo ids; unknown ones are collected in `missing`. */
function resolvePlaceholders(value: unknown, uploads: Map<string, string>, missing: string[]): unknown {
  if (typeof value === 'string') {
    const local = PLACEHOLDER.exec(value)?.[1];
    if (local === undefined) return value;
    const id = uploads.get(local);
    if (id === undefined) missing.push(local);
    return id ?? value;
  }
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, uploads, missing));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v, uploads, missing)]),
    );
  return value;
}

/** Version 1 kept a photo's bytes inside its entry: move them to their own store. */
async function separatePhotoBytes(
  tx: IDBPTransaction<OutboxDB, StoreNames<OutboxDB>[], 'versionchange'>,
): Promise<void> {
  let cursor = await tx.objectStore('entries').openCursor();
  while (cursor) {
    const photo = cursor.value.photo as (OutboxPhotoInfo & { bytes?: ArrayBuffer }) | undefined;
    if (photo?.bytes !== undefined) {
      const { bytes, ...info } = photo;
      await tx.objectStore('photoBytes').put(bytes, cursor.key);
      await cursor.update({ ...cursor.value, photo: { ...info, size: bytes.byteLength } });
    }
    cursor = await cursor.continue();
  }
}

/** The action name an explanation uses: the command, or `photo` / `create`. */
const actionOf = (e: StoredEntry): string => (e.kind === 'command' ? (e.action ?? 'command') : e.kind);

/** Answers worth waiting out: the entry was not judged (no connection, signed out, rate limited, busy). */
function retryLater(r: { status: number; reason?: string }): boolean {
  return (
    r.status < 400 ||
    r.status >= 500 ||
    [401, 408, 425, 429].includes(r.status) ||
    (r.status === 409 && r.reason === 'busy')
  );
}

/** A transport that throws (a bug, a Blob that cannot be read) is treated like a lost connection. */
async function guarded<T>(send: () => Promise<TransportResult<T>>): Promise<TransportResult<T>> {
  try {
    return await send();
  } catch (err) {
    return {
      ok: false,
      status: 0,
      code: 'network',
      message: err instanceof Error ? err.message : String(err),
    };
  }
}

export class Outbox {
  private running: Promise<FlushReport> | null = null;

  private constructor(
    private readonly db: IDBPDatabase<OutboxDB>,
    private readonly name: string,
    private readonly clock: () => number,
  ) {}

  /** Open (or create) the queue's IndexedDB database. */
  static async open(name: string = DEFAULT_DB_NAME, options: OutboxOptions = {}): Promise<Outbox> {
    const db = await openDB<OutboxDB>(name, DB_VERSION, {
      upgrade(database, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          const entries = database.createObjectStore('entries', { keyPath: 'id' });
          entries.createIndex('bySeq', 'seq', { unique: true });
          entries.createIndex('byState', 'state');
          database.createObjectStore('uploads');
          database.createObjectStore('meta');
        }
        if (oldVersion < 2) {
          database.createObjectStore('photoBytes');
          // Only IndexedDB is awaited in there, so the upgrade transaction stays open for it.
          // Should it fail, a photo left without bytes is refused as incomplete when its turn
          // comes: better than a queue that no longer opens.
          if (oldVersion >= 1) void separatePhotoBytes(tx).catch(() => undefined);
        }
      },
    });
    return new Outbox(db, name, options.clock ?? Date.now);
  }

  /** Store a new entry with the next sequence number (and a photo's bytes). */
  private async add(
    fields: Pick<StoredEntry, 'kind' | 'orderId' | 'action' | 'body' | 'photo'>,
    bytes?: ArrayBuffer,
  ) {
    const tx = this.db.transaction(['entries', 'meta', 'photoBytes'], 'readwrite');
    const meta = tx.objectStore('meta');
    const seq = ((await meta.get('seq')) ?? 0) + 1;
    const entry: StoredEntry = {
      id: newEntryId(),
      seq,
      createdAt: this.clock(),
      attempts: 0,
      state: 'pending',
      ...fields,
    };
    await Promise.all([
      meta.put(seq, 'seq'),
      tx.objectStore('entries').add(entry),
      bytes ? tx.objectStore('photoBytes').put(bytes, entry.id) : undefined,
      tx.done,
    ]);
    return entry;
  }

  /** Queue a photo; returns the `local:<id>` placeholder to put in a later command's `photoIds`. */
  async enqueuePhoto(photo: OutboxPhoto): Promise<string> {
    const { blob, ...facts } = photo;
    // Read the bytes before the transaction: awaiting anything but IndexedDB would end it.
    const bytes = await blob.arrayBuffer();
    const entry = await this.add({ kind: 'photo', photo: { ...facts, size: bytes.byteLength } }, bytes);
    return `${PLACEHOLDER_PREFIX}${entry.id}`;
  }

  /** Queue a command on a case (its body as for `POST /api/v1/work-orders/:id/{action}`). */
  async enqueueCommand(
    orderId: string,
    action: OutboxAction,
    body: Record<string, unknown>,
  ): Promise<OutboxEntry> {
    // A JSON copy: the body is sent as JSON anyway, and a reactive proxy could not be stored.
    const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    return this.add({ kind: 'command', orderId, action, body: plain });
  }

  /** Queue a patrol report (巡查上报, the body of `POST /api/v1/work-orders`). */
  async enqueueCreate(body: Record<string, unknown>): Promise<OutboxEntry> {
    const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    return this.add({ kind: 'create', body: plain });
  }

  /** Every entry (pending, conflict, failed), in seq order; photos without their bytes. */
  list(): Promise<OutboxEntry[]> {
    return this.db.getAllFromIndex('entries', 'bySeq');
  }

  /** The entries of a case still waiting to be sent, in seq order. */
  async pendingFor(orderId: string): Promise<OutboxEntry[]> {
    return (await this.list()).filter((e) => e.orderId === orderId && e.state === 'pending');
  }

  /** Remove an entry (the worker read a conflict, or gave up on a queued action). */
  async dismiss(id: string): Promise<void> {
    const tx = this.db.transaction(['entries', 'uploads', 'photoBytes'], 'readwrite');
    await Promise.all([
      tx.objectStore('entries').delete(id),
      tx.objectStore('uploads').delete(id),
      tx.objectStore('photoBytes').delete(id),
      tx.done,
    ]);
  }

  /**
   * Replay pending entries in seq order (entries queued meanwhile included). Not re-entrant:
   * a call while a flush runs returns that flush's promise. Across tabs, flushes of the same
   * queue take turns through the Web Locks API where the browser has it.
   */
  flush(transport: OutboxTransport): Promise<FlushReport> {
    this.running ??= this.exclusive(() => this.replay(transport)).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  close(): void {
    this.db.close();
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    // Web Locks exist only in secure contexts; the queue works without them (one tab at a time).
    const locks = typeof navigator === 'undefined' ? undefined : (navigator.locks as LockManager | undefined);
    return locks ? locks.request(`cityops-outbox:${this.name}`, run) : run();
  }

  private async replay(transport: OutboxTransport): Promise<FlushReport> {
    const conflicts: StoredEntry[] = [];
    const failed: StoredEntry[] = [];
    const changed = new Map<string, WorkOrder>();
    let sent = 0;
    let stoppedBy: FlushReport['stoppedBy'];
    let afterSeq = 0;

    queue: for (;;) {
      // Ids only: entries are read one at a time, as they are sent.
      const ids = await this.db.getAllKeysFromIndex(
        'entries',
        'bySeq',
        IDBKeyRange.lowerBound(afterSeq, true),
      );
      if (ids.length === 0) break;
      for (const id of ids) {
        // Read again: a refusal earlier in this flush may have marked it, or the worker dismissed it.
        const entry = await this.db.get('entries', id);
        if (!entry) continue;
        afterSeq = Math.max(afterSeq, entry.seq);
        if (entry.state !== 'pending') continue;

        const result = await this.send(entry, transport);
        if (result.ok) {
          sent++;
          if (result.order) changed.set(result.order.id, result.order);
          continue;
        }
        if (result.local) {
          conflicts.push(...(await this.refuse(entry, 'conflict', result.local, false)));
          continue;
        }
        const refusal: Refusal = result.refusal;
        if (retryLater(refusal)) {
          await this.db.put('entries', { ...entry, attempts: entry.attempts + 1 });
          stoppedBy = { status: refusal.status, code: refusal.code, message: refusal.message };
          break queue;
        }
        const state = refusal.status === 409 || refusal.status === 403 ? 'conflict' : 'failed';
        const problem: OutboxProblem = {
          status: refusal.status,
          code: refusal.code,
          ...(refusal.reason !== undefined ? { reason: refusal.reason } : {}),
          message: refusal.message,
          explanation: explainRefusal(refusal, actionOf(entry)),
        };
        const marked = await this.refuse(entry, state, problem, true);
        for (const m of marked) (m.state === 'failed' ? failed : conflicts).push(m);
      }
    }

    await this.forgetOldUploads();
    return {
      sent,
      conflicts,
      failed,
      remaining: await this.db.countFromIndex('entries', 'byState', 'pending'),
      changed: [...changed.values()],
      ...(stoppedBy ? { stoppedBy } : {}),
    };
  }

  /** Send one entry; on success it leaves the queue (a photo's server id is remembered). */
  private async send(
    entry: StoredEntry,
    transport: OutboxTransport,
  ): Promise<
    | { ok: true; order?: WorkOrder }
    | { ok: false; local: OutboxProblem; refusal?: undefined }
    | { ok: false; local?: undefined; refusal: Exclude<TransportResult<unknown>, { ok: true }> }
  > {
    if (entry.kind === 'photo') {
      // The bytes are read here only, one photo at a time.
      const bytes = await this.db.get('photoBytes', entry.id);
      if (!entry.photo || !bytes) return { ok: false, local: this.malformed(entry) };
      const { size: _size, ...facts } = entry.photo;
      const result = await guarded(() =>
        transport.uploadPhoto({
          ...facts,
          blob: new Blob([bytes], { type: facts.mime }),
          clientKey: entry.id,
        }),
      );
      if (!result.ok) return { ok: false, refusal: result };
      const tx = this.db.transaction(['entries', 'uploads', 'photoBytes'], 'readwrite');
      await Promise.all([
        tx.objectStore('uploads').put({ serverId: result.data.id, at: this.clock() }, entry.id),
        tx.objectStore('entries').delete(entry.id),
        tx.objectStore('photoBytes').delete(entry.id),
        tx.done,
      ]);
      return { ok: true };
    }

    const uploads = await this.uploadedIds();
    const missing: string[] = [];
    const body = resolvePlaceholders(entry.body ?? {}, uploads, missing) as Record<string, unknown>;
    if (missing.length)
      return {
        ok: false,
        local: {
          status: 409,
          code: 'conflict',
          reason: 'photo-missing',
          message: `photo ${missing.map((m) => PLACEHOLDER_PREFIX + m).join(', ')} was not uploaded`,
          explanation: explainPhotoMissing(actionOf(entry)),
        },
      };
    const payload = { ...body, actionId: entry.id, doneAt: entry.createdAt };
    let result: TransportResult<WorkOrder>;
    if (entry.kind === 'create') result = await guarded(() => transport.create(payload));
    else if (entry.orderId && entry.action) {
      const { orderId, action } = entry;
      result = await guarded(() => transport.command(orderId, action, payload));
    } else return { ok: false, local: this.malformed(entry) };
    if (!result.ok) return { ok: false, refusal: result };
    await this.db.delete('entries', entry.id);
    return { ok: true, order: result.data };
  }

  private malformed(entry: StoredEntry): OutboxProblem {
    const refusal = {
      status: 400,
      code: 'invalid_request',
      message: `queue entry ${entry.id} is incomplete`,
    };
    return { ...refusal, explanation: explainRefusal(refusal, actionOf(entry)) };
  }

  private async uploadedIds(): Promise<Map<string, string>> {
    const tx = this.db.transaction('uploads');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
    return new Map(keys.map((k, i) => [k, values[i]?.serverId ?? '']));
  }

  /**
   * Mark a refused entry, then every later pending entry that depended on it: the same case's
   * later actions (they assumed this one worked), and, for a refused photo, the actions that
   * carry it (and in turn their cases' later actions). Returns the marked entries.
   */
  private async refuse(
    entry: StoredEntry,
    state: 'conflict' | 'failed',
    problem: OutboxProblem,
    attempted: boolean,
  ): Promise<StoredEntry[]> {
    const tx = this.db.transaction('entries', 'readwrite');
    const root: StoredEntry = { ...entry, state, problem, attempts: entry.attempts + (attempted ? 1 : 0) };
    await tx.store.put(root);
    const marked = [root];
    /** Case id → the first of its entries that did not take effect. */
    const blocked = new Map<string, StoredEntry>();
    if (root.orderId) blocked.set(root.orderId, root);
    const refusedPhoto = root.kind === 'photo' ? root.id : null;

    let cursor = await tx.store.index('bySeq').openCursor(IDBKeyRange.lowerBound(root.seq, true));
    while (cursor) {
      const e = cursor.value;
      const needsPhoto = refusedPhoto !== null && placeholdersIn(e.body).has(refusedPhoto);
      const blocker = e.orderId ? blocked.get(e.orderId) : undefined;
      if (e.state === 'pending' && (needsPhoto || blocker)) {
        const dependent: StoredEntry = {
          ...e,
          state: 'conflict',
          problem: blocker
            ? {
                status: 409,
                code: 'conflict',
                reason: 'blocked',
                message: `not sent: the earlier ${actionOf(blocker)} (${blocker.id}) did not take effect`,
                explanation: explainBlocked(actionOf(blocker), actionOf(e)),
              }
            : {
                status: 409,
                code: 'conflict',
                reason: 'photo-missing',
                message: `not sent: photo ${PLACEHOLDER_PREFIX}${refusedPhoto} was refused`,
                explanation: explainPhotoMissing(actionOf(e)),
              },
        };
        await cursor.update(dependent);
        marked.push(dependent);
        if (e.orderId && !blocker) blocked.set(e.orderId, dependent);
      }
      cursor = await cursor.continue();
    }
    await tx.done;
    return marked;
  }

  /** Drop server ids of uploaded photos that nothing queued names any more, once they are old. */
  private async forgetOldUploads(): Promise<void> {
    const tx = this.db.transaction(['entries', 'uploads'], 'readwrite');
    const named = new Set<string>();
    let entries = await tx.objectStore('entries').openCursor();
    while (entries) {
      placeholdersIn(entries.value.body, named);
      entries = await entries.continue();
    }
    const before = this.clock() - UPLOAD_MEMORY_MS;
    let uploads = await tx.objectStore('uploads').openCursor();
    while (uploads) {
      if (uploads.value.at < before && !named.has(uploads.key)) await uploads.delete();
      uploads = await uploads.continue();
    }
    await tx.done;
  }
}

// ── HTTP ────────────────────────────────────────────────────────────────────

export interface HttpTransportOptions {
  /** Extra request headers (tests in Node send `authorization`; the browser uses the session cookie). */
  headers?: Record<string, string>;
  /** Give up on a command after this long (ms) and retry later. */
  timeoutMs?: number;
  /** Give up on a photo upload after this long (ms): photos are large and mobile uplinks slow. */
  photoTimeoutMs?: number;
}

/** The API's refusal body `{ error: { code, message, details: [{ reason }] } }`, where present. */
function apiErrorOf(body: unknown): { code?: string; message?: string; reason?: string } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return {};
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  const first: unknown = Array.isArray(details) ? details[0] : undefined;
  const reason =
    typeof first === 'object' && first !== null && 'reason' in first
      ? (first as { reason: unknown }).reason
      : undefined;
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof message === 'string' && message !== '' ? { message } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
  };
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const hasId = (v: unknown): v is { id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';

/**
 * The queue's transport over the CityOps HTTP API (same origin by default; the session
 * cookie goes along). 2xx with a JSON body → ok; 4xx → refused with the API's code and
 * reason; no answer, a timeout, a 5xx or a 2xx that is not the API's JSON (a captive
 * portal's page) → `network`, to be retried with the same idempotency key.
 */
export function httpTransport(baseUrl = '', options: HttpTransportOptions = {}): OutboxTransport {
  const { headers = {}, timeoutMs = 30_000, photoTimeoutMs = 120_000 } = options;

  async function call<T>(
    path: string,
    init: RequestInit,
    timeout: number,
    isData: (v: unknown) => v is T,
  ): Promise<TransportResult<T>> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${timeout} ms`)), timeout);
    try {
      const res = await fetch(`${baseUrl}${path}`, {
        ...init,
        credentials: 'include',
        signal: abort.signal,
        headers: { accept: 'application/json', ...headers, ...(init.headers as Record<string, string>) },
      });
      const text = await res.text();
      if (res.status >= 500 || res.status < 200)
        return { ok: false, status: 0, code: 'network', message: `${path}: HTTP ${res.status}` };
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (res.ok) {
        if (isData(body)) return { ok: true, data: body };
        return {
          ok: false,
          status: 0,
          code: 'network',
          message: `${path}: HTTP ${res.status} without the API's JSON`,
        };
      }
      const error = apiErrorOf(body);
      return {
        ok: false,
        status: res.status,
        code: error.code ?? CODE_OF_STATUS[res.status] ?? `http_${res.status}`,
        ...(error.reason !== undefined ? { reason: error.reason } : {}),
        message: error.message ?? `${path}: HTTP ${res.status}`,
      };
    } catch (err) {
      const reason: unknown = abort.signal.aborted ? abort.signal.reason : err;
      return {
        ok: false,
        status: 0,
        code: 'network',
        message: reason instanceof Error ? reason.message : String(reason),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  const json = (body: Record<string, unknown>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  return {
    uploadPhoto(p) {
      const query = new URLSearchParams();
      // The server takes a position only as a pair.
      if (p.lng !== undefined && p.lat !== undefined) {
        query.set('lng', String(p.lng));
        query.set('lat', String(p.lat));
      }
      if (p.accuracyM !== undefined) query.set('accuracyM', String(p.accuracyM));
      if (p.takenAt !== undefined) query.set('takenAt', String(p.takenAt));
      const qs = query.toString() ? `?${query.toString()}` : '';
      return call(
        `/api/v1/photos${qs}`,
        { method: 'POST', headers: { 'content-type': p.mime, 'x-client-key': p.clientKey }, body: p.blob },
        photoTimeoutMs,
        hasId,
      );
    },
    command(orderId, action, body) {
      return call(
        `/api/v1/work-orders/${encodeURIComponent(orderId)}/${encodeURIComponent(action)}`,
        json(body),
        timeoutMs,
        (v): v is WorkOrder => hasId(v),
      );
    },
    create(body) {
      return call('/api/v1/work-orders', json(body), timeoutMs, (v): v is WorkOrder => hasId(v));
    },
  };
}
