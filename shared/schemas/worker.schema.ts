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
  /** Case categories the worker can handle (e.g. `manhole`, `waterlogging`). */
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
