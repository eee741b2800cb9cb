import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { useTasksStore } from '../../../../client/src/features/worker/tasks.store';
import { apiError, deferred, respond, stubApi } from '../../auth.fixtures';
import { entry, ME, moved, T0, workerSession, workOrder } from './worker.fixtures';

const MY_TASKS = 'GET /api/v1/me/work-orders';

describe('useTasksStore', () => {
  let vibrate: ReturnType<typeof vi.fn>;

  beforeEach(async () => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    vibrate = vi.fn();
    vi.stubGlobal('navigator', { vibrate });
    stubApi({ 'GET /api/v1/auth/me': () => respond(workerSession()) });
    await useAuthStore().check();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('lists open tasks soonest due first, then finished ones latest first', () => {
    const tasks = useTasksStore();
    tasks.applyServer(workOrder('later', { dueAt: T0 + 90 * 60_000 }));
    tasks.applyServer(workOrder('closed-old', { state: 'closed', dueAt: null, updatedAt: T0 - 7_200_000 }));
    tasks.applyServer(workOrder('no-clock', { state: 'reported', dueAt: null }));
    tasks.applyServer(workOrder('closed-new', { state: 'cancelled', dueAt: null, updatedAt: T0 - 60_000 }));
    tasks.applyServer(workOrder('sooner', { dueAt: T0 + 5 * 60_000 }));

    expect(tasks.list.map((o) => o.id)).toEqual(['sooner', 'later', 'no-clock', 'closed-new', 'closed-old']);
    expect(tasks.openCount).toBe(3);
  });

  it('ignores a pushed case whose version is not newer than the one held', () => {
    const tasks = useTasksStore();
    const v3 = moved(workOrder('wo-1'), 'accepted');
    tasks.updated({ order: v3, entry: entry(3, 'accept', 'dispatched', 'accepted') });

    tasks.updated({
      order: workOrder('wo-1', { version: 2, state: 'dispatched' }),
      entry: entry(2, 'dispatch', 'registered', 'dispatched'),
    });
    tasks.updated({
      order: { ...v3, title: 'same version, other words' },
      entry: entry(3, 'accept', 'dispatched', 'accepted'),
    });

    expect(tasks.byId.get('wo-1')?.state).toBe('accepted');
    expect(tasks.byId.get('wo-1')?.title).toBe(v3.title);
  });

  it('rings once for a new task and not again for the same push', () => {
    const tasks = useTasksStore();
    tasks.assigned(workOrder('wo-1'));
    tasks.assigned(workOrder('wo-1'));

    expect(tasks.list.map((o) => o.id)).toEqual(['wo-1']);
    expect(vibrate).toHaveBeenCalledTimes(1);
    expect(vibrate).toHaveBeenCalledWith([200, 100, 200]);
  });

  it('keeps only its own worker’s cases from the cell room’s updates', () => {
    const tasks = useTasksStore();
    tasks.updated({
      order: workOrder('other', { assigneeId: 'w-0002' }),
      entry: entry(2, 'dispatch', 'registered', 'dispatched'),
    });
    tasks.updated({ order: workOrder('mine'), entry: entry(2, 'dispatch', 'registered', 'dispatched') });

    expect([...tasks.byId.keys()]).toEqual(['mine']);
  });

  it('drops a task the worker returned once the server confirms it', () => {
    const tasks = useTasksStore();
    const order = workOrder('wo-1');
    tasks.applyServer(order);
    tasks.applyServer(moved(order, 'returned'));

    expect(tasks.byId.has('wo-1')).toBe(false);
  });

  it('takes a withdrawn task off the list, leaves the detail view and says why', () => {
    const tasks = useTasksStore();
    const order = workOrder('wo-1', { title: '井盖倾斜' });
    tasks.applyServer(order);
    tasks.select('wo-1');

    const gone = moved(order, 'dispatched', { assigneeId: 'w-0002' });
    const why = entry(3, 'reassign', 'dispatched', 'dispatched', {
      byName: '王调度',
      note: '就近派遣',
      assigneeId: 'w-0002',
    });
    tasks.withdrawn({ order: gone, entry: why });
    tasks.withdrawn({ order: gone, entry: why });

    expect(tasks.byId.has('wo-1')).toBe(false);
    expect(tasks.selectedId).toBeNull();
    expect(tasks.notices).toHaveLength(1);
    expect(tasks.notices[0]).toMatchObject({ kind: 'withdrawn', orderId: 'wo-1' });
    expect(tasks.notices[0]?.text.zh).toBe('“井盖倾斜”已由王调度改派给其他网格员：就近派遣。');

    tasks.dismissNotice(tasks.notices[0]!.id);
    expect(tasks.notices).toEqual([]);
  });

  it('replaces the list with the server’s on refresh', async () => {
    const tasks = useTasksStore();
    tasks.applyServer(workOrder('stale'));
    stubApi({ [MY_TASKS]: () => respond({ items: [workOrder('a'), workOrder('b', { assigneeId: ME })] }) });

    await tasks.refresh();

    expect([...tasks.byId.keys()].sort()).toEqual(['a', 'b']);
    expect(tasks.error).toBeNull();
    expect(tasks.refreshedAt).toBe(T0);
  });

  it('keeps a newer push that arrived while the refresh was on its way', async () => {
    const tasks = useTasksStore();
    const answer = deferred<Response>();
    const v2 = workOrder('wo-1');
    stubApi({ [MY_TASKS]: () => answer.promise });

    const done = tasks.refresh();
    tasks.updated({ order: moved(v2, 'accepted'), entry: entry(3, 'accept', 'dispatched', 'accepted') });
    answer.resolve(respond({ items: [v2] }));
    await done;

    expect(tasks.byId.get('wo-1')?.state).toBe('accepted');
  });

  it('keeps the list as it was when the refresh fails', async () => {
    const tasks = useTasksStore();
    tasks.applyServer(workOrder('wo-1'));
    stubApi({ [MY_TASKS]: () => respond(apiError('unavailable', 'down'), 503) });

    await tasks.refresh();

    expect([...tasks.byId.keys()]).toEqual(['wo-1']);
    expect(tasks.error).toBe('unavailable');
  });
});
