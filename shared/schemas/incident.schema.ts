import { z } from 'zod';
import { AlertSchema, SeveritySchema } from './alert.schema';
import { EpochMsSchema, I18nNameSchema, IdSchema, LngLatSchema, TimeQuerySchema } from './common.schema';

/**
 * 事件 — an incident: alerts close in place and time (the same or neighbouring
 * grid cells within a window) grouped into one, so one accident with five
 * breaching detectors is one incident on the wall. Open while any member alert
 * is open; resolved when all are resolved or closed.
 */
export const INCIDENT_STATES = ['open', 'resolved'] as const;
export const IncidentStateSchema = z.enum(INCIDENT_STATES);
export type IncidentState = z.infer<typeof IncidentStateSchema>;

export const IncidentSchema = z.object({
  id: IdSchema,
  state: IncidentStateSchema,
  /** Worst severity of its open alerts; once resolved, the worst any of its alerts had. */
  severity: SeveritySchema,
  /** Worst severity any of its alerts ever had. */
  peakSeverity: SeveritySchema,
  /** The first alert's title and how many more. */
  title: I18nNameSchema,
  districtIds: z.array(z.string()),
  gridCellIds: z.array(z.string()),
  /** Subjects of its alerts (`sensor:ID`, `district:ID`…): cell-less alerts join by subject. */
  subjects: z.array(z.string()),
  /** Every alert ever grouped into it, in order of joining. */
  alertIds: z.array(IdSchema),
  /** Member alerts still open. */
  openAlertIds: z.array(IdSchema),
  ruleIds: z.array(IdSchema),
  /** Where to put it on the map: the first located alert. */
  location: LngLatSchema.optional(),
  startsAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
  /** Latest moment a member was open: correlation compares new alerts with this. */
  lastActiveAt: EpochMsSchema,
  resolvedAt: EpochMsSchema.optional(),
});
export type Incident = z.infer<typeof IncidentSchema>;

/** Query of `GET /api/v1/incidents`. */
export const IncidentQuerySchema = z
  .object({
    state: IncidentStateSchema.optional(),
    from: TimeQuerySchema.optional(),
    to: TimeQuerySchema.optional(),
    districtId: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type IncidentQuery = z.output<typeof IncidentQuerySchema>;

export const IncidentDetailSchema = z.object({ incident: IncidentSchema, alerts: z.array(AlertSchema) });
