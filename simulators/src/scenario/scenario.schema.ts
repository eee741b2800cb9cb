import { z } from 'zod';
import { CASE_CATEGORY_IDS } from '@shared/domain/caseCategories';
import { SeveritySchema } from '@shared/schemas/alert.schema';
import { IdSchema, LngLatSchema } from '@shared/schemas/common.schema';
import { DurationSchema } from '@shared/schemas/rule.schema';
import { SensorKindSchema, SensorSubtypeSchema } from '@shared/schemas/sensor.schema';

/**
 * A scenario file (YAML or JSON): a city pack, a time window, a baseline, injected
 * incidents and what the rule set is expected to do about them. See docs/SCENARIOS.md.
 *
 * Times: `start` is ISO-8601 with an offset (`2026-11-23T06:00:00+08:00`). Incident and
 * expectation times (`at`, `after`, `from`, `to`) are one of
 *   - ISO-8601 with an offset,
 *   - `+<duration>` after the start (`+90m`, `+2h`),
 *   - `HH:MM` local time in the start's offset, the first such moment at or after the start.
 */

/** A time expression, resolved against the scenario start by `resolveTime`. */
export const TimeExprSchema = z.union([
  z.iso.datetime({ offset: true }),
  z.string().regex(/^\+\d+(\.\d+)?(ms|s|m|h|d)$/, 'an offset after the start such as "+90m"'),
  z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time "HH:MM"'),
]);
export type TimeExpr = z.infer<typeof TimeExprSchema>;

const Fraction = z.number().min(0).max(1);
const SensorIds = z.array(IdSchema).min(1).max(10_000);
const DistrictIds = z.array(z.string().regex(/^\d{6}$/, '6-digit district code')).min(1);
const CellIds = z.array(z.string().regex(/^\d{15}$/, '15-digit grid cell code')).min(1);

/** Which sensors (or which part of the city) something applies to; every given field narrows it. */
export const AreaSelectorSchema = z
  .object({
    sensors: SensorIds.optional(),
    districts: DistrictIds.optional(),
    cells: CellIds.optional(),
    kinds: z.array(SensorKindSchema).min(1).optional(),
    subtypes: z.array(SensorSubtypeSchema).min(1).optional(),
    /** Within `radiusKm` of a point. */
    near: z
      .object({ lngLat: LngLatSchema, radiusKm: z.number().positive().max(200) })
      .strict()
      .optional(),
  })
  .strict();
export type AreaSelector = z.infer<typeof AreaSelectorSchema>;

const IncidentBase = {
  /** Names the incident in labels and expectations. */
  id: IdSchema,
  /** When it starts. */
  at: TimeExprSchema,
  /** How long the cause lasts (effects such as a queue or standing water may outlast it). */
  duration: DurationSchema.pipe(z.number().positive('must be longer than 0')),
};

/** 交通事故 / 道路施工: capacity drops at a spot, the queue grows upstream, then dissolves. */
export const TrafficIncidentSchema = z
  .object({
    ...IncidentBase,
    type: z.enum(['traffic-accident', 'road-works']),
    where: z.union([
      z.object({ sensor: IdSchema }).strict(),
      z.object({ road: IdSchema, position: Fraction.describe('0 = start of the road, 1 = end') }).strict(),
    ]),
    /** Share of the road's capacity lost (0–1); default 0.85 for an accident, 0.5 for road works. */
    strength: Fraction.optional(),
    /** How fast the queue grows upstream, km/h of queue. */
    queueGrowthKmh: z.number().positive().max(30).default(4),
    /** Longest queue, km. */
    maxQueueKm: z.number().positive().max(30).default(4),
    /** How fast the queue dissolves once the road is clear, km/h. */
    dischargeKmh: z.number().positive().max(60).default(6),
  })
  .strict();

/** 重污染过程: a plume builds at a source, drifts with the wind across districts, and fades. */
export const PollutionEpisodeSchema = z
  .object({
    ...IncidentBase,
    type: z.literal('pollution-episode'),
    /** Where the plume forms: a district's centroid or a point. */
    origin: z.union([
      z.object({ district: z.string().regex(/^\d{6}$/) }).strict(),
      z.object({ lngLat: LngLatSchema }).strict(),
    ]),
    /** Wind carrying the plume: direction it blows towards (0 = north, 90 = east) and speed. */
    wind: z.object({ towardDeg: z.number().min(0).max(360), speedKmh: z.number().min(0).max(60) }).strict(),
    /** Plume radius at half strength, km. */
    radiusKm: z.number().positive().max(100).default(6),
    /** Extra PM2.5 at the plume's centre at full strength, µg/m³ (other pollutants follow). */
    peakPm25: z.number().positive().max(1000).default(220),
    /** Time to build up to full strength, and to fade out after `duration`. */
    buildUp: DurationSchema.default(7200),
    fade: DurationSchema.default(7200),
  })
  .strict();

