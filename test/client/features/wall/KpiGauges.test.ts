// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import KpiGauges from '../../../../client/src/features/wall/KpiGauges.vue';
import WallChart from '../../../../client/src/features/wall/WallChart.vue';
import { useWorkOrdersStore } from '../../../../client/src/features/workOrders/workOrders.store';
import { useI18nStore } from '../../../../client/src/i18n/i18n.store';
import { freshPiniaEachTest } from '../../pinia.fixtures';
import { kpiRow, kpisPush, resyncCity, resyncCityWithoutKpis, T0 } from '../workOrders/workOrders.fixtures';

describe('KpiGauges', () => {
  const pinia = freshPiniaEachTest(T0);

  const mountGauges = () => mount(KpiGauges, { global: { plugins: [pinia()], stubs: { WallChart: true } } });
  const kpi = (w: ReturnType<typeof mountGauges>, field: string) =>
    w.get(`[data-test="kpi-${field}"] dd`).text().replace(/\s+/g, ' ');
  const resynced = (city = kpiRow('all')) => resyncCity([], city);

  it('shows dashes, not zeros, before the first figures', () => {
    const w = mountGauges();
    for (const field of ['onTimeRate', 'closeRate', 'responseAvg', 'reworkRate', 'rating'])
      expect(kpi(w, field)).toBe('—');
  });

  it('formats the KPIs: rates in per cent, response in minutes, rating out of five', async () => {
    await resynced(kpiRow('all', { closeRate: 0.9372, onTimeRate: 0.8, reworkRate: 0.0625 }));
    const w = mountGauges();

    expect(kpi(w, 'closeRate')).toBe('93.7%');
    expect(kpi(w, 'onTimeRate')).toBe('80%');
    expect(kpi(w, 'reworkRate')).toBe('6.3%');
    expect(kpi(w, 'responseAvg')).toBe('7.5分钟');
    expect(kpi(w, 'rating')).toBe('4.6/5');
    expect(w.get('[data-test="kpi-closeRate"] dt').text()).toBe('结案率');
    expect(w.get('[data-test="kpi-onTimeRate"] dt').text()).toBe('按期结案率');
  });

  it('draws one gauge per KPI, filled to its value', async () => {
    await resynced(kpiRow('all', { onTimeRate: 0.8, closeRate: 0.5, responseAvgS: 600 }));
    const w = mountGauges();

    const values = w
      .findAllComponents(WallChart)
      .map(
        (c) => (c.props('option') as { series: { data: { value: number }[] }[] }).series[0]?.data[0]?.value,
      );
    expect(values).toEqual([80, 50, 10]);
  });

  it('shows a dash for a rate of nothing (no case due, none handled, none rated)', async () => {
    await resynced(
      kpiRow('all', {
        closeRate: null,
        onTimeRate: null,
        reworkRate: null,
        responseAvgS: null,
        ratingAvg: null,
      }),
    );
    const w = mountGauges();
    for (const field of ['closeRate', 'onTimeRate', 'reworkRate', 'responseAvg', 'rating'])
      expect(kpi(w, field)).toBe('—');
  });

  it('updates when the server pushes new figures', async () => {
    await resynced(kpiRow('all', { closeRate: 0.5 }));
    const w = mountGauges();

    useWorkOrdersStore().kpis(kpisPush(kpiRow('all', { closeRate: 0.75 })));
    await w.vm.$nextTick();

    expect(kpi(w, 'closeRate')).toBe('75%');
  });

  it('follows the language toggle', async () => {
    await resynced();
    const w = mountGauges();

    useI18nStore().setLocale('en');
    await w.vm.$nextTick();

    expect(w.get('[data-test="kpi-onTimeRate"] dt').text()).toBe('Closed on time');
    expect(kpi(w, 'responseAvg')).toBe('7.5min');
  });

  it('leaves the panel out for a role that may not read KPIs', async () => {
    await resyncCityWithoutKpis();
    const w = mountGauges();

    expect(w.find('[data-test="wall-kpis"]').exists()).toBe(false);
  });
});
