import { describe, expect, it } from 'vitest';
import {
  dueStateOf,
  explainWithdrawal,
  formatDuration,
  formatShortTime,
  reworkComments,
} from '../../../../client/src/features/worker/taskFormat';
import { entry, T0, workOrder } from './worker.fixtures';

describe('dueStateOf', () => {
  it('has no clock for a case without a due time', () => {
    expect(dueStateOf({ dueAt: null, overdueAt: null }, T0)).toBe('none');
  });

  it('is fine, then soon in the last 15 minutes, then overdue at the due time', () => {
    const due = T0 + 60 * 60_000;
    expect(dueStateOf({ dueAt: due, overdueAt: null }, T0)).toBe('ok');
    expect(dueStateOf({ dueAt: due, overdueAt: null }, due - 15 * 60_000)).toBe('soon');
    expect(dueStateOf({ dueAt: due, overdueAt: null }, due)).toBe('overdue');
  });

  it('is overdue once the server flagged it, whatever the phone clock says', () => {
    expect(dueStateOf({ dueAt: T0 + 60_000, overdueAt: T0 - 1 }, T0 - 3_600_000)).toBe('overdue');
  });
});

describe('formatDuration', () => {
  it('rounds up to the minute', () => {
    expect(formatDuration(10_000, 'zh')).toBe('1分钟');
    expect(formatDuration(10_000, 'en')).toBe('1 min');
  });

  it('shows hours and minutes, or days and hours', () => {
    expect(formatDuration(80 * 60_000, 'zh')).toBe('1小时20分');
    expect(formatDuration(80 * 60_000, 'en')).toBe('1 h 20 min');
    expect(formatDuration((26 * 60 + 5) * 60_000, 'zh')).toBe('1天2小时');
  });
});

describe('formatShortTime', () => {
  it('shows Asia/Shanghai wall-clock time', () => {
    // T0 is 08:00 UTC.
    expect(formatShortTime(T0)).toBe('11-21 16:00');
  });
});

describe('explainWithdrawal', () => {
  it('says a cancelled task needs nothing more, with the reason', () => {
    const text = explainWithdrawal(
      workOrder('wo-1', { title: '井盖倾斜' }),
      entry(3, 'cancel', 'dispatched', 'cancelled', { data: { reason: 'false-alarm' }, note: '传感器故障' }),
    );
    expect(text.zh).toBe('“井盖倾斜”已作废（误报）：传感器故障，无需再处理。');
    expect(text.en).toContain('cancelled (false alarm): 传感器故障');
  });

  it('says who reassigned the task and why', () => {
    const text = explainWithdrawal(
      workOrder('wo-1', { title: '井盖倾斜' }),
      entry(3, 'reassign', 'accepted', 'dispatched', { byName: '王调度', note: '就近派遣' }),
    );
    expect(text.zh).toBe('“井盖倾斜”已由王调度改派给其他网格员：就近派遣。');
  });
});

describe('reworkComments', () => {
  it('lists only the verifications that failed', () => {
    const order = workOrder('wo-1', {
      timeline: [
        entry(5, 'verify', 'reported', 'handling', { data: { result: 'fail' }, note: '仍有积水' }),
        entry(7, 'verify', 'reported', 'closed', { data: { result: 'pass' } }),
      ],
    });
    expect(reworkComments(order).map((e) => e.note)).toEqual(['仍有积水']);
  });
});