/** 暴雨: rain over an area; a disaster chain of waterlogging → feeder trips → dark streetlights. */
export const RainstormSchema = z
  .object({
    ...IncidentBase,
    type: z.literal('rainstorm'),
    area: AreaSelectorSchema.default({}),
    /** Peak rain intensity, mm/h (暴雨 ≥ 16 mm/h; 大暴雨 much more). */
    peakMmPerHour: z.number().positive().max(300).default(60),
    /** A feeder trips when water within `feederRadiusKm` of it is this deep, cm (null: never). */
    feederTripDepthCm: z.number().positive().nullable().default(40),
    feederRadiusKm: z.number().positive().max(10).default(1.5),
    /** How long a tripped feeder stays down, seconds. */
    feederRepair: DurationSchema.default(5400),
  })
  .strict();

/** Grid events the generators know: a burst of one (`grid-events`) or a base rate in the baseline. */
export const GRID_EVENTS = [
  'manhole-displaced',
  'smoke',
  'feeder-outage',
  'feeder-overload',
  'streetlight-failure',
  'bin-overflow',
] as const;
export type GridEventKind = (typeof GRID_EVENTS)[number];

/** 井盖位移 and other bursts of the same grid event on many devices. */
export const GridEventBurstSchema = z
  .object({
    ...IncidentBase,
    type: z.literal('grid-events'),
    event: z.enum(GRID_EVENTS),
    where: AreaSelectorSchema.default({}),
    /** How many devices are hit; each at its own random moment within `duration`. */
    count: z.number().int().positive().max(10_000).default(1),
    /** How long each device stays in the event state (default: to the end of the scenario). */
    lasts: DurationSchema.optional(),
  })
  .strict();

/** Sensor faults: the data is wrong, not the city. */
export const SensorFaultSchema = z
  .object({
    ...IncidentBase,
    type: z.literal('sensor-faults'),
    fault: z.enum(['dropout', 'stuck', 'spike', 'drift', 'clock-skew', 'malformed']),
    where: AreaSelectorSchema.default({}),
    /** Share of the selected sensors affected. */
    share: Fraction.default(1),
    /** Sensors join the fault one by one across `duration` instead of all at `at` (a degrading network). */
    ramp: z.boolean().default(false),
    /** Spike, malformed and dropout: chance per reading of an affected sensor (default 1 for dropout). */
    probability: Fraction.optional(),
    /** Spike: factor applied to the value. */
    spikeFactor: z.number().positive().max(1000).default(8),
    /** Drift: share of the metric's range added per hour. */
    driftPerHour: z.number().min(-1).max(1).default(0.05),
    /** Clock skew: added to observedAt, seconds (positive = device clock ahead). */
    skewSec: z
      .number()
      .min(-86_400 * 30)
      .max(86_400 * 30)
      .default(3600),
  })
  .strict();

/** A 数字城管 case category (`shared/domain/caseCategories.ts`), e.g. `event.city-appearance.litter`. */
const CaseCategoryId = z.enum(CASE_CATEGORY_IDS);

/** One 12345 call: when, what (a case category), where, and what the citizen said. */
export const CitizenReportSchema = z
  .object({
    /** When the citizen reports it (default: the incident's `at`); inside the incident's window. */
    at: TimeExprSchema.optional(),
    category: CaseCategoryId,
    /** A point (inside the city's grid), a grid cell (its centre), or a sensor (its position). */
    where: z.union([
      z.object({ lngLat: LngLatSchema }).strict(),
      z.object({ cell: z.string().regex(/^\d{15}$/, '15-digit grid cell code') }).strict(),
      z.object({ sensor: IdSchema }).strict(),
    ]),
    /** What the citizen said (Open311 `description`, at most 4,000 characters). */
    description: z.string().trim().min(1).max(4000),
  })
  .strict();
export type CitizenReportSpec = z.infer<typeof CitizenReportSchema>;

