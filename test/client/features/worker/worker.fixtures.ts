import type { TimelineEntry, WorkOrder } from '@shared/schemas/workOrder.schema';
import { sessionInfo } from '../../auth.fixtures';
import type { SessionInfo } from '@shared/schemas/auth.schema';
import type {
  FlushReport,
  OutboxEntry,
  OutboxPhoto,
  OutboxTransport,
} from '../../../../client/src/features/worker/outbox';
import type { OutboxLike } from '../../../../client/src/features/worker/workerActions.store';
import { T0 } from '../../live.fixtures';

export { T0 };

/** The grid worker signed in on the phone. */
export const ME = 'w-0001';

/** A grid worker's session (role `worker`, on the roster as {@link ME}). */
export function workerSession(workerId: string | null = ME): SessionInfo {
  const info = sessionInfo('worker', '李网格');
  return { ...info, user: { ...info.user, workerId } };
}

export function entry(
  seq: number,
  action: TimelineEntry['action'],
  from: TimelineEntry['from'],
  to: TimelineEntry['to'],
  overrides: Partial<TimelineEntry> = {},
): TimelineEntry {
  return { seq, at: T0 - 60_000 + seq, action, by: 'u-operator', byName: '张值班', from, to, ...overrides };
}

/** A case dispatched to {@link ME}, due in 30 minutes. */
export function workOrder(id: string, overrides: Partial<WorkOrder> = {}): WorkOrder {
  return {
    id,
    version: 2,
    source: 'alert',
    category: 'component.public-facility.manhole',
    urgency: 'emergency',
    state: 'dispatched',
    title: `井盖倾斜 ${id}`,
    location: [120.15, 30.25],
    gridCellId: '330106001001001',
    districtId: '330106',
    sensorId: 'mh-001',
    assigneeId: ME,
    createdAt: T0 - 120_000,
    updatedAt: T0 - 60_000,
    stage: 'response',
    dueAt: T0 + 30 * 60_000,
    overdueAt: null,
    deadlineAt: T0 + 3 * 3_600_000,
    reworkCount: 0,
    photoIds: [],
    timeline: [
      entry(1, 'register', null, 'registered'),
      entry(2, 'dispatch', 'registered', 'dispatched', { assigneeId: ME }),
    ],
    ...overrides,
  };
}

/** The case as the server answers an action on it: next version, new state. */
export function moved(
  order: WorkOrder,
  state: WorkOrder['state'],
  overrides: Partial<WorkOrder> = {},
): WorkOrder {
  return { ...order, version: order.version + 1, state, updatedAt: order.updatedAt + 1000, ...overrides };
}

/**
 * An in-memory stand-in for the offline queue: records what was queued, and flushes by
 * answering every pending entry with `answer` (default: the server accepts).
 */
export class FakeOutbox implements OutboxLike {
  entries: OutboxEntry[] = [];
  flushes = 0;
  private seq = 0;

  constructor(
    private readonly answer: (
      e: OutboxEntry,
    ) => { ok: true; order?: WorkOrder } | { ok: false; entry: OutboxEntry } = () => ({
      ok: true,
    }),
  ) {}

  private add(fields: Partial<OutboxEntry> & Pick<OutboxEntry, 'kind'>): OutboxEntry {
    this.seq += 1;
    const e: OutboxEntry = {
      id: `e${String(this.seq).padStart(8, '0')}`,
      seq: this.seq,
      createdAt: T0,
      attempts: 0,
      state: 'pending',
      ...fields,
    };
    this.entries.push(e);
    return e;
  }

  async enqueuePhoto(photo: OutboxPhoto): Promise<string> {
    // Listed without its bytes, as the real queue does.
    const { blob, ...info } = photo;
    return `local:${this.add({ kind: 'photo', photo: { ...info, size: blob.size } }).id}`;
  }
  async enqueueCommand(
    orderId: string,
    action: OutboxEntry['action'],
    body: Record<string, unknown>,
  ): Promise<OutboxEntry> {
    return this.add({ kind: 'command', orderId, action, body });
  }
  async enqueueCreate(body: Record<string, unknown>): Promise<OutboxEntry> {
    return this.add({ kind: 'create', body });
  }
  async list(): Promise<OutboxEntry[]> {
    return [...this.entries];
  }
  async dismiss(id: string): Promise<void> {
    this.entries = this.entries.filter((e) => e.id !== id);
  }
  async flush(_transport: OutboxTransport): Promise<FlushReport> {
    this.flushes += 1;
    const report: FlushReport = { sent: 0, conflicts: [], failed: [], remaining: 0, changed: [] };
    const kept: OutboxEntry[] = [];
    for (const e of this.entries) {
      if (e.state !== 'pending') {
        kept.push(e);
        continue;
      }
      const r = this.answer(e);
      if (r.ok) {
        report.sent += 1;
        if (r.order) report.changed.push(r.order);
      } else {
        kept.push(r.entry);
        (r.entry.state === 'failed' ? report.failed : report.conflicts).push(r.entry);
      }
    }
    this.entries = kept;
    return report;
  }
}

/** A transport that must not be used (the fake queue never calls it). */
export const unusedTransport: OutboxTransport = {
  uploadPhoto: () => Promise.reject(new Error('unused')),
  command: () => Promise.reject(new Error('unused')),
  create: () => Promise.reject(new Error('unused')),
};
