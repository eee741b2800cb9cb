import type { Photo } from '@shared/schemas/workOrder.schema';

/** The columns a photo is read back from. */
export type PhotoRow = { data: string; work_order_id: string | null };

/**
 * A stored photo: its upload document with the case it is attached to now. Attaching sets only
 * the column (the document keeps what the upload said), so the column wins.
 */
export const photoFromRow = (r: PhotoRow): Photo => ({
  ...(JSON.parse(r.data) as Photo),
  workOrderId: r.work_order_id,
});
