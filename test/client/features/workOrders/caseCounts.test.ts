import { describe, expect, it } from 'vitest';
import { WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type { WorkOrderState } from '@shared/schemas/workOrder.schema';
import { caseCounts } from '../../../../client/src/features/workOrders/caseCounts';
import { vitals } from '../vitals/vitals.fixtures';

function listed(partial: Partial<Record<WorkOrderState, number>>, overdueCount = 0) {
  const countsByState = Object.fromEntries(WORK_ORDER_STATES.map((s) => [s, partial[s] ?? 0])) as Record<
    WorkOrderState,
    number
  >;
  const openCount = Object.values(countsByState).reduce((a, b) => a + b, 0);
  return { countsByState, openCount, overdueCount };
}

describe('caseCounts', () => {
  it("takes the server's vitals over the fetched list, which stops at one page", () => {
    const v = vitals({ workOrders: { open: 812, byState: { registered: 300, handling: 512 }, overdue: 41 } });

    const counts = caseCounts(v, listed({ registered: 200, handling: 300 }, 12));

    expect(counts.source).toBe('vitals');
    expect(counts.open).toBe(812);
    expect(counts.overdue).toBe(41);
    expect(counts.byState.registered).toBe(300);
    expect(counts.byState.handling).toBe(512);
  });

  it('counts a state the vitals leave out as 0, and every state is present', () => {
    const counts = caseCounts(
      vitals({ workOrders: { open: 1, byState: { reported: 1 }, overdue: 0 } }),
      listed({ dispatched: 7 }),
    );

    expect(Object.keys(counts.byState).sort()).toEqual([...WORK_ORDER_STATES].sort());
    expect(counts.byState.dispatched).toBe(0);
    expect(counts.byState.reported).toBe(1);
    expect(counts.byState.closed).toBe(0);
  });

  it('falls back to the fetched list without vitals (a grid cell, or before the first figures)', () => {
    const counts = caseCounts(null, listed({ registered: 2, escalated: 1 }, 1));

    expect(counts).toEqual({
      byState: expect.objectContaining({ registered: 2, escalated: 1, handling: 0 }),
      open: 3,
      overdue: 1,
      source: 'list',
    });
  });
});
