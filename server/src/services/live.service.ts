import { OPEN_ALERT_STATES, type Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { LatestReading } from '@shared/schemas/reading.schema';
import type { LiveStats, Scope, Snapshot } from '@shared/schemas/live.schema';
import type { CityVitals } from '@shared/schemas/vitals.schema';
import type { CatalogService } from './catalog.service';
import type { IngestCounters } from './ingestStats';
import type { LatestValues } from './latest.service';
import type { AlertRepository } from './ports';

/** Builds what live clients start from (snapshots) and the counters pushed to them. */
export class LiveService {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      latest: LatestValues;
      alerts: AlertRepository;
      incidents: { openIncidents(): Incident[] };
      counters: IngestCounters;
      clock: () => number;
      /** Open socket connections on this node. */
      connections: () => number;
      /** Is a built-in simulated feed driving the data? */
      simulated: () => boolean;
      /** The newest vitals of a scope (VitalsService.current), for the snapshot. */
      vitals?: (scope: Scope) => CityVitals | undefined;
    },
  ) {}

  stats(): LiveStats {
    const t = this.deps.counters.totals();
    return {
      serverTime: this.deps.clock(),
      connections: this.deps.connections(),
      readingsPerSec: this.deps.counters.ratePerSec(),
      accepted: t.accepted,
      acceptedByKind: t.byKind,
      rejected: t.rejected,
      lastObservedAt: t.newestObservedAt ?? this.deps.latest.newestObservedAt(),
      simulated: this.deps.simulated(),
    };
  }

  latestInScope(scope: Scope): LatestReading[] {
    return this.deps.latest.forSensors(this.deps.catalog.sensorsInScope(scope).map((s) => s.id));
  }

  async snapshot(scope: Scope): Promise<Snapshot> {
    const sensors = this.deps.catalog.sensorsInScope(scope);
    const open = await this.deps.alerts.listOpen();
    const vitals = this.deps.vitals?.(scope);
    return {
      v: 'v1',
      scope,
      serverTime: this.deps.clock(),
      sensors,
      latest: this.deps.latest.forSensors(sensors.map((s) => s.id)),
      openAlerts: open.filter((a) => OPEN_ALERT_STATES.includes(a.state) && inScope(a, scope)),
      openIncidents: this.deps.incidents.openIncidents().filter((i) => incidentInScope(i, scope)),
      stats: this.stats(),
      ...(vitals && { vitals }),
    };
  }
}

function incidentInScope(incident: Incident, scope: Scope): boolean {
  if (scope.kind === 'city') return true;
  return (scope.kind === 'district' ? incident.districtIds : incident.gridCellIds).includes(scope.id);
}

function inScope(alert: Alert, scope: Scope): boolean {
  if (scope.kind === 'city') return true;
  return scope.kind === 'district' ? alert.districtId === scope.id : alert.gridCellId === scope.id;
}
