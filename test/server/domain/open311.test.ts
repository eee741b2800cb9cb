import { describe, expect, it } from 'vitest';
import { caseCategory, type CaseCategory } from '../../../shared/domain/caseCategories';
import type { LngLat } from '../../../shared/schemas/common.schema';
import { MAX_RANGE_MS, Open311SubmitSchema } from '../../../shared/schemas/open311.schema';
import {
  CANCEL_REASONS,
  OPEN_WORK_ORDER_STATES,
  type TimelineEntry,
  type WorkOrder,
} from '../../../shared/schemas/workOrder.schema';
import {
  fieldsOf,
  parseW3cDate,
  refusalOf,
  resolveRange,
  statesOf,
  statusNotes,
  titleOf,
  toServiceRequest,
  w3cShanghai,
} from '../../../server/src/domain/open311';
import { workOrderAt } from '../../fixtures/workOrders';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 21, 4, 0, 0); // 2026-11-21 12:00 in Shanghai
const INSIDE: LngLat = [120.15, 30.28];

function order(over: Partial<WorkOrder> = {}): WorkOrder {
  return workOrderAt(NOW, { location: INSIDE, ...over });
}

const entry = (action: TimelineEntry['action'], extra: Partial<TimelineEntry> = {}): TimelineEntry => ({
  seq: 1,
  at: NOW,
  action,
  by: 'u-1',
  byName: 'op',
  from: 'reported',
  to: 'closed',
  ...extra,
});

describe('parseW3cDate', () => {
  it('reads a bare date as the start of that Asia/Shanghai day, or with endOfDay the start of the next', () => {
    expect(parseW3cDate('2026-11-21')).toBe(Date.UTC(2026, 10, 20, 16));
    expect(parseW3cDate('2026-11-21', true)).toBe(Date.UTC(2026, 10, 21, 16));
  });

  it('reads datetimes with an offset, with or without seconds', () => {
    expect(parseW3cDate('2026-11-21T12:00:00+08:00')).toBe(NOW);
    expect(parseW3cDate('2026-11-21T04:00Z')).toBe(NOW);
    expect(parseW3cDate('2026-11-21T04:00:00.250Z')).toBe(NOW + 250);
  });

  it('refuses a datetime without an offset, an impossible date and free text', () => {
    expect(parseW3cDate('2026-11-21T12:00:00')).toBeNull();
    expect(parseW3cDate('2026-02-30')).toBeNull();
    expect(parseW3cDate('yesterday')).toBeNull();
  });
});

describe('w3cShanghai', () => {
  it('writes an instant in Shanghai time with its +08:00 offset', () => {
    expect(w3cShanghai(NOW)).toBe('2026-11-21T12:00:00+08:00');
    expect(Date.parse(w3cShanghai(NOW))).toBe(NOW);
  });
});

describe('resolveRange', () => {
  it('defaults to the last 90 days, now included', () => {
    expect(resolveRange(undefined, undefined, NOW)).toEqual({ from: NOW + 1 - MAX_RANGE_MS, to: NOW + 1 });
  });

  it('runs 90 days on from a start alone and 90 days back from an end alone', () => {
    const start = NOW - 200 * DAY;
    expect(resolveRange(new Date(start).toISOString(), undefined, NOW)).toEqual({
      from: start,
      to: start + MAX_RANGE_MS,
    });
    const end = NOW - 100 * DAY;
    expect(resolveRange(undefined, new Date(end).toISOString(), NOW)).toEqual({
      from: end + 1 - MAX_RANGE_MS,
      to: end + 1,
    });
  });

  it('includes the whole day of a bare end date', () => {
    expect(resolveRange('2026-11-01', '2026-11-21', NOW)).toEqual({
      from: Date.UTC(2026, 9, 31, 16),
      to: Date.UTC(2026, 10, 21, 16),
    });
  });

  it('refuses a window over 90 days, one ending before it starts, and unreadable dates, naming the field', () => {
    expect(() => resolveRange('2026-01-01', '2026-04-02', NOW)).toThrow(/90 days/);
    expect(() => resolveRange('2026-01-01', '2026-03-31', NOW)).not.toThrow();
    expect(() => resolveRange('2026-03-01T00:00:00Z', '2026-02-01T00:00:00Z', NOW)).toThrow(/end_date/);
    expect(() => resolveRange('soon', undefined, NOW)).toThrow(/start_date/);
    expect(() => resolveRange(undefined, '2026-13-01', NOW)).toThrow(/end_date/);
  });
});

