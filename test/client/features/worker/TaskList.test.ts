// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import TaskList from '../../../../client/src/features/worker/TaskList.vue';
import { useTasksStore } from '../../../../client/src/features/worker/tasks.store';
import { useWorkerActionsStore } from '../../../../client/src/features/worker/workerActions.store';
import { respond, stubApi } from '../../auth.fixtures';
import { FakeOutbox, T0, unusedTransport, workerSession, workOrder } from './worker.fixtures';

describe('TaskList', () => {
  let pinia: Pinia;

  beforeEach(async () => {
    pinia = createPinia();
    setActivePinia(pinia);
    vi.useFakeTimers({ now: T0 });
    stubApi({ 'GET /api/v1/auth/me': () => respond(workerSession()) });
    await useAuthStore().check();
    const actions = useWorkerActionsStore();
    actions.setOnline(false);
    await actions.attach(new FakeOutbox(), unusedTransport);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const mountList = () => mount(TaskList, { global: { plugins: [pinia] } });

  it('shows each task with its urgency colour, category, state and time left', () => {
    useTasksStore().applyServer(
      workOrder('wo-1', {
        urgency: 'urgent',
        category: 'event.emergency.waterlogging',
        dueAt: T0 + 80 * 60_000,
      }),
    );
    const card = mountList().get('[data-test="task-wo-1"]');

    expect(card.classes()).toContain('tone-orange');
    expect(card.get('[data-test="urgency"]').text()).toBe('加急');
    expect(card.text()).toContain('道路积水');
    expect(card.get('[data-test="state"]').text()).toBe('已派遣');
    expect(card.get('[data-test="due"]').text()).toBe('剩余 1小时20分');
    expect(card.get('[data-test="due"]').classes()).toContain('due-ok');
  });

  it('shows an overdue task in red with how long it is overdue', async () => {
    useTasksStore().applyServer(workOrder('wo-1', { dueAt: T0 + 60_000 }));
    const w = mountList();

    await vi.advanceTimersByTimeAsync(6 * 60_000);

    const due = w.get('[data-test="due"]');
    expect(due.text()).toBe('已超时 5分钟');
    expect(due.classes()).toContain('due-overdue');
  });

  it('marks a task whose action waits to sync and shows the state it moves to', async () => {
    useTasksStore().applyServer(workOrder('wo-1'));
    const w = mountList();

    await useWorkerActionsStore().accept('wo-1');
    await flushPromises();

    expect(w.get('[data-test="state"]').text()).toBe('已接单 待同步');
  });

  it('opens a task when tapped', async () => {
    useTasksStore().applyServer(workOrder('wo-1'));
    const w = mountList();
    await w.get('[data-test="task-wo-1"]').trigger('click');
    expect(w.emitted('open')).toEqual([['wo-1']]);
  });
});
