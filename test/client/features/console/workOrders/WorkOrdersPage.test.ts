// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '@shared/access';
import type { WorkOrder, WorkOrderDetail } from '@shared/schemas/workOrder.schema';
import { useAuthStore } from '../../../../../client/src/features/auth/auth.store';
import { useCityStore } from '../../../../../client/src/features/city/city.store';
import WorkOrdersPage from '../../../../../client/src/features/console/workOrders/WorkOrdersPage.vue';
import { useWorkOrdersStore } from '../../../../../client/src/features/workOrders/workOrders.store';
import { useI18nStore } from '../../../../../client/src/i18n/i18n.store';
import { apiError, deferred, refusal, respond, sessionInfo, stubApi } from '../../../auth.fixtures';
import type { SeenRequest } from '../../../auth.fixtures';
import { freshPiniaEachTest } from '../../../pinia.fixtures';
import {
  detailOf,
  detailRoute,
  entry,
  listAnswer,
  moved,
  OPEN_LIST,
  photo,
  suggestion,
  suggestRoute,
  T0,
  workOrder,
} from './consoleWorkOrders.fixtures';
import { maskedEntry, ROSTER_ROUTE, rosterAnswer, rosterEntry } from '../../workers/roster.fixtures';

type Routes = Record<string, (req: SeenRequest) => Response | Promise<Response>>;

