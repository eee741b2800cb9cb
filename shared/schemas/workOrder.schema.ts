import { z } from 'zod';
import { DistrictIdSchema, EpochMsSchema, GridCellIdSchema, IdSchema, LngLatSchema } from './common.schema';

/**
 * 案卷 states per the 数字城管 workflow (GB/T 30428): 立案 → 派遣 → 接单 →
 * 处置 → 反馈 → 核实 → 结案, with 返工 back to handling and 评价 after close.
 */
export const WORK_ORDER_STATES = [
  'registered',
  'dispatched',
  'accepted',
  'handling',
  'reported',
  'verifying',
  'closed',
  'evaluated',
  'cancelled',
] as const;
export const WorkOrderStateSchema = z.enum(WORK_ORDER_STATES);
export type WorkOrderState = z.infer<typeof WorkOrderStateSchema>;

export const WorkOrderSourceSchema = z.enum(['alert', 'incident', 'citizen', 'worker', 'operator']);
export const UrgencySchema = z.enum(['emergency', 'urgent', 'normal']);

export const TimelineEntrySchema = z.object({
  at: EpochMsSchema,
  /** Who did it (user or worker id, or `system`). */
  by: z.string(),
  from: WorkOrderStateSchema.nullable(),
  to: WorkOrderStateSchema,
  note: z.string().optional(),
});

export const WorkOrderSchema = z.object({
  id: IdSchema,
  source: WorkOrderSourceSchema,
  /** 部件 / 事件 class and subclass, e.g. `component.public-facility.manhole`. */
  category: z.string().min(1),
  urgency: UrgencySchema,
  state: WorkOrderStateSchema,
  title: z.string().min(1),
  description: z.string().max(4000).optional(),
  location: LngLatSchema,
  gridCellId: GridCellIdSchema,
  districtId: DistrictIdSchema,
  alertId: IdSchema.optional(),
  assigneeId: IdSchema.optional(),
  createdAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
  /** When the current stage becomes overdue. */
  dueAt: EpochMsSchema.optional(),
  timeline: z.array(TimelineEntrySchema),
});
export type WorkOrder = z.infer<typeof WorkOrderSchema>;
