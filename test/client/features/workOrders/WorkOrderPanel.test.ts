// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import { useVitalsStore } from '../../../../client/src/features/vitals/vitals.store';
import WallChart from '../../../../client/src/features/wall/WallChart.vue';
import WorkOrderPanel from '../../../../client/src/features/workOrders/WorkOrderPanel.vue';
import { useWorkOrdersStore } from '../../../../client/src/features/workOrders/workOrders.store';
import { useI18nStore } from '../../../../client/src/i18n/i18n.store';
import { apiError, respond, stubApi } from '../../auth.fixtures';
import { snapshot } from '../../live.fixtures';
import { freshPiniaEachTest } from '../../pinia.fixtures';
import { vitals } from '../vitals/vitals.fixtures';
import { resyncCity, resyncCityWithoutKpis, resyncRoutes, T0, workOrder } from './workOrders.fixtures';

const routes = resyncRoutes();

describe('WorkOrderPanel', () => {
  const pinia = freshPiniaEachTest(T0);

  // The funnel's canvas has no place in a DOM emulation: its option is read off the stub.
  const mountPanel = () =>
    mount(WorkOrderPanel, { global: { plugins: [pinia()], stubs: { WallChart: true } } });

  /** The wall after a resync that found these open cases. */
  const resynced = (items = [workOrder('wo-1')]) => resyncCity(items);

  /** The vitals of the city as the snapshot brings them. */
  function withVitals(workOrders: { open: number; byState: Record<string, number>; overdue: number }): void {
    const s = snapshot({ vitals: vitals({ workOrders }) });
    useLiveStore().applySnapshot(s);
    useVitalsStore().applySnapshot(s);
  }

  function funnel(w: ReturnType<typeof mountPanel>): [string, number][] {
    const option = w.findComponent(WallChart).props('option') as {
      series: { data: { name: string; value: number }[] }[];
    };
    return (option.series[0]?.data ?? []).map((d) => [d.name, d.value]);
  }
  const sideCount = (w: ReturnType<typeof mountPanel>, state: string) =>
    w.get(`[data-test="state-${state}"] [data-test="count"]`).text();

  it('shows dashes, not zeros, before the first answer', () => {
    const w = mountPanel();
    expect(w.get('[data-test="open-count"]').text()).toBe('在办 — 件');
    expect(w.get('[data-test="wall-overdue"]').text()).toBe('—');
    expect(sideCount(w, 'returned')).toBe('—');
  });

  it('counts the open cases it fetched along the pipeline when no vitals have come', async () => {
    await resynced([
      workOrder('a', { state: 'registered' }),
      workOrder('b', { state: 'dispatched' }),
      workOrder('c', { state: 'dispatched' }),
      workOrder('d', { state: 'reported' }),
      workOrder('e', { state: 'escalated' }),
    ]);
    const w = mountPanel();

    expect(funnel(w)).toEqual([
      ['已立案', 1],
      ['已派遣', 2],
      ['已接单', 0],
      ['处置中', 0],
      ['待核实', 1],
    ]);
    expect(sideCount(w, 'escalated')).toBe('1');
    expect(w.get('[data-test="state-escalated"]').classes()).toContain('needs-centre');
    expect(w.get('[data-test="state-returned"]').classes()).not.toContain('needs-centre');
    expect(w.get('[data-test="open-count"]').text()).toBe('在办 5 件');
  });

  it("prefers the server's vitals, which count every open case, over the one page it fetched", async () => {
    await resynced([workOrder('a', { state: 'registered', overdueAt: T0 - 60_000 })]);
    withVitals({ open: 1_234, byState: { registered: 734, handling: 500 }, overdue: 41 });
    const w = mountPanel();

    expect(w.get('[data-test="open-count"]').text()).toBe('在办 1,234 件');
    expect(funnel(w)).toEqual([
      ['已立案', 734],
      ['已派遣', 0],
      ['已接单', 0],
      ['处置中', 500],
      ['待核实', 0],
    ]);
    expect(w.get('[data-test="wall-overdue"]').text()).toBe('41');
    // The one overdue case fetched is listed; the count says how many more there are.
    expect(w.findAll('[data-test="overdue-row"]')).toHaveLength(1);
    expect(w.get('[data-test="overdue-more"]').text()).toBe('另有 40 件未列出');
  });

  it('follows the vitals as they are pushed', async () => {
    await resynced([]);
    withVitals({ open: 2, byState: { registered: 2 }, overdue: 0 });
    const w = mountPanel();

    useVitalsStore().applyPush(
      vitals({
        at: T0 + 2_000,
        workOrders: { open: 3, byState: { registered: 2, returned: 1 }, overdue: 1 },
      }),
    );
    await w.vm.$nextTick();

    expect(w.get('[data-test="open-count"]').text()).toBe('在办 3 件');
    expect(sideCount(w, 'returned')).toBe('1');
    expect(w.get('[data-test="wall-overdue"]').text()).toBe('1');
  });

  it('follows the language toggle', async () => {
    await resynced();
    const w = mountPanel();

    useI18nStore().setLocale('en');
    await w.vm.$nextTick();

    expect(funnel(w).map(([name]) => name)).toContain('On site');
    expect(w.get('[data-test="state-returned"] .stage-label').text()).toBe('Returned');
    expect(w.get('[data-test="open-count"]').text()).toBe('1 open');
  });

  it('shows the overdue count in red with a pulsing dot, and lists the overdue cases', async () => {
    await resynced([
      workOrder('WO-20261121-0007', { overdueAt: T0 - 60_000, dueAt: T0 - 95 * 60_000 }),
      workOrder('WO-20261121-0003', {
        category: 'event.emergency.waterlogging',
        overdueAt: T0 - 30_000,
        dueAt: T0 - 5 * 60_000,
      }),
      workOrder('WO-20261121-0009'),
    ]);
    const w = mountPanel();

    expect(w.get('[data-test="wall-overdue"]').text()).toBe('2');
    expect(w.get('.overdue').classes()).toContain('has-overdue');
    expect(w.find('[data-test="overdue-pulse"]').exists()).toBe(true);
    const rows = w.findAll('[data-test="overdue-row"]').map((r) => r.findAll('span').map((s) => s.text()));
    expect(rows).toEqual([
      ['WO-20261121-0003', '道路积水', '超时 5分钟'],
      ['WO-20261121-0007', '井盖', '超时 1小时35分'],
    ]);
  });

  it('shows a calm zero without the pulse when nothing is overdue', async () => {
    await resynced([workOrder('wo-1')]);
    const w = mountPanel();

    expect(w.get('[data-test="wall-overdue"]').text()).toBe('0');
    expect(w.get('.overdue').classes()).not.toContain('has-overdue');
    expect(w.find('[data-test="overdue-pulse"]').exists()).toBe(false);
    expect(w.find('.overdue-none').text()).toBe('暂无超时案卷');
  });

  it('says how many overdue cases are not listed', async () => {
    const items = Array.from({ length: 23 }, (_, i) => workOrder(`wo-${i}`, { overdueAt: T0 - i * 1000 }));
    await resynced(items);
    const w = mountPanel();

    expect(w.findAll('[data-test="overdue-row"]')).toHaveLength(20);
    expect(w.get('[data-test="overdue-more"]').text()).toBe('另有 3 件未列出');
  });

  it('still shows the cases to a role that may not read KPIs (they have their own panel)', async () => {
    await resyncCityWithoutKpis();
    const w = mountPanel();

    expect(w.find('[data-test="work-orders"]').exists()).toBe(true);
    expect(w.get('[data-test="wall-overdue"]').text()).toBe('0');
  });

  it('shows nothing to a role that may not read cases, whatever the vitals say', async () => {
    const forbidden = () => respond(apiError('forbidden', 'no'), 403);
    stubApi({ [routes.orders]: forbidden, [routes.all]: forbidden, [routes.districts]: forbidden });
    await useWorkOrdersStore().resync({ kind: 'city' }, T0);
    withVitals({ open: 5, byState: { registered: 5 }, overdue: 1 });
    const w = mountPanel();

    expect(w.find('[data-test="work-orders"]').exists()).toBe(false);
  });
});
