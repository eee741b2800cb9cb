import { z } from 'zod';
import {
  EpochMsSchema,
  IdSchema,
  I18nNameSchema,
  LngLatSchema,
  TimeQuerySchema,
  csvEnum,
} from './common.schema';

/**
 * Early-warning level, China's four colours: 红 I 特别严重, 橙 II 严重,
 * 黄 III 较重, 蓝 IV 一般. Ordered from most to least severe.
 */
export const SEVERITIES = ['red', 'orange', 'yellow', 'blue'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** Alert lifecycle (Grafana/Alertmanager-style, plus operator acknowledgement). */
export const ALERT_STATES = ['pending', 'firing', 'acknowledged', 'resolved', 'closed'] as const;
export const AlertStateSchema = z.enum(ALERT_STATES);
export type AlertState = z.infer<typeof AlertStateSchema>;
/** States in which an alert counts as open (on the wall, in the snapshot). */
export const OPEN_ALERT_STATES: readonly AlertState[] = ['pending', 'firing', 'acknowledged'];

/** What an alert is about: one sensor, or an area (grid cell, district, drawn polygon). */
export const AlertSubjectSchema = z.object({
  type: z.enum(['sensor', 'cell', 'district', 'area']),
  id: IdSchema,
});
export type AlertSubject = z.infer<typeof AlertSubjectSchema>;

/** Why an alert is not announced: a silence (maintenance window) or an inhibiting alert. */
export const AlertSuppressionSchema = z.object({
  by: z.enum(['silence', 'inhibition']),
  /** Silence id, or the id of the inhibiting alert. */
  id: IdSchema,
  /** Human reason (the silence's comment, or the inhibiting rule's name). */
  reason: z.string(),
});
export type AlertSuppression = z.infer<typeof AlertSuppressionSchema>;

export const AlertSchema = z.object({
  id: IdSchema,
  ruleId: IdSchema,
  ruleVersion: z.number().int().positive(),
  /** Kind of the rule that raised it (threshold, anomaly, noData…). */
  ruleKind: z.string().optional(),
  subject: AlertSubjectSchema,
  severity: SeveritySchema,
  state: AlertStateSchema,
  title: I18nNameSchema,
  /** Metric that triggered the alert, where one did. */
  metric: z.string().optional(),
  /** Value that triggered (or last kept) the alert, in the metric's unit. */
  value: z.number().optional(),
  /** Anomaly score (anomaly rules), unitless. */
  score: z.number().optional(),
  location: LngLatSchema.optional(),
  districtId: z.string().optional(),
  gridCellId: z.string().optional(),
  /** When the condition started to hold (epoch ms). */
  startsAt: EpochMsSchema,
  /** When it fired (after its `for`), epoch ms. */
  firingAt: EpochMsSchema.optional(),
  updatedAt: EpochMsSchema,
  resolvedAt: EpochMsSchema.optional(),
  /** 确认: who acknowledged it, when, and what they said. */
  acknowledged: z
    .object({ at: EpochMsSchema, by: z.string(), byName: z.string(), comment: z.string() })
    .optional(),
  closed: z
    .object({
      at: EpochMsSchema,
      /** User id, or `system` (cancelled pending, rule removed). */
      by: z.string(),
      reason: z.enum(['operator', 'cancelled', 'rule-removed', 'work-order']),
      comment: z.string().optional(),
    })
    .optional(),
  /** The alert is flapping (raising and clearing repeatedly): held open as one alert. */
  flapping: z.boolean().optional(),
  /** Escalated to supervisors (a red alert not acknowledged in time), epoch ms. */
  escalatedAt: EpochMsSchema.optional(),
  /** Incident (correlated group) the alert belongs to. */
  incidentId: IdSchema.optional(),
  /** Work order (dispatched case) linked to the alert. */
  workOrderId: IdSchema.optional(),
  suppressed: AlertSuppressionSchema.optional(),
  /** Labels for silences and inhibition: rule labels plus ruleId, ruleKind, severity, metric, sensorId, sensorKind, districtId, gridCellId. */
  labels: z.record(z.string(), z.string()).optional(),
  /** Facts of the condition (AQI level and colour, breaching sensors, expected value…). */
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type Alert = z.infer<typeof AlertSchema>;

/** Query of `GET /api/v1/alerts` (alert history). Lists are comma-separated or repeated. */
export const AlertQuerySchema = z
  .object({
    /** Alerts that started at or after this time (ISO-8601 or epoch ms). */
    from: TimeQuerySchema.optional(),
    /** Alerts that started before this time. */
    to: TimeQuerySchema.optional(),
    severity: csvEnum(SEVERITIES).optional(),
    state: csvEnum(ALERT_STATES).optional(),
    ruleId: IdSchema.optional(),
    districtId: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
    gridCellId: z
      .string()
      .regex(/^\d{15}$/)
      .optional(),
    /** A sensor id or area id. */
    subjectId: IdSchema.optional(),
    /** Alerts grouped into this incident. */
    incidentId: IdSchema.optional(),
    /** Only muted (silenced or inhibited) alerts, or only announced ones. */
    suppressed: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type AlertQuery = z.output<typeof AlertQuerySchema>;

/** Query of `GET /api/v1/alerts/stats`: counts and MTTA/MTTR per period. */
export const AlertStatsQuerySchema = z
  .object({
    from: TimeQuerySchema.optional(),
    to: TimeQuerySchema.optional(),
    /** Period length; days and hours are Asia/Shanghai (UTC+8) calendar periods. */
    period: z.enum(['hour', 'day', 'week']).default('day'),
    districtId: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
    ruleId: IdSchema.optional(),
  })
  .strict();
export type AlertStatsQuery = z.output<typeof AlertStatsQuerySchema>;

export const AlertStatsRowSchema = z.object({
  /** Period start, epoch ms. */
  periodStart: EpochMsSchema,
  total: z.number().int().nonnegative(),
  bySeverity: z.record(z.string(), z.number().int().nonnegative()),
  /** Alerts that fired (not only pending). */
  fired: z.number().int().nonnegative(),
  acknowledged: z.number().int().nonnegative(),
  resolved: z.number().int().nonnegative(),
  /** Mean time to acknowledge (firing → acknowledged), seconds; null without acknowledgements. */
  mttaSeconds: z.number().nullable(),
  /** Mean time to resolve (firing → resolved), seconds; null without resolutions. */
  mttrSeconds: z.number().nullable(),
});
export type AlertStatsRow = z.infer<typeof AlertStatsRowSchema>;

export const AlertEventSchema = z.object({
  at: EpochMsSchema,
  type: z.string(),
  actor: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const AlertDetailSchema = z.object({ alert: AlertSchema, events: z.array(AlertEventSchema) });

/** Answer of `GET /api/v1/alerts/stats`. */
export const AlertStatsResponseSchema = z.object({
  from: EpochMsSchema,
  to: EpochMsSchema,
  period: z.enum(['hour', 'day', 'week']),
  rows: z.array(AlertStatsRowSchema),
});
export type AlertStatsResponse = z.infer<typeof AlertStatsResponseSchema>;

/** Body of acknowledge and close: the operator's comment. */
export const AlertCommentSchema = z.object({ comment: z.string().trim().max(1000).default('') }).strict();
export const AlertLinkWorkOrderSchema = z.object({ workOrderId: IdSchema }).strict();