describe('statusNotes', () => {
  it('names the state in Chinese and English', () => {
    expect(statusNotes(order({ state: 'dispatched' }))).toBe('已派遣 · Dispatched');
  });

  it('gives the reason of a cancelled case in fixed words, never the operator’s note', () => {
    const o = order({
      state: 'cancelled',
      timeline: [
        entry('cancel', {
          to: 'cancelled',
          data: { reason: 'false-alarm' },
          note: '报警人张三 13800000000 谎报',
        }),
      ],
    });
    expect(statusNotes(o)).toBe('已作废：经核实为误报 · Cancelled: reported in error');
  });

  it('words every cancel reason differently for the public', () => {
    const notes = CANCEL_REASONS.map((reason) =>
      statusNotes(
        order({ state: 'cancelled', timeline: [entry('cancel', { to: 'cancelled', data: { reason } })] }),
      ),
    );
    for (const note of notes) expect(note).toMatch(/^已作废：\S+ · Cancelled: \w/);
    expect(new Set(notes).size).toBe(CANCEL_REASONS.length);
  });

  it('names only the state of a cancelled case whose reason it does not know', () => {
    const o = order({
      state: 'cancelled',
      timeline: [entry('cancel', { to: 'cancelled', data: { reason: 'toString' } })],
    });
    expect(statusNotes(o)).toBe('已作废 · Cancelled');
  });

  it('keeps the verifier’s comment of a closed case to itself', () => {
    const o = order({
      state: 'evaluated',
      timeline: [
        entry('verify', { to: 'handling', data: { result: 'fail' }, note: '井盖仍松动' }),
        entry('verify', { seq: 2, data: { result: 'pass' }, note: '已更换，李师傅施工' }),
      ],
    });
    expect(statusNotes(o)).toBe('已评价 · Evaluated');
  });

  it('does not name the department of an escalated case (agency_responsible does)', () => {
    expect(statusNotes(order({ state: 'escalated', department: '供电局' }))).toBe('已转办 · Escalated');
  });
});

describe('statesOf', () => {
  it('narrows a single status to its work-order states', () => {
    expect(statesOf(['open'])).toEqual(OPEN_WORK_ORDER_STATES);
    expect(statesOf(['closed', 'closed'])).toEqual(['closed', 'evaluated', 'cancelled']);
  });

  it('selects every state when no status or both are asked for', () => {
    expect(statesOf(undefined)).toBeUndefined();
    expect(statesOf([])).toBeUndefined();
    expect(statesOf(['open', 'closed'])).toBeUndefined();
  });
});

describe('refusalOf', () => {
  const refusalFor = (body: Record<string, unknown>) => {
    const fields = fieldsOf(body);
    const parsed = Open311SubmitSchema.safeParse(fields);
    if (parsed.success) throw new Error('expected the fields to be refused');
    return refusalOf(parsed.error, fields);
  };

  it('calls a field left empty required', () => {
    const err = refusalFor({ service_code: '' });
    expect([err.status, err.message]).toEqual([400, 'service_code is required']);
  });

  it('gives the limit of a description that is too long', () => {
    expect(refusalFor({ service_code: '101', description: 'x'.repeat(4001) }).message).toBe(
      'description is longer than 4000 characters',
    );
  });

  it('names the field and the problem of a bad value', () => {
    expect(refusalFor({ service_code: '101', lat: 'north' }).message).toMatch(/^lat is invalid: /);
  });
});

describe('toServiceRequest', () => {
  it('answers in Shanghai time with what the citizen gave and the district as the agency', () => {
    const request = toServiceRequest(
      order({ state: 'cancelled', updatedAt: NOW + 60_000 }),
      { serviceCode: '101', mediaUrl: 'https://img.example.cn/x.jpg', addressId: 'ADDR-77' },
      { name: { zh: '西湖区', en: 'Xihu District' } },
    );
    expect(request).toMatchObject({
      service_request_id: 'WO-20261121-0001',
      status: 'closed',
      service_name: '井盖',
      service_code: '101',
      agency_responsible: '西湖区城市管理 · Xihu District city management',
      requested_datetime: '2026-11-21T12:00:00+08:00',
      updated_datetime: '2026-11-21T12:01:00+08:00',
      expected_datetime: '2026-11-21T14:50:00+08:00',
      address_id: 'ADDR-77',
      media_url: 'https://img.example.cn/x.jpg',
      lat: INSIDE[1],
      long: INSIDE[0],
    });
  });

  it('names the department of an escalated case as the agency and leaves unknown facts null', () => {
    const request = toServiceRequest(order({ state: 'escalated', department: '供电局' }), null, undefined);
    expect(request).toMatchObject({
      status: 'open',
      agency_responsible: '供电局',
      address: null,
      address_id: null,
      media_url: null,
      description: null,
    });
  });
});

describe('titleOf', () => {
  const manhole = caseCategory('component.public-facility.manhole') as CaseCategory;

  it('joins the service name and the start of the description on one line', () => {
    expect(titleOf(manhole, '  井盖\n\n缺失 ')).toBe('井盖：井盖 缺失');
    expect(titleOf(manhole, 'a'.repeat(80))).toBe(`井盖：${'a'.repeat(60)}`);
  });

  it('is the service name alone without a description', () => {
    expect(titleOf(manhole, undefined)).toBe('井盖');
    expect(titleOf(manhole, '   ')).toBe('井盖');
  });
});
