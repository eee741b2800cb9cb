import type { DispatchSuggestion, Photo, WorkOrder, WorkOrderDetail } from '@shared/schemas/workOrder.schema';
import { respond } from '../../../auth.fixtures';

export { entry, moved, T0, workOrder } from '../../workOrders/workOrders.fixtures';

/** The list request of the page's default filters (open cases). */
export const OPEN_LIST =
  'GET /api/v1/work-orders?state=registered,dispatched,accepted,handling,reported,returned,escalated&limit=500';

/** The route key of a case's detail. */
export const detailRoute = (id: string) => `GET /api/v1/work-orders/${id}`;

/** The route key of a case's suggestions. */
export const suggestRoute = (id: string) => `GET /api/v1/work-orders/${id}/suggestions?limit=10`;

/** A page of `GET /api/v1/work-orders`. */
export function listAnswer(items: WorkOrder[], total: number = items.length): Response {
  return respond({ items, total });
}

/** `GET /api/v1/work-orders/:id` as an operator sees it. */
export function detailOf(order: WorkOrder, overrides: Partial<WorkOrderDetail> = {}): WorkOrderDetail {
  return { order, alert: null, stillBreaching: false, photos: [], photosWithheld: false, ...overrides };
}

/** A stored photo of a case. */
export function photo(id: string, workOrderId: string, overrides: Partial<Photo> = {}): Photo {
  return {
    id,
    workOrderId,
    uploadedBy: 'u-worker',
    uploadedAt: Date.UTC(2026, 10, 21, 7, 30, 0),
    mime: 'image/jpeg',
    bytes: 123_456,
    sha256: 'a'.repeat(64),
    takenAt: Date.UTC(2026, 10, 21, 7, 29, 0),
    takenAtSource: 'exif',
    ...overrides,
  };
}

/** One ranked worker. */
export function suggestion(
  workerId: string,
  rank: number,
  overrides: Partial<DispatchSuggestion> = {},
): DispatchSuggestion {
  return {
    workerId,
    name: `王*${rank}`,
    rank,
    score: rank * 10,
    coverage: 'cell',
    onDuty: true,
    hasSkill: true,
    distanceKm: 0.8 * rank,
    livePosition: true,
    load: rank - 1,
    reasons: [
      { zh: '负责本网格', en: 'covers the cell' },
      { zh: '在岗', en: 'on duty' },
    ],
    ...overrides,
  };
}
