import type { Rule, RuleBacktestResult } from '@shared/schemas/rule.schema';
import { T0 } from '../../../live.fixtures';

export { T0 };

/** A stored threshold rule (waterlogging depth), version 3. */
export function rule(id = 'grid-waterlogging', overrides: Partial<Rule> = {}): Rule {
  return {
    id,
    name: { zh: '道路积水', en: 'Waterlogging' },
    kind: 'threshold',
    enabled: true,
    scope: { subtypes: ['waterlogging'] },
    params: {
      metric: 'waterDepth',
      levels: [
        { severity: 'yellow', op: '>=', value: 27, clear: 22 },
        { severity: 'red', op: '>=', value: 50, clear: 45 },
      ],
    },
    for: 120,
    keepFiringFor: 600,
    aqiStandard: 'HJ633-2026',
    labels: { domain: 'grid' },
    version: 3,
    updatedAt: T0 - 86_400_000,
    updatedBy: 'u-engineer',
    reason: '调整阈值',
    ...overrides,
  };
}

/** A backtest answer over the 24 hours before {@link T0}. */
export function backtestResult(overrides: Partial<RuleBacktestResult> = {}): RuleBacktestResult {
  return {
    rule: { id: 'grid-waterlogging', version: 3 },
    from: T0 - 86_400_000,
    to: T0,
    replayedFrom: T0 - 86_400_000,
    replayedTo: T0,
    readings: 41_234,
    sensors: 52,
    truncated: false,
    tickMs: 10_000,
    alerts: [],
    alertsTotal: 0,
    bySeverity: { red: 0, orange: 0, yellow: 0, blue: 0 },
    cancelled: 4,
    warnings: [],
    durationMs: 180,
    ...overrides,
  };
}
