// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type { WorkOrderState } from '@shared/schemas/workOrder.schema';
import WallChart from '../../../../client/src/features/wall/WallChart.vue';
import WorkOrderFunnel from '../../../../client/src/features/wall/WorkOrderFunnel.vue';
import type { CaseCounts } from '../../../../client/src/features/workOrders/caseCounts';
import { useI18nStore } from '../../../../client/src/i18n/i18n.store';
import { freshPiniaEachTest } from '../../pinia.fixtures';

function counts(partial: Partial<Record<WorkOrderState, number>>, overdue = 0): CaseCounts {
  const byState = Object.fromEntries(WORK_ORDER_STATES.map((s) => [s, partial[s] ?? 0])) as Record<
    WorkOrderState,
    number
  >;
  return { byState, open: Object.values(byState).reduce((a, b) => a + b, 0), overdue, source: 'vitals' };
}

describe('WorkOrderFunnel', () => {
  const pinia = freshPiniaEachTest();

  // The canvas has no place in a DOM emulation: the chart is a stub whose option the test reads.
  const mountFunnel = (c: CaseCounts, known = true) =>
    mount(WorkOrderFunnel, {
      props: { counts: c, known },
      global: { plugins: [pinia()], stubs: { WallChart: true } },
    });

  function funnelData(w: ReturnType<typeof mountFunnel>) {
    const option = w.findComponent(WallChart).props('option') as {
      series: { data: { name: string; value: number }[] }[];
    };
    return option.series[0]?.data.map((d) => [d.name, d.value]);
  }

  it('draws the open cases along the pipeline with the Chinese state names', () => {
    const w = mountFunnel(counts({ registered: 1, dispatched: 2, reported: 1, escalated: 1 }));
    expect(funnelData(w)).toEqual([
      ['已立案', 1],
      ['已派遣', 2],
      ['已接单', 0],
      ['处置中', 0],
      ['待核实', 1],
    ]);
  });

  it('shows returned and escalated cases beside the funnel, marked when some wait on the centre', () => {
    const w = mountFunnel(counts({ escalated: 3 }));
    expect(w.get('[data-test="state-escalated"] [data-test="count"]').text()).toBe('3');
    expect(w.get('[data-test="state-returned"] [data-test="count"]').text()).toBe('0');
    expect(w.get('[data-test="state-escalated"]').classes()).toContain('needs-centre');
    expect(w.get('[data-test="state-returned"]').classes()).not.toContain('needs-centre');
    expect(w.get('[data-test="state-escalated"] .stage-label').text()).toBe('已转办');
  });

  it('shows the overdue count in red with a pulsing dot', () => {
    const w = mountFunnel(counts({ handling: 5 }, 1234));
    expect(w.get('[data-test="wall-overdue"]').text()).toBe('1,234');
    expect(w.get('.overdue').classes()).toContain('has-overdue');
    expect(w.find('[data-test="overdue-pulse"]').exists()).toBe(true);
  });

  it('shows a calm zero without the pulse when nothing is overdue', () => {
    const w = mountFunnel(counts({ handling: 5 }, 0));
    expect(w.get('[data-test="wall-overdue"]').text()).toBe('0');
    expect(w.get('.overdue').classes()).not.toContain('has-overdue');
    expect(w.find('[data-test="overdue-pulse"]').exists()).toBe(false);
  });

  it('shows dashes, not zeros, while the counts are unknown', () => {
    const w = mountFunnel(counts({}), false);
    expect(w.get('[data-test="wall-overdue"]').text()).toBe('—');
    expect(w.get('[data-test="state-returned"] [data-test="count"]').text()).toBe('—');
    const option = w.findComponent(WallChart).props('option') as {
      series: { data: { label: { formatter: string } }[] }[];
    };
    expect(option.series[0]?.data[0]?.label.formatter).toBe('已立案  —');
  });

  it('redraws with new counts and follows the language toggle', async () => {
    const w = mountFunnel(counts({ registered: 1 }));
    await w.setProps({ counts: counts({ registered: 4, handling: 2 }) });
    useI18nStore().setLocale('en');
    await w.vm.$nextTick();

    expect(funnelData(w)).toEqual([
      ['Registered', 4],
      ['Dispatched', 0],
      ['Accepted', 0],
      ['On site', 2],
      ['Reported', 0],
    ]);
    expect(w.get('[data-test="state-returned"] .stage-label').text()).toBe('Returned');
  });
});
