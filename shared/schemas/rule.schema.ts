import { z } from 'zod';
import { isMetricId, METRICS } from '../metrics';
import { AlertSubjectSchema, SeveritySchema } from './alert.schema';
import {
  DistrictIdSchema,
  EpochMsSchema,
  TimeInputSchema,
  GridCellIdSchema,
  I18nNameSchema,
  IdSchema,
  PolygonCoordsSchema,
} from './common.schema';
import { SensorKindSchema, SensorSubtypeSchema } from './sensor.schema';

/**
 * Rules are JSON documents. This module holds the part every rule shares (identity,
 * scope, lifecycle timing, labels); each rule kind validates its own `params` on the
 * server (server/src/domain/rules/kinds/*), which also publishes them as JSON Schema
 * so the UI can render a form per kind.
 */

export const RULE_KINDS = [
  'threshold',
  'rateOfChange',
  'noData',
  'stuck',
  'dataQuality',
  'anomaly',
  'area',
] as const;
export const RuleKindIdSchema = z.enum(RULE_KINDS);
export type RuleKindId = z.infer<typeof RuleKindIdSchema>;

/**
 * Metrics the rule engine derives from readings, usable by any rule like a reported metric:
 * `aqi` (air-quality index of a station from its rolling pollutant means, per the rule's
 * `aqiStandard`), `tti` (travel-time index free-flow ÷ observed speed, GB/T 33171), `tpi`
 * (traffic performance index 0–10) and `congestion` (1 畅通 … 5 严重拥堵).
 */
export const DERIVED_METRICS = {
  aqi: { unit: 'AQI', zh: '空气质量指数', en: 'AQI' },
  tti: { unit: 'ratio', zh: '行程时间指数', en: 'Travel time index' },
  tpi: { unit: 'TPI', zh: '交通运行指数', en: 'Traffic performance index' },
  congestion: { unit: 'level', zh: '拥堵等级', en: 'Congestion level' },
} as const;
export type DerivedMetricId = keyof typeof DERIVED_METRICS;

export function isDerivedMetric(value: string): value is DerivedMetricId {
  return Object.hasOwn(DERIVED_METRICS, value);
}

/** A metric a rule can watch: one a sensor reports, or a derived one. */
export const RuleMetricSchema = z.string().refine((m) => isMetricId(m) || isDerivedMetric(m), {
  message: `unknown metric; use one of ${[...Object.keys(METRICS), ...Object.keys(DERIVED_METRICS)].join(', ')}`,
});

const DURATION_UNITS_S = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 } as const;

/**
 * A duration, written as seconds (`600`) or with a unit (`"10m"`, `"1h"`, `"90s"`, `"2d"`);
 * always parsed to seconds. At most 30 days.
 */
export const DurationSchema = z
  .union([
    z.number().nonnegative(),
    z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a number of seconds or e.g. "90s", "10m", "1h", "2d"'),
  ])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const [, n, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v)!;
    return Number(n) * DURATION_UNITS_S[unit as keyof typeof DURATION_UNITS_S];
  })
  .pipe(z.number().max(30 * 86400, 'at most 30 days'));

export const COMPARATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export const ComparatorSchema = z.enum(COMPARATORS);
export type Comparator = z.infer<typeof ComparatorSchema>;

/** Where a rule applies. Every given field narrows it; an empty scope means the whole city. */
export const RuleScopeSchema = z
  .object({
    sensorIds: z.array(IdSchema).min(1).max(10_000).optional(),
    kinds: z.array(SensorKindSchema).min(1).optional(),
    subtypes: z.array(SensorSubtypeSchema).min(1).optional(),
    districtIds: z.array(DistrictIdSchema).min(1).optional(),
    gridCellIds: z.array(GridCellIdSchema).min(1).max(10_000).optional(),
    /** 电子预警围栏: only sensors inside this polygon (GeoJSON Polygon coordinates). */
    polygon: PolygonCoordsSchema.optional(),
  })
  .strict();
export type RuleScope = z.infer<typeof RuleScopeSchema>;

/** Flap detection: this many raise/resolve transitions within the window mark the alert flapping. */
export const FlapSettingsSchema = z
  .object({
    window: DurationSchema.default(3600),
    transitions: z.number().int().min(2).max(100).default(6),
  })
  .strict();

export const LabelsSchema = z
  .record(
    z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,31}$/, 'label names: letters, digits, _'),
    z.string().max(128),
  )
  .refine((v) => Object.keys(v).length <= 20, 'at most 20 labels');

/**
 * A rule as an engineer writes it (POST/PUT body, rule files). `params` is checked by
 * the rule kind; see `GET /api/v1/rule-kinds` for each kind's parameter schema.
 */
