// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WorkOrderPanel from '../../../../client/src/features/workOrders/WorkOrderPanel.vue';
import { useWorkOrdersStore } from '../../../../client/src/features/workOrders/workOrders.store';
import { useI18nStore } from '../../../../client/src/i18n/i18n.store';
import { apiError, respond, stubApi } from '../../auth.fixtures';
import { kpiAnswer, kpiRow, kpisPush, resyncRoutes, T0, workOrder } from './workOrders.fixtures';

const routes = resyncRoutes();

describe('WorkOrderPanel', () => {
  let pinia: Pinia;

  beforeEach(() => {
    // The language toggle remembers its choice; every test starts in Chinese.
    window.localStorage.clear();
    pinia = createPinia();
    setActivePinia(pinia);
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const mountPanel = () => mount(WorkOrderPanel, { global: { plugins: [pinia] } });

  /** The wall after a resync that found these open cases. */
  async function resynced(items = [workOrder('wo-1')], city = kpiRow('all')): Promise<void> {
    stubApi({
      [routes.orders]: () => respond({ items, total: items.length }),
      [routes.all]: () => kpiAnswer('all', [city]),
      [routes.districts]: () => kpiAnswer('district', []),
    });
    await useWorkOrdersStore().resync({ kind: 'city' }, T0);
  }

  const stateCount = (w: ReturnType<typeof mountPanel>, state: string) =>
    w.get(`[data-test="state-${state}"] [data-test="count"]`).text();
  const kpi = (w: ReturnType<typeof mountPanel>, field: string) =>
    w.get(`[data-test="kpi-${field}"] dd`).text().replace(/\s+/g, ' ');

  it('shows dashes, not zeros, before the first answer', () => {
    const w = mountPanel();
    expect(stateCount(w, 'registered')).toBe('—');
    expect(w.get('[data-test="overdue-count"]').text()).toBe('—');
    expect(kpi(w, 'closeRate')).toBe('—');
  });

  it('counts the open cases along the pipeline with the Chinese state names', async () => {
    await resynced([
      workOrder('a', { state: 'registered' }),
      workOrder('b', { state: 'dispatched' }),
      workOrder('c', { state: 'dispatched' }),
      workOrder('d', { state: 'reported' }),
      workOrder('e', { state: 'escalated' }),
    ]);
    const w = mountPanel();

    const stages = w.findAll('.stage');
    expect(stages.map((s) => s.find('.stage-label').text())).toEqual([
      '已立案',
      '已派遣',
      '已接单',
      '处置中',
      '待核实',
      '已退回',
      '已转办',
    ]);
    expect(stages.map((s) => s.find('[data-test="count"]').text())).toEqual([
      '1',
      '2',
      '0',
      '0',
      '1',
      '0',
      '1',
    ]);
    expect(w.get('[data-test="state-escalated"]').classes()).toContain('needs-centre');
    expect(w.get('[data-test="state-returned"]').classes()).not.toContain('needs-centre');
    expect(w.get('[data-test="open-count"]').text()).toBe('在办 5 件');
  });

  it('follows the language toggle', async () => {
    await resynced();
    const w = mountPanel();

    useI18nStore().setLocale('en');
    await w.vm.$nextTick();

    expect(w.get('[data-test="state-handling"] .stage-label').text()).toBe('On site');
    expect(w.get('[data-test="kpi-onTimeRate"] dt').text()).toBe('Closed on time');
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

    expect(w.get('[data-test="overdue-count"]').text()).toBe('2');
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

    expect(w.get('[data-test="overdue-count"]').text()).toBe('0');
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

  it('formats the KPIs: rates in per cent, response in minutes, rating out of five', async () => {
    await resynced([], kpiRow('all', { closeRate: 0.9372, onTimeRate: 0.8, reworkRate: 0.0625 }));
    const w = mountPanel();

    expect(kpi(w, 'closeRate')).toBe('93.7%');
    expect(kpi(w, 'onTimeRate')).toBe('80%');
    expect(kpi(w, 'reworkRate')).toBe('6.3%');
    expect(kpi(w, 'responseAvg')).toBe('7.5分钟');
    expect(kpi(w, 'rating')).toBe('4.6/5');
    expect(w.get('[data-test="kpi-closeRate"] dt').text()).toBe('结案率');
  });

  it('shows a dash for a rate of nothing (no case due, none handled, none rated)', async () => {
    await resynced(
      [],
      kpiRow('all', {
        closeRate: null,
        onTimeRate: null,
        reworkRate: null,
        responseAvgS: null,
        ratingAvg: null,
      }),
    );
    const w = mountPanel();

    for (const field of ['closeRate', 'onTimeRate', 'reworkRate', 'responseAvg', 'rating'])
      expect(kpi(w, field)).toBe('—');
  });

  it('updates the KPIs when the server pushes new figures', async () => {
    await resynced([], kpiRow('all', { closeRate: 0.5 }));
    const w = mountPanel();

    useWorkOrdersStore().kpis(kpisPush(kpiRow('all', { closeRate: 0.75 })));
    await w.vm.$nextTick();

    expect(kpi(w, 'closeRate')).toBe('75%');
  });

  it('leaves the KPIs out for a role that may not read them', async () => {
    stubApi({
      [routes.orders]: () => respond({ items: [], total: 0 }),
      [routes.all]: () => respond(apiError('forbidden', 'no kpis:read'), 403),
      [routes.districts]: () => respond(apiError('forbidden', 'no kpis:read'), 403),
    });
    await useWorkOrdersStore().resync({ kind: 'city' }, T0);
    const w = mountPanel();

    expect(w.find('[data-test="kpi-closeRate"]').exists()).toBe(false);
    expect(w.find('[data-test="state-registered"]').exists()).toBe(true);
  });

  it('shows nothing at all to a role that may read neither cases nor KPIs', async () => {
    const forbidden = () => respond(apiError('forbidden', 'no'), 403);
    stubApi({ [routes.orders]: forbidden, [routes.all]: forbidden, [routes.districts]: forbidden });
    await useWorkOrdersStore().resync({ kind: 'city' }, T0);
    const w = mountPanel();

    expect(w.find('[data-test="work-orders"]').exists()).toBe(false);
  });
});
