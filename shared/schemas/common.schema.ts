import { z } from 'zod';

/** Identifier of a sensor, gateway, worker, rule…: safe in MQTT topics and URLs. */
export const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');

/** A 6-digit administrative division code (GB/T 2260): a city (330100) or a district (330106). */
export const AdminCodeSchema = z.string().regex(/^\d{6}$/, '6-digit administrative code');
/** 区 — a district, identified by its administrative division code. */
export const DistrictIdSchema = AdminCodeSchema;
/** 单元网格 — a unit grid cell's 15-digit hierarchical code (district 6 + street 3 + community 3 + cell 3). */
export const GridCellIdSchema = z.string().regex(/^\d{15}$/, '15-digit hierarchical code');

/** WGS-84 longitude (degrees east). */
export const LngSchema = z.number().min(-180).max(180);
/** WGS-84 latitude (degrees north). */
export const LatSchema = z.number().min(-90).max(90);
/** A position as GeoJSON orders it: [longitude, latitude] in WGS-84 degrees. */
export const LngLatSchema = z.tuple([LngSchema, LatSchema]);
export type LngLat = z.infer<typeof LngLatSchema>;

/** GeoJSON Polygon coordinates: rings of [lng, lat], the first ring outer. */
export const PolygonCoordsSchema = z.array(z.array(LngLatSchema).min(4)).min(1);
/** GeoJSON MultiPolygon coordinates. */
export const MultiPolygonCoordsSchema = z.array(PolygonCoordsSchema).min(1);

/** Milliseconds since the Unix epoch (UTC). */
export const EpochMsSchema = z.number().int().nonnegative();

/** A time in a JSON body: ISO-8601 with an offset, or epoch ms; parsed to epoch ms. */
export const TimeInputSchema = z
  .union([z.iso.datetime({ offset: true }), EpochMsSchema])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/** A time in a query string: ISO-8601 with an offset, or epoch ms digits; parsed to epoch ms. */
export const TimeQuerySchema = z
  .union([z.iso.datetime({ offset: true }), z.coerce.number().int().nonnegative()])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/** Chinese first, English second: every user-facing name carries both. */
export const I18nNameSchema = z.object({
  /** 中文名称 */
  zh: z.string().min(1),
  /** English name */
  en: z.string().min(1),
});
export type I18nName = z.infer<typeof I18nNameSchema>;

/** One page of a list endpoint. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** Total number of items matching the filter (not just this page). */
    total: z.number().int().nonnegative(),
  });
}

/** A query-string list of enum values: comma-separated (`a,b`) or repeated (`?x=a&x=b`), at most 50. */
export function csvEnum<T extends string>(values: readonly [T, ...T[]]) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).max(50));
}
