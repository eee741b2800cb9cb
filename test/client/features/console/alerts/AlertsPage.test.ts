// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import AlertsPage from '../../../../../client/src/features/console/alerts/AlertsPage.vue';
import { useAuthStore } from '../../../../../client/src/features/auth/auth.store';
import { useCityStore } from '../../../../../client/src/features/city/city.store';
import { useLiveStore } from '../../../../../client/src/features/live/live.store';
import { respond, sessionInfo } from '../../../auth.fixtures';
import { snapshot } from '../../../live.fixtures';
import { freshPiniaEachTest } from '../../../pinia.fixtures';
import { alert, manyAlerts, stubRoutes, T0 } from './alerts.fixtures';

describe('AlertsPage', () => {
  const pinia = freshPiniaEachTest(T0);

  beforeEach(() => {
    const auth = useAuthStore();
    auth.session = sessionInfo('operator');
    auth.status = 'signed-in';
    useCityStore().districts = [
      { id: '330102', name: { zh: '上城区', en: 'Shangcheng' } },
      { id: '330106', name: { zh: '西湖区', en: 'Xihu' } },
    ];
  });
  afterEach(() => {
    document.body.innerHTML = '';
  });

  function mountPage(alerts = manyAlerts(5)) {
    useLiveStore().applySnapshot(snapshot({ openAlerts: alerts }));
    return mount(AlertsPage, {
      attachTo: document.body,
      global: { plugins: [pinia()], stubs: { AlertEvidenceChart: true } },
    });
  }

  const rowIds = (w: ReturnType<typeof mountPage>) =>
    w.findAll('.alert-row').map((r) => r.attributes('data-test')?.replace('alert-row-', ''));

  it('renders a bounded window of rows for 1,000 open alerts', () => {
    const w = mountPage(manyAlerts(1000));

    const rows = w.findAll('[role="listitem"]');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]?.attributes('aria-setsize')).toBe('1000');
    expect(w.get('[data-test="alerts-summary"]').text()).toBe('当前告警 1000 条');
    // The spacer is as tall as every row together, so the scrollbar is true.
    const spacer = w.get('.spacer').element as HTMLElement;
    const rowHeight = parseFloat((rows[0]!.element as HTMLElement).style.height);
    expect(parseFloat(spacer.style.height)).toBe(1000 * rowHeight);
  });

  it('renders the rows under the scroll position', async () => {
    const w = mountPage(manyAlerts(1000));
    const rowHeight = parseFloat((w.get('[role="listitem"]').element as HTMLElement).style.height);
    const box = w.get('[data-test="alert-list"]').element as HTMLElement;

    box.scrollTop = 500 * rowHeight;
    box.dispatchEvent(new Event('scroll'));
    await nextTick();

    const positions = w.findAll('[role="listitem"]').map((r) => Number(r.attributes('aria-posinset')));
    expect(positions).toContain(501);
    expect(Math.min(...positions)).toBeGreaterThan(480);
    expect(positions.length).toBeLessThan(40);
  });

  it('shows the pushed alert at its place without redrawing the rows that stayed', async () => {
    const w = mountPage(manyAlerts(8));
    const kept = w.get('[data-test="alert-row-a7"]').element;

    useLiveStore().applyAlert(alert('fresh', { severity: 'red', startsAt: T0, updatedAt: T0 }));
    await nextTick();

    expect(rowIds(w)[0]).toBe('fresh');
    expect(w.get('[data-test="alert-row-a7"]').element).toBe(kept);
  });

  it('sorts by level then time and shows level, title, district and state in Chinese', () => {
    const w = mountPage([
      alert('y', { severity: 'yellow', startsAt: T0 - 1000, districtId: '330106' }),
      alert('r', {
        severity: 'red',
        startsAt: T0 - 9000,
        state: 'acknowledged',
        title: { zh: '积水', en: 'Water' },
      }),
    ]);

    expect(rowIds(w)).toEqual(['r', 'y']);
    const first = w.get('[data-test="alert-row-r"]');
    expect(first.get('.level').text()).toBe('红色');
    expect(first.get('.title').text()).toContain('积水');
    expect(first.get('.state').text()).toBe('已确认');
    // 16:00 in Shanghai is 08:00 UTC.
    expect(first.get('.time').text()).toBe('11-21 15:59:51');
    expect(w.get('[data-test="alert-row-y"] .district').text()).toBe('西湖区');
  });

  it('filters by district, category, level and state from the toolbar', async () => {
    const w = mountPage([
      alert('a', {
        severity: 'red',
        districtId: '330106',
        labels: { sensorKind: 'grid-event', subtype: 'manhole' },
      }),
      alert('b', { severity: 'red', districtId: '330102', state: 'acknowledged' }),
      alert('c', { severity: 'blue', districtId: '330106' }),
    ]);

    await w.get('[data-test="filter-level"]').setValue('red');
    expect(rowIds(w)).toEqual(['a', 'b']);
    await w.get('[data-test="filter-district"]').setValue('330106');
    expect(rowIds(w)).toEqual(['a']);
    await w.get('[data-test="filter-category"]').setValue('subtype:waterlogging');
    expect(w.find('.alert-row').exists()).toBe(false);
    expect(w.get('[data-test="alerts-empty"]').text()).toBe('没有符合条件的告警');
    await w.get('[data-test="filter-category"]').setValue('');
    await w.get('[data-test="filter-district"]').setValue('');
    await w.get('[data-test="filter-state"]').setValue('acknowledged');
    expect(rowIds(w)).toEqual(['b']);
  });

  it('searches the history when switched to it', async () => {
    const seen = stubRoutes({
      'GET /api/v1/alerts': () =>
        respond({ items: [alert('old', { state: 'closed', severity: 'blue' })], total: 1 }),
    });
    const w = mountPage();

    await w.get('[data-test="mode-history"]').trigger('click');
    await flushPromises();

    expect(seen.map((s) => s.path)).toEqual(['/api/v1/alerts']);
    expect(rowIds(w)).toEqual(['old']);
    expect(w.get('[data-test="alert-row-old"] .state').text()).toBe('已关闭');
    expect(w.get('[data-test="alerts-summary"]').text()).toBe('查到 1 条');
  });

  it('opens the drawer on a row, closes it with Esc and gives focus back to the row', async () => {
    stubRoutes({
      'GET /api/v1/alerts/a4': () => respond({ alert: alert('a4'), events: [] }),
      'GET /api/v1/sensors/s4/history': () => respond({ points: [] }),
    });
    const w = mountPage();
    const row = w.get('[data-test="alert-row-a4"]');

    (row.element as HTMLElement).focus();
    await row.trigger('click');
    await flushPromises();

    const drawer = w.get('[data-test="alert-drawer"]');
    expect(drawer.attributes('role')).toBe('dialog');
    expect(document.activeElement).toBe(w.get('[data-test="drawer-title"]').element);
    expect(row.attributes('aria-current')).toBe('true');

    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await flushPromises();

    expect(w.find('[data-test="alert-drawer"]').exists()).toBe(false);
    expect(document.activeElement).toBe(w.get('[data-test="alert-row-a4"]').element);
  });

  it('passes a case link up to the console shell', async () => {
    stubRoutes({ 'GET /api/v1/alerts/a0': () => respond({ alert: alert('a0'), events: [] }) });
    const w = mountPage([
      alert('a0', { workOrderId: 'WO-20261121-0001', subject: { type: 'area', id: 'f' } }),
    ]);
    await w.get('[data-test="alert-row-a0"]').trigger('click');
    await flushPromises();

    await w.get('[data-test="drawer-work-order"]').trigger('click');

    expect(w.emitted('openWorkOrder')).toEqual([['WO-20261121-0001']]);
  });
});
