import { z } from 'zod';
import { EpochMsSchema, IdSchema, I18nNameSchema, LngLatSchema } from './common.schema';

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

export const AlertSchema = z.object({
  id: IdSchema,
  ruleId: IdSchema,
  ruleVersion: z.number().int().positive(),
  subject: AlertSubjectSchema,
  severity: SeveritySchema,
  state: AlertStateSchema,
  title: I18nNameSchema,
  /** Metric that triggered the alert, where one did. */
  metric: z.string().optional(),
  /** Value that triggered (or last kept) the alert, in the metric's unit. */
  value: z.number().optional(),
  location: LngLatSchema.optional(),
  districtId: z.string().optional(),
  gridCellId: z.string().optional(),
  /** When the condition started to hold (epoch ms). */
  startsAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
  resolvedAt: EpochMsSchema.optional(),
});
export type Alert = z.infer<typeof AlertSchema>;
