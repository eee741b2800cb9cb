// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { useConnectionStore } from '../../../../client/src/features/connection/connection.store';
import { freshnessOf } from '../../../../client/src/features/live/freshness';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import AppHeader from '../../../../client/src/features/shell/AppHeader.vue';
import { useI18nStore } from '../../../../client/src/i18n/i18n.store';
import { respond, sessionInfo, stubApi } from '../../auth.fixtures';
import { snapshot, stats, T0 } from '../../live.fixtures';

describe('AppHeader', () => {
  let pinia: Pinia;

  beforeEach(() => {
    pinia = createPinia();
    setActivePinia(pinia);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear(); // the language choice persists
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

  it("shows the signed-in user's name and role, in the chosen language", async () => {
    stubApi({ 'GET /api/v1/auth/me': () => respond(sessionInfo('supervisor', '李值班长')) });
    await useAuthStore().check();
    const w = mountAt(T0, T0);
    expect(w.get('[data-test="user-name"]').text()).toBe('李值班长');
    expect(w.get('[data-test="user-role"]').text()).toBe('值班长');
    await w.get('button.lang').trigger('click');
    expect(w.get('[data-test="user-role"]').text()).toBe('Supervisor');
    expect(w.get('[data-test="sign-out"]').text()).toBe('Sign out');
  });

  it('signs out with the 退出 button', async () => {
    const seen = stubApi({
      'GET /api/v1/auth/me': () => respond(sessionInfo()),
      'POST /api/v1/auth/logout': () => respond(null, 204),
    });
    const auth = useAuthStore();
    await auth.check();
    const w = mountAt(T0, T0);
    const button = w.get('[data-test="sign-out"]');
    expect(button.text()).toBe('退出');

    await button.trigger('click');

    await vi.waitFor(() => expect(auth.status).toBe('signed-out'));
    expect(seen.map((r) => `${r.method} ${r.path}`)).toContain('POST /api/v1/auth/logout');
    await w.vm.$nextTick();
    expect(w.find('[data-test="user"]').exists()).toBe(false);
  });
});