/**
 * 12345 市民热线 reports, sent through Open311 (`POST /open311/v2/requests.json`): either a list of
 * `reports`, or a rate — `perHour` reports spread at random (seeded) over the window, of the
 * given `categories`, at places in `area` (grid-cell centres, or the selected sensors'
 * positions when the area names sensors, kinds or subtypes).
 */
export const CitizenReportsSchema = z
  .object({
    ...IncidentBase,
    type: z.literal('citizen-reports'),
    reports: z.array(CitizenReportSchema).min(1).max(1000).optional(),
    /** Mean reports per hour (a Poisson stream). */
    perHour: z.number().positive().max(1000).optional(),
    categories: z.array(CaseCategoryId).min(1).optional(),
    area: AreaSelectorSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const rate = v.perHour !== undefined || v.categories !== undefined || v.area !== undefined;
    if (v.reports && rate)
      ctx.addIssue({
        code: 'custom',
        path: ['reports'],
        message: 'give either `reports` or a rate (`perHour`, `categories`, `area`), not both',
      });
    else if (!v.reports && !rate)
      ctx.addIssue({
        code: 'custom',
        path: ['reports'],
        message: 'give the `reports`, or a rate with `perHour` and `categories`',
      });
    else if (rate)
      for (const key of ['perHour', 'categories'] as const)
        if (v[key] === undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'required for rate-based reports' });
  });

export const IncidentSchema = z.discriminatedUnion('type', [
  TrafficIncidentSchema,
  PollutionEpisodeSchema,
  RainstormSchema,
  GridEventBurstSchema,
  SensorFaultSchema,
  CitizenReportsSchema,
]);
export type Incident = z.infer<typeof IncidentSchema>;
export type IncidentType = Incident['type'];

export const BaselineSchema = z
  .object({
    /** Scale of traffic demand (1 = an ordinary day). */
    traffic: z.number().min(0).max(2).default(1),
    /** Scale of background air pollution. */
    air: z.number().min(0).max(5).default(1),
    /**
     * Grid events as random streams: events per device per day, and how long each lasts.
     * Defaults are low and raise at most blue/yellow alerts.
     */
    events: z
      .partialRecord(
        z.enum(GRID_EVENTS),
        z.object({ perDeviceDay: z.number().min(0).max(24), lasts: DurationSchema.default(3600) }).strict(),
      )
      .default({}),
  })
  .strict();
export type Baseline = z.infer<typeof BaselineSchema>;

const ExpectationBase = {
  /** Names the expectation in the report (default: its position). */
  id: IdSchema.optional(),
  /** Only alerts of this rule. */
  rule: IdSchema.optional(),
  /** Only alerts at least this severe (red > orange > yellow > blue). */
  severity: SeveritySchema.optional(),
  /** Only alerts in this part of the city (by sensor, cell or district of the alert). */
  where: AreaSelectorSchema.pick({ sensors: true, cells: true, districts: true }).strict().optional(),
};

/** "An alert of rule R (or any red alert) in the incident's area within 5 minutes of its start." */
export const AlertExpectationSchema = z
  .object({
    ...ExpectationBase,
    type: z.literal('alert'),
    /** Only alerts about this incident's sensors, cells or districts; times count from its start. */
    incident: IdSchema.optional(),
    /** Count from here (default: the incident's start, or the scenario start). */
    after: TimeExprSchema.optional(),
    /** The alert must be firing (at the severity asked) within this time. */
    within: DurationSchema,
    /** Expect the alert muted (by a silence or inhibition) — or not muted. Default: either. */
    muted: z.boolean().optional(),
    /** Fewest distinct subjects (sensors, cells, districts) alerting. */
    atLeast: z.number().int().positive().default(1),
  })
  .strict();

/** "No red alert anywhere during the quiet window." */
export const NoAlertExpectationSchema = z
  .object({
    ...ExpectationBase,
    type: z.literal('no-alert'),
    /** Window (default: the whole scenario). */
    from: TimeExprSchema.optional(),
    to: TimeExprSchema.optional(),
    /** Count muted alerts too (default: only alerts an operator would see unmuted). */
    includeMuted: z.boolean().default(false),
  })
  .strict();

/**
 * "The incident is dispatched and closed within its time limit": every case about the incident —
 * cases dispatched for its alerts (alerts on its sensors, cells or districts), or for a
 * `citizen-reports` incident the case each report registered — meets every condition given.
 */