describe('WorkOrdersPage', () => {
  const pinia = freshPiniaEachTest(T0);

  beforeEach(() => {
    useCityStore().districts = [{ id: '330106', name: { zh: '西湖区', en: 'Xihu' } }];
  });

  /** The page mounted for `role`, with the API answering `routes` (the session and the list included). */
  async function mountPage(routes: Routes, role: Role = 'operator') {
    const seen = stubApi({ 'GET /api/v1/auth/me': () => respond(sessionInfo(role)), ...routes });
    await useAuthStore().check();
    const w = mount(WorkOrdersPage, { global: { plugins: [pinia()] } });
    await flushPromises();
    return { w, seen };
  }

  /** The page with `order` open in the detail panel. */
  async function openCase(
    order: WorkOrder,
    routes: Routes = {},
    detail: Partial<WorkOrderDetail> = {},
    role: Role = 'operator',
  ) {
    const page = await mountPage(
      {
        [OPEN_LIST]: () => listAnswer([order]),
        [detailRoute(order.id)]: () => respond(detailOf(order, detail)),
        ...routes,
      },
      role,
    );
    await page.w.get(`[data-test="case-${order.id}"]`).trigger('click');
    await flushPromises();
    return page;
  }

  const posts = (seen: SeenRequest[]) => seen.filter((r) => r.method === 'POST');

  describe('case list', () => {
    it('lists the open cases with their state and district and highlights the overdue ones', async () => {
      const { w } = await mountPage({
        [OPEN_LIST]: () =>
          listAnswer(
            [
              workOrder('WO-1', { state: 'dispatched', createdAt: T0 - 60_000 }),
              workOrder('WO-2', {
                state: 'registered',
                overdueAt: T0 - 5_000,
                createdAt: T0 - 120_000,
                assigneeId: undefined,
              }),
            ],
            12,
          ),
      });

      const rows = w.findAll('[data-test^="case-WO-"]');
      expect(rows.map((r) => r.attributes('data-test'))).toEqual(['case-WO-1', 'case-WO-2']);
      expect(rows[0]!.get('[data-test="state"]').text()).toBe('已派遣');
      expect(rows[0]!.text()).toContain('西湖区');
      expect(rows[0]!.classes()).not.toContain('overdue');
      expect(rows[1]!.classes()).toContain('overdue');
      expect(rows[1]!.get('[data-test="overdue-tag"]').text()).toBe('超时');
      expect(rows[1]!.text()).toContain('未派遣');
      expect(w.get('[data-test="list-count"]').text()).toBe('显示 2 件，共 12 件');
    });

    it('asks for the chosen category, district and overdue cases', async () => {
      const { w, seen } = await mountPage({
        [OPEN_LIST]: () => listAnswer([]),
        'GET /api/v1/work-orders?state=registered,dispatched,accepted,handling,reported,returned,escalated&category=component.public-facility.manhole&limit=500':
          () => listAnswer([workOrder('WO-9')]),
        'GET /api/v1/work-orders?state=registered,dispatched,accepted,handling,reported,returned,escalated&category=component.public-facility.manhole&districtId=330106&overdue=true&limit=500':
          () => listAnswer([]),
      });
      expect(w.find('[data-test="list-empty"]').exists()).toBe(true);

      await w.get('[data-test="filter-category"]').setValue('component.public-facility.manhole');
      await flushPromises();
      expect(w.find('[data-test="case-WO-9"]').exists()).toBe(true);

      await w.get('[data-test="filter-district"]').setValue('330106');
      await w.get('[data-test="filter-overdue"]').setValue(true);
      await flushPromises();
      expect(seen.at(-1)?.path).toBe(
        '/api/v1/work-orders?state=registered,dispatched,accepted,handling,reported,returned,escalated&category=component.public-facility.manhole&districtId=330106&overdue=true&limit=500',
      );
      expect(w.find('[data-test="list-empty"]').exists()).toBe(true);
    });

    it('shows a case pushed to the wall store without asking the API again', async () => {
      const { w, seen } = await mountPage({ [OPEN_LIST]: () => listAnswer([]) });
      const before = seen.length;

      useWorkOrdersStore().created(workOrder('WO-NEW', { version: 1, state: 'registered' }));
      await flushPromises();

      expect(w.find('[data-test="case-WO-NEW"]').exists()).toBe(true);
      expect(seen.length).toBe(before);
    });
  });

  describe('case detail', () => {
    const handled = workOrder('WO-7', {
      version: 6,
      state: 'reported',
      photoIds: ['ph-1', 'ph-2'],
      timeline: [
        entry(1, 'register', null, 'registered', { by: 'system', byName: '系统' }),
        entry(2, 'dispatch', 'registered', 'dispatched', { assigneeId: 'W-0001' }),
        entry(3, 'accept', 'dispatched', 'accepted', { by: 'u-w1', byName: 'W-0001' }),
        entry(4, 'checkIn', 'accepted', 'handling', {
          by: 'u-w1',
          byName: 'W-0001',
          data: { method: 'proximity', distanceM: 35, accuracyM: 6 },
        }),
        entry(5, 'report', 'handling', 'reported', {
          by: 'u-w1',
          byName: 'W-0001',
          note: '井盖已复位',
          doneAt: T0 - 600_000,
          data: { photoIds: ['ph-1', 'ph-2'] },
        }),
        entry(6, 'overdue', 'reported', 'reported', {
          by: 'system',
          byName: '系统',
          data: { stage: 'verification' },
        }),
      ],
    });

    it('shows the full timeline newest first with Shanghai times, actors, transitions, notes and facts', async () => {
      const { w } = await openCase(handled);

      const entries = w.findAll('[data-test="timeline-entry"]');
      expect(entries).toHaveLength(6);
      const report = entries[1]!;
      expect(report.get('[data-test="entry-action"]').text()).toBe('处置反馈');
      expect(report.get('[data-test="entry-actor"]').text()).toBe('W-0001');
      expect(report.get('[data-test="entry-transition"]').text()).toBe('处置中 → 待核实');
      expect(report.get('[data-test="entry-note"]').text()).toBe('井盖已复位');
      expect(report.get('[data-test="entry-time"]').text()).toBe(
        '2026-11-21 15:59:00 · 离线完成于 2026-11-21 15:50:00',
      );
      expect(report.findAll('[data-test="entry-fact"]').map((f) => f.text())).toEqual(['2 张照片']);
      const checkIn = entries[2]!;
      expect(checkIn.findAll('[data-test="entry-fact"]').map((f) => f.text())).toEqual([
        '位置签到',
        '距现场 35 米',
        '定位精度 ±6 米',
      ]);
      // An overdue flag keeps the state: no transition shown.
      expect(entries[0]!.find('[data-test="entry-transition"]').exists()).toBe(false);
      expect(entries[0]!.text()).toContain('超时环节：核实');
    });

    it('shows the photos as thumbnails served by the API and says when some were withheld', async () => {
      const { w } = await openCase(
        handled,
        {},
        {
          photos: [photo('ph-1', 'WO-7'), photo('ph-2', 'WO-7')],
          photosWithheld: true,
        },
      );
      expect(w.findAll('[data-test="photo"]').map((img) => img.attributes('src'))).toEqual([
        '/api/v1/photos/ph-1',
        '/api/v1/photos/ph-2',
      ]);
      expect(w.find('[data-test="photos-withheld"]').exists()).toBe(true);
    });

    it('warns the verifier when the sensor is still breaching', async () => {
      const { w } = await openCase(handled, {}, { stillBreaching: true });
      expect(w.get('[data-test="still-breaching"]').text()).toContain('设备仍在超限');
    });

    it('moves on when a push brings a newer version of the open case', async () => {
      const { w } = await openCase(handled);
      const closed = moved(handled, 'closed', {
        timeline: [
          ...handled.timeline,
          entry(7, 'verify', 'reported', 'closed', { data: { result: 'pass' } }),
        ],
      });
      useWorkOrdersStore().updated({ order: closed, entry: closed.timeline.at(-1)! });
      await flushPromises();

      expect(w.get('[data-test="detail-state"]').text()).toBe('已结案');
      expect(w.findAll('[data-test="timeline-entry"]')[0]!.get('[data-test="entry-action"]').text()).toBe(
        '核实通过',
      );
    });

    it('offers no action to a role that may not dispatch', async () => {
      const { w } = await openCase(handled, {}, {}, 'viewer');
      expect(w.find('[data-test="case-detail"]').exists()).toBe(true);
      expect(w.find('[data-test="case-actions"]').exists()).toBe(false);
    });
  });

  describe('the people on a case', () => {
    const reassigned = workOrder('WO-8', {
      version: 4,
      state: 'accepted',
      assigneeId: 'W-0135',
      timeline: [
        entry(1, 'register', null, 'registered', { by: 'system', byName: '系统' }),
        entry(2, 'dispatch', 'registered', 'dispatched', { assigneeId: 'W-0142' }),
        entry(3, 'reassign', 'dispatched', 'dispatched', {
          assigneeId: 'W-0135',
          data: { reason: '就近处置', previousAssigneeId: 'W-0142' },
        }),
        entry(4, 'accept', 'dispatched', 'accepted', { by: 'u-w135', byName: 'W-0135' }),
      ],
    });
    const team = [rosterEntry('W-0135'), rosterEntry('W-0142', { name: '潘雪', phone: '13900001111' })];
    const maskedTeam = [maskedEntry('W-0135'), maskedEntry('W-0142', { name: '潘**', phone: '139****1111' })];

    it("shows the operator the assignee's name and a phone number to call", async () => {
      const { w } = await openCase(reassigned, { [ROSTER_ROUTE]: () => rosterAnswer(team) });

      const who = w.get('[data-test="case-assignee"]');
      expect(who.get('[data-test="case-assignee-name"]').text()).toBe('彭玲娜');
      expect(who.get('[data-test="fact-assignee"]').text()).toBe('W-0135');
      const phone = who.get('[data-test="case-assignee-phone"]');
      expect(phone.element.tagName).toBe('A');
      expect(phone.attributes('href')).toBe('tel:13812346493');
      expect(phone.text()).toBe('13812346493');
      expect(who.find('[data-test="case-assignee-masked"]').exists()).toBe(false);
    });

    it('shows a viewer the name and phone masked as the server sent them, tagged as masked', async () => {
      const { w } = await openCase(
        reassigned,
        { [ROSTER_ROUTE]: () => rosterAnswer(maskedTeam) },
        {},
        'viewer',
      );

      const who = w.get('[data-test="case-assignee"]');
      expect(who.get('[data-test="case-assignee-name"]').text()).toBe('彭**');
      const phone = who.get('[data-test="case-assignee-phone"]');
      expect(phone.element.tagName).not.toBe('A');
      expect(phone.text()).toBe('138****6493');
      expect(who.get('[data-test="case-assignee-masked"]').text()).toBe('已脱敏');
      expect(w.text()).not.toContain('彭玲娜');

      useI18nStore().setLocale('en');
      await flushPromises();
      expect(who.get('[data-test="case-assignee-masked"]').text()).toBe('masked');
    });

    it('names the workers in the timeline, keeping their roster ids', async () => {
      const { w } = await openCase(reassigned, { [ROSTER_ROUTE]: () => rosterAnswer(team) });

      const [accept, reassign, dispatch, register] = w.findAll('[data-test="timeline-entry"]');
      const actor = accept!.get('[data-test="entry-actor"]');
      expect(actor.text()).toBe('彭玲娜');
      expect(actor.attributes('title')).toBe('W-0135');
      expect(reassign!.findAll('[data-test="entry-fact"]').map((f) => f.text())).toEqual([
        '派给 彭玲娜（W-0135）',
        '原处置人 潘雪（W-0142）',
        '原因：就近处置',
      ]);
      expect(dispatch!.get('[data-test="entry-fact"]').text()).toBe('派给 潘雪（W-0142）');
      // Someone who is not a grid worker keeps the name they act under, with no tooltip.
      expect(register!.get('[data-test="entry-actor"]').text()).toBe('系统');
      expect(register!.get('[data-test="entry-actor"]').attributes('title')).toBeUndefined();
    });

    it('shows workers by roster id only when the roster is refused, and asks for it once', async () => {
      const other = workOrder('WO-9', { assigneeId: 'W-0142' });
      const { w, seen } = await mountPage({
        [OPEN_LIST]: () => listAnswer([reassigned, other]),
        [detailRoute('WO-8')]: () => respond(detailOf(reassigned)),
        [detailRoute('WO-9')]: () => respond(detailOf(other)),
        [ROSTER_ROUTE]: () => respond(apiError('forbidden', 'no'), 403),
      });
      await w.get('[data-test="case-WO-8"]').trigger('click');
      await flushPromises();

      expect(w.get('[data-test="case-assignee"]').text()).toBe('W-0135');
      expect(w.find('[data-test="case-assignee-name"]').exists()).toBe(false);
      expect(w.find('[data-test="case-assignee-phone"]').exists()).toBe(false);
      expect(w.findAll('[data-test="entry-actor"]')[0]!.text()).toBe('W-0135');

      await w.get('[data-test="case-WO-9"]').trigger('click');
      await flushPromises();
      expect(w.get('[data-test="fact-assignee"]').text()).toBe('W-0142');
      expect(seen.filter((r) => r.path === '/api/v1/workers')).toHaveLength(1);
    });
  });

  describe('dispatch', () => {
    const fresh = workOrder('WO-3', {
      version: 1,
      state: 'registered',
      assigneeId: undefined,
      timeline: [entry(1, 'register', null, 'registered')],
    });

    it('ranks the workers with their coverage, duty, skill, distance, load and reasons', async () => {
      const { w } = await openCase(fresh, {
        [suggestRoute('WO-3')]: () =>
          respond({
            items: [
              suggestion('W-0002', 2, {
                coverage: 'neighbour',
                onDuty: false,
                hasSkill: false,
                livePosition: false,
                distanceKm: 2.35,
              }),
              suggestion('W-0001', 1),
            ],
          }),
      });
      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();

      const first = w.get('[data-test="suggestion-W-0001"]');
      expect(w.findAll('[data-test^="suggestion-"]').map((s) => s.attributes('data-test'))).toEqual([
        'suggestion-W-0001',
        'suggestion-W-0002',
      ]);
      expect(first.get('[data-test="rank"]').text()).toBe('#1');
      expect(first.get('[data-test="coverage"]').text()).toBe('本网格');
      expect(first.get('[data-test="duty"]').text()).toBe('在岗');
      expect(first.get('[data-test="skill"]').text()).toBe('具备技能');
      expect(first.get('[data-test="load"]').text()).toBe('在办 0 件');
      expect(first.findAll('[data-test="reason"]').map((r) => r.text())).toEqual(['负责本网格', '在岗']);
      const second = w.get('[data-test="suggestion-W-0002"]');
      expect(second.get('[data-test="coverage"]').text()).toBe('相邻网格');
      expect(second.get('[data-test="duty"]').text()).toBe('非值班');
      expect(second.get('[data-test="skill"]').text()).toBe('无此技能');
      expect(second.get('[data-test="distance"]').text()).toBe('2.4 公里 驻点位置');

      useI18nStore().setLocale('en');
      await flushPromises();
      expect(first.findAll('[data-test="reason"]').map((r) => r.text())).toEqual([
        'covers the cell',
        'on duty',
      ]);
    });

    it('dispatches to the picked worker in one click, naming the version seen', async () => {
      const dispatched = moved(fresh, 'dispatched', { assigneeId: 'W-0001' });
      const { w, seen } = await openCase(fresh, {
        [suggestRoute('WO-3')]: () => respond({ items: [suggestion('W-0001', 1)] }),
        'POST /api/v1/work-orders/WO-3/dispatch': () => respond(dispatched),
      });
      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();
      await w.get('[data-test="hand-to-W-0001"]').trigger('click');
      await flushPromises();

      expect(posts(seen).map((r) => [r.path, r.body])).toEqual([
        ['/api/v1/work-orders/WO-3/dispatch', { assigneeId: 'W-0001', expectedVersion: 1 }],
      ]);
      expect(w.get('[data-test="detail-state"]').text()).toBe('已派遣');
      expect(w.get('[data-test="fact-assignee"]').text()).toBe('W-0001');
      expect(w.find('[data-test="dispatch-form"]').exists()).toBe(false);
    });

    it('shows the pending state on the picked worker while the dispatch is on its way', async () => {
      const answer = deferred<Response>();
      const { w } = await openCase(fresh, {
        [suggestRoute('WO-3')]: () => respond({ items: [suggestion('W-0001', 1), suggestion('W-0002', 2)] }),
        'POST /api/v1/work-orders/WO-3/dispatch': () => answer.promise,
      });
      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();
      await w.get('[data-test="hand-to-W-0002"]').trigger('click');
      await flushPromises();

      expect(w.get('[data-test="hand-to-W-0002"]').text()).toBe('提交中…');
      expect(w.get('[data-test="hand-to-W-0001"]').text()).toBe('派遣');
      expect(w.get('[data-test="hand-to-W-0001"]').attributes('disabled')).toBeDefined();

      answer.resolve(respond(moved(fresh, 'dispatched', { assigneeId: 'W-0002' })));
      await flushPromises();
      expect(w.find('[data-test="dispatch-form"]').exists()).toBe(false);
    });

    it('asks for a reason before reassigning and sends it', async () => {
      const accepted = workOrder('WO-4', { version: 3, state: 'accepted', assigneeId: 'W-0001' });
      const { w, seen } = await openCase(accepted, {
        [suggestRoute('WO-4')]: () => respond({ items: [suggestion('W-0001', 1), suggestion('W-0005', 2)] }),
        'POST /api/v1/work-orders/WO-4/reassign': () =>
          respond(moved(accepted, 'dispatched', { assigneeId: 'W-0005' })),
      });
      await w.get('[data-test="action-reassign"]').trigger('click');
      await flushPromises();
      // The current assignee cannot be picked again.
      expect(w.get('[data-test="hand-to-W-0001"]').attributes('disabled')).toBeDefined();

      await w.get('[data-test="hand-to-W-0005"]').trigger('click');
      await flushPromises();
      expect(w.find('[data-test="reason-missing"]').exists()).toBe(true);
      expect(posts(seen)).toEqual([]);

      await w.get('[data-test="reassign-reason"]').setValue('W-0001 请假');
      await w.get('[data-test="hand-to-W-0005"]').trigger('click');
      await flushPromises();
      expect(posts(seen).map((r) => r.body)).toEqual([
        { assigneeId: 'W-0005', reason: 'W-0001 请假', expectedVersion: 3 },
      ]);
    });

    it('shows a refusal inline with the field and reason the server named', async () => {
      const { w } = await openCase(fresh, {
        [suggestRoute('WO-3')]: () => respond({ items: [suggestion('W-0009', 1)] }),
        'POST /api/v1/work-orders/WO-3/dispatch': () =>
          refusal(403, 'forbidden', 'W-0009 is outside your districts', [
            {
              path: 'assigneeId',
              message: 'W-0009 is outside your districts',
              reason: 'outside-reach',
            },
          ]),
      });
      await w.get('[data-test="action-dispatch"]').trigger('click');
      await flushPromises();
      await w.get('[data-test="hand-to-W-0009"]').trigger('click');
      await flushPromises();

      const form = w.get('[data-test="dispatch-form"]');
      expect(form.get('[data-test="problem-message"]').text()).toBe('W-0009 is outside your districts');
      expect(form.get('[data-test="problem-detail"]').text()).toBe(
        'assigneeId: W-0009 is outside your districts (outside-reach)',
      );
    });
  });

  describe('verification and the other actions', () => {
    const reported = workOrder('WO-5', { version: 6, state: 'reported' });

    it('passes a case with the comment', async () => {
      const { w, seen } = await openCase(reported, {
        'POST /api/v1/work-orders/WO-5/verify': () => respond(moved(reported, 'closed')),
      });
      await w.get('[data-test="action-verify"]').trigger('click');
      await w.get('[data-test="verify-comment"]').setValue('现场已复核');
      await w.get('[data-test="verify-pass"]').trigger('click');
      await flushPromises();

      expect(posts(seen).map((r) => [r.path, r.body])).toEqual([
        ['/api/v1/work-orders/WO-5/verify', { result: 'pass', comment: '现场已复核', expectedVersion: 6 }],
      ]);
      expect(w.get('[data-test="detail-state"]').text()).toBe('已结案');
    });

    it('sends a case back for rework only with a comment', async () => {
      const { w, seen } = await openCase(reported, {
        'POST /api/v1/work-orders/WO-5/verify': () =>
          respond(moved(reported, 'handling', { reworkCount: 1 })),
      });
      await w.get('[data-test="action-verify"]').trigger('click');
      await w.get('[data-test="verify-fail"]').trigger('click');
      expect(w.get('[data-test="missing"]').text()).toBe('返工请写明意见');
      expect(posts(seen)).toEqual([]);

      await w.get('[data-test="verify-comment"]').setValue('井盖仍松动');
      await w.get('[data-test="verify-fail"]').trigger('click');
      await flushPromises();
      expect(posts(seen).map((r) => r.body)).toEqual([
        { result: 'fail', comment: '井盖仍松动', expectedVersion: 6 },
      ]);
      expect(w.get('[data-test="detail-state"]').text()).toBe('处置中');
    });

    it('shows the pending state while the verification is on its way', async () => {
      const answer = deferred<Response>();
      const { w } = await openCase(reported, {
        'POST /api/v1/work-orders/WO-5/verify': () => answer.promise,
      });
      await w.get('[data-test="action-verify"]').trigger('click');
      await w.get('[data-test="verify-pass"]').trigger('click');
      await flushPromises();

      expect(w.get('[data-test="verify-pass"]').text()).toBe('提交中…');
      expect(w.get('[data-test="verify-pass"]').attributes('disabled')).toBeDefined();
      expect(w.get('[data-test="verify-fail"]').attributes('disabled')).toBeDefined();

      answer.resolve(respond(moved(reported, 'closed')));
      await flushPromises();
      expect(w.find('[data-test="verify-form"]').exists()).toBe(false);
    });

    it('explains a conflict and fetches the case again', async () => {
      let detailCalls = 0;
      const { w } = await openCase(reported, {
        [detailRoute('WO-5')]: () => {
          detailCalls += 1;
          return respond(detailOf(reported));
        },
        'POST /api/v1/work-orders/WO-5/verify': () =>
          refusal(409, 'conflict', 'case WO-5 changed', [
            { path: '', message: 'case WO-5 changed', reason: 'version' },
          ]),
      });
      await w.get('[data-test="action-verify"]').trigger('click');
      await w.get('[data-test="verify-pass"]').trigger('click');
      await flushPromises();

      expect(w.get('[data-test="problem-hint"]').text()).toBe(
        '案卷已被他人更新，已刷新为最新状态，请重新确认',
      );
      expect(w.get('[data-test="problem-detail"]').text()).toBe('case WO-5 changed (version)');
      expect(detailCalls).toBe(2);
    });

    it('rates a closed case with stars and who gave them', async () => {
      const closed = workOrder('WO-6', { version: 8, state: 'closed' });
      const { w, seen } = await mountPage({
        [OPEN_LIST]: () => listAnswer([]),
        'GET /api/v1/work-orders?limit=500': () => listAnswer([closed]),
        [detailRoute('WO-6')]: () => respond(detailOf(closed)),
        'POST /api/v1/work-orders/WO-6/evaluate': () => respond(moved(closed, 'evaluated')),
      });
      await w.get('[data-test="filter-state"]').setValue('');
      await flushPromises();
      await w.get('[data-test="case-WO-6"]').trigger('click');
      await flushPromises();
      await w.get('[data-test="action-evaluate"]').trigger('click');
      await w.get('[data-test="stars-3"]').setValue(true);
      await w.get('[data-test="rated-by"]').setValue('supervisor');
      await w.get('[data-test="evaluate-comment"]').setValue('处置及时');
      await w.get('[data-test="evaluate-form"]').trigger('submit');
      await flushPromises();

      expect(posts(seen).map((r) => [r.path, r.body])).toEqual([
        [
          '/api/v1/work-orders/WO-6/evaluate',
          { stars: 3, by: 'supervisor', comment: '处置及时', expectedVersion: 8 },
        ],
      ]);
      expect(w.get('[data-test="detail-state"]').text()).toBe('已评价');
    });

    it('escalates to a department only with a department and a reason', async () => {
      const handling = workOrder('WO-8', { version: 4, state: 'handling' });
      const { w, seen } = await openCase(handling, {
        'POST /api/v1/work-orders/WO-8/escalate': () =>
          respond(moved(handling, 'escalated', { department: '市政设施中心' })),
      });
      await w.get('[data-test="action-escalate"]').trigger('click');
      await w.get('[data-test="escalate-form"]').trigger('submit');
      expect(w.get('[data-test="missing"]').text()).toBe('请填写转办部门');

      await w.get('[data-test="department"]').setValue('市政设施中心');
      await w.get('[data-test="escalate-reason"]').setValue('需开挖路面');
      await w.get('[data-test="escalate-form"]').trigger('submit');
      await flushPromises();
      expect(posts(seen).map((r) => [r.path, r.body])).toEqual([
        [
          '/api/v1/work-orders/WO-8/escalate',
          { department: '市政设施中心', reason: '需开挖路面', expectedVersion: 4 },
        ],
      ]);
      expect(w.get('[data-test="detail-state"]').text()).toBe('已转办');
    });

    it('cancels a case with a reason code and a note, and shows a 400 inline by field', async () => {
      const { w, seen } = await openCase(reported, {
        'POST /api/v1/work-orders/WO-5/cancel': () =>
          refusal(400, 'invalid_request', 'invalid body', [
            { path: 'note', message: 'Too big: expected string to have <=4000 characters' },
          ]),
      });
      await w.get('[data-test="action-cancel"]').trigger('click');
      await w.get('[data-test="cancel-reason"]').setValue('duplicate');
      await w.get('[data-test="cancel-note"]').setValue('与 WO-4 重复');
      await w.get('[data-test="cancel-form"]').trigger('submit');
      await flushPromises();

      expect(posts(seen).map((r) => r.body)).toEqual([
        { reason: 'duplicate', note: '与 WO-4 重复', expectedVersion: 6 },
      ]);
      expect(w.get('[data-test="problem-detail"]').text()).toBe(
        'note: Too big: expected string to have <=4000 characters',
      );
      // Still open: the operator can correct and send again.
      expect(w.find('[data-test="cancel-form"]').exists()).toBe(true);
    });

    it('adds a note without changing the state', async () => {
      const noted = moved(reported, 'reported', {
        timeline: [
          ...reported.timeline,
          entry(7, 'note', 'reported', 'reported', { note: '已电话联系市民' }),
        ],
      });
      const { w, seen } = await openCase(reported, {
        'POST /api/v1/work-orders/WO-5/note': () => respond(noted),
      });
      await w.get('[data-test="action-note"]').trigger('click');
      await w.get('[data-test="note-text"]').setValue('已电话联系市民');
      await w.get('[data-test="note-form"]').trigger('submit');
      await flushPromises();

      expect(posts(seen).map((r) => r.body)).toEqual([{ note: '已电话联系市民', expectedVersion: 6 }]);
      expect(w.findAll('[data-test="entry-note"]')[0]!.text()).toBe('已电话联系市民');
    });
  });
});
