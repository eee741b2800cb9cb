import type { Sensor } from '../../shared/schemas/sensor.schema';
import { DEFAULT_RULES } from '../../server/src/domain/rules/defaultRules';

/** Test oracle: the default threshold rules that fire on a single reading, read from the rule set itself. */
export interface Level {
  op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  value: number;
}
export const holds = (v: number, { op, value }: Level) =>
  op === '>'
    ? v > value
    : op === '>='
      ? v >= value
      : op === '<'
        ? v < value
        : op === '<='
          ? v <= value
          : op === '=='
            ? v === value
            : v !== value;

/** The default threshold rules without a pending time that judge this sensor: they fire on one reading. */
export function instantRules(sensor: Sensor) {
  return DEFAULT_RULES.filter(
    (r) =>
      r.kind === 'threshold' &&
      !r.for &&
      ((r.scope?.subtypes?.includes(sensor.subtype) ?? false) ||
        (r.scope?.kinds?.includes(sensor.kind) ?? false)),
  ).map((r) => r.params as { metric: string; levels: Level[] });
}
