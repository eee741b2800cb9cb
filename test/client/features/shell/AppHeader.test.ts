// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useConnectionStore } from '../../../../client/src/features/connection/connection.store';
import { freshnessOf } from '../../../../client/src/features/live/freshness';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import AppHeader from '../../../../client/src/features/shell/AppHeader.vue';
import { useI18nStore } from '../../../../client/src/i18n/i18n.store';
import { snapshot, stats, T0 } from '../../live.fixtures';

describe('AppHeader', () => {
  let pinia: Pinia;

  beforeEach(() => {
    pinia = createPinia();
    setActivePinia(pinia);
  });

  function mountAt(nowMs: number, lastObservedAt: number | null) {
    return mount(AppHeader, {
      props: { nowMs, freshness: freshnessOf(lastObservedAt, nowMs) },
      global: { plugins: [pinia] },
    });
  }

  it('shows the platform name, the Shanghai clock and the data age', () => {
    useLiveStore().applySnapshot(snapshot());
    const w = mountAt(T0, T0 - 3000);
    expect(w.text()).toContain('城市运行一网统管');
    expect(w.text()).toContain('CityOps');
    expect(w.get('[data-test="clock"]').text()).toContain('16:00:00');
    expect(w.get('[data-test="freshness"]').text()).toBe('数据 3 秒前');
    expect(w.find('[data-test="stale"]').exists()).toBe(false);
  });

  it('marks data older than a minute as STALE', () => {
    const w = mountAt(T0, T0 - 61_000);
    expect(w.get('[data-test="freshness"]').classes()).toContain('is-stale');
    expect(w.get('[data-test="stale"]').text()).toContain('STALE');
  });

  it('shows the SIMULATED badge only while the feed is simulated', async () => {
    const live = useLiveStore();
    live.applyStats(stats({ simulated: false }));
    const w = mountAt(T0, T0);
    expect(w.find('[data-test="simulated"]').exists()).toBe(false);
    live.applyStats(stats({ simulated: true }));
    await w.vm.$nextTick();
    expect(w.get('[data-test="simulated"]').text()).toContain('模拟数据');
    expect(w.get('[data-test="simulated"]').text()).toContain('SIMULATED');
  });

  it('shows the connection state', async () => {
    const w = mountAt(T0, null);
    expect(w.get('[data-test="connection"]').text()).toBe('连接中');
    useConnectionStore().markConnected(false);
    await w.vm.$nextTick();
    expect(w.get('[data-test="connection"]').text()).toBe('已连接');
    useConnectionStore().markReconnecting('transport close');
    await w.vm.$nextTick();
    expect(w.get('[data-test="connection"]').classes()).toContain('is-reconnecting');
    expect(w.get('[data-test="connection"]').text()).toBe('重连中');
  });

  it('switches to English with the language button', async () => {
    const w = mountAt(T0, T0 - 3000);
    await w.get('button.lang').trigger('click');
    expect(useI18nStore().locale).toBe('en');
    expect(w.get('[data-test="freshness"]').text()).toBe('Data 3 s ago');
    expect(w.text()).toContain('Unified City Operations');
  });
});
