import { z } from 'zod';
import { EpochMsSchema, I18nNameSchema, IdSchema, TimeInputSchema } from './common.schema';

/**
 * 静默 silences (maintenance windows) and 抑制 inhibition rules. Both pick alerts
 * by their labels (Alertmanager-style): every alert carries `ruleId`, `ruleKind`,
 * `severity`, `sensorId`, `sensorKind`, `districtId`, `gridCellId`, `metric`,
 * `subjectType`, `subjectId` and its rule's own labels (e.g. `event`).
 */

const LabelNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a label name: a letter or _, then letters, digits, _ . -');

/**
 * Which alerts: label → accepted values. An alert matches when, for every label
 * named, its value is one of those listed (AND across labels, OR across values).
 * `{ "gridCellId": ["330102001001001"], "ruleKind": ["noData"] }`.
 */
export const AlertMatchersSchema = z
  .record(LabelNameSchema, z.array(z.string().min(1).max(200)).min(1).max(2000))
  .refine((m) => Object.keys(m).length > 0, 'name at least one label to match (e.g. sensorId, gridCellId)')
  .refine((m) => Object.keys(m).length <= 20, 'at most 20 labels');
export type AlertMatchers = z.infer<typeof AlertMatchersSchema>;

const HhMmSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM (00:00–23:59)');

/** Longest one-off silence; longer mutes are a recurring window or a disabled rule. */
export const MAX_SILENCE_MS = 90 * 86_400_000;

/**
 * When a silence applies: once (from–to), or a recurring weekly window in local
 * time (e.g. every Tuesday 02:00–04:00 Asia/Shanghai; `end` before `start` runs
 * past midnight), optionally bounded by `startsAt`/`endsAt`.
 */
export const SilenceScheduleSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('once'), startsAt: TimeInputSchema, endsAt: TimeInputSchema })
    .strict()
    .refine((s) => s.endsAt > s.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] })
    .refine((s) => s.endsAt - s.startsAt <= MAX_SILENCE_MS, {
      message: 'a one-off silence lasts at most 90 days',
      path: ['endsAt'],
    }),
  z
    .object({
      type: z.literal('weekly'),
      /** ISO weekdays: 1 = Monday … 7 = Sunday. */
      days: z
        .array(z.number().int().min(1).max(7))
        .min(1)
        .max(7)
        .refine((d) => new Set(d).size === d.length, 'days repeat'),
      start: HhMmSchema,
      end: HhMmSchema,
      timeZone: z
        .string()
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('en-US', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'an IANA time zone such as Asia/Shanghai')
        .default('Asia/Shanghai'),
      startsAt: TimeInputSchema.optional(),
      endsAt: TimeInputSchema.optional(),
    })
    .strict()
    .refine((s) => s.start !== s.end, { message: 'start and end are the same time', path: ['end'] })
    .refine((s) => s.startsAt === undefined || s.endsAt === undefined || s.endsAt > s.startsAt, {
      message: 'endsAt must be after startsAt',
      path: ['endsAt'],
    }),
]);
export type SilenceSchedule = z.output<typeof SilenceScheduleSchema>;

export const SilenceDraftSchema = z
  .object({
    matchers: AlertMatchersSchema,
    schedule: SilenceScheduleSchema,
    /** Why (shown on every silenced alert): 维护、施工、误报排查… */
    comment: z.string().trim().min(1, 'say why the alerts are silenced').max(500),
  })
  .strict();
export type SilenceDraft = z.output<typeof SilenceDraftSchema>;

export const SILENCE_STATES = ['scheduled', 'active', 'expired'] as const;
export const SilenceStateSchema = z.enum(SILENCE_STATES);
export type SilenceState = z.infer<typeof SilenceStateSchema>;

export const SilenceSchema = z.object({
  id: IdSchema,
  matchers: AlertMatchersSchema,
  schedule: SilenceScheduleSchema,
  comment: z.string(),
  createdBy: z.string(),
  createdByName: z.string(),
  createdAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
  /** Ended early by a user (or replaced), epoch ms. */
  expiredAt: EpochMsSchema.optional(),
  expiredBy: z.string().optional(),
  /** Computed when answered: scheduled, active now, or over. */
  state: SilenceStateSchema,
});
export type Silence = z.infer<typeof SilenceSchema>;

export const SilenceQuerySchema = z
  .object({
    /** Comma-separated states; default scheduled,active. */
    state: z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim()))
      .pipe(z.array(SilenceStateSchema).min(1))
      .optional(),
  })
  .strict();

/**
 * An inhibition rule: while an alert matching `source` is firing (or acknowledged),
 * alerts matching `target` that share the values of every `equal` label are muted.
 * A power outage in a cell mutes "sensor offline" alerts from that cell.
 */
export const InhibitionDraftSchema = z
  .object({
    id: IdSchema.optional(),
    name: I18nNameSchema,
    source: AlertMatchersSchema,
    target: AlertMatchersSchema,
    equal: z.array(LabelNameSchema).max(10).default([]),
    enabled: z.boolean().default(true),
  })
  .strict();
export type InhibitionDraft = z.output<typeof InhibitionDraftSchema>;

export const InhibitionSchema = InhibitionDraftSchema.extend({
  id: IdSchema,
  updatedAt: EpochMsSchema,
  updatedBy: z.string(),
});
export type Inhibition = z.infer<typeof InhibitionSchema>;
