import { describe, expect, it } from 'vitest';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { SubjectSnapshot } from '../../../server/src/domain/rules/engine';
import { AlertingService } from '../../../server/src/services/alerting.service';
import type { AuditService } from '../../../server/src/services/audit.service';
import type { CatalogService } from '../../../server/src/services/catalog.service';
import { DomainEvents } from '../../../server/src/services/events';
import type { IncidentService } from '../../../server/src/services/incidents.service';
import type {
  AlertRepository,
  RuleStateRepository,
  SensorEngineState,
} from '../../../server/src/services/ports';
import type { SuppressionService } from '../../../server/src/services/suppression.service';
import { MIN, rule, sensor, T0 } from '../domain/rules/ruleTestKit';

/** Rule-engine state saves that fail while the database is busy or full, then work again. */
function flakyRuleState(failures: number) {
  const saves: Array<{ subjects: SubjectSnapshot[]; sensors: SensorEngineState[] }> = [];
  let left = failures;
  const repo: RuleStateRepository = {
    loadSubjects: async () => [],
    loadSensors: async () => [],
    save: async (subjects, sensors) => {
      if (left > 0) {
        left -= 1;
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      }
      saves.push({ subjects: [...subjects], sensors: [...sensors] });
    },
    deleteRule: async () => {},
  };
  return { repo, saves };
}

/** The alerting service on fakes: only what starting it and saving its engine state touch. */
function alertingWith(ruleState: RuleStateRepository, errors: string[]) {
  const gauge = sensor('WL-1', { kind: 'grid-event', subtype: 'waterlogging' }) as unknown as Sensor;
  return new AlertingService({
    alerts: { listOpen: async () => [] } as unknown as AlertRepository,
    ruleState,
    catalog: { listSensors: () => [gauge] } as unknown as CatalogService,
    events: new DomainEvents(() => {}),
    audit: {} as AuditService,
    suppression: {
      onChange: () => {},
      listInhibitions: () => [],
      activeSilences: () => [],
    } as unknown as SuppressionService,
    incidents: {} as IncidentService,
    clock: () => T0 + 60 * MIN,
    inPolygon: () => false,
    settings: { tickMs: 0, persistMs: 0, escalateRedAfterS: 300 },
    onError: (message) => errors.push(message),
  });
}

describe('AlertingService engine-state saves', () => {
  // A detector still learning: each reading changes its state and raises nothing.
  const learning = rule({
    id: 'depth-baseline',
    kind: 'anomaly',
    scope: { sensorIds: ['WL-1'] },
    params: { metric: 'waterDepth', seasonality: 'none' },
  });

  it('saves again, after a failed save, the states that save had taken', async () => {
    const { repo, saves } = flakyRuleState(1);
    const errors: string[] = [];
    const alerting = alertingWith(repo, errors);
    await alerting.start([learning]);
    alerting.onReadings([{ sensorId: 'WL-1', observedAt: T0, values: { waterDepth: 3 } }]);

    await alerting.persist();
    expect(errors).toEqual(['saving rule engine state failed']);
    expect(saves).toEqual([]);

    // Nothing changed since: the state learnt before the failed save is written now all the same.
    await alerting.persist();
    expect(saves).toHaveLength(1);
    expect(saves[0]!.subjects.map((s) => [s.ruleId, s.subjectKey])).toEqual([['depth-baseline', 'WL-1']]);
    expect(saves[0]!.sensors.map((s) => [s.sensorId, s.lastSeen])).toEqual([['WL-1', T0]]);
    await alerting.stop();
  });

  it('writes only what changed once saves work', async () => {
    const { repo, saves } = flakyRuleState(0);
    const alerting = alertingWith(repo, []);
    await alerting.start([learning]);
    alerting.onReadings([{ sensorId: 'WL-1', observedAt: T0, values: { waterDepth: 3 } }]);
    await alerting.persist();
    await alerting.persist();
    expect(saves).toHaveLength(1);
    await alerting.stop();
  });
});
