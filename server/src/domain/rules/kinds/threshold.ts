import { z } from 'zod';
import type { Severity } from '@shared/schemas/alert.schema';
import { LevelsSchema, RuleMetricSchema, type Level } from '@shared/schemas/rule.schema';
import { compare, SEVERITY_RANK, type Judged, type SensorRuleKind } from '../ruleKind';

/**
 * 阈值 — a metric against several severity levels (default China's four: 蓝 IV, 黄 III,
 * 橙 II, 红 I). The most severe level that holds wins. Each level may have its own clear
 * value (hysteresis in value): PM2.5 raises orange above 150 and clears below 120.
 */
export const ThresholdParamsSchema = z
  .object({
    metric: RuleMetricSchema,
    levels: LevelsSchema,
  })
  .strict();
export type ThresholdParams = z.infer<typeof ThresholdParamsSchema>;

export interface ThresholdState {
  /** Per level (same order as params.levels): raised and not yet cleared. */
  latched: boolean[];
}

/**
 * Levels holding for `value`, given which were latched before. Returns `latched` itself when
 * nothing changed, so callers can keep their state object (no allocation, nothing to save).
 */
export function latchLevels(levels: readonly Level[], latched: readonly boolean[], value: number): boolean[] {
  let next: boolean[] | undefined;
  for (let i = 0; i < levels.length; i++) {
    const holds = levelHolds(levels[i]!, latched[i] === true, value);
    if (next) next.push(holds);
    else if (holds !== latched[i]) {
      next = latched.slice(0, i);
      next.push(holds);
    }
  }
  if (next) return next;
  // A state from a rule with more levels than now: drop the ones that are gone.
  return latched.length === levels.length ? (latched as boolean[]) : latched.slice(0, levels.length);
}

function levelHolds(level: Level, wasLatched: boolean, value: number): boolean {
  if (compare(value, level.op, level.value)) return true;
  if (!wasLatched || level.clear === undefined) return false;
  // Latched: holds until the value crosses the clear value the other way.
  const up = level.op === '>' || level.op === '>=';
  return up ? value >= level.clear : value <= level.clear;
}

/** No level latched. Built by push, so it has the same array shape as every later state. */
export function unlatched(count: number): boolean[] {
  const latched: boolean[] = [];
  for (let i = 0; i < count; i++) latched.push(false);
  return latched;
}

/** The most severe latched level, or undefined. */
export function worstLevel(levels: readonly Level[], latched: readonly boolean[]): Severity | undefined {
  let worst: Severity | undefined;
  for (let i = 0; i < levels.length; i++) {
    const severity = levels[i]!.severity;
    if (latched[i] && (worst === undefined || SEVERITY_RANK[severity] < SEVERITY_RANK[worst]))
      worst = severity;
  }
  return worst;
}

export const thresholdKind: SensorRuleKind<ThresholdParams, ThresholdState> = {
  id: 'threshold',
  subject: 'sensor',
  title: { zh: '阈值', en: 'Threshold' },
  description: {
    zh: '指标越过分级阈值时告警（蓝/黄/橙/红），可设独立的解除值（回差）',
    en: 'Alerts when a metric crosses severity levels (blue/yellow/orange/red), with optional separate clear values',
  },
  paramsSchema: ThresholdParamsSchema,
  example: {
    metric: 'pm25',
    levels: [
      { severity: 'yellow', op: '>', value: 115, clear: 100 },
      { severity: 'orange', op: '>', value: 150, clear: 130 },
      { severity: 'red', op: '>', value: 250, clear: 220 },
    ],
  },
  metrics: (p) => [p.metric],
  init: (ctx) => ({ latched: unlatched(ctx.params.levels.length) }),
  onSample(state, sample, ctx): Judged<ThresholdState> {
    const latched = latchLevels(ctx.params.levels, state.latched, sample.value);
    const severity = worstLevel(ctx.params.levels, latched);
    return {
      state: latched === state.latched ? state : { latched },
      verdict: { active: severity !== undefined, severity, value: sample.value, detail: sample.detail },
    };
  },
};
