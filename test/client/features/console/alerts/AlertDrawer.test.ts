// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role } from '@shared/access';
import type { Alert } from '@shared/schemas/alert.schema';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import AlertDrawer from '../../../../../client/src/features/console/alerts/AlertDrawer.vue';
import AlertEvidenceChart from '../../../../../client/src/features/console/alerts/AlertEvidenceChart.vue';
import { useAlertDetailStore } from '../../../../../client/src/features/console/alerts/alertDetail.store';
import { useAuthStore } from '../../../../../client/src/features/auth/auth.store';
import { useLiveStore } from '../../../../../client/src/features/live/live.store';
import { useWorkOrdersStore } from '../../../../../client/src/features/workOrders/workOrders.store';
import { deferred, refusal, respond, sessionInfo } from '../../../auth.fixtures';
import { sensor, snapshot } from '../../../live.fixtures';
import { freshPiniaEachTest } from '../../../pinia.fixtures';
import { workOrder } from '../../workOrders/workOrders.fixtures';
import { alert, stubRoutes, T0 } from './alerts.fixtures';
import type { Seen } from './alerts.fixtures';

// The map engine needs WebGL: the drawer's map stands in as an element naming the alert it was given.
vi.mock('../../../../../client/src/features/map/LiveMap.vue', async () => {
  const { defineComponent, h } = await import('vue');
  return {
    // The async component loader takes `default` only from what says it is an ES module.
    __esModule: true,
    default: defineComponent({
      props: { focusAlert: { type: Object, default: null } },
      setup: (props) => () =>
        h('div', { 'data-test': 'live-map-stub', 'data-alert': (props.focusAlert as Alert | null)?.id }),
    }),
  };
});

const MIN = 60_000;
const HOUR = 60 * MIN;

const water = alert('al1', {
  title: { zh: '道路积水 · 文三路', en: 'Waterlogging · Wensan Rd' },
  severity: 'orange',
  metric: 'waterDepth',
  value: 31.5,
  subject: { type: 'sensor', id: 'WL-1' },
  ruleId: 'grid-waterlogging',
  ruleVersion: 3,
  startsAt: T0 - 10 * MIN,
  firingAt: T0 - 8 * MIN,
  updatedAt: T0 - 8 * MIN,
  districtId: '330106',
  detail: { threshold: 27 },
});

const events = [
  { at: T0 - 10 * MIN, type: 'pending', actor: 'system', data: { severity: 'orange', value: 28 } },
  { at: T0 - 8 * MIN, type: 'firing', actor: 'system', data: { severity: 'orange', value: 31.5 } },
];
const points = [
  { t: T0 - 20 * MIN, min: 10, avg: 10, max: 10, count: 1 },
  { t: T0 - 9 * MIN, min: 29, avg: 29, max: 29, count: 1 },
];

