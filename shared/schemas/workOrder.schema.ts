import { z } from 'zod';
import { CASE_CATEGORY_IDS, SLA_STAGES } from '../domain/caseCategories';
import { AlertSchema } from './alert.schema';
import {
  DistrictIdSchema,
  EpochMsSchema,
  GridCellIdSchema,
  I18nNameSchema,
  IdSchema,
  LngLatSchema,
  TimeInputSchema,
  TimeQuerySchema,
  csvEnum,
} from './common.schema';

/**
 * 案卷 states per the 数字城管 workflow (GB/T 30428): 立案 registered → 派遣 dispatched →
 * 接单 accepted → 处置 handling (checked in on site) → 反馈 reported → 核实 (pass: 结案
 * closed; fail: 返工 back to handling) → 评价 evaluated. Beside the main line: returned
 * (退回: the worker says it is not theirs; must be dispatched again within a limit),
 * escalated (转办: handed to a department) and cancelled (作废: false alarm, duplicate).
 */
export const WORK_ORDER_STATES = [
  'registered',
  'dispatched',
  'accepted',
  'handling',
  'reported',
  'closed',
  'evaluated',
  'returned',
  'escalated',
  'cancelled',
] as const;
export const WorkOrderStateSchema = z.enum(WORK_ORDER_STATES);
export type WorkOrderState = z.infer<typeof WorkOrderStateSchema>;

/** States in which a case is still being worked on (not closed, evaluated or cancelled). */
export const OPEN_WORK_ORDER_STATES: readonly WorkOrderState[] = [
  'registered',
  'dispatched',
  'accepted',
  'handling',
  'reported',
  'returned',
  'escalated',
];

export const WORK_ORDER_STATE_NAMES: Record<WorkOrderState, { zh: string; en: string }> = {
  registered: { zh: '已立案', en: 'Registered' },
  dispatched: { zh: '已派遣', en: 'Dispatched' },
  accepted: { zh: '已接单', en: 'Accepted' },
  handling: { zh: '处置中', en: 'On site' },
  reported: { zh: '待核实', en: 'Reported' },
  closed: { zh: '已结案', en: 'Closed' },
  evaluated: { zh: '已评价', en: 'Evaluated' },
  returned: { zh: '已退回', en: 'Returned' },
  escalated: { zh: '已转办', en: 'Escalated' },
  cancelled: { zh: '已作废', en: 'Cancelled' },
};

/** Where a case came from: an alert, an incident, a citizen (12345 / Open311), a worker's patrol, an operator. */
export const WorkOrderSourceSchema = z.enum(['alert', 'incident', 'citizen', 'worker', 'operator']);
export type WorkOrderSource = z.infer<typeof WorkOrderSourceSchema>;
export const UrgencySchema = z.enum(['emergency', 'urgent', 'normal']);
export const CaseCategoryIdSchema = z.enum(CASE_CATEGORY_IDS);
export const SlaStageSchema = z.enum(SLA_STAGES);

/** The actions of the state machine (commands, in the imperative). */
export const WORK_ORDER_ACTIONS = [
  'register',
  'dispatch',
  'reassign',
  'accept',
  'return',
  'checkIn',
  'report',
  'verify',
  'evaluate',
  'escalate',
  'cancel',
  'note',
  /** System fact: the current stage's time limit ran out. */
  'overdue',
] as const;
export const WorkOrderActionSchema = z.enum(WORK_ORDER_ACTIONS);
export type WorkOrderAction = z.infer<typeof WorkOrderActionSchema>;

/** A position a worker's phone reported, with its accuracy (m) where known. */
export const FixSchema = z.object({
  location: LngLatSchema,
  /** Horizontal accuracy, metres. */
  accuracyM: z.number().nonnegative().max(100_000).optional(),
});
export type Fix = z.infer<typeof FixSchema>;

