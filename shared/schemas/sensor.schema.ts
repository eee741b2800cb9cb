import { z } from 'zod';
import { MetricIdSchema } from '../metrics';
import { DistrictIdSchema, GridCellIdSchema, I18nNameSchema, IdSchema, LngLatSchema } from './common.schema';

/** What a sensor is. New kinds are added here and in the metric catalog. */
export const SENSOR_KINDS = ['traffic', 'air', 'weather', 'grid-event'] as const;
export const SensorKindSchema = z.enum(SENSOR_KINDS);
export type SensorKind = z.infer<typeof SensorKindSchema>;

/**
 * The device family inside a kind: for grid events the piece of infrastructure
 * (manhole cover, waterlogging gauge, streetlight, power feeder, smoke detector,
 * waste bin); for traffic the detector; for air the monitoring station.
 */
export const SENSOR_SUBTYPES = [
  'loop-detector',
  'aq-station',
  'weather-station',
  'manhole',
  'waterlogging',
  'streetlight',
  'feeder',
  'smoke',
  'waste-bin',
] as const;
export const SensorSubtypeSchema = z.enum(SENSOR_SUBTYPES);
export type SensorSubtype = z.infer<typeof SensorSubtypeSchema>;

/** Road class per GB/T 33171 speed grading; free-flow speeds 65 / 40 / 35 km/h. */
export const RoadClassSchema = z.enum(['expressway', 'arterial', 'secondary']);
export type RoadClass = z.infer<typeof RoadClassSchema>;

export const SensorMetricSchema = z.object({
  metric: MetricIdSchema,
  /** Unit of the reported value (always the catalog unit of the metric). */
  unit: z.string().min(1),
});
export type SensorMetric = z.infer<typeof SensorMetricSchema>;

export const SensorSchema = z.object({
  id: IdSchema,
  kind: SensorKindSchema,
  subtype: SensorSubtypeSchema,
  name: I18nNameSchema,
  /** Metrics this sensor reports, with units. */
  metrics: z.array(SensorMetricSchema).min(1),
  /** [lng, lat]; null for an auto-registered sensor nobody has placed yet. */
  location: LngLatSchema.nullable(),
  /** Unit grid cell the sensor stands in; null until placed. */
  gridCellId: GridCellIdSchema.nullable(),
  /** District the sensor stands in; null until placed. */
  districtId: DistrictIdSchema.nullable(),
  /** Expected seconds between two reports; offline rules count missed intervals of this. */
  reportIntervalSec: z.number().int().positive(),
  /** For traffic detectors: the road the detector sits on. */
  /** True when the sensor registered itself by reporting (AUTO_REGISTER_SENSORS); false for catalogued sensors. */
  autoRegistered: z.boolean().default(false),
  road: z
    .object({
      id: IdSchema,
      name: I18nNameSchema,
      class: RoadClassSchema,
      /** Free-flow speed in km/h for this road class. */
      freeFlowKmh: z.number().positive(),
    })
    .optional(),
});
export type Sensor = z.infer<typeof SensorSchema>;
