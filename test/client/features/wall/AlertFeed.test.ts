// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useCityStore } from '../../../../client/src/features/city/city.store';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import AlertFeed, { ALERT_FEED_REFRESH_MS } from '../../../../client/src/features/wall/AlertFeed.vue';
import { useI18nStore } from '../../../../client/src/i18n/i18n.store';
import { alert, sensor, snapshot, T0 } from '../../live.fixtures';
import { freshPiniaEachTest } from '../../pinia.fixtures';

const MIN = 60_000;

describe('AlertFeed', () => {
  const pinia = freshPiniaEachTest(T0, 'timers');
  beforeEach(() => {
    useCityStore().districts = [{ id: '330106', name: { zh: '西湖区', en: 'Xihu' } }];
  });

  const mountFeed = (maxRows?: number) =>
    mount(AlertFeed, { props: maxRows === undefined ? {} : { maxRows }, global: { plugins: [pinia()] } });
  const ids = (w: ReturnType<typeof mountFeed>) =>
    w.findAll('[data-test="alert-feed-row"]').map((r) => r.attributes('data-alert-id'));

  it('lists the open alerts newest first, with level, title, place and Asia/Shanghai time', () => {
    useLiveStore().applySnapshot(
      snapshot({
        sensors: [sensor('s1', 'air')],
        openAlerts: [
          alert('old', { startsAt: T0 - 10 * MIN, firingAt: T0 - 9 * MIN, severity: 'blue' }),
          alert('new', {
            startsAt: T0 - 2 * MIN,
            firingAt: T0 - MIN,
            severity: 'red',
            districtId: '330106',
            title: { zh: 'PM2.5 超标', en: 'PM2.5 high' },
          }),
        ],
      }),
    );
    const w = mountFeed();

    expect(w.find('[data-test="alert-feed"]').exists()).toBe(true);
    expect(ids(w)).toEqual(['new', 'old']);
    const first = w.get('[data-test="alert-feed-row"]');
    expect(first.attributes('data-severity')).toBe('red');
    expect(first.classes()).toContain('sev-red');
    expect(first.get('.level').text()).toBe('红色');
    expect(first.get('.title').text()).toBe('PM2.5 超标');
    expect(first.get('.place').text()).toBe('西湖区 · 传感器s1');
    expect(first.get('.time').text()).toBe('15:59:00');
    expect(w.get('[data-test="alert-feed-count"]').text()).toBe('2');
  });

  it('keeps a bounded number of rows however many alerts are open', () => {
    const openAlerts = Array.from({ length: 40 }, (_, i) => alert(`a${i}`, { startsAt: T0 - i * 1000 }));
    useLiveStore().applySnapshot(snapshot({ openAlerts }));
    const w = mountFeed(12);

    expect(ids(w)).toHaveLength(12);
    expect(ids(w)[0]).toBe('a0');
    expect(w.get('[data-test="alert-feed-count"]').text()).toBe('40');
  });

  it('leaves muted alerts off and marks acknowledged ones', () => {
    useLiveStore().applySnapshot(
      snapshot({
        openAlerts: [
          alert('muted', { suppressed: { by: 'inhibition', id: 'x', reason: '停电' } }),
          alert('acked', {
            state: 'acknowledged',
            acknowledged: { at: T0, by: 'u1', byName: '张值班', comment: '' },
          }),
        ],
      }),
    );
    const w = mountFeed();

    expect(ids(w)).toEqual(['acked']);
    expect(w.get('[data-test="alert-feed-row"]').classes()).toContain('acknowledged');
    expect(w.get('[data-test="alert-feed-row"] .state').text()).toBe('已确认');
  });

  it('says so when no alert is open', () => {
    useLiveStore().applySnapshot(snapshot({ openAlerts: [] }));
    const w = mountFeed();
    expect(ids(w)).toEqual([]);
    expect(w.get('[data-test="alert-feed-none"]').text()).toBe('当前无告警');
  });

  it('puts a raised alert on top at the next redraw and leaves the other rows untouched', async () => {
    const live = useLiveStore();
    live.applySnapshot(
      snapshot({
        openAlerts: [alert('a1', { startsAt: T0 - MIN }), alert('a2', { startsAt: T0 - 2 * MIN })],
      }),
    );
    const w = mountFeed();
    const before = w.findAll('[data-test="alert-feed-row"]').map((r) => r.element);
    const changes: MutationRecord[] = [];
    const observer = new MutationObserver((records) => changes.push(...records));
    for (const row of before)
      observer.observe(row, { subtree: true, childList: true, characterData: true, attributes: true });

    live.applyAlert(alert('a3', { startsAt: T0, severity: 'red' }));
    await vi.advanceTimersByTimeAsync(ALERT_FEED_REFRESH_MS);
    await w.vm.$nextTick();

    expect(ids(w)).toEqual(['a3', 'a1', 'a2']);
    const after = w.findAll('[data-test="alert-feed-row"]').map((r) => r.element);
    expect(after.slice(1)).toEqual(before);
    expect(after[1]).toBe(before[0]);
    await Promise.resolve();
    observer.disconnect();
    expect(changes).toEqual([]);
  });

  it('redraws an alert storm at most once per interval', async () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ openAlerts: [] }));
    const w = mountFeed();

    // The first change after a quiet spell is drawn at once…
    live.applyAlert(alert('first', { startsAt: T0 }));
    await w.vm.$nextTick();
    expect(ids(w)).toEqual(['first']);

    // …the storm right behind it waits for the end of the interval, then is drawn in one go.
    for (let i = 0; i < 50; i += 1) {
      live.applyAlert(alert(`storm${i}`, { startsAt: T0 + 1000 + i }));
      await w.vm.$nextTick();
    }
    await vi.advanceTimersByTimeAsync(ALERT_FEED_REFRESH_MS - 1);
    expect(ids(w)).toEqual(['first']);

    await vi.advanceTimersByTimeAsync(1);
    expect(ids(w)[0]).toBe('storm49');
  });

  it('follows the language toggle', async () => {
    useLiveStore().applySnapshot(
      snapshot({
        sensors: [sensor('s1', 'air')],
        openAlerts: [alert('a', { severity: 'yellow', districtId: '330106' })],
      }),
    );
    const w = mountFeed();

    useI18nStore().setLocale('en');
    await w.vm.$nextTick();

    const row = w.get('[data-test="alert-feed-row"]');
    expect(row.get('.level').text()).toBe('Yellow');
    expect(row.get('.title').text()).toBe('Alert');
    expect(row.get('.place').text()).toBe('Xihu · Sensor s1');
  });
});
