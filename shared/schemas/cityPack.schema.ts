import { z } from 'zod';
import { DistrictSchema, GridCellSchema } from './geo.schema';
import { AdminCodeSchema, I18nNameSchema, IdSchema, LngLatSchema } from './common.schema';
import { RoadClassSchema, SensorSchema } from './sensor.schema';
import { WorkerSchema } from './worker.schema';

export const RoadSchema = z.object({
  id: IdSchema,
  name: I18nNameSchema,
  class: RoadClassSchema,
  /** Polyline, [lng, lat] vertices. */
  coordinates: z.array(LngLatSchema).min(2),
});
export type Road = z.infer<typeof RoadSchema>;

export const DataSourceSchema = z.object({
  /** What was taken from the source (e.g. district outlines). */
  what: z.string(),
  name: z.string(),
  licence: z.string(),
  url: z.string().optional(),
});

/** Metadata of a city pack: the part every client needs first. */
export const CityPackMetaSchema = z.object({
  id: IdSchema,
  name: I18nNameSchema,
  /** 6-digit code of the city (GB/T 2260). */
  adcode: AdminCodeSchema,
  center: LngLatSchema,
  /** Initial map zoom. */
  zoom: z.number().min(0).max(22),
  /** [minLng, minLat, maxLng, maxLat] */
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  /** IANA zone for display (storage is always UTC). */
  timezone: z.string(),
  /** Datum of all coordinates in the pack (Chinese map data is usually GCJ-02). */
  coordinateSystem: z.enum(['WGS-84', 'GCJ-02']),
  /** Where the data comes from and under which licence. */
  sources: z.array(DataSourceSchema).min(1),
  /** Nominal cell edge length in metres (the standard's 单元网格 is ~100 m; packs may be coarser). */
  cellSizeM: z.number().positive(),
});
export type CityPackMeta = z.infer<typeof CityPackMetaSchema>;

/** A city pack: everything the platform needs to know about a city's territory and devices. */
export const CityPackSchema = z.object({
  meta: CityPackMetaSchema,
  districts: z.array(DistrictSchema).min(1),
  gridCells: z.array(GridCellSchema).min(1),
  roads: z.array(RoadSchema),
  sensors: z.array(SensorSchema).min(1),
  workers: z.array(WorkerSchema),
});
export type CityPack = z.infer<typeof CityPackSchema>;
