import type { Rule } from '@shared/schemas/rule.schema';
import type { DerivedState } from '../../domain/rules/derived';
import type { RuleRecord, SensorEngineState } from '../../services/ports';

/**
 * The error of a rule save that is not the next version: the rules service turns the `conflict`
 * code into HTTP 409, whichever store raised it.
 */
export function ruleVersionConflict(id: string, version: number, expected: number): Error {
  return Object.assign(new Error(`rule ${id}: version ${version} is not the next (${expected})`), {
    code: 'conflict',
  });
}

export const ruleRecordFromRow = (r: { data: string; deleted: number }): RuleRecord => ({
  rule: JSON.parse(r.data) as Rule,
  deleted: r.deleted === 1,
});

/** A `sensor_engine_state` row: the derived state as JSON, null when the sensor has none. */
export type SensorEngineStateRow = { sensor_id: string; last_seen: number | null; data: string | null };

export const sensorEngineStateFromRow = (r: SensorEngineStateRow): SensorEngineState => ({
  sensorId: r.sensor_id,
  lastSeen: r.last_seen,
  derived: r.data === null ? null : (JSON.parse(r.data) as DerivedState),
});

export const sensorEngineStateToRow = (s: SensorEngineState): SensorEngineStateRow => ({
  sensor_id: s.sensorId,
  last_seen: s.lastSeen,
  data: s.derived === null ? null : JSON.stringify(s.derived),
});
