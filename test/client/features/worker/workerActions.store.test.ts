import 'fake-indexeddb/auto';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { Outbox } from '../../../../client/src/features/worker/outbox';
import type { OutboxTransport, TransportResult } from '../../../../client/src/features/worker/outbox';
import { useWorkerPositionStore } from '../../../../client/src/features/worker/position.store';
import { useTasksStore } from '../../../../client/src/features/worker/tasks.store';
import { useWorkerActionsStore } from '../../../../client/src/features/worker/workerActions.store';
import { respond, stubApi } from '../../auth.fixtures';
import type { SeenRequest } from '../../auth.fixtures';
import { moved, T0, workerSession, workOrder } from './worker.fixtures';

type Refused = Extract<TransportResult<unknown>, { ok: false }>;

/** Records what reaches the server; commands answer with the case moved on unless told to refuse. */
class FakeTransport implements OutboxTransport {
  readonly photos: Parameters<OutboxTransport['uploadPhoto']>[0][] = [];
  readonly commands: { orderId: string; action: string; body: Record<string, unknown> }[] = [];
  readonly creates: Record<string, unknown>[] = [];
  refuse: Refused | null = null;
  /** When set, commands wait for it before answering. */
  gate: Promise<void> | null = null;

  constructor(private readonly held: Map<string, WorkOrder>) {}

  async uploadPhoto(
    p: Parameters<OutboxTransport['uploadPhoto']>[0],
  ): Promise<TransportResult<{ id: string }>> {
    this.photos.push(p);
    return { ok: true, data: { id: `ph-${this.photos.length}` } };
  }
  async command(
    orderId: string,
    action: string,
    body: Record<string, unknown>,
  ): Promise<TransportResult<WorkOrder>> {
    this.commands.push({ orderId, action, body });
    await this.gate;
    if (this.refuse) return this.refuse;
    const to = { accept: 'accepted', checkIn: 'handling', report: 'reported', return: 'returned' } as const;
    const order = this.held.get(orderId)!;
    const next = moved(order, to[action as keyof typeof to] ?? order.state);
    this.held.set(orderId, next);
    return { ok: true, data: next };
  }
  async create(body: Record<string, unknown>): Promise<TransportResult<WorkOrder>> {
    this.creates.push(body);
    return { ok: true, data: workOrder('wo-new', { source: 'worker', assigneeId: undefined }) };
  }
}

let dbNo = 0;