export const RuleDraftSchema = z
  .object({
    id: IdSchema,
    name: I18nNameSchema,
    description: z.string().max(2000).optional(),
    kind: RuleKindIdSchema,
    enabled: z.boolean().default(true),
    scope: RuleScopeSchema.default({}),
    params: z.record(z.string(), z.unknown()),
    /** Pending time: the condition must hold this long before the alert fires (Prometheus `for`), seconds. */
    for: DurationSchema.default(0),
    /** Hysteresis in time: a firing alert resolves only after the condition stayed clear this long, seconds. */
    keepFiringFor: DurationSchema.default(0),
    flap: FlapSettingsSchema.optional(),
    /**
     * Escalation: a red alert of this rule not acknowledged within this many seconds
     * escalates to supervisors. Default: the server's ESCALATE_RED_AFTER_S.
     */
    escalateAfter: DurationSchema.optional(),
    /** AQI standard for the derived `aqi` metric (default HJ 633—2026). */
    aqiStandard: z.enum(['HJ633-2026', 'HJ633-2012', 'US-EPA-2024']).default('HJ633-2026'),
    /** Free labels; they take part in silences and inhibition matching. */
    labels: LabelsSchema.default({}),
  })
  .strict();
export type RuleDraftInput = z.input<typeof RuleDraftSchema>;
export type RuleDraft = z.output<typeof RuleDraftSchema>;

/** A stored rule version: every change is a new version, with who and why. */
export const RuleSchema = RuleDraftSchema.extend({
  version: z.number().int().positive(),
  updatedAt: EpochMsSchema,
  /** User id of whoever made this version ('system' for the shipped defaults). */
  updatedBy: z.string(),
  /** Why this version was made. */
  reason: z.string().max(500),
});
export type Rule = z.output<typeof RuleSchema>;

/** A severity step of a threshold-style condition: `value op threshold` raises at `severity`. */
export const LevelSchema = z
  .object({
    severity: SeveritySchema,
    op: ComparatorSchema,
    value: z.number(),
    /**
     * Separate clear condition (hysteresis in value): once raised, the level holds until the
     * value crosses `clear` the other way (for `>`/`>=`: until value < clear). Default: `value`.
     */
    clear: z.number().optional(),
  })
  .strict()
  .superRefine((level, ctx) => {
    if (level.clear === undefined) return;
    const up = level.op === '>' || level.op === '>=';
    const down = level.op === '<' || level.op === '<=';
    if (!up && !down)
      ctx.addIssue({ code: 'custom', path: ['clear'], message: `not allowed with ${level.op}` });
    if (up && level.clear > level.value)
      ctx.addIssue({
        code: 'custom',
        path: ['clear'],
        message: `must be ≤ value (${level.value}) for ${level.op}`,
      });
    if (down && level.clear < level.value)
      ctx.addIssue({
        code: 'custom',
        path: ['clear'],
        message: `must be ≥ value (${level.value}) for ${level.op}`,
      });
  });
export type Level = z.infer<typeof LevelSchema>;

/** Several levels, at most one per severity. */
export const LevelsSchema = z
  .array(LevelSchema)
  .min(1)
  .max(4)
  .refine(
    (levels) => new Set(levels.map((l) => l.severity)).size === levels.length,
    'one level per severity',
  );

/** What a rule kind tells the UI about itself (GET /api/v1/rule-kinds). */
export const RuleKindInfoSchema = z.object({
  kind: RuleKindIdSchema,
  title: I18nNameSchema,
  description: I18nNameSchema,
  /** What its alerts are about. */
  subject: z.enum(['sensor', 'area']),
  /** JSON Schema of `params`, for rendering a form. */
  paramsSchema: z.record(z.string(), z.unknown()),
  /** A valid example of `params`. */
  example: z.record(z.string(), z.unknown()),
});
export type RuleKindInfo = z.infer<typeof RuleKindInfoSchema>;

const ReasonSchema = z.string().trim().min(1, 'say why (kept with the version and audited)').max(500);

/** Body of `POST /api/v1/rules`. */
export const RuleCreateBodySchema = z.object({ rule: z.unknown(), reason: ReasonSchema }).strict();
/** Body of `PUT /api/v1/rules/:id`: the whole new document; `expectedVersion` guards concurrent edits. */
export const RuleUpdateBodySchema = z
  .object({
    rule: z.unknown(),
    reason: ReasonSchema,
    expectedVersion: z.number().int().positive().optional(),
  })
  .strict();
/** Body of `PATCH /api/v1/rules/:id`: enable or disable. */
export const RulePatchBodySchema = z.object({ enabled: z.boolean(), reason: ReasonSchema }).strict();
/** Query of `DELETE /api/v1/rules/:id`. */
export const RuleDeleteQuerySchema = z.object({ reason: ReasonSchema }).strict();

