import { describe, expect, it } from 'vitest';
import {
  WorkOrderSchema,
  type KpiRow,
  type TimelineEntry,
  type WorkOrder,
  type WorkOrderAction,
  type WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import { computeKpis, type KpiOptions } from '../../../../server/src/domain/workOrders/kpi';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** November 2026 in Asia/Shanghai. */
const FROM = Date.parse('2026-11-01T00:00:00+08:00');
const TO = Date.parse('2026-12-01T00:00:00+08:00');
const CELL_A = '110105001001001';
const CELL_B = '110105001001002';
const CELL_C = '110108002003004';

/** Minutes after the case's registration, or `{ at, doneAt }` for an action done offline and synced later. */
type When = number | { at: number; doneAt: number };

/**
 * Builds one case entry by entry, tracking its state so every entry moves from the state the
 * previous one left. Times are minutes after registration.
 */
class CaseBuilder {
  private readonly timeline: TimelineEntry[] = [];
  private state: WorkOrderState = 'registered';
  private assigneeId: string | undefined;

  constructor(
    private readonly id: string,
    private readonly createdAt: number,
    private readonly over: Partial<WorkOrder>,
  ) {
    this.push('register', 0, 'registered');
  }

  dispatch(when: When, worker: string) {
    this.assigneeId = worker;
    return this.push('dispatch', when, 'dispatched', { assigneeId: worker });
  }
  reassign(when: When, worker: string) {
    this.assigneeId = worker;
    return this.push('reassign', when, 'dispatched', { assigneeId: worker });
  }
  accept(when: When) {
    return this.push('accept', when, 'accepted');
  }
  return(when: When) {
    return this.push('return', when, 'returned', { data: { reason: 'wrong-location' } });
  }
  checkIn(when: When) {
    return this.push('checkIn', when, 'handling', { data: { method: 'qr' } });
  }
  report(when: When) {
    return this.push('report', when, 'reported');
  }
  verify(when: When, result: 'pass' | 'fail') {
    return this.push('verify', when, result === 'pass' ? 'closed' : 'handling', { data: { result } });
  }
  evaluate(when: When, stars: number, by: 'citizen' | 'supervisor') {
    return this.push('evaluate', when, 'evaluated', { data: { stars, by } });
  }
  escalate(when: When) {
    return this.push('escalate', when, 'escalated', { data: { department: '市政管委' } });
  }
  cancel(when: When) {
    return this.push('cancel', when, 'cancelled', { data: { reason: 'duplicate' } });
  }
  overdue(when: When, stage: string) {
    return this.push('overdue', when, this.state, { data: { stage } });
  }
  /** Dispatch, accept, check in, report and pass, at the given minutes. */
  closedAt(dispatch: number, accept: number, checkIn: number, report: number, verify: number, worker = 'w1') {
    return this.dispatch(dispatch, worker)
      .accept(accept)
      .checkIn(checkIn)
      .report(report)
      .verify(verify, 'pass');
  }

  build(): WorkOrder {
    const last = this.timeline[this.timeline.length - 1] as TimelineEntry;
    return WorkOrderSchema.parse({
      id: this.id,
      version: this.timeline.length,
      source: 'operator',
      category: 'component.public-facility.manhole',
      urgency: 'normal',
      state: this.state,
      title: `Case ${this.id}`,
      location: [116.4, 39.9],
      gridCellId: CELL_A,
      districtId: '110105',
      assigneeId: this.assigneeId,
      createdAt: this.createdAt,
      updatedAt: last.at,
      stage: null,
      dueAt: null,
      overdueAt: null,
      deadlineAt: this.createdAt + 480 * MINUTE,
      reworkCount: this.timeline.filter((e) => e.action === 'verify' && e.data?.result === 'fail').length,
      photoIds: [],
      ...this.over,
      timeline: this.timeline,
    });
  }

  private push(
    action: WorkOrderAction,
    when: When,
    to: WorkOrderState,
    extra: Pick<TimelineEntry, 'assigneeId' | 'data'> = {},
  ) {
    const at = this.createdAt + (typeof when === 'number' ? when : when.at) * MINUTE;
    const doneAt = typeof when === 'number' ? undefined : this.createdAt + when.doneAt * MINUTE;
    const system = action === 'overdue';
    this.timeline.push({
      seq: this.timeline.length + 1,
      at,
      ...(doneAt === undefined ? {} : { doneAt }),
      action,
      by: system ? 'system' : 'u1',
      byName: system ? 'System' : 'Operator',
      from: action === 'register' ? null : this.state,
      to,
      ...extra,
    });
    this.state = to;
    return this;
  }
}

const kase = (id: string, createdAt: number, over: Partial<WorkOrder> = {}) =>
  new CaseBuilder(id, createdAt, over);

const opts = (over: Partial<KpiOptions> = {}): KpiOptions => ({
  from: FROM,
  to: TO,
  groupBy: 'all',
  period: 'day',
  ...over,
});

/** The single row of an `all` grouping. */
function all(orders: WorkOrder[], over: Partial<KpiOptions> = {}): KpiRow {
  const rows = computeKpis(orders, opts(over));
  expect(rows).toHaveLength(1);
  return rows[0] as KpiRow;
}

/** `key → figure` of every row, for comparing groupings at a glance. */
const byKey = (rows: KpiRow[], figure: keyof KpiRow) =>
  Object.fromEntries(rows.map((r) => [r.key, r[figure]]));

/**
 * A county month matching the published report (DOMAIN.md §6): 立案 996, 应结案 972, 结案 911,
 * 按期结案 737; plus cases registered outside the window, which must not count.
 */
function countyMonth(): WorkOrder[] {
  const orders: WorkOrder[] = [];
  const created = (i: number) => FROM + i * 40 * MINUTE;
  const afterWindow = { deadlineAt: TO + DAY };
  for (let i = 0; i < 996; i++) {
    const c = kase(
      `c${i}`,
      created(i),
      i >= 637 && i < 737 ? afterWindow : i >= 972 && i < 992 ? afterWindow : {},
    );
    if (i < 637)
      c.closedAt(5, 10, 30, 120, 180); // on time, deadline (480 min) passed before `to`
    else if (i < 737)
      c.closedAt(5, 10, 30, 120, 180); // on time, deadline after `to`: due because closed
    else if (i < 911)
      c.closedAt(5, 10, 30, 600, 660); // reported after the deadline
    else if (i < 961)
      c.dispatch(5, 'w1').accept(10).checkIn(30); // deadline passed, still on site
    else if (i < 972)
      c.dispatch(5, 'w1').accept(10).checkIn(30).report(120).verify(180, 'fail'); // reworked, open
    else if (i < 992)
      c.dispatch(5, 'w1').accept(10); // open, deadline after `to`: not due yet
    else c.cancel(20); // 作废: registered, never due
    orders.push(c.build());
  }
  // Registered before the window and closed in it; registered after it.
  for (let i = 0; i < 5; i++)
    orders.push(
      kase(`old${i}`, FROM - DAY)
        .closedAt(5, 10, 30, 1500, 1560)
        .build(),
    );
  for (let i = 0; i < 3; i++)
    orders.push(
      kase(`new${i}`, TO + i * MINUTE)
        .closedAt(1, 2, 3, 4, 5)
        .build(),
    );
  return orders;
}

describe('computeKpis', () => {
  describe('closure rates', () => {
    it('reproduces the county report: 结案率 93.72%, 按期结案率 75.82%', () => {
      expect(all(countyMonth())).toMatchObject({
        registered: 996,
        due: 972,
        closed: 911,
        closedOnTime: 737,
        closeRate: 0.9372,
        onTimeRate: 0.7582,
      });
    });

    it('counts a case closed after its deadline as closed but not on time', () => {
      const late = kase('a', FROM, { deadlineAt: FROM + 60 * MINUTE })
        .closedAt(5, 10, 20, 90, 100)
        .build();
      expect(all([late])).toMatchObject({ due: 1, closed: 1, closedOnTime: 0, closeRate: 1, onTimeRate: 0 });
    });

    it('judges on time by the report that passed verification, not an earlier rejected one', () => {
      const reworkedLate = kase('a', FROM, { deadlineAt: FROM + 60 * MINUTE })
        .dispatch(5, 'w1')
        .accept(10)
        .checkIn(20)
        .report(40)
        .verify(50, 'fail')
        .report(90)
        .verify(100, 'pass')
        .build();
      expect(all([reworkedLate])).toMatchObject({ closed: 1, closedOnTime: 0 });
    });

    it('counts a case still open after its deadline as due but not closed', () => {
      const open = kase('a', FROM).dispatch(5, 'w1').accept(10).build();
      expect(all([open])).toMatchObject({ registered: 1, due: 1, closed: 0, closeRate: 0 });
    });

    it('does not count as due an open case whose deadline is after the window end', () => {
      const open = kase('a', TO - 60 * MINUTE)
        .dispatch(5, 'w1')
        .build();
      expect(all([open])).toMatchObject({ registered: 1, due: 0, closeRate: null, onTimeRate: null });
    });

    it('counts as due a case closed before the window end even though its deadline is after it', () => {
      const quick = kase('a', TO - 60 * MINUTE)
        .closedAt(1, 2, 5, 20, 30)
        .build();
      expect(all([quick])).toMatchObject({ due: 1, closed: 1, closedOnTime: 1, onTimeRate: 1 });
    });

    it('counts a cancelled case as registered but never as due', () => {
      const cancelled = kase('a', FROM).dispatch(5, 'w1').cancel(10).build();
      expect(all([cancelled])).toMatchObject({ registered: 1, due: 0, closed: 0 });
    });

    it('judges a case as it stood at the window end, ignoring what happened after', () => {
      // Deadline before `to`, verified after it: due but not yet closed.
      const verifiedLater = kase('a', TO - 600 * MINUTE)
        .closedAt(5, 10, 20, 100, 700)
        .build();
      // Deadline after `to`, everything after it: not due; its report is not handled yet.
      const handledLater = kase('b', TO - 60 * MINUTE)
        .closedAt(5, 10, 20, 100, 110)
        .build();
      expect(all([verifiedLater, handledLater])).toMatchObject({
        registered: 2,
        due: 1,
        closed: 0,
        handled: 1,
      });
    });

    it('leaves out cases registered before or after the window', () => {
      const before = kase('a', FROM - MINUTE)
        .closedAt(5, 10, 20, 100, 110)
        .build();
      const after = kase('b', TO).closedAt(5, 10, 20, 100, 110).build();
      expect(all([before, after])).toMatchObject({ registered: 0, due: 0, closed: 0, handled: 0 });
    });
  });

  describe('response and handling time', () => {
    it('averages response and handling and takes their nearest-rank 90th percentile', () => {
      // Response 1…9 and 30 minutes; handling 10, 20 … 100 minutes.
      const responses = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30];
      const orders = responses.map((r, k) =>
        kase(`a${k}`, FROM)
          .closedAt(0, r, r + 5, r + 10 * (k + 1), r + 10 * (k + 1) + 5)
          .build(),
      );
      expect(all(orders)).toMatchObject({
        responseAvgS: 450, // (45 × 60 + 1800) / 10
        responseP90S: 540, // 9th of 10: 9 minutes
        handlingAvgS: 3300, // 55 minutes
        handlingP90S: 5400, // 9th of 10: 90 minutes
      });
    });

    it('measures response from the latest dispatch or reassign before the accept', () => {
      const reassigned = kase('a', FROM).dispatch(0, 'w1').reassign(20, 'w2').accept(25).build();
      const redispatched = kase('b', FROM).dispatch(0, 'w1').return(10).dispatch(40, 'w2').accept(50).build();
      expect(all([reassigned, redispatched])).toMatchObject({ responseAvgS: 450, responseP90S: 600 });
    });

    it('measures every on-site report from the latest accept, rework rounds included', () => {
      const reworked = kase('a', FROM)
        .dispatch(0, 'w1')
        .accept(10)
        .checkIn(20)
        .report(40)
        .verify(60, 'fail')
        .report(100)
        .verify(110, 'pass')
        .build();
      expect(all([reworked])).toMatchObject({ handlingAvgS: 3600, handlingP90S: 5400 });
    });

    it("leaves a department's answer to an escalated case out of handling time", () => {
      const escalated = kase('a', FROM)
        .dispatch(0, 'w1')
        .accept(10)
        .escalate(20)
        .report(200)
        .verify(210, 'pass')
        .build();
      expect(all([escalated])).toMatchObject({
        handled: 1,
        closed: 1,
        responseAvgS: 600,
        handlingAvgS: null,
        handlingP90S: null,
      });
    });

    it('counts from when a worker acted offline, not from when the phone synced', () => {
      const offline = kase('a', FROM)
        .dispatch(0, 'w1')
        .accept({ at: 60, doneAt: 5 })
        .checkIn({ at: 60, doneAt: 10 })
        .report({ at: 600, doneAt: 40 }) // synced after the 480-minute deadline, done well before it
        .verify(610, 'pass')
        .build();
      expect(all([offline])).toMatchObject({
        responseAvgS: 300,
        handlingAvgS: 2100,
        closed: 1,
        closedOnTime: 1,
      });
    });

    it('reports no times when nothing was accepted or reported', () => {
      const open = kase('a', FROM).dispatch(0, 'w1').build();
      expect(all([open])).toMatchObject({
        responseAvgS: null,
        responseP90S: null,
        handlingAvgS: null,
        handlingP90S: null,
        reworkRate: null,
      });
    });
  });

  describe('rework, overdue and ratings', () => {
    it('counts a case sent back twice as one reworked case among those handled', () => {
      const twice = kase('a', FROM)
        .dispatch(0, 'w1')
        .accept(1)
        .checkIn(2)
        .report(3)
        .verify(4, 'fail')
        .report(5)
        .verify(6, 'fail')
        .report(7)
        .verify(8, 'pass')
        .build();
      const clean = [1, 2].map((k) => kase(`b${k}`, FROM).closedAt(0, 1, 2, 3, 4).build());
      const unhandled = kase('c', FROM).dispatch(0, 'w1').build();
      expect(all([twice, ...clean, unhandled])).toMatchObject({
        handled: 3,
        reworked: 1,
        reworkRate: 0.3333,
      });
    });

    it('counts overdue entries recorded in the window, whenever their case was registered', () => {
      const old = kase('a', FROM - 60 * MINUTE)
        .overdue(30, 'dispatch') // before the window
        .overdue(60, 'response') // at `from`: counts
        .build();
      const inside = kase('b', FROM).dispatch(0, 'w1').overdue(30, 'response').overdue(90, 'arrival').build();
      const late = kase('c', TO - 60 * MINUTE)
        .overdue(30, 'dispatch')
        .overdue(60, 'response') // at `to`: does not count
        .build();
      expect(all([old, inside, late]).overdue).toBe(4);
    });

    it("averages the served party's ratings and leaves supervisors' ratings out", () => {
      const rated = (id: string, stars: number, by: 'citizen' | 'supervisor') =>
        kase(id, FROM).closedAt(0, 1, 2, 3, 4).evaluate(60, stars, by).build();
      const orders = [rated('a', 5, 'citizen'), rated('b', 4, 'citizen'), rated('c', 4, 'citizen')];
      expect(all([...orders, rated('d', 1, 'supervisor')])).toMatchObject({ ratingAvg: 4.33, ratings: 3 });
    });
  });

  describe('grouping', () => {
    it('returns one empty `all` row when there are no cases', () => {
      expect(computeKpis([], opts())).toEqual([
        {
          key: 'all',
          registered: 0,
          due: 0,
          closed: 0,
          closedOnTime: 0,
          closeRate: null,
          onTimeRate: null,
          handled: 0,
          reworked: 0,
          reworkRate: null,
          responseAvgS: null,
          responseP90S: null,
          handlingAvgS: null,
          handlingP90S: null,
          overdue: 0,
          ratingAvg: null,
          ratings: 0,
        },
      ]);
    });

    it('credits entries to the worker assigned at the time and cases to their current assignee', () => {
      const handedOver = kase('a', FROM)
        .dispatch(0, 'w1')
        .accept(5) // w1 responds in 5 min
        .overdue(15, 'arrival') // w1's clock ran out
        .reassign(20, 'w2')
        .accept(30) // w2 responds in 10 min
        .checkIn(35)
        .report(60) // w2: 30 min
        .verify(70, 'fail') // w2 reworks
        .report(90) // w2: 60 min
        .verify(100, 'pass')
        .build();
      const neverDispatched = kase('b', FROM).overdue(31, 'dispatch').build();
      const w1Own = kase('c', FROM).closedAt(0, 1, 2, 12, 20).evaluate(30, 5, 'citizen').build();
      const rows = computeKpis([handedOver, neverDispatched, w1Own], opts({ groupBy: 'worker' }));
      expect(rows.map((r) => r.key)).toEqual(['unassigned', 'w1', 'w2']);
      expect(rows[0]).toMatchObject({ registered: 1, due: 1, closed: 0, overdue: 1, handled: 0 });
      expect(rows[1]).toMatchObject({
        registered: 1,
        closed: 1,
        handled: 1,
        reworked: 0,
        responseAvgS: 180, // (5 + 1) / 2 minutes
        handlingAvgS: 660, // 11 minutes
        overdue: 1,
        ratingAvg: 5,
      });
      expect(rows[2]).toMatchObject({
        registered: 1,
        closed: 1,
        closedOnTime: 1,
        handled: 1,
        reworked: 1,
        reworkRate: 1,
        responseAvgS: 600,
        handlingAvgS: 2700, // (30 + 60) / 2 minutes
        overdue: 0,
      });
    });

    it('credits what happens after a return or escalation to no worker until the case is dispatched again', () => {
      const returned = kase('a', FROM).dispatch(0, 'w1').return(10).overdue(40, 'redispatch').build();
      const escalated = kase('b', FROM)
        .dispatch(0, 'w1')
        .accept(5)
        .escalate(10)
        .report(100)
        .verify(110, 'fail')
        .build();
      const rows = computeKpis([returned, escalated], opts({ groupBy: 'worker' }));
      // Cases still go to their current assignee, whom the return did not change.
      expect(byKey(rows, 'registered')).toEqual({ w1: 2, unassigned: 0 });
      expect(byKey(rows, 'overdue')).toEqual({ w1: 0, unassigned: 1 });
      expect(byKey(rows, 'handled')).toEqual({ w1: 0, unassigned: 1 });
      expect(byKey(rows, 'reworked')).toEqual({ w1: 0, unassigned: 1 });
      expect(byKey(rows, 'responseAvgS')).toEqual({ w1: 300, unassigned: null });
    });

    const places = () => [
      kase('a', FROM, { gridCellId: CELL_A, districtId: '110105' }).overdue(30, 'dispatch').build(),
      kase('b', FROM, {
        gridCellId: CELL_B,
        districtId: '110105',
        category: 'component.public-facility.streetlight',
      })
        .overdue(30, 'dispatch')
        .overdue(60, 'response')
        .build(),
      kase('c', FROM, { gridCellId: CELL_C, districtId: '110108' }).build(),
    ];

    it.each([
      ['cell', { [CELL_A]: 1, [CELL_B]: 1, [CELL_C]: 1 }, { [CELL_A]: 1, [CELL_B]: 2, [CELL_C]: 0 }],
      ['district', { '110105': 2, '110108': 1 }, { '110105': 3, '110108': 0 }],
      [
        'category',
        { 'component.public-facility.manhole': 2, 'component.public-facility.streetlight': 1 },
        { 'component.public-facility.manhole': 1, 'component.public-facility.streetlight': 2 },
      ],
    ] as const)('groups by %s', (groupBy, registered, overdue) => {
      const rows = computeKpis(places(), opts({ groupBy }));
      expect(rows.map((r) => r.key)).toEqual(Object.keys(registered).sort());
      expect(byKey(rows, 'registered')).toEqual(registered);
      expect(byKey(rows, 'overdue')).toEqual(overdue);
    });

    describe('by period, in Asia/Shanghai', () => {
      const to = Date.parse('2026-12-08T00:00:00+08:00');
      const orders = () => [
        kase('fri', Date.parse('2026-11-20T15:30:00Z')).build(), // Fri 20 Nov 23:30 in Shanghai
        kase('sat', Date.parse('2026-11-20T16:30:00Z')).build(), // Sat 21 Nov 00:30, same UTC day
        kase('mon', Date.parse('2026-11-22T16:30:00Z')).build(), // Mon 23 Nov 00:30, a Sunday in UTC
        kase('dec', Date.parse('2026-11-30T16:30:00Z')).build(), // Tue 1 Dec 00:30, November in UTC
      ];

      it.each([
        [
          'day',
          {
            '2026-11-20T00:00:00+08:00': 1,
            '2026-11-21T00:00:00+08:00': 1,
            '2026-11-23T00:00:00+08:00': 1,
            '2026-12-01T00:00:00+08:00': 1,
          },
        ],
        [
          'week',
          { '2026-11-16T00:00:00+08:00': 2, '2026-11-23T00:00:00+08:00': 1, '2026-11-30T00:00:00+08:00': 1 },
        ],
        ['month', { '2026-11-01T00:00:00+08:00': 3, '2026-12-01T00:00:00+08:00': 1 }],
      ] as const)('groups cases by the Shanghai %s they were registered in', (period, registered) => {
        const rows = computeKpis(orders(), opts({ to, groupBy: 'period', period }));
        expect(rows.map((r) => r.key)).toEqual(Object.keys(registered));
        expect(byKey(rows, 'registered')).toEqual(registered);
      });

      it('puts an overdue entry in the period it was recorded in', () => {
        const lateNight = kase('a', Date.parse('2026-11-20T15:30:00Z')).overdue(60, 'dispatch').build();
        const rows = computeKpis([lateNight], opts({ to, groupBy: 'period', period: 'day' }));
        expect(byKey(rows, 'registered')).toEqual({
          '2026-11-20T00:00:00+08:00': 1,
          '2026-11-21T00:00:00+08:00': 0,
        });
        expect(byKey(rows, 'overdue')).toEqual({
          '2026-11-20T00:00:00+08:00': 0,
          '2026-11-21T00:00:00+08:00': 1,
        });
      });
    });

    it('splits the county figures into weeks that add up to the whole month', () => {
      const orders = countyMonth();
      const rows = computeKpis(orders, opts({ groupBy: 'period', period: 'week' }));
      expect(rows.length).toBe(5); // weeks from Mon 26 Oct to Mon 23 Nov
      const sum = (figure: 'registered' | 'due' | 'closed' | 'closedOnTime' | 'handled' | 'reworked') =>
        rows.reduce((s, r) => s + r[figure], 0);
      const whole = all(orders);
      expect([sum('registered'), sum('due'), sum('closed'), sum('closedOnTime')]).toEqual([
        996, 972, 911, 737,
      ]);
      expect([sum('handled'), sum('reworked')]).toEqual([whole.handled, whole.reworked]);
    });
  });

  it('refuses an empty window', () => {
    expect(() => computeKpis([], opts({ from: TO, to: TO }))).toThrow(RangeError);
  });
});