/** One entry of a case's timeline: what was done, by whom, when, from which state to which. */
export const TimelineEntrySchema = z.object({
  /** 1, 2, 3… in order. */
  seq: z.number().int().positive(),
  /** When the server recorded it, epoch ms. */
  at: EpochMsSchema,
  /**
   * When the worker did it, if it was queued on a phone without a connection (epoch ms,
   * never before the previous entry nor after `at`). KPIs count from this time.
   */
  doneAt: EpochMsSchema.optional(),
  action: WorkOrderActionSchema,
  /** User id, or `system` / `open311`. */
  by: z.string(),
  byName: z.string(),
  from: WorkOrderStateSchema.nullable(),
  to: WorkOrderStateSchema,
  /** Assignee after this entry (dispatch, reassign). */
  assigneeId: IdSchema.optional(),
  note: z.string().max(4000).optional(),
  /** Action-specific facts: reason, check-in method and distance, verification result, rating… */
  data: z.record(z.string(), z.unknown()).optional(),
  /** Client idempotency key of the action (a replayed action is recognised by it). */
  actionId: z.string().max(64).optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const PhotoSchema = z.object({
  id: IdSchema,
  workOrderId: IdSchema.nullable(),
  /** Who uploaded it (user id). */
  uploadedBy: IdSchema,
  uploadedAt: EpochMsSchema,
  mime: z.enum(['image/jpeg', 'image/png', 'image/webp']),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Where the photo was taken: EXIF GPS if present, else the phone's fix sent with it. */
  location: LngLatSchema.optional(),
  locationSource: z.enum(['exif', 'device']).optional(),
  /** When it was taken: EXIF DateTimeOriginal if present, else the phone's clock. */
  takenAt: EpochMsSchema.optional(),
  takenAtSource: z.enum(['exif', 'device']).optional(),
});
export type Photo = z.infer<typeof PhotoSchema>;

export const WorkOrderSchema = z.object({
  id: IdSchema,
  /** Bumped by every change; a command may name the version it saw. */
  version: z.number().int().positive(),
  source: WorkOrderSourceSchema,
  /** Id of the source record: alert id, incident id, Open311 request, worker id… */
  sourceRef: z.string().max(128).optional(),
  category: CaseCategoryIdSchema,
  urgency: UrgencySchema,
  state: WorkOrderStateSchema,
  title: z.string().min(1).max(200),
  description: z.string().max(4000).optional(),
  /** Address in words, where known (citizen reports). */
  address: z.string().max(500).optional(),
  location: LngLatSchema,
  gridCellId: GridCellIdSchema,
  districtId: DistrictIdSchema,
  /** Sensor the case is about (its id is also the site's QR code). */
  sensorId: IdSchema.optional(),
  alertId: IdSchema.optional(),
  incidentId: IdSchema.optional(),
  assigneeId: IdSchema.optional(),
  /** Department a case was escalated to (转办). */
  department: z.string().max(100).optional(),
  createdAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
  /** Stage whose clock is running, and when it runs out (null: no clock, e.g. closed). */
  stage: SlaStageSchema.nullable(),
  dueAt: EpochMsSchema.nullable(),
  /** When the current stage became overdue (flagged to supervisors and on the wall), if it did. */
  overdueAt: EpochMsSchema.nullable(),
  /** 处置时限: the case is on time (按期) if its accepted report came by then. */
  deadlineAt: EpochMsSchema,
  /** Verification found the sensor still breaching: the linked alert was still open. */
  stillBreaching: z.boolean().optional(),
  /** Rework rounds so far (返工). */
  reworkCount: z.number().int().nonnegative(),
  /** Photo ids, in upload order. */
  photoIds: z.array(IdSchema),
  /** 评价: rating 1–5 and who gave it. */
  rating: z
    .object({
      stars: z.number().int().min(1).max(5),
      by: z.enum(['citizen', 'supervisor']),
      comment: z.string(),
    })
    .optional(),
  timeline: z.array(TimelineEntrySchema),
});
export type WorkOrder = z.infer<typeof WorkOrderSchema>;

/** `GET /api/v1/work-orders/:id` — a case with its linked alert and its photos, as the verifier sees it. */
export const WorkOrderDetailSchema = z.object({
  order: WorkOrderSchema,
  /** The alert the case was dispatched for, if any. */
  alert: AlertSchema.nullable(),
  /** The linked alert is still open: the sensor is still breaching. */
  stillBreaching: z.boolean(),
  /**
   * The case's photos the caller may see, in upload order: all of them for roles cleared for
   * sensitive data and the assigned worker, else only the caller's own uploads.
   */
  photos: z.array(PhotoSchema),
  /** Some of the case's photos were left out (faces, plates, positions: above the caller's clearance). */
  photosWithheld: z.boolean().optional(),
});
export type WorkOrderDetail = z.infer<typeof WorkOrderDetailSchema>;

const note = z.string().trim().min(1).max(4000);
const comment = z.string().trim().max(4000).default('');
/** Idempotency key chosen by the client (the offline queue's entry id). */
const actionId = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"');
const base = {
  /** Refuse with `conflict` if the case changed since the client saw this version. */
  expectedVersion: z.number().int().positive().optional(),
  actionId: actionId.optional(),
  /** When the worker did it, if it waited in the phone's offline queue (ISO-8601 or epoch ms). */
  doneAt: TimeInputSchema.optional(),
};

/** `POST /api/v1/work-orders` — 立案 by an operator, or 巡查上报 by a grid worker. */
export const WorkOrderCreateSchema = z
  .object({
    category: CaseCategoryIdSchema,
    urgency: UrgencySchema.optional(),
    title: z.string().trim().min(1).max(200),
    description: z.string().max(4000).optional(),
    address: z.string().max(500).optional(),
    location: LngLatSchema,
    sensorId: IdSchema.optional(),
    /** Photos uploaded first (POST /api/v1/photos). */
    photoIds: z.array(IdSchema).max(9).default([]),
    /** Dispatch at once to this worker (operators only). */
    assigneeId: IdSchema.optional(),
    actionId: actionId.optional(),
    doneAt: TimeInputSchema.optional(),
  })
  .strict();
export type WorkOrderCreate = z.infer<typeof WorkOrderCreateSchema>;

/** `POST /api/v1/alerts/:id/dispatch`, `POST /api/v1/incidents/:id/dispatch` — a case in one action. */
export const DispatchFromSchema = z
  .object({
    /** Worker to dispatch to; omitted: the best-ranked suggestion. */
    assigneeId: IdSchema.optional(),
    category: CaseCategoryIdSchema.optional(),
    urgency: UrgencySchema.optional(),
    note: z.string().max(4000).optional(),
  })
  .strict();
export type DispatchFrom = z.infer<typeof DispatchFromSchema>;

export const RETURN_REASONS = ['not-our-responsibility', 'wrong-location', 'duplicate', 'other'] as const;
export const CANCEL_REASONS = ['false-alarm', 'duplicate', 'not-a-case', 'other'] as const;

/** Bodies of `POST /api/v1/work-orders/:id/{action}`. */
export const WorkOrderCommandSchemas = {
  dispatch: z.object({ ...base, assigneeId: IdSchema, note: z.string().max(4000).optional() }).strict(),
  reassign: z.object({ ...base, assigneeId: IdSchema, reason: note }).strict(),
  accept: z.object({ ...base }).strict(),
  return: z.object({ ...base, reason: z.enum(RETURN_REASONS), note: comment }).strict(),
  checkIn: z
    .object({
      ...base,
      method: z.enum(['qr', 'proximity']),
      /** Text of the QR code scanned on site (the sensor's id, or `cityops:site:{id}`). */
      code: z.string().max(200).optional(),
      fix: FixSchema.optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.method === 'qr' && !v.code)
        ctx.addIssue({ code: 'custom', path: ['code'], message: 'required for a QR check-in' });
      if (v.method === 'proximity' && !v.fix)
        ctx.addIssue({ code: 'custom', path: ['fix'], message: 'required for a proximity check-in' });
    }),
  report: z.object({ ...base, note, photoIds: z.array(IdSchema).max(9).default([]) }).strict(),
  verify: z.object({ ...base, result: z.enum(['pass', 'fail']), comment }).strict(),
  evaluate: z
    .object({
      ...base,
      stars: z.number().int().min(1).max(5),
      by: z.enum(['citizen', 'supervisor']),
      comment,
    })
    .strict(),
  escalate: z.object({ ...base, department: z.string().trim().min(1).max(100), reason: note }).strict(),
  cancel: z.object({ ...base, reason: z.enum(CANCEL_REASONS), note: comment }).strict(),
  note: z.object({ ...base, note }).strict(),
} as const;
export type WorkOrderCommandName = keyof typeof WorkOrderCommandSchemas;
export type WorkOrderCommand = {
  [K in WorkOrderCommandName]: { action: K } & z.output<(typeof WorkOrderCommandSchemas)[K]>;
}[WorkOrderCommandName];

/** Query of `GET /api/v1/work-orders`. */
export const WorkOrderQuerySchema = z
  .object({
    state: csvEnum(WORK_ORDER_STATES).optional(),
    category: CaseCategoryIdSchema.optional(),
    source: WorkOrderSourceSchema.optional(),
    districtId: DistrictIdSchema.optional(),
    gridCellId: GridCellIdSchema.optional(),
    assigneeId: IdSchema.optional(),
    /** Only cases whose current stage is overdue. */
    overdue: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    from: TimeQuerySchema.optional(),
    to: TimeQuerySchema.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** One ranked worker for a case, with the reasons in words. */
export const DispatchSuggestionSchema = z.object({
  workerId: IdSchema,
  name: z.string(),
  rank: z.number().int().positive(),
  /** Lower is better; the order of the list. */
  score: z.number(),
  coverage: z.enum(['cell', 'neighbour', 'district', 'none']),
  onDuty: z.boolean(),
  hasSkill: z.boolean(),
  /** From the worker's live (or home) position to the site, km. */
  distanceKm: z.number().nonnegative(),
  /** Whether the distance is from a live position reported within the last 15 minutes. */
  livePosition: z.boolean(),
  /** Open cases assigned to the worker. */
  load: z.number().int().nonnegative(),
  reasons: z.array(I18nNameSchema),
});
export type DispatchSuggestion = z.infer<typeof DispatchSuggestionSchema>;

/** A grid worker's live position, as the wall and dispatchers see it. */
export const WorkerPositionSchema = z.object({
  workerId: IdSchema,
  location: LngLatSchema,
  accuracyM: z.number().nonnegative().optional(),
  at: EpochMsSchema,
});
export type WorkerPosition = z.infer<typeof WorkerPositionSchema>;

/** `POST /api/v1/me/position` and the `worker:position` socket command. */
export const PositionReportSchema = z
  .object({ location: LngLatSchema, accuracyM: z.number().nonnegative().max(100_000).optional() })
  .strict();

/** Per-stage time limits (minutes) for one urgency, optionally overridden for a category. */
export const StageLimitsSchema = z.object(
  Object.fromEntries(
    SLA_STAGES.map((s) => [
      s,
      z
        .number()
        .int()
        .min(1)
        .max(30 * 24 * 60),
    ]),
  ) as Record<(typeof SLA_STAGES)[number], z.ZodNumber>,
);

/** The dispatch policy: time limits, auto-dispatch, check-in radius. Stored, audited, editable by supervisors. */
export const WorkOrderPolicySchema = z
  .object({
    /** Limits per urgency, minutes. */
    limits: z.object({ emergency: StageLimitsSchema, urgent: StageLimitsSchema, normal: StageLimitsSchema }),
    /** Per-category overrides of some stages, minutes (keyed by category id, then urgency). */
    categoryLimits: z
      .partialRecord(CaseCategoryIdSchema, z.partialRecord(UrgencySchema, StageLimitsSchema.partial()))
      .default({}),
    /** Categories whose new cases go straight to the best on-duty, covering, skilled worker. */
    autoDispatch: z.array(CaseCategoryIdSchema).default([]),
    /** A proximity check-in must be within this distance of the site, metres. */
    checkInRadiusM: z.number().int().min(10).max(5000).default(200),
    /** A report needs at least one photo (处置后照片). */
    reportNeedsPhoto: z.boolean().default(true),
  })
  .strict();
export type WorkOrderPolicy = z.infer<typeof WorkOrderPolicySchema>;

/** KPI figures of one group (a worker, cell, district, category, period, or everything). */
export const KpiRowSchema = z.object({
  /** Group key: worker id, cell id, district id, category id, period start (ISO, Asia/Shanghai) or `all`. */
  key: z.string(),
  /** 立案数 */
  registered: z.number().int().nonnegative(),
  /** 应结案数: cases due in the period (deadline passed by its end) or closed in it. */
  due: z.number().int().nonnegative(),
  /** 结案数 */
  closed: z.number().int().nonnegative(),
  /** 按期结案数 */
  closedOnTime: z.number().int().nonnegative(),
  /** 结案率 = closed / due (null when nothing was due). */
  closeRate: z.number().nullable(),
  /** 按期结案率 = closedOnTime / due. */
  onTimeRate: z.number().nullable(),
  /** Cases that reached 反馈 at least once (处置数). */
  handled: z.number().int().nonnegative(),
  /** Cases sent back for rework at least once. */
  reworked: z.number().int().nonnegative(),
  /** 返工率 = reworked / handled. */
  reworkRate: z.number().nullable(),
  /** Response time (accept − dispatch), seconds. */
  responseAvgS: z.number().nullable(),
  responseP90S: z.number().nullable(),
  /** Handling time (report − accept), seconds. */
  handlingAvgS: z.number().nullable(),
  handlingP90S: z.number().nullable(),
  /** Stage deadlines missed (each overdue stage counts once). */
  overdue: z.number().int().nonnegative(),
  /** Mean citizen rating, 1–5. */
  ratingAvg: z.number().nullable(),
  ratings: z.number().int().nonnegative(),
});
export type KpiRow = z.infer<typeof KpiRowSchema>;

export const KPI_GROUPS = ['all', 'worker', 'cell', 'district', 'category', 'period'] as const;
export const KpiQuerySchema = z
  .object({
    from: TimeQuerySchema.optional(),
    to: TimeQuerySchema.optional(),
    groupBy: z.enum(KPI_GROUPS).default('all'),
    period: z.enum(['day', 'week', 'month']).default('day'),
    districtId: DistrictIdSchema.optional(),
    category: CaseCategoryIdSchema.optional(),
  })
  .strict();

export const KpiResponseSchema = z.object({
  from: EpochMsSchema,
  to: EpochMsSchema,
  groupBy: z.enum(KPI_GROUPS),
  rows: z.array(KpiRowSchema),
});
export type KpiResponse = z.infer<typeof KpiResponseSchema>;
