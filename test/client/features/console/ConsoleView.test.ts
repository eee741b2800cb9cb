// @vitest-environment happy-dom
/* eslint-disable vue/one-component-per-file -- three stand-in pages for the shell under test, one per mocked module */
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import ConsoleView from '../../../../client/src/features/console/ConsoleView.vue';
import { useConsoleWorkOrdersStore } from '../../../../client/src/features/console/workOrders/consoleWorkOrders.store';

// Stand-ins for the lazily loaded pages: the shell's job is switching between them, not their content.
// (`__esModule` lets defineAsyncComponent take `default`.) The alerts stand-in asks for a case when clicked, as the real page does from an alert's drawer.
vi.mock('../../../../client/src/features/console/alerts/AlertsPage.vue', async () => {
  const { defineComponent, h } = await import('vue');
  return {
    __esModule: true,
    default: defineComponent({
      emits: ['openWorkOrder', 'openRule'],
      setup:
        (_props, { emit }) =>
        () =>
          h('div', { 'data-test': 'alerts-page', onClick: () => emit('openWorkOrder', 'WO-20261121-0001') }),
    }),
  };
});
vi.mock('../../../../client/src/features/console/workOrders/WorkOrdersPage.vue', async () => {
  const { defineComponent, h } = await import('vue');
  return {
    __esModule: true,
    default: defineComponent({ setup: () => () => h('div', { 'data-test': 'work-orders-page' }) }),
  };
});
vi.mock('../../../../client/src/features/console/rules/RulesPage.vue', async () => {
  const { defineComponent, h } = await import('vue');
  return {
    __esModule: true,
    default: defineComponent({ setup: () => () => h('div', { 'data-test': 'rules-page' }) }),
  };
});

describe('ConsoleView', () => {
  beforeEach(() => setActivePinia(createPinia()));

  const mountShell = () =>
    mount(ConsoleView, {
      props: { isLive: true },
      global: { stubs: { LiveDashboard: { template: '<div data-test="overview-page" />' } } },
    });

  it('opens on the alerts page and switches pages with the tabs', async () => {
    const w = mountShell();
    await flushPromises();
    expect(w.get('[data-test="console-tab-alerts"]').attributes('aria-selected')).toBe('true');
    expect(w.find('[data-test="alerts-page"]').exists()).toBe(true);
    await w.get('[data-test="console-tab-rules"]').trigger('click');
    await flushPromises();
    expect(w.find('[data-test="rules-page"]').exists()).toBe(true);
    await w.get('[data-test="console-tab-overview"]').trigger('click');
    expect(w.find('[data-test="overview-page"]').exists()).toBe(true);
    expect(w.get('[data-test="console-tab-alerts"]').attributes('aria-selected')).toBe('false');
  });

  it('goes from an alert to its case on the work-orders page', async () => {
    const select = vi.spyOn(useConsoleWorkOrdersStore(), 'select').mockResolvedValue();
    const w = mountShell();
    await flushPromises();
    await w.get('[data-test="alerts-page"]').trigger('click');
    await flushPromises();
    expect(select).toHaveBeenCalledWith('WO-20261121-0001');
    expect(w.get('[data-test="console-tab-workOrders"]').attributes('aria-selected')).toBe('true');
    expect(w.find('[data-test="work-orders-page"]').exists()).toBe(true);
  });
});