/** Longest range one backtest replays (and the most sensors it may be narrowed to). */
export const BACKTEST_MAX_RANGE_MS = 31 * 86_400_000;
export const BACKTEST_MAX_SENSORS = 10_000;

/**
 * Body of `POST /api/v1/rules/backtest`: replay stored readings over [from, to) through a
 * rule document (`rule`, checked like a new rule) or a stored rule (`ruleId`, its current
 * version), enabled or not. `sensorIds` narrows the rule's scope further.
 */
export const RuleBacktestBodySchema = z
  .object({
    /** A rule document (RuleDraft), e.g. the one about to be created. */
    rule: z.unknown().optional(),
    /** A stored rule instead: its current version is replayed. */
    ruleId: IdSchema.optional(),
    /** Start of the range, ISO-8601 with offset or epoch ms (inclusive). */
    from: TimeInputSchema,
    /** End of the range (exclusive); at most 31 days after `from`. */
    to: TimeInputSchema,
    /** Replay only these sensors (of those in the rule's scope). */
    sensorIds: z.array(IdSchema).min(1).max(BACKTEST_MAX_SENSORS).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.rule === undefined && body.ruleId === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['rule'],
        message: 'give a rule document (rule) or the id of a stored rule (ruleId)',
      });
    if (body.rule !== undefined && body.ruleId !== undefined)
      ctx.addIssue({ code: 'custom', path: ['ruleId'], message: 'give rule or ruleId, not both' });
    // Compared only when both parsed (a refinement also runs after a field failed).
    if (typeof body.from !== 'number' || typeof body.to !== 'number') return;
    if (!(body.from < body.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: '"to" must be after "from"' });
    else if (body.to - body.from > BACKTEST_MAX_RANGE_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `a backtest covers at most ${BACKTEST_MAX_RANGE_MS / 86_400_000} days`,
      });
  });
export type RuleBacktestBody = z.output<typeof RuleBacktestBodySchema>;

/** One alert a backtest says the rule would have raised. */
export const BacktestAlertSchema = z.object({
  subject: AlertSubjectSchema,
  /** The sensor, for sensor subjects. */
  sensorId: IdSchema.optional(),
  /** Severity it was raised with. */
  severity: SeveritySchema,
  /** Most severe level it reached while open. */
  maxSeverity: SeveritySchema,
  /** When the condition began (start of pending), epoch ms. */
  startsAt: EpochMsSchema,
  /** When it started firing (was raised), epoch ms. */
  firingAt: EpochMsSchema,
  /** When it resolved; absent when still open at the end of the replay. */
  resolvedAt: EpochMsSchema.optional(),
  /** Value it was raised on, in the metric's unit. */
  value: z.number().optional(),
  /** Anomaly score it was raised on (anomaly rules), unitless. */
  score: z.number().optional(),
  /** It was marked flapping at some point. */
  flapping: z.boolean(),
});
export type RuleBacktestAlert = z.infer<typeof BacktestAlertSchema>;

/** Answer of `POST /api/v1/rules/backtest`. */
export const RuleBacktestResultSchema = z.object({
  /** The rule replayed; `version` for a stored rule. */
  rule: z.object({ id: IdSchema, version: z.number().int().positive().optional() }),
  /** The range asked for, epoch ms. */
  from: EpochMsSchema,
  to: EpochMsSchema,
  /**
   * The range actually replayed: from the later of `from` and the raw-retention horizon, to
   * the earlier of `to`, now, and where a truncated replay stopped.
   */
  replayedFrom: EpochMsSchema,
  replayedTo: EpochMsSchema,
  /** Stored readings replayed. */
  readings: z.number().int().nonnegative(),
  /** Sensors replayed (in the rule's scope, the narrowing and the caller's area). */
  sensors: z.number().int().nonnegative(),
  /** The replay stopped early (reading cap or time budget) at `replayedTo`; see `warnings`. */
  truncated: z.boolean(),
  /** Virtual clock tick of the replay, ms (timers such as no data resolve to this). */
  tickMs: z.number().int().positive(),
  /** Raised alerts in the order they fired (the first 10,000). */
  alerts: z.array(BacktestAlertSchema),
  /** All raised alerts, listed or not. */
  alertsTotal: z.number().int().nonnegative(),
  /** Raised alerts by the most severe level each reached. */
  bySeverity: z.record(SeveritySchema, z.number().int().nonnegative()),
  /** Pending episodes that ended before the rule's `for` (never raised). */
  cancelled: z.number().int().nonnegative(),
  /** What the caller should know: readings gone to retention, sensors left out, truncation. */
  warnings: z.array(z.string()),
  /** Wall time the replay took, ms. */
  durationMs: z.number().nonnegative(),
});
export type RuleBacktestResult = z.infer<typeof RuleBacktestResultSchema>;
