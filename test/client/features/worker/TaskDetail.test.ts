// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { useWorkerPositionStore } from '../../../../client/src/features/worker/position.store';
import TaskDetail from '../../../../client/src/features/worker/TaskDetail.vue';
import { useTasksStore } from '../../../../client/src/features/worker/tasks.store';
import { useWorkerActionsStore } from '../../../../client/src/features/worker/workerActions.store';
import { respond, stubApi } from '../../auth.fixtures';
import { entry, FakeOutbox, T0, unusedTransport, workerSession, workOrder } from './worker.fixtures';

describe('TaskDetail', () => {
  let pinia: Pinia;
  let outbox: FakeOutbox;

  beforeEach(async () => {
    pinia = createPinia();
    setActivePinia(pinia);
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    stubApi({ 'GET /api/v1/auth/me': () => respond(workerSession()) });
    await useAuthStore().check();
    outbox = new FakeOutbox();
    const actions = useWorkerActionsStore();
    actions.setOnline(false);
    await actions.attach(outbox, unusedTransport);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  function show(order: WorkOrder) {
    useTasksStore().applyServer(order);
    return mount(TaskDetail, { props: { orderId: order.id }, global: { plugins: [pinia] } });
  }

  /** The action buttons in the bottom bar, by their data-test names. */
  function buttons(w: ReturnType<typeof show>): string[] {
    return w.findAll('.w-bar button').map((b) => b.attributes('data-test') ?? b.text());
  }

  it('offers accept and return for a dispatched task', () => {
    const w = show(workOrder('wo-1', { state: 'dispatched' }));
    expect(buttons(w)).toEqual(['return', 'accept']);
    expect(w.get('[data-test="accept"]').text()).toBe('接单');
  });

  it('offers check-in and return for an accepted task', async () => {
    const w = show(workOrder('wo-1', { state: 'accepted' }));
    expect(buttons(w)).toEqual(['return', 'check-in']);

    await w.get('[data-test="check-in"]').trigger('click');
    expect(w.find('[data-test="check-in-form"]').exists()).toBe(true);
    expect(w.find('[data-test="qr-code-input"]').exists()).toBe(true);
    // No position yet: checking in by position has to wait.
    expect(w.get('[data-test="check-in-proximity"]').attributes('disabled')).toBeDefined();
  });

  it('offers the report form, with photos, on site', () => {
    const w = show(workOrder('wo-1', { state: 'handling' }));
    expect(buttons(w)).toEqual(['report-submit']);
    expect(w.find('[data-test="report-form"]').exists()).toBe(true);
    expect(w.get('[data-test="photo-input"]').attributes()).toMatchObject({
      type: 'file',
      accept: 'image/*',
      capture: 'environment',
    });
  });

  it('offers no action while the report awaits verification, or once the task is over', () => {
    expect(buttons(show(workOrder('wo-1', { state: 'reported' })))).toEqual([]);
    expect(
      show(workOrder('wo-2', { state: 'reported' }))
        .find('[data-test="wait-verify"]')
        .exists(),
    ).toBe(true);
    const closed = show(workOrder('wo-3', { state: 'closed', dueAt: null }));
    expect(buttons(closed)).toEqual([]);
    expect(closed.find('[data-test="no-actions"]').exists()).toBe(true);
  });

  it('shows the task accepted at once after tapping accept, waiting to sync', async () => {
    const w = show(workOrder('wo-1', { state: 'dispatched' }));

    await w.get('[data-test="accept"]').trigger('click');
    await flushPromises();

    expect(outbox.entries.map((e) => e.action)).toEqual(['accept']);
    expect(w.get('[data-test="detail-state"]').text()).toContain('已接单');
    expect(w.find('[data-test="pending-sync"]').exists()).toBe(true);
    expect(buttons(w)).toEqual(['return', 'check-in']);
  });

  it('queues nothing for a report without a note and a photo, and says what is missing', async () => {
    const w = show(workOrder('wo-1', { state: 'handling' }));

    await w.get('[data-test="report-submit"]').trigger('click');
    expect(w.get('[data-test="report-problem"]').text()).toBe('请填写处置情况');

    await w.get('[data-test="report-note"]').setValue('已处理');
    await w.get('[data-test="report-submit"]').trigger('click');
    expect(w.get('[data-test="report-problem"]').text()).toBe('请至少拍一张处置后的照片');
    expect(outbox.entries).toEqual([]);
  });

  it('warns that the sensor was still breaching and shows the rework comment', () => {
    const w = show(
      workOrder('wo-1', {
        state: 'handling',
        stillBreaching: true,
        reworkCount: 1,
        timeline: [
          entry(5, 'report', 'handling', 'reported'),
          entry(6, 'verify', 'reported', 'handling', {
            byName: '王核查',
            note: '井盖仍未复位',
            data: { result: 'fail', stillBreaching: true },
          }),
        ],
      }),
    );

    expect(w.find('[data-test="still-breaching"]').exists()).toBe(true);
    const rework = w.get('[data-test="rework"]').text();
    expect(rework).toContain('王核查');
    expect(rework).toContain('井盖仍未复位');
    expect(w.get('[data-test="timeline"]').text()).toContain('核实未通过（返工）');
  });

  it('links to the site with a geo URI and shows how far and which way it is', async () => {
    const w = show(workOrder('wo-1', { location: [120.15, 30.25] }));
    expect(w.get('[data-test="navigate"]').attributes('href')).toBe('geo:30.25,120.15?q=30.25,120.15');
    expect(w.get('[data-test="to-site"]').text()).toBe('定位后显示距离和方位');

    useWorkerPositionStore().setFix({ location: [120.15, 30.24], accuracyM: 10, at: T0 });
    await flushPromises();

    expect(w.get('[data-test="to-site"]').text()).toBe('距离 1.1 公里，在你的北方');
  });

  it('says the worker is at the site rather than naming a direction within GPS noise', async () => {
    const w = show(workOrder('wo-1', { location: [120.15, 30.25] }));
    useWorkerPositionStore().setFix({ location: [120.1501, 30.2501], accuracyM: 20, at: T0 });
    await flushPromises();

    expect(w.get('[data-test="to-site"]').text()).toBe('你已在现场附近（15 米）');
  });

  it('shows the timeline times in Asia/Shanghai', () => {
    const w = show(workOrder('wo-1', { timeline: [entry(1, 'register', null, 'registered', { at: T0 })] }));
    expect(w.get('[data-test="timeline"]').text()).toContain('11-21 16:00');
  });
});