describe('useWorkerActionsStore', () => {
  let outbox: Outbox;
  let transport: FakeTransport;
  let server: Map<string, WorkOrder>;
  let seen: SeenRequest[];

  beforeEach(async () => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    server = new Map([['wo-1', workOrder('wo-1')]]);
    seen = stubApi({
      'GET /api/v1/auth/me': () => respond(workerSession()),
      'GET /api/v1/me/work-orders': () => respond({ items: [...server.values()] }),
    });
    await useAuthStore().check();
    useTasksStore().applyServer(server.get('wo-1')!);
    outbox = await Outbox.open(`worker-actions-test-${++dbNo}`);
    transport = new FakeTransport(server);
  });
  afterEach(() => {
    outbox.close();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  /** The store on the queue; `online` false keeps everything queued. */
  async function attached(online: boolean) {
    const actions = useWorkerActionsStore();
    actions.setOnline(online);
    await actions.attach(outbox, transport);
    return actions;
  }

  it('shows an action taken offline at once, marked as waiting to sync', async () => {
    const actions = await attached(false);

    expect(await actions.accept('wo-1')).toEqual({ ok: true });

    const task = useTasksStore().byId.get('wo-1')!;
    expect(task.state).toBe('dispatched');
    expect(actions.stateOf(task)).toBe('accepted');
    expect(actions.isPendingSync('wo-1')).toBe(true);
    expect(actions.queuedCount).toBe(1);
    expect(actions.pendingFor('wo-1').map((e) => e.action)).toEqual(['accept']);
    expect(transport.commands).toEqual([]);
  });

  it('sends the queue when back online and takes the server’s answer', async () => {
    const actions = await attached(false);
    await actions.accept('wo-1');
    const [queued] = await outbox.list();

    actions.setOnline(true);
    const report = await actions.flush();

    expect(report?.sent).toBe(1);
    expect(transport.commands).toEqual([
      { orderId: 'wo-1', action: 'accept', body: { actionId: queued!.id, doneAt: T0 } },
    ]);
    const task = useTasksStore().byId.get('wo-1')!;
    expect(task).toMatchObject({ state: 'accepted', version: 3 });
    expect(actions.isPendingSync('wo-1')).toBe(false);
    expect(actions.queuedCount).toBe(0);
  });

  it('turns a refusal into a notice, fetches the tasks again, and forgets it once read', async () => {
    const actions = await attached(false);
    await actions.accept('wo-1');
    transport.refuse = {
      ok: false,
      status: 409,
      code: 'conflict',
      reason: 'reassigned',
      message: 'case wo-1 is assigned to w-0002',
    };
    server.set('wo-1', moved(workOrder('wo-1'), 'dispatched', { assigneeId: 'w-0002' }));

    actions.setOnline(true);
    await actions.flush();
    await vi.waitFor(() => expect(useTasksStore().byId.has('wo-1')).toBe(false));

    const tasks = useTasksStore();
    expect(tasks.notices).toHaveLength(1);
    expect(tasks.notices[0]).toMatchObject({ kind: 'conflict', orderId: 'wo-1' });
    expect(tasks.notices[0]!.text.zh).toContain('改派');
    expect(seen.filter((r) => r.path === '/api/v1/me/work-orders')).toHaveLength(1);
    expect(actions.queuedCount).toBe(0);

    await actions.dismissNotice(tasks.notices[0]!.id);
    expect(tasks.notices).toEqual([]);
    expect(await outbox.list()).toEqual([]);
  });

  it('queues report photos with the position and time taken, then the report naming them', async () => {
    useWorkerPositionStore().setFix({ location: [120.1501, 30.2502], accuracyM: 8, at: T0 });
    server.set('wo-1', moved(workOrder('wo-1'), 'handling'));
    useTasksStore().applyServer(server.get('wo-1')!);
    const actions = await attached(true);

    const photos = [
      { blob: new Blob(['one'], { type: 'image/jpeg' }), mime: 'image/jpeg', takenAt: T0 - 5000 },
      { blob: new Blob(['two'], { type: 'image/png' }), mime: 'image/png', takenAt: T0 - 4000 },
    ];
    expect(await actions.report('wo-1', ' 已盖好井盖 ', photos)).toEqual({ ok: true });
    await actions.flush();

    expect(
      transport.photos.map((p) => ({
        mime: p.mime,
        lng: p.lng,
        lat: p.lat,
        accuracyM: p.accuracyM,
        takenAt: p.takenAt,
      })),
    ).toEqual([
      { mime: 'image/jpeg', lng: 120.1501, lat: 30.2502, accuracyM: 8, takenAt: T0 - 5000 },
      { mime: 'image/png', lng: 120.1501, lat: 30.2502, accuracyM: 8, takenAt: T0 - 4000 },
    ]);
    expect(transport.commands).toHaveLength(1);
    expect(transport.commands[0]).toMatchObject({
      action: 'report',
      body: { note: '已盖好井盖', photoIds: ['ph-1', 'ph-2'] },
    });
    expect(useTasksStore().byId.get('wo-1')?.state).toBe('reported');
  });

  it('holds what the queued photos are, never their bytes', async () => {
    useWorkerPositionStore().setFix({ location: [120.1501, 30.2502], accuracyM: 8, at: T0 });
    useTasksStore().applyServer(moved(workOrder('wo-1'), 'handling'));
    const actions = await attached(false);

    const photo = {
      blob: new Blob(['12345'], { type: 'image/jpeg' }),
      mime: 'image/jpeg',
      takenAt: T0 - 5000,
    };
    await actions.report('wo-1', '已处理', [photo]);

    expect(actions.entries.map((e) => [e.kind, e.photo])).toEqual([
      [
        'photo',
        { mime: 'image/jpeg', size: 5, lng: 120.1501, lat: 30.2502, accuracyM: 8, takenAt: T0 - 5000 },
      ],
      ['command', undefined],
    ]);
    expect(actions.pendingFor('wo-1').map((e) => e.action)).toEqual(['report']);
  });

  it('once detached shows, queues and sends nothing, and ignores the answers of a flush under way', async () => {
    const actions = await attached(false);
    await actions.accept('wo-1');
    let release = () => {};
    transport.gate = new Promise<void>((resolve) => (release = resolve));
    actions.setOnline(true);
    const flushing = actions.flush();
    await vi.waitFor(() => expect(transport.commands).toHaveLength(1));

    const detached = actions.detach();
    expect(actions.entries).toEqual([]);
    expect(actions.queuedCount).toBe(0);
    expect(actions.ready).toBe(false);
    release();
    await detached;
    await flushing;

    expect(useTasksStore().byId.get('wo-1')?.state).toBe('dispatched');
    expect(actions.entries).toEqual([]);
    expect(await actions.accept('wo-1')).toEqual({ ok: false, reason: 'not-ready' });
    expect(await actions.flush()).toBeNull();
    expect(transport.commands).toHaveLength(1);
  });

  it('refuses a position check-in without a fix, and sends the fix with one', async () => {
    useTasksStore().applyServer(moved(workOrder('wo-1'), 'accepted'));
    const actions = await attached(false);

    expect(await actions.checkIn('wo-1', { method: 'proximity' })).toEqual({ ok: false, reason: 'no-fix' });
    useWorkerPositionStore().setFix({ location: [120.15, 30.25], accuracyM: 12, at: T0 });
    expect(await actions.checkIn('wo-1', { method: 'proximity' })).toEqual({ ok: true });

    const [queued] = await outbox.list();
    expect(queued?.body).toEqual({ method: 'proximity', fix: { location: [120.15, 30.25], accuracyM: 12 } });
    expect(actions.stateOf(useTasksStore().byId.get('wo-1')!)).toBe('handling');
  });

  it('queues a scanned QR code as written, trimmed', async () => {
    useTasksStore().applyServer(moved(workOrder('wo-1'), 'accepted'));
    const actions = await attached(false);

    await actions.checkIn('wo-1', { method: 'qr', code: ' cityops:site:mh-001 \n' });

    expect((await outbox.list())[0]?.body).toEqual({ method: 'qr', code: 'cityops:site:mh-001' });
  });

  it('does not queue a second accept for a task this phone already accepted', async () => {
    const actions = await attached(false);
    await actions.accept('wo-1');

    expect(await actions.accept('wo-1')).toEqual({ ok: false, reason: 'state' });
    expect(await outbox.list()).toHaveLength(1);
  });

  it('queues a patrol report at the current position, and needs one', async () => {
    const actions = await attached(true);
    const input = {
      category: 'event.city-appearance.litter',
      title: ' 路边暴露垃圾 ',
      description: '',
      photos: [{ blob: new Blob(['x'], { type: 'image/jpeg' }), mime: 'image/jpeg', takenAt: T0 }],
    };
    expect(await actions.patrolReport(input)).toEqual({ ok: false, reason: 'no-fix' });

    useWorkerPositionStore().setFix({ location: [120.16, 30.27], accuracyM: 5, at: T0 });
    expect(await actions.patrolReport(input)).toEqual({ ok: true });
    await actions.flush();

    expect(transport.creates).toHaveLength(1);
    expect(transport.creates[0]).toMatchObject({
      category: 'event.city-appearance.litter',
      title: '路边暴露垃圾',
      location: [120.16, 30.27],
      photoIds: ['ph-1'],
    });
    expect(transport.creates[0]).not.toHaveProperty('description');
  });

  it('sends nothing while nobody is signed in', async () => {
    const actions = await attached(false);
    await actions.accept('wo-1');
    stubApi({ 'POST /api/v1/auth/logout': () => respond(null, 204) });
    await useAuthStore().logout();

    actions.setOnline(true);
    expect(await actions.flush()).toBeNull();
    expect(transport.commands).toEqual([]);
    expect(await outbox.list()).toHaveLength(1);
  });

  it('refuses actions until the queue is open', async () => {
    const actions = useWorkerActionsStore();
    expect(await actions.accept('wo-1')).toEqual({ ok: false, reason: 'not-ready' });
  });
});