export const CaseExpectationSchema = z
  .object({
    id: IdSchema.optional(),
    type: z.literal('case'),
    incident: IdSchema,
    /** Dispatched (派遣) within this time of becoming known: the report, or the alert firing. */
    dispatchedWithin: DurationSchema.optional(),
    /** Closed (核实结案) on time: the accepted report came by the case's deadline (处置时限). Default true. */
    closedOnTime: z.boolean().default(true),
    /** Closed within this time of the incident's start. */
    within: DurationSchema.optional(),
  })
  .strict();
export type CaseExpectation = z.infer<typeof CaseExpectationSchema>;

export const ExpectationSchema = z.discriminatedUnion('type', [
  AlertExpectationSchema,
  NoAlertExpectationSchema,
  CaseExpectationSchema,
]);
export type Expectation = z.infer<typeof ExpectationSchema>;

/**
 * The dispatch loop of a scenario: the policy the server runs with, a simulated dispatcher for
 * alerts, and the simulated grid workers (and verifier) who work every dispatched case.
 */
export const DispatchSchema = z
  .object({
    /** Categories whose new cases the server dispatches itself (the policy's `autoDispatch`). */
    autoDispatch: z.array(CaseCategoryId).default([]),
    /** A dispatcher who sends every firing, unmuted alert of these severities (and categories) to a worker at once. */
    dispatchAlerts: z
      .object({
        severities: z.array(SeveritySchema).min(1),
        categories: z.array(CaseCategoryId).min(1).optional(),
      })
      .strict()
      .optional(),
    workers: z
      .object({
        /** A worker accepts (接单) this long after the dispatch. */
        acceptAfter: DurationSchema.default(180),
        /** Travel speed from the worker's position (live, else home base) to the site, km/h. */
        travelKmh: z.number().positive().max(200).default(15),
        /** Time on site from check-in to the report (反馈). */
        handle: DurationSchema.default(1200),
        /** Share of cases whose first report the verifier fails once (返工), chosen by the seed. */
        reworkShare: Fraction.default(0),
        /** The verifier checks (核实) a report this long after it came. */
        verifyAfter: DurationSchema.default(300),
      })
      .strict()
      .default({ acceptAfter: 180, travelKmh: 15, handle: 1200, reworkShare: 0, verifyAfter: 300 }),
  })
  .strict();
export type DispatchSettings = z.infer<typeof DispatchSchema>;
export type SimWorkerSettings = DispatchSettings['workers'];

export const ScenarioSchema = z
  .object({
    name: z.object({ zh: z.string().min(1), en: z.string().min(1) }).strict(),
    description: z.string().optional(),
    /** City pack: a name shipped in server/citypacks or a path. */
    cityPack: z.string().min(1).default('hangzhou'),
    start: z.iso.datetime({
      offset: true,
      error: 'an ISO-8601 time with an offset, e.g. "2026-11-23T06:00:00+08:00"',
    }),
    duration: DurationSchema.pipe(z.number().min(60, 'at least 1 minute')),
    /** Speed-up when streaming to a live server (simulated seconds per real second). */
    speed: z.number().positive().max(3600).default(60),
    seed: z.number().int().default(1),
    /** Loop forever when streamed live (the built-in city day). */
    loop: z.boolean().default(false),
    baseline: BaselineSchema.default({ traffic: 1, air: 1, events: {} }),
    incidents: z.array(IncidentSchema).max(1000).default([]),
    expect: z.array(ExpectationSchema).max(1000).default([]),
    /** Who dispatches and works the cases (without it: no dispatcher, no workers). */
    dispatch: DispatchSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.incidents.forEach((inc, i) => {
      if (ids.has(inc.id))
        ctx.addIssue({ code: 'custom', path: ['incidents', i, 'id'], message: `"${inc.id}" is used twice` });
      ids.add(inc.id);
    });
    s.expect.forEach((e, i) => {
      if (e.type !== 'no-alert' && e.incident !== undefined && !ids.has(e.incident))
        ctx.addIssue({
          code: 'custom',
          path: ['expect', i, 'incident'],
          message: `no incident "${e.incident}" in this scenario (incidents: ${[...ids].join(', ') || 'none'})`,
        });
      if (e.type === 'case' && !s.dispatch)
        ctx.addIssue({
          code: 'custom',
          path: ['expect', i],
          message: 'a case expectation needs a `dispatch` section (who dispatches and works the cases)',
        });
    });
  });
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
