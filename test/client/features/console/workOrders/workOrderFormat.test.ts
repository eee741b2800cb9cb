import { describe, expect, it } from 'vitest';
import {
  actionsFor,
  categoryName,
  entryActionKey,
  entryFacts,
  entryTime,
  isOverdue,
  listQuery,
  matchesFilters,
  NO_FILTERS,
} from '../../../../../client/src/features/console/workOrders/workOrderFormat';
import { entry, T0, workOrder } from './consoleWorkOrders.fixtures';

describe('listQuery', () => {
  it('asks for the open states by default', () => {
    expect(listQuery(NO_FILTERS)).toBe(
      '/api/v1/work-orders?state=registered,dispatched,accepted,handling,reported,returned,escalated&limit=500',
    );
  });

  it('names one state, the category, the district and overdue when they are chosen', () => {
    expect(
      listQuery({
        state: 'reported',
        category: 'component.public-facility.manhole',
        districtId: '330106',
        overdue: true,
      }),
    ).toBe(
      '/api/v1/work-orders?state=reported&category=component.public-facility.manhole&districtId=330106&overdue=true&limit=500',
    );
  });

  it('leaves the state out when every state is wanted', () => {
    expect(listQuery({ ...NO_FILTERS, state: '' }, 50)).toBe('/api/v1/work-orders?limit=50');
  });
});

describe('matchesFilters', () => {
  it('keeps an open case in the open list and drops a closed one', () => {
    expect(matchesFilters(workOrder('a', { state: 'handling' }), NO_FILTERS)).toBe(true);
    expect(matchesFilters(workOrder('a', { state: 'closed' }), NO_FILTERS)).toBe(false);
  });

  it('drops a case of another category or district', () => {
    const order = workOrder('a', { category: 'component.public-facility.manhole', districtId: '330106' });
    expect(matchesFilters(order, { ...NO_FILTERS, category: 'component.public-facility.streetlight' })).toBe(
      false,
    );
    expect(matchesFilters(order, { ...NO_FILTERS, districtId: '330102' })).toBe(false);
    expect(matchesFilters(order, { ...NO_FILTERS, districtId: '330106' })).toBe(true);
  });

  it('keeps only flagged open cases when overdue is asked for', () => {
    const filters = { ...NO_FILTERS, state: '' as const, overdue: true };
    expect(matchesFilters(workOrder('a', { overdueAt: T0 }), filters)).toBe(true);
    expect(matchesFilters(workOrder('a', { overdueAt: null }), filters)).toBe(false);
    // A closed case keeps its old flag but is no longer overdue.
    expect(matchesFilters(workOrder('a', { overdueAt: T0, state: 'closed' }), filters)).toBe(false);
  });
});

describe('isOverdue', () => {
  it('is true for an open case whose stage ran out, false once it closed', () => {
    expect(isOverdue({ overdueAt: T0, state: 'dispatched' })).toBe(true);
    expect(isOverdue({ overdueAt: T0, state: 'cancelled' })).toBe(false);
    expect(isOverdue({ overdueAt: null, state: 'dispatched' })).toBe(false);
  });
});

describe('actionsFor', () => {
  it('offers dispatch, escalate, cancel and note for a registered case', () => {
    expect(actionsFor('registered')).toEqual(['dispatch', 'escalate', 'cancel', 'note']);
  });

  it('offers reassign rather than dispatch once a worker has the case', () => {
    expect(actionsFor('accepted')).toEqual(['reassign', 'escalate', 'cancel', 'note']);
  });

  it('offers verification for a reported case and rating for a closed one', () => {
    expect(actionsFor('reported')).toEqual(['verify', 'cancel', 'note']);
    expect(actionsFor('closed')).toEqual(['evaluate', 'note']);
    expect(actionsFor('cancelled')).toEqual(['note']);
  });
});

describe('categoryName', () => {
  it('names the class and subclass in the UI language', () => {
    expect(categoryName('component.public-facility.manhole', 'zh')).toBe('公用设施 · 井盖');
    expect(categoryName('component.public-facility.manhole', 'en')).toBe('Public facilities · Manhole cover');
    expect(categoryName('no.such.category', 'zh')).toBe('no.such.category');
  });
});

describe('entryActionKey', () => {
  it('calls a failed verification rework', () => {
    expect(entryActionKey({ action: 'verify', data: { result: 'fail' } })).toBe('worker.timeline.rework');
    expect(entryActionKey({ action: 'verify', data: { result: 'pass' } })).toBe('worker.timeline.verify');
  });
});

describe('entryFacts', () => {
  it('describes a position check-in with its distance and accuracy', () => {
    const e = entry(4, 'checkIn', 'accepted', 'handling', {
      data: { method: 'proximity', distanceM: 42.4, location: [120.15, 30.25], accuracyM: 8 },
    });
    expect(entryFacts(e, 'zh')).toEqual(['位置签到', '距现场 42 米', '定位精度 ±8 米']);
    expect(entryFacts(e, 'en')).toEqual(['position check-in', '42 m from the site', 'accuracy ±8 m']);
  });

  it('says a failed verification found the device still breaching', () => {
    const e = entry(6, 'verify', 'reported', 'handling', { data: { result: 'fail', stillBreaching: true } });
    expect(entryFacts(e, 'zh')).toEqual(['核实未通过', '核实时设备仍在告警']);
  });

  it('names a cancellation reason and a rating in words', () => {
    expect(
      entryFacts(entry(3, 'cancel', 'registered', 'cancelled', { data: { reason: 'false-alarm' } }), 'zh'),
    ).toEqual(['原因：误报']);
    expect(
      entryFacts(entry(8, 'evaluate', 'closed', 'evaluated', { data: { stars: 4, by: 'citizen' } }), 'en'),
    ).toEqual(['4 stars', 'by the citizen']);
  });

  it('names the new and previous assignee of a reassignment', () => {
    const e = entry(3, 'reassign', 'dispatched', 'dispatched', {
      assigneeId: 'W-0002',
      data: { previousAssigneeId: 'W-0001' },
    });
    expect(entryFacts(e, 'zh')).toEqual(['派给 W-0002', '原处置人 W-0001']);
  });

  it('names the workers the roster knows beside their ids, and leaves the others as ids', () => {
    const e = entry(3, 'reassign', 'dispatched', 'dispatched', {
      assigneeId: 'W-0002',
      data: { previousAssigneeId: 'W-0001' },
    });
    const nameOf = (id: string) => (id === 'W-0002' ? '潘**' : null);
    expect(entryFacts(e, 'zh', nameOf)).toEqual(['派给 潘**（W-0002）', '原处置人 W-0001']);
    expect(entryFacts(e, 'en', nameOf)).toEqual(['to 潘** (W-0002)', 'previously W-0001']);
  });

  it('lists facts it has no words for as they are', () => {
    const e = entry(3, 'note', 'dispatched', 'dispatched', { data: { inspector: 'li', visits: 2 } });
    expect(entryFacts(e, 'zh')).toEqual(['inspector: li', 'visits: 2']);
  });
});

describe('entryTime', () => {
  it('shows Asia/Shanghai time, and when a queued action was really done', () => {
    expect(entryTime({ at: T0 }, 'zh')).toBe('2026-11-21 16:00:00');
    expect(entryTime({ at: T0, doneAt: T0 - 600_000 }, 'zh')).toBe(
      '2026-11-21 16:00:00 · 离线完成于 2026-11-21 15:50:00',
    );
  });
});
