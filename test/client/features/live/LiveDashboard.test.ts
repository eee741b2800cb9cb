// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import LiveDashboard from '../../../../client/src/features/live/LiveDashboard.vue';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import { useVitalsStore } from '../../../../client/src/features/vitals/vitals.store';
import WallChart from '../../../../client/src/features/wall/WallChart.vue';
import { snapshot, T0 } from '../../live.fixtures';
import { vitals } from '../vitals/vitals.fixtures';

describe('LiveDashboard', () => {
  let pinia: Pinia;

  beforeEach(() => {
    pinia = createPinia();
    setActivePinia(pinia);
  });

  function mountDashboard(isLive: boolean) {
    return mount(LiveDashboard, {
      props: { isLive },
      // The canvas charts and the WebGL map have no place in a DOM emulation; their builders are tested
      // on their own, the map in Chromium (test/e2e/map.browser.test.ts).
      global: { plugins: [pinia], stubs: { RateSparkline: true, LiveMap: true, WallChart: true } },
    });
  }

  it('shows dashes before any data', () => {
    const w = mountDashboard(false);
    expect(w.get('[data-test="rate"] [data-test="value"]').text()).toBe('—');
    expect(w.get('[data-test="kind-traffic"] [data-test="value"]').text()).toBe('—');
  });

  it('shows the counters of the snapshot', () => {
    useLiveStore().applySnapshot(snapshot());
    const w = mountDashboard(true);
    const value = (name: string) => w.get(`[data-test="${name}"] [data-test="value"]`).text();
    expect(value('rate')).toBe('121'); // 120.5, whole numbers from 100 up
    expect(value('kind-traffic')).toBe('600');
    expect(value('kind-air')).toBe('200');
    expect(value('kind-weather')).toBe('150');
    expect(value('kind-grid-event')).toBe('50');
    expect(value('rejected')).toBe('7');
    expect(value('connections')).toBe('3');
    expect(value('alerts')).toBe('1');
    expect(value('sensors').replace(/\s+/g, ' ')).toBe('1/ 4');
    expect(w.find('[data-test="not-live"]').exists()).toBe(false);
  });

  it('lists the latest readings with units', () => {
    useLiveStore().applySnapshot(snapshot({ serverTime: T0 }));
    const w = mountDashboard(true);
    const rows = w.findAll('[data-test="recent-row"]');
    expect(rows).toHaveLength(2);
    expect(rows[0]?.text()).toContain('传感器t1');
    expect(rows[0]?.text()).toContain('交通');
    expect(rows[0]?.text()).toContain('km/h');
    expect(rows[0]?.text()).toContain('15:59:50');
  });

  it("counts sensors online by the server's vitals once they are in, with the share on the ring", async () => {
    const s = snapshot({
      vitals: vitals({ sensors: { ...vitals().sensors, total: 1_277, online: 1_250, onlinePct: 97.9 } }),
    });
    useLiveStore().applySnapshot(s);
    useVitalsStore().applySnapshot(s);
    const w = mountDashboard(true);

    expect(w.get('[data-test="sensors"] [data-test="value"]').text().replace(/\s+/g, ' ')).toBe(
      '1,250/ 1,277',
    );
    const ring = w.get('[data-test="sensors"]').findComponent(WallChart);
    const option = ring.props('option') as { series: { data: { value: number }[] }[] };
    expect(option.series[0]?.data[0]?.value).toBe(97.9);
  });

  it('puts every panel of the wall around the map', () => {
    useLiveStore().applySnapshot(snapshot());
    const w = mountDashboard(true);
    for (const panel of [
      'wall-traffic',
      'wall-air',
      'wall-grid-events',
      'wall-timeline',
      'alert-feed',
      'work-orders',
      'wall-kpis',
    ])
      expect(w.find(`[data-test="${panel}"]`).exists(), panel).toBe(true);
    expect(w.find('[data-test="recent-row"]').exists()).toBe(true);
  });

  it('says the data is not live when told so', () => {
    const w = mountDashboard(false);
    expect(w.get('[data-test="not-live"]').text()).toBe('数据非实时');
    expect(w.classes()).toContain('is-not-live');
  });
});
