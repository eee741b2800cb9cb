import { z } from 'zod';
import { AQI_POLLUTANTS, AQI_STANDARDS } from '../domain/aqi';
import { DistrictIdSchema, EpochMsSchema, I18nNameSchema, IdSchema } from './common.schema';
import { RoadClassSchema, SENSOR_KINDS } from './sensor.schema';
import { WorkOrderStateSchema } from './workOrder.schema';

/**
 * 城市体征 — the city's vital signs for the wall's panels around the map: sensors online,
 * readings/s, open alerts and work orders, the traffic performance index (GB/T 33171) and its
 * most congested roads, AQI per district (HJ 633), grid events by category and a 24-hour alert
 * timeline. Computed by the server every VITALS_PUSH_MS from what it holds in memory, pushed as
 * `vitals:updated` (city room: the whole city; a district room: that district's own figures),
 * carried by the live snapshot and served by `GET /api/v1/vitals`.
 */

/**
 * A sensor counts as online when its newest reading is at most this old or
 * {@link ONLINE_WINDOW_INTERVALS} report intervals old, whichever is longer. The floor is the
 * wall's reporting window (the live store's `REPORTING_WINDOW_MS`, 2 min), so fast sensors count
 * as the wall's `reportingCount` does; slow ones (a manhole cover reports every 5 min) get three
 * intervals, the default of the noData (offline) rule.
 */
export const ONLINE_WINDOW_MIN_MS = 120_000;
/** Report intervals a sensor may miss before it no longer counts as online (noData's default `factor`). */
export const ONLINE_WINDOW_INTERVALS = 3;

/** How old a sensor's newest reading may be for it to count as online, ms. */
export function onlineWindowMs(reportIntervalSec: number): number {
  return Math.max(ONLINE_WINDOW_MIN_MS, ONLINE_WINDOW_INTERVALS * reportIntervalSec * 1000);
}

/** The grid-event sensor families (部件/事件 sensors), the categories of the grid-event panel. */
export const GRID_EVENT_SUBTYPES = [
  'manhole',
  'waterlogging',
  'streetlight',
  'feeder',
  'smoke',
  'waste-bin',
] as const;
export const GridEventSubtypeSchema = z.enum(GRID_EVENT_SUBTYPES);
export type GridEventSubtype = z.infer<typeof GridEventSubtypeSchema>;

/** Whose vitals: the whole city or one district (grid cells have none). */
export const VitalsScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('city') }),
  z.object({ kind: z.literal('district'), id: DistrictIdSchema }),
]);
export type VitalsScope = z.infer<typeof VitalsScopeSchema>;

const Count = z.number().int().nonnegative();

/** A count per warning colour (红/橙/黄/蓝). */
export const SeverityCountsSchema = z.object({ red: Count, orange: Count, yellow: Count, blue: Count });
export type SeverityCounts = z.infer<typeof SeverityCountsSchema>;

export const SensorCountsSchema = z.object({
  /** Sensors in the scope (catalogued and auto-registered). */
  total: Count,
  /** Sensors whose newest reading is within their online window ({@link onlineWindowMs}). */
  online: Count,
});

export const VitalsSensorsSchema = SensorCountsSchema.extend({
  /** online / total × 100, one decimal, 0–100; null when the scope has no sensors. */
  onlinePct: z.number().min(0).max(100).nullable(),
  /** The same counts per sensor kind (traffic, air, weather, grid-event). */
  byKind: z.object(
    Object.fromEntries(SENSOR_KINDS.map((k) => [k, SensorCountsSchema])) as Record<
      (typeof SENSOR_KINDS)[number],
      typeof SensorCountsSchema
    >,
  ),
});

export const VitalsAlertsSchema = z.object({
  /** Open alerts (pending, firing, acknowledged) that are announced, i.e. not muted. */
  open: Count,
  /** Announced open alerts per warning colour. */
  bySeverity: SeverityCountsSchema,
  /** Open alerts muted by a silence or an inhibiting alert (shown apart, never in `bySeverity`). */
  muted: Count,
});

export const VitalsWorkOrdersSchema = z.object({
  /** 案卷 not closed, evaluated or cancelled. */
  open: Count,
  /** Open cases per state (only open states appear). */
  byState: z.partialRecord(WorkOrderStateSchema, Count),
  /** Open cases whose current stage is past its time limit (flagged, or due and not yet flagged). */
  overdue: Count,
});

/** One of GB/T 33171's five congestion states, for display. */
export const CongestionLabelSchema = z.object({
  id: z.enum(['free', 'basically-free', 'light', 'moderate', 'severe']),
  /** 畅通 / 基本畅通 / 轻度拥堵 / 中度拥堵 / 严重拥堵 */
  zh: z.string(),
  en: z.string(),
  /** `#rrggbb` */
  color: z.string(),
});
export type CongestionLabel = z.infer<typeof CongestionLabelSchema>;

export const TrafficIndexSchema = z.object({
  /**
   * 交通运行指数 TPI, 0–10, to one decimal (truncated, so it stays in the band of the exact
   * value): the vehicle-kilometre-weighted mean delay ratio of the scope's detectors mapped per
   * GB/T 33171; null when no detector has a fresh, positive speed.
   */
  tpi: z.number().min(0).max(10).nullable(),
  /** State of `tpi`; null with it. */
  state: CongestionLabelSchema.nullable(),
  /** Detectors that entered the index (fresh reading, speed > 0, a road). */
  detectors: Count,
});
export type TrafficIndex = z.infer<typeof TrafficIndexSchema>;

