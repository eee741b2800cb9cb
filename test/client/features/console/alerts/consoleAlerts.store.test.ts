import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { useConsoleAlertsStore } from '../../../../../client/src/features/console/alerts/consoleAlerts.store';
import { compareAlerts } from '../../../../../client/src/features/console/alerts/alertList';
import { useLiveStore } from '../../../../../client/src/features/live/live.store';
import { respond } from '../../../auth.fixtures';
import { snapshot } from '../../../live.fixtures';
import { alert, manyAlerts, stubRoutes, T0 } from './alerts.fixtures';

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

describe('useConsoleAlertsStore', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  function withOpen(alerts = manyAlerts(12)) {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ openAlerts: alerts }));
    return { live, list: useConsoleAlertsStore() };
  }

  it('lists the open alerts of the live store, most severe first, then newest', () => {
    const { list } = withOpen([
      alert('y-old', { severity: 'yellow', startsAt: T0 - 5_000 }),
      alert('r', { severity: 'red', startsAt: T0 - 9_000 }),
      alert('y-new', { severity: 'yellow', startsAt: T0 - 1_000 }),
    ]);
    expect(ids(list.rows)).toEqual(['r', 'y-new', 'y-old']);
  });

  it('narrows the list by level, state, district and category', () => {
    const { list } = withOpen([
      alert('a', {
        severity: 'red',
        districtId: '330106',
        labels: { sensorKind: 'air', subtype: 'aq-station' },
      }),
      alert('b', { severity: 'red', state: 'acknowledged', districtId: '330102' }),
      alert('c', {
        severity: 'blue',
        districtId: '330106',
        labels: { sensorKind: 'grid-event', subtype: 'manhole' },
      }),
    ]);

    list.setFilters({ severity: 'red' });
    expect(ids(list.rows)).toEqual(['a', 'b']);
    list.setFilters({ state: 'acknowledged' });
    expect(ids(list.rows)).toEqual(['b']);
    list.setFilters({ severity: null, state: null, districtId: '330106' });
    expect(ids(list.rows)).toEqual(['a', 'c']);
    list.setFilters({ category: 'subtype:manhole' });
    expect(ids(list.rows)).toEqual(['c']);
  });

  it('moves only the pushed alert: a new one goes to its place, a changed one moves, a resolved one leaves', async () => {
    const { live, list } = withOpen(manyAlerts(12));
    const before = list.rows;

    live.applyAlert(alert('new-red', { severity: 'red', startsAt: T0, updatedAt: T0 }));
    live.applyAlert({ ...before[11]!, severity: 'red', updatedAt: T0 });
    live.applyAlert({ ...before[0]!, state: 'resolved', resolvedAt: T0, updatedAt: T0 });
    await nextTick();

    const expected = [...live.openAlertsById.values()].sort(compareAlerts);
    expect(ids(list.rows)).toEqual(ids(expected));
    expect(ids(list.rows)[0]).toBe('new-red');
    expect(ids(list.rows)).not.toContain(before[0]!.id);
    // Alerts that did not change are the very same objects, in the same order.
    const untouched = before.slice(1, 11);
    expect(list.rows.filter((r) => untouched.includes(r))).toEqual(untouched);
  });

  it('keeps the filters when alerts are pushed', async () => {
    const { live, list } = withOpen(manyAlerts(8));
    list.setFilters({ severity: 'orange' });

    live.applyAlert(alert('o', { severity: 'orange', startsAt: T0, updatedAt: T0 }));
    live.applyAlert(alert('b', { severity: 'blue', startsAt: T0, updatedAt: T0 }));
    await nextTick();

    expect(list.rows.every((r) => r.severity === 'orange')).toBe(true);
    expect(ids(list.rows)[0]).toBe('o');
  });

  it('starts over from a new snapshot', async () => {
    const { live, list } = withOpen(manyAlerts(5));
    live.applySnapshot(snapshot({ openAlerts: manyAlerts(300).slice(100) }));
    await nextTick();
    expect(list.rows).toHaveLength(200);
    expect(list.rows).toEqual([...live.openAlertsById.values()].sort(compareAlerts));
  });

  it('searches the history with the server-side filters and applies the category here', async () => {
    const { list } = withOpen([]);
    const found = [
      alert('h1', {
        state: 'resolved',
        severity: 'red',
        districtId: '330106',
        labels: { sensorKind: 'air' },
      }),
      alert('h2', {
        state: 'resolved',
        severity: 'red',
        districtId: '330106',
        labels: { sensorKind: 'traffic' },
      }),
    ];
    const seen = stubRoutes({ 'GET /api/v1/alerts': () => respond({ items: found, total: 2 }) });
    list.setFilters({ districtId: '330106', severity: 'red', category: 'kind:traffic' });

    list.setMode('history');
    await vi.waitFor(() => expect(list.historyStatus).toBe('ready'));

    expect(seen).toHaveLength(1);
    expect(Object.fromEntries(seen[0]!.query)).toEqual({
      from: String(T0 - 86_400_000),
      limit: '1000',
      districtId: '330106',
      severity: 'red',
    });
    expect(ids(list.rows)).toEqual(['h2']);
  });

  it('updates a history row from a push, whatever its state, without searching again', async () => {
    const { live, list } = withOpen([]);
    const row = alert('h1', { state: 'firing', updatedAt: T0 - 1000 });
    const seen = stubRoutes({ 'GET /api/v1/alerts': () => respond({ items: [row], total: 1 }) });
    list.setMode('history');
    await vi.waitFor(() => expect(list.historyStatus).toBe('ready'));

    live.applyAlert({ ...row, state: 'resolved', resolvedAt: T0, updatedAt: T0 });

    expect(list.rows.map((r) => r.state)).toEqual(['resolved']);
    expect(seen).toHaveLength(1);
  });

  it('forgets the search and the filters on sign-out', async () => {
    const { live, list } = withOpen([]);
    stubRoutes({
      'GET /api/v1/alerts': () => respond({ items: [alert('h1', { state: 'closed' })], total: 1 }),
    });
    list.setFilters({ severity: 'orange' });
    list.setMode('history');
    await vi.waitFor(() => expect(list.rows).toHaveLength(1));

    live.clear();

    expect(list.mode).toBe('open');
    expect(list.filters.severity).toBeNull();
    expect(list.rows).toEqual([]);
    expect(list.historyAlert('h1')).toBeUndefined();
  });

  it('says why a history search failed', async () => {
    const { list } = withOpen([]);
    stubRoutes({
      'GET /api/v1/alerts': () => respond({ error: { code: 'forbidden', message: 'no', details: [] } }, 403),
    });
    list.setMode('history');
    await vi.waitFor(() => expect(list.historyStatus).toBe('failed'));
    expect(list.historyError?.status).toBe(403);
  });

  it('drops a resolved or closed state filter when going back to the open alerts', () => {
    const { list } = withOpen(manyAlerts(4));
    stubRoutes({ 'GET /api/v1/alerts': () => respond({ items: [], total: 0 }) });
    list.setMode('history');
    list.setFilters({ state: 'closed' });
    list.setMode('open');
    expect(list.filters.state).toBeNull();
    expect(list.rows).toHaveLength(4);
  });
});