describe('AlertDrawer', () => {
  const pinia = freshPiniaEachTest(T0);

  beforeEach(() => signIn('operator'));
  afterEach(() => {
    document.body.innerHTML = '';
  });

  function signIn(role: Role): void {
    const auth = useAuthStore();
    auth.session = sessionInfo(role);
    auth.status = 'signed-in';
  }

  /** The server for one alert: its detail, its readings, and what the test adds. */
  function server(a: Alert, extra: Record<string, (req: Seen) => Response | Promise<Response>> = {}): Seen[] {
    return stubRoutes({
      [`GET /api/v1/alerts/${a.id}`]: () => respond({ alert: a, events }),
      'GET /api/v1/sensors/WL-1/history': (req) =>
        respond({
          sensorId: 'WL-1',
          metric: req.query.get('metric'),
          unit: 'cm',
          resolution: 'raw',
          bucketMs: 0,
          from: Number(req.query.get('from')),
          to: Number(req.query.get('to')),
          points,
        }),
      ...extra,
    });
  }

  async function openDrawer(a: Alert = water) {
    useLiveStore().applySnapshot(snapshot({ openAlerts: [a] }));
    const w = mount(AlertDrawer, {
      attachTo: document.body,
      global: { plugins: [pinia()], stubs: { AlertEvidenceChart: true } },
    });
    await useAlertDetailStore().open(a.id, a);
    await flushPromises();
    return w;
  }

  describe('details and evidence', () => {
    it('shows the level, title, state, rule version, value and Shanghai times', async () => {
      server(water);
      const w = await openDrawer();

      expect(w.get('[data-test="drawer-level"]').text()).toBe('橙色');
      expect(w.get('[data-test="drawer-title"]').text()).toBe('道路积水 · 文三路');
      expect(w.get('[data-test="drawer-state"]').text()).toBe('告警中');
      expect(w.get('[data-test="drawer-rule"]').text()).toBe('grid-waterlogging · 第 3 版');
      expect(w.get('[data-test="drawer-value"]').text()).toBe('积水深度 31.5 cm');
      expect(w.get('[data-test="drawer-starts"]').text()).toBe('2026-11-21 15:50:00');
      expect(
        (w.get('[data-test="alert-drawer"]').element as HTMLElement).style.getPropertyValue('--sev'),
      ).toBe('#f97316');

      await w.get('[data-test="drawer-rule"]').trigger('click');
      expect(w.emitted('openRule')).toEqual([['grid-waterlogging']]);
    });

    it('loads the readings from an hour before the alert until now and hands them to the chart', async () => {
      const seen = server(water);
      const w = await openDrawer();

      const history = seen.find((s) => s.path === '/api/v1/sensors/WL-1/history');
      expect(Object.fromEntries(history?.query ?? [])).toEqual({
        metric: 'waterDepth',
        from: String(T0 - 10 * MIN - HOUR),
        to: String(T0),
      });
      const chart = w.getComponent(AlertEvidenceChart);
      expect(chart.props('points')).toEqual(points);
      expect(chart.props('range')).toEqual({ from: T0 - 10 * MIN - HOUR, to: T0 });
      expect(chart.props('alert')).toMatchObject({ id: 'al1', detail: { threshold: 27 } });
    });

    it('ends the readings half an hour after a resolved alert', async () => {
      const resolved = {
        ...water,
        state: 'resolved' as const,
        resolvedAt: T0 - 2 * HOUR,
        startsAt: T0 - 3 * HOUR,
      };
      const seen = server(resolved);
      await openDrawer(resolved);

      const history = seen.find((s) => s.path === '/api/v1/sensors/WL-1/history');
      expect(history?.query.get('from')).toBe(String(T0 - 4 * HOUR));
      expect(history?.query.get('to')).toBe(String(T0 - 2 * HOUR + 30 * MIN));
    });

    it('says why a derived metric has no chart, and asks for no readings', async () => {
      const aqi = { ...water, metric: 'aqi' };
      const seen = server(aqi);
      const w = await openDrawer(aqi);

      expect(w.get('[data-test="evidence-none"]').text()).toContain('AQI');
      expect(seen.some((s) => s.path.includes('/history'))).toBe(false);
      expect(w.findComponent(AlertEvidenceChart).exists()).toBe(false);
    });

    it("lists the alert's events with their Chinese names", async () => {
      server(water);
      const w = await openDrawer();

      const rows = w.findAll('[data-test="drawer-event"]');
      expect(rows.map((r) => r.get('.what').text())).toEqual(['待触发', '触发']);
      expect(rows[1]?.get('.when').text()).toBe('2026-11-21 15:52:00');
      expect(rows[1]?.get('.who').text()).toBe('系统');
      expect(rows[1]?.get('.note').text()).toBe('橙色 · 31.5');
    });

    it('lists the other alerts of its incident, and opens one on click', async () => {
      const grouped = { ...water, incidentId: 'inc-1' };
      const other = alert('al2', {
        title: { zh: '井盖倾斜', en: 'Cover tilt' },
        severity: 'red',
        subject: { type: 'area', id: 'x' },
      });
      server(grouped, {
        'GET /api/v1/incidents/inc-1': () =>
          respond({
            incident: { id: 'inc-1', title: { zh: '道路积水等 2 条告警', en: '2 alerts' } },
            alerts: [grouped, other],
          }),
        'GET /api/v1/alerts/al2': () => respond({ alert: other, events: [] }),
      });
      const w = await openDrawer(grouped);

      const related = w.findAll('[data-test="related-alert"]');
      expect(related.map((r) => r.get('.title').text())).toEqual(['井盖倾斜']);
      expect(w.get('[data-test="drawer-incident"] h3').text()).toContain('道路积水等 2 条告警');

      await related[0]!.trigger('click');
      await flushPromises();
      expect(w.get('[data-test="drawer-title"]').text()).toBe('井盖倾斜');
    });

    it('follows a pushed update of the alert', async () => {
      server(water);
      const w = await openDrawer();

      useLiveStore().applyAlert({
        ...water,
        state: 'acknowledged',
        updatedAt: T0,
        acknowledged: { at: T0, by: 'u-operator', byName: '张值班', comment: '已通知排水' },
      });
      await flushPromises();

      expect(w.get('[data-test="drawer-state"]').text()).toBe('已确认');
      expect(w.get('[data-test="drawer-acknowledged"]').text()).toContain('张值班：已通知排水');
      expect(w.find('[data-test="action-acknowledge"]').exists()).toBe(false);
    });
  });

  it('keeps showing an alert that resolved while open, in its new state', async () => {
    server(water);
    const w = await openDrawer();

    useLiveStore().applyAlert({ ...water, state: 'resolved', resolvedAt: T0, updatedAt: T0 });
    await flushPromises();

    expect(useLiveStore().openAlertsById.has('al1')).toBe(false);
    expect(w.get('[data-test="drawer-state"]').text()).toBe('已解除');
    expect(w.find('[data-test="action-silence"]').exists()).toBe(false);
  });

  it('closes on sign-out', async () => {
    server(water);
    await openDrawer();

    useLiveStore().clear();

    expect(useAlertDetailStore().alertId).toBeNull();
  });

  describe('map', () => {
    /** The async map resolves a few ticks after the drawer. */
    async function mapOf(w: Awaited<ReturnType<typeof openDrawer>>) {
      await vi.waitFor(() => expect(w.find('[data-test="live-map-stub"]').exists()).toBe(true));
      return w.get('[data-test="alert-drawer-map"] [data-test="live-map-stub"]');
    }

    it("shows a small map of the alert's site with the alert on it", async () => {
      const placed = { ...water, location: [120.15, 30.25] as [number, number] };
      server(placed);
      const w = await openDrawer(placed);

      expect((await mapOf(w)).attributes('data-alert')).toBe('al1');
    });

    it("places an alert without a location at its sensor's", async () => {
      server(water);
      useLiveStore().applySnapshot(
        snapshot({
          sensors: [{ ...sensor('WL-1', 'grid-event'), location: [120.1, 30.2] }],
          openAlerts: [water],
        }),
      );
      const w = mount(AlertDrawer, {
        attachTo: document.body,
        global: { plugins: [pinia()], stubs: { AlertEvidenceChart: true } },
      });
      await useAlertDetailStore().open(water.id, water);
      await flushPromises();

      expect((await mapOf(w)).attributes('data-alert')).toBe('al1');
    });

    it('says so when the alert cannot be placed', async () => {
      server(water);
      const w = await openDrawer();

      expect(w.get('[data-test="alert-drawer-map-none"]').text()).toBe('该告警没有位置信息');
      expect(w.find('[data-test="alert-drawer-map"]').exists()).toBe(false);
    });
  });

  describe('acknowledge', () => {
    it('asks for a comment before sending anything', async () => {
      const seen = server(water);
      const w = await openDrawer();

      await w.get('[data-test="action-acknowledge"]').trigger('click');
      await w.get('[data-test="acknowledge-form"]').trigger('submit');

      expect(w.get('[data-test="acknowledge-comment-error"]').text()).toBe('请填写确认说明');
      expect(w.get('[data-test="acknowledge-comment"]').attributes('aria-invalid')).toBe('true');
      expect(seen.filter((s) => s.method === 'POST')).toEqual([]);
    });

    it('sends the comment and shows the new history entry', async () => {
      const seen = server(water, {
        'POST /api/v1/alerts/al1/acknowledge': () => respond({ ...water, state: 'acknowledged' }),
      });
      const w = await openDrawer();
      await w.get('[data-test="action-acknowledge"]').trigger('click');
      await w.get('[data-test="acknowledge-comment"]').setValue('  已通知排水公司  ');

      await w.get('[data-test="acknowledge-form"]').trigger('submit');
      await flushPromises();

      const post = seen.find((s) => s.method === 'POST');
      expect(post).toMatchObject({
        path: '/api/v1/alerts/al1/acknowledge',
        body: { comment: '已通知排水公司' },
      });
      expect(w.get('[data-test="acknowledge-done"]').text()).toBe('已确认');
      expect(w.find('[data-test="acknowledge-form"]').exists()).toBe(false);
      // The history is asked for again (the acknowledgement is an entry now); the list is not.
      expect(seen.filter((s) => s.path === '/api/v1/alerts/al1')).toHaveLength(2);
      expect(seen.some((s) => s.path === '/api/v1/alerts')).toBe(false);
    });

    it("shows the server's refusal of the comment next to the field", async () => {
      server(water, {
        'POST /api/v1/alerts/al1/acknowledge': () =>
          refusal(400, 'invalid_request', 'invalid body', [
            { path: 'comment', message: 'Too big: expected string to have <=1000 characters' },
          ]),
      });
      const w = await openDrawer();
      await w.get('[data-test="action-acknowledge"]').trigger('click');
      await w.get('[data-test="acknowledge-comment"]').setValue('长'.repeat(1001));

      await w.get('[data-test="acknowledge-form"]').trigger('submit');
      await flushPromises();

      expect(w.get('[data-test="acknowledge-comment-error"]').text()).toBe(
        '确认说明不符合要求：Too big: expected string to have <=1000 characters',
      );
      expect(w.get('[data-test="acknowledge-comment"]').attributes('aria-invalid')).toBe('true');
      expect(w.find('[data-test="acknowledge-error"]').exists()).toBe(false);
    });

    it('puts a refusal of the action itself in words', async () => {
      server(water, {
        'POST /api/v1/alerts/al1/acknowledge': () =>
          refusal(409, 'conflict', 'is resolved; only a firing alert can be acknowledged', []),
      });
      const w = await openDrawer();
      await w.get('[data-test="action-acknowledge"]').trigger('click');
      await w.get('[data-test="acknowledge-comment"]').setValue('收到');

      await w.get('[data-test="acknowledge-form"]').trigger('submit');
      await flushPromises();

      const error = w.get('[data-test="acknowledge-error"]');
      expect(error.attributes('role')).toBe('alert');
      expect(error.text()).toContain('状态已变化，操作未生效');
      expect(error.text()).toContain('only a firing alert can be acknowledged');
    });

    it('disables the button while the request is on its way', async () => {
      const answer = deferred<Response>();
      server(water, { 'POST /api/v1/alerts/al1/acknowledge': () => answer.promise });
      const w = await openDrawer();
      await w.get('[data-test="action-acknowledge"]').trigger('click');
      await w.get('[data-test="acknowledge-comment"]').setValue('收到');

      await w.get('[data-test="acknowledge-form"]').trigger('submit');

      const submit = w.get('[data-test="acknowledge-submit"]');
      expect(submit.attributes('disabled')).toBeDefined();
      expect(submit.text()).toBe('提交中…');
      answer.resolve(respond({ ...water, state: 'acknowledged' }));
      await flushPromises();
    });
  });

  describe('silence', () => {
    it("silences this alert's rule and subject for the chosen time, with the reason", async () => {
      const seen = server(water, {
        'POST /api/v1/silences': (req) =>
          respond(
            {
              id: 'sil-1',
              state: 'active',
              ...(req.body as object),
              createdBy: 'u',
              createdByName: '张',
              createdAt: T0,
              updatedAt: T0,
            },
            201,
          ),
      });
      const w = await openDrawer();
      await w.get('[data-test="action-silence"]').trigger('click');
      await w.get('[data-test="silence-4h"]').setValue(true);
      await w.get('[data-test="silence-comment"]').setValue('排水泵检修');

      await w.get('[data-test="silence-form"]').trigger('submit');
      await flushPromises();

      expect(seen.find((s) => s.method === 'POST')).toEqual({
        method: 'POST',
        path: '/api/v1/silences',
        query: new URLSearchParams(),
        body: {
          matchers: { ruleId: ['grid-waterlogging'], subjectId: ['WL-1'], sensorId: ['WL-1'] },
          schedule: { type: 'once', startsAt: T0, endsAt: T0 + 4 * HOUR },
          comment: '排水泵检修',
        },
      });
      // 12:00 UTC is 20:00 in Shanghai.
      expect(w.get('[data-test="silence-done"]').text()).toBe('已静默至 11-21 20:00');
    });

    it('offers until 08:00 tomorrow morning, with its date', async () => {
      server(water);
      const w = await openDrawer();
      await w.get('[data-test="action-silence"]').trigger('click');

      expect(w.get('[data-test="silence-morning"]').element.parentElement?.textContent?.trim()).toBe(
        '至明早 08:00（11-22 08:00）',
      );
    });

    it('asks for a reason before sending anything', async () => {
      const seen = server(water);
      const w = await openDrawer();
      await w.get('[data-test="action-silence"]').trigger('click');

      await w.get('[data-test="silence-form"]').trigger('submit');

      expect(w.get('[data-test="silence-comment-error"]').text()).toBe('请填写静默原因');
      expect(seen.some((s) => s.method === 'POST')).toBe(false);
    });
  });

  describe('dispatch', () => {
    const order = (overrides: Partial<WorkOrder> = {}): WorkOrder =>
      workOrder('WO-20261121-0008', {
        state: 'dispatched',
        assigneeId: 'W-0003',
        alertId: 'al1',
        ...overrides,
      });
    const suggestion = (workerId: string, name: string, rank: number) => ({
      workerId,
      name,
      rank,
      score: rank,
      coverage: 'cell',
      onDuty: true,
      hasSkill: true,
      distanceKm: 0.4 * rank,
      livePosition: true,
      load: 0,
      reasons: [{ zh: '负责该网格', en: 'covers the cell' }],
    });

    it('dispatches in one click to the worker the server picks, and says whom', async () => {
      const seen = server(water, {
        'POST /api/v1/alerts/al1/dispatch': () => respond(order(), 201),
        'GET /api/v1/work-orders/WO-20261121-0008/suggestions': () =>
          respond({ items: [suggestion('W-0003', '王*', 1), suggestion('W-0007', '李*', 2)] }),
      });
      const w = await openDrawer();

      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();

      expect(seen.find((s) => s.method === 'POST')).toMatchObject({
        path: '/api/v1/alerts/al1/dispatch',
        body: {},
      });
      const done = w.get('[data-test="dispatch-done"]');
      expect(done.text()).toContain('已派单给网格员 王*（W-0003）');
      await done.get('[data-test="dispatch-case"]').trigger('click');
      expect(w.emitted('openWorkOrder')).toEqual([['WO-20261121-0008']]);
      // The chosen worker cannot be chosen again; the next one can.
      expect(w.get('[data-test="suggestion-W-0003"] input').attributes('disabled')).toBeDefined();
      expect(w.get('[data-test="suggestion-W-0007"] input').attributes('disabled')).toBeUndefined();
    });

    it('reassigns the new case to another suggested worker with a reason', async () => {
      const seen = server(water, {
        'POST /api/v1/alerts/al1/dispatch': () => respond(order({ version: 3 }), 201),
        'GET /api/v1/work-orders/WO-20261121-0008/suggestions': () =>
          respond({ items: [suggestion('W-0003', '王*', 1), suggestion('W-0007', '李*', 2)] }),
        'POST /api/v1/work-orders/WO-20261121-0008/reassign': () =>
          respond(order({ version: 4, assigneeId: 'W-0007' })),
      });
      const w = await openDrawer();
      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();

      await w.get('[data-test="suggestion-W-0007"] input').setValue(true);
      await w.get('[data-test="reassign-reason"]').setValue('王师傅在处理另一起积水');
      await w.get('[data-test="reassign-form"]').trigger('submit');
      await flushPromises();

      expect(seen.filter((s) => s.method === 'POST').at(-1)).toMatchObject({
        path: '/api/v1/work-orders/WO-20261121-0008/reassign',
        body: { assigneeId: 'W-0007', reason: '王师傅在处理另一起积水', expectedVersion: 3 },
      });
      expect(w.get('[data-test="dispatch-done"]').text()).toContain('李*（W-0007）');
    });

    it('hands a case that found nobody suitable to a suggested worker, without a reason', async () => {
      const waiting = order({ state: 'registered', assigneeId: undefined, version: 2 });
      const seen = server(water, {
        'POST /api/v1/alerts/al1/dispatch': () => respond(waiting, 201),
        'GET /api/v1/work-orders/WO-20261121-0008/suggestions': () =>
          respond({ items: [suggestion('W-0009', '赵*', 1)] }),
        'POST /api/v1/work-orders/WO-20261121-0008/dispatch': () => respond(order({ assigneeId: 'W-0009' })),
      });
      const w = await openDrawer();
      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();
      expect(w.get('[data-test="dispatch-done"]').text()).toContain('等待人工派遣');
      expect(w.find('[data-test="reassign-reason"]').exists()).toBe(false);

      await w.get('[data-test="suggestion-W-0009"] input').setValue(true);
      await w.get('[data-test="reassign-form"]').trigger('submit');
      await flushPromises();

      expect(seen.filter((s) => s.method === 'POST').at(-1)).toMatchObject({
        path: '/api/v1/work-orders/WO-20261121-0008/dispatch',
        body: { assigneeId: 'W-0009', expectedVersion: 2 },
      });
      expect(w.get('[data-test="dispatch-done"]').text()).toContain('赵*（W-0009）');
    });

    it('names the case already handling the alert when the dispatch is refused with 409', async () => {
      server(water, {
        'POST /api/v1/alerts/al1/dispatch': () =>
          refusal(409, 'conflict', 'alert al1 is already being handled as case WO-20261121-0002 (accepted)', [
            {
              path: '',
              message: 'alert al1 is already being handled as case WO-20261121-0002 (accepted)',
              reason: 'already-dispatched',
            },
          ]),
      });
      const w = await openDrawer();

      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();

      const conflict = w.get('[data-test="dispatch-conflict"]');
      expect(conflict.text()).toContain('该告警已在处置中');
      expect(conflict.get('[data-test="dispatch-existing"]').text()).toBe('WO-20261121-0002');
      expect(w.find('[data-test="dispatch-done"]').exists()).toBe(false);
      await conflict.get('[data-test="dispatch-existing"]').trigger('click');
      expect(w.emitted('openWorkOrder')).toEqual([['WO-20261121-0002']]);
    });

    it('shows the dispatch as pending until the server answers', async () => {
      const answer = deferred<Response>();
      server(water, {
        'POST /api/v1/alerts/al1/dispatch': () => answer.promise,
        'GET /api/v1/work-orders/WO-20261121-0008/suggestions': () => respond({ items: [] }),
      });
      const w = await openDrawer();

      await w.get('[data-test="action-dispatch"]').trigger('click');

      const button = w.get('[data-test="action-dispatch"]');
      expect(button.attributes('disabled')).toBeDefined();
      expect(button.text()).toBe('派单中…');
      answer.resolve(respond(order(), 201));
      await flushPromises();
      expect(w.get('[data-test="action-dispatch"]').text()).toBe('已派单');
    });

    it('says 已派单 once dispatched, sends no second dispatch, and opens the case instead', async () => {
      const seen = server(water, {
        'POST /api/v1/alerts/al1/dispatch': () => respond(order(), 201),
        'GET /api/v1/work-orders/WO-20261121-0008/suggestions': () =>
          respond({ items: [suggestion('W-0003', '王*', 1)] }),
      });
      const w = await openDrawer();

      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();
      const button = w.get('[data-test="action-dispatch"]');
      expect(button.text()).toBe('已派单');
      expect(button.attributes('disabled')).toBeDefined();
      await button.trigger('click');
      await flushPromises();
      expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);

      const open = w.get('[data-test="action-open-case"]');
      expect(open.text()).toBe('查看案卷');
      await open.trigger('click');
      expect(w.emitted('openWorkOrder')).toEqual([['WO-20261121-0008']]);
    });

    it('shows an alert whose case is open as dispatched when the drawer opens', async () => {
      const linked = { ...water, state: 'acknowledged' as const, workOrderId: 'WO-20261121-0002' };
      useWorkOrdersStore().created(workOrder('WO-20261121-0002', { state: 'accepted', alertId: 'al1' }));
      const seen = server(linked);
      const w = await openDrawer(linked);

      expect(w.get('[data-test="action-dispatch"]').text()).toBe('已派单');
      expect(w.get('[data-test="action-dispatch"]').attributes('disabled')).toBeDefined();
      await w.get('[data-test="action-open-case"]').trigger('click');
      expect(w.emitted('openWorkOrder')).toEqual([['WO-20261121-0002']]);
      expect(seen.some((s) => s.method === 'POST')).toBe(false);
    });

    it('offers 派单 again for an alert whose linked case is no longer open', async () => {
      const linked = { ...water, workOrderId: 'WO-20261121-0002' };
      server(linked, { 'POST /api/v1/alerts/al1/dispatch': () => respond(order(), 201) });
      const w = await openDrawer(linked);

      const button = w.get('[data-test="action-dispatch"]');
      expect(button.text()).toBe('派单');
      expect(button.attributes('disabled')).toBeUndefined();
      expect(w.find('[data-test="action-open-case"]').exists()).toBe(false);
    });

    it('turns 派单 into 已派单 with the existing case after a 409 naming it', async () => {
      server(water, {
        'POST /api/v1/alerts/al1/dispatch': () =>
          refusal(409, 'conflict', 'alert al1 is already being handled as case WO-20261121-0002 (accepted)', [
            { path: '', message: 'already being handled', reason: 'already-dispatched' },
          ]),
      });
      const w = await openDrawer();

      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();

      expect(w.get('[data-test="action-dispatch"]').attributes('disabled')).toBeDefined();
      await w.get('[data-test="action-open-case"]').trigger('click');
      expect(w.emitted('openWorkOrder')).toEqual([['WO-20261121-0002']]);
    });

    it('lays each suggested worker out as name and id, then the reasons one by one, the assignee marked', async () => {
      server(water, {
        'POST /api/v1/alerts/al1/dispatch': () => respond(order(), 201),
        'GET /api/v1/work-orders/WO-20261121-0008/suggestions': () =>
          respond({
            items: [
              {
                ...suggestion('W-0003', '王*', 1),
                load: 1,
                reasons: [
                  { zh: '负责该网格', en: 'covers the cell' },
                  { zh: '具备技能：积水', en: 'skill: waterlogging' },
                  { zh: '在办 1 件', en: '1 open case' },
                ],
              },
              suggestion('W-0007', '李*', 2),
            ],
          }),
      });
      const w = await openDrawer();
      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();

      const first = w.get('[data-test="suggestion-W-0003"]');
      expect(first.get('.who').text()).toBe('王*（W-0003）');
      expect(first.findAll('[data-test="suggestion-reason"]').map((r) => r.text())).toEqual([
        '负责该网格',
        '具备技能：积水',
        '在办 1 件',
      ]);
      expect(first.get('.why').text()).toBe('负责该网格 · 具备技能：积水 · 在办 1 件');
      expect(first.get('[data-test="suggestion-current"]').text()).toBe('当前处置人');
      expect(w.get('[data-test="suggestion-W-0007"]').find('[data-test="suggestion-current"]').exists()).toBe(
        false,
      );
    });

    it('says when nobody could be reached at all, and lets the operator try again', async () => {
      server(water, {
        'POST /api/v1/alerts/al1/dispatch': () => Promise.reject(new TypeError('Failed to fetch')),
      });
      const w = await openDrawer();

      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();

      expect(w.get('[data-test="dispatch-error"]').text()).toContain('无法连接服务器');
      expect(w.get('[data-test="action-dispatch"]').text()).toBe('派单');
      expect(w.get('[data-test="action-dispatch"]').attributes('disabled')).toBeUndefined();
    });
  });

  it('offers no actions to a viewer', async () => {
    signIn('viewer');
    server(water);
    const w = await openDrawer();

    expect(w.find('[data-test="alert-actions"]').exists()).toBe(false);
  });
});