export const RoadCongestionSchema = z.object({
  roadId: IdSchema,
  name: I18nNameSchema,
  class: RoadClassSchema,
  /** TPI of the road from its detectors in the scope, 0–10, one decimal (truncated). */
  tpi: z.number().min(0).max(10),
  state: CongestionLabelSchema,
  /** Arithmetic mean of those detectors' speeds, km/h, one decimal. */
  speedKmh: z.number().nonnegative(),
  detectors: Count,
});
export type RoadCongestion = z.infer<typeof RoadCongestionSchema>;

export const AqiFigureSchema = z.object({
  /** AQI, integer 0–500, from the mean concentrations of the stations (see `air`). */
  aqi: z.number().int().nonnegative(),
  /** 1 (优) … 6 (严重污染). */
  level: z.number().int().min(1).max(6),
  category: I18nNameSchema,
  /** `#RRGGBB` of the level under the standard. */
  color: z.string(),
  /** 首要污染物 when AQI > 50 (ties all listed), else empty. */
  primaryPollutants: z.array(z.enum(AQI_POLLUTANTS)),
  /** Stations with a fresh reading that entered the figure. */
  stations: Count,
});
export type AqiFigure = z.infer<typeof AqiFigureSchema>;

export const DistrictAirSchema = z.object({
  districtId: DistrictIdSchema,
  name: I18nNameSchema,
  /** Null when none of the district's stations has a fresh reading. */
  aqi: AqiFigureSchema.nullable(),
});
export type DistrictAir = z.infer<typeof DistrictAirSchema>;

export const GridEventCategorySchema = z.object({
  subtype: GridEventSubtypeSchema,
  /** The case category's name (井盖, 道路积水, 路灯, 供电设施, 火情烟雾, 垃圾箱). */
  name: I18nNameSchema,
  /** Sensors of this family in the scope. */
  sensors: Count,
  /** Announced open alerts on these sensors that are events (not device faults). */
  openAlerts: Count,
  bySeverity: SeverityCountsSchema,
  /** Announced open device-health alerts (offline, stuck, data quality) on these sensors. */
  deviceFaults: Count,
});
export type GridEventCategory = z.infer<typeof GridEventCategorySchema>;

export const AlertHourSchema = z.object({
  /** Start of the Asia/Shanghai hour, epoch ms. */
  hourStart: EpochMsSchema,
  /** `HH:00`, Asia/Shanghai. */
  label: z.string().regex(/^\d{2}:00$/),
  /** Asia/Shanghai calendar day of the hour, `YYYY-MM-DD`. */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** Alerts raised (stored, whatever became of them) whose condition started in this hour. */
  total: Count,
  bySeverity: SeverityCountsSchema,
});
export type AlertHour = z.infer<typeof AlertHourSchema>;

/** One minute of the indices' history. */
export const VitalsTrendPointSchema = z.object({
  /** Start of the minute, epoch ms. */
  t: EpochMsSchema,
  /** Mean TPI over the minute's computations, one decimal; null when there was none. */
  tpi: z.number().min(0).max(10).nullable(),
  /** Mean AQI over the minute's computations, rounded; null when there was none. */
  aqi: z.number().int().nonnegative().nullable(),
});
export type VitalsTrendPoint = z.infer<typeof VitalsTrendPointSchema>;

export const CityVitalsSchema = z.object({
  v: z.literal('v1'),
  scope: VitalsScopeSchema,
  /** When computed, server time, epoch ms. */
  at: EpochMsSchema,
  sensors: VitalsSensorsSchema,
  /**
   * Accepted readings per second over the last 10 s, the whole node's (the same figure every
   * live client gets in `stats:updated`, also in a district's vitals).
   */
  readingsPerSec: z.number().nonnegative(),
  alerts: VitalsAlertsSchema,
  workOrders: VitalsWorkOrdersSchema,
  traffic: z.object({
    /** The scope's index. */
    index: TrafficIndexSchema,
    /** At most 10 roads, most congested first (TPI, then the slower, then road id). */
    topRoads: z.array(RoadCongestionSchema).max(10),
  }),
  air: z.object({
    /** The standard the figures were computed under (HJ 633—2026 by default). */
    standard: z.enum(AQI_STANDARDS),
    /**
     * The scope's AQI: the mean concentration per pollutant over all its stations with a fresh
     * reading, then indexed (how HJ 663 forms a city's figure), not a mean of station AQIs.
     * Real-time: the newest station values are read as 1-hour concentrations.
     */
    index: AqiFigureSchema.nullable(),
    /** Per district, in the city pack's order; a district's vitals list only its own. */
    districts: z.array(DistrictAirSchema),
  }),
  /** Open alerts per grid-event family, in {@link GRID_EVENT_SUBTYPES} order. */
  gridEvents: z.array(GridEventCategorySchema),
  /** 24 Asia/Shanghai hours, oldest first; the last is the current (partial) hour. */
  alertTimeline: z.array(AlertHourSchema).length(24),
  /**
   * TPI and AQI per minute over the last 24 h (since the server started), oldest first; the
   * current minute is not in it yet. Always in the snapshot and `GET /api/v1/vitals`; a push
   * carries it only when it changed (once a minute), and a push without it leaves it as it was.
   */
  trend: z.array(VitalsTrendPointSchema).optional(),
});
export type CityVitals = z.infer<typeof CityVitalsSchema>;

/** Query of `GET /api/v1/vitals`. */
export const VitalsQuerySchema = z
  .object({
    /** A district you reach; default the city (or, limited to districts, the first of yours). */
    districtId: DistrictIdSchema.optional(),
  })
  .strict();
