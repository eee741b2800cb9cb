import { z } from 'zod';
import { DistrictIdSchema, GridCellIdSchema, IdSchema, LngLatSchema } from './common.schema';

/** 网格员 — a grid worker. `phone` and `name` are personal data (masked for viewers). */
export const WorkerSchema = z.object({
  id: IdSchema,
  name: z.string().min(1),
  /** Mobile number, personal data. */
  phone: z.string().regex(/^1\d{10}$/, '11-digit mainland mobile number'),
  districtId: DistrictIdSchema,
  /** Unit grid cells this worker covers (15-digit codes). */
  gridCellIds: z.array(GridCellIdSchema).min(1),
  /** Skills: the case families the worker can handle (e.g. `manhole`, `waterlogging`; names in `SKILL_NAMES`). */
  skills: z.array(z.string().min(1)),
  /** Daily shift in Asia/Shanghai local time, `HH:MM`. */
  shift: z.object({
    start: z.string().regex(/^\d{2}:\d{2}$/),
    end: z.string().regex(/^\d{2}:\d{2}$/),
  }),
  /** Home base / last known position. */
  location: LngLatSchema,
});
export type Worker = z.infer<typeof WorkerSchema>;

/**
 * A roster entry as `GET /api/v1/workers` sends it: 脱敏 — personal fields masked by the caller's
 * clearance (name `张**`, phone `138****5678`); fields without a masked form are withheld (null).
 * A grid worker gets their own entry in full.
 */
export const RosterWorkerSchema = WorkerSchema.extend({
  /** The name, or its masked form (first character kept). */
  name: z.string(),
  /** The mobile number, or its masked form (first three and last four digits kept). */
  phone: z.string(),
  location: WorkerSchema.shape.location.nullable(),
  shift: WorkerSchema.shape.shift.nullable(),
  skills: WorkerSchema.shape.skills.nullable(),
  /** True when some field was masked or withheld for this caller. */
  masked: z.boolean(),
});
export type RosterWorker = z.infer<typeof RosterWorkerSchema>;
