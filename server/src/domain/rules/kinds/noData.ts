import { z } from 'zod';
import { SeveritySchema } from '@shared/schemas/alert.schema';
import type { Judged, SensorRuleKind } from '../ruleKind';

/**
 * 离线 — no data: a sensor that reported nothing for `factor` × its expected report
 * interval (Sensor.reportIntervalSec) is offline. Judged on the clock (ticks) and
 * cleared by its next reading of any metric. A sensor never heard from is measured
 * from when the engine first considered it (start-up or rule creation).
 */
export const NoDataParamsSchema = z
  .object({
    /** Missed intervals before the sensor counts as offline. */
    factor: z.number().min(1).max(1000).default(3),
    /** Lower bound on the silence, seconds, for sensors with very short intervals. */
    minSilence: z.number().nonnegative().default(60),
    severity: SeveritySchema.default('blue'),
  })
  .strict();
export type NoDataParams = z.infer<typeof NoDataParamsSchema>;

export interface NoDataState {
  /** When this rule started watching the sensor, epoch ms. */
  since: number;
}

export const noDataKind: SensorRuleKind<NoDataParams, NoDataState> = {
  id: 'noData',
  subject: 'sensor',
  title: { zh: '设备离线', en: 'No data (offline)' },
  description: {
    zh: '设备超过 N 个上报周期无数据时告警，收到数据后自动恢复',
    en: 'Alerts when a sensor sends nothing for N report intervals; clears on its next reading',
  },
  paramsSchema: NoDataParamsSchema,
  example: { factor: 3, severity: 'blue' },
  metrics: () => ['*'],
  init: (_ctx, _sensor, at) => ({ since: at }),
  onSample(state, sample): Judged<NoDataState> {
    return { state, verdict: { active: false, value: 0, detail: { lastSeenAt: sample.at } } };
  },
  onTick(state, now, ctx, sensor, lastSeenAt): Judged<NoDataState> {
    const silenceMs = Math.max(ctx.params.factor * sensor.reportIntervalSec, ctx.params.minSilence) * 1000;
    const reference = lastSeenAt ?? state.since;
    const silentSec = Math.max(0, Math.round((now - reference) / 1000));
    return {
      state,
      verdict: {
        active: now - reference > silenceMs,
        severity: ctx.params.severity,
        value: silentSec,
        detail: { lastSeenAt: lastSeenAt ?? null },
      },
    };
  },
};
