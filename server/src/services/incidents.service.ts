import { randomUUID } from 'node:crypto';
import type { Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import { correlate, openIncident, withMember, type Neighbours } from '../domain/alerts/correlation';
import type { DomainEvents } from './events';
import type { IncidentFilter, IncidentRepository } from './ports';

/** States in which an alert is grouped: it fired and is not muted. */
const GROUPED: ReadonlySet<Alert['state']> = new Set(['firing', 'acknowledged']);

/**
 * 事件 — groups firing alerts into incidents (domain/alerts/correlation.ts) and keeps
 * them: open incidents and those resolved within the window stay in memory as the
 * correlation candidates, every change is stored and announced. Called by the
 * alerting service from its serial write chain, so it never races itself in a node.
 */
export class IncidentService {
  private readonly active = new Map<string, Incident>();

  constructor(
    private readonly deps: {
      repo: IncidentRepository;
      events: DomainEvents;
      clock: () => number;
      neighbours: Neighbours;
      /** Time window of correlation, ms. */
      windowMs: number;
    },
  ) {
    // Another node's incidents are correlation candidates here too.
    const follow = ({ incident }: { incident: Incident }) => {
      const held = this.active.get(incident.id);
      if (held && held.updatedAt > incident.updatedAt) return;
      this.active.set(incident.id, incident);
      this.prune(incident.updatedAt);
    };
    deps.events.on('incident.opened', follow, { remoteOnly: true });
    deps.events.on('incident.updated', follow, { remoteOnly: true });
  }

  /** Load the incidents still open or recently resolved (after a restart they go on). */
  async load(): Promise<void> {
    this.active.clear();
    for (const i of await this.deps.repo.listActive(this.deps.clock() - this.deps.windowMs))
      this.active.set(i.id, i);
  }

  openIncidents(): Incident[] {
    return [...this.active.values()].filter((i) => i.state === 'open');
  }

  /**
   * Put an alert's change into its incident: a firing, unmuted alert with none joins
   * the nearest recent incident or opens one; a member's change updates its incident.
   * Returns the alert with its `incidentId`.
   */
  async track(alert: Alert, lookup: (id: string) => Alert | undefined, now: number): Promise<Alert> {
    let incident = alert.incidentId
      ? (this.active.get(alert.incidentId) ?? (await this.deps.repo.find(alert.incidentId)))
      : null;
    if (!incident) {
      if (!GROUPED.has(alert.state) || alert.suppressed) return alert;
      const { neighbours, windowMs } = this.deps;
      incident = correlate(alert, this.active.values(), { neighbours, windowMs, now });
      if (!incident) {
        const opened = openIncident(alert, randomUUID(), now);
        await this.store(opened, 'incident.opened');
        return { ...alert, incidentId: opened.id };
      }
      alert = { ...alert, incidentId: incident.id };
    }
    await this.store(withMember(incident, alert, now, lookup), 'incident.updated');
    return alert;
  }

  private async store(incident: Incident, event: 'incident.opened' | 'incident.updated'): Promise<void> {
    await this.deps.repo.save(incident);
    this.active.set(incident.id, incident);
    this.prune(incident.updatedAt);
    this.deps.events.emit(event, { incident });
  }

  /** Resolved incidents older than the window can no longer take alerts: forget them. */
  private prune(now: number): void {
    for (const [id, i] of this.active)
      if (i.state === 'resolved' && now - i.lastActiveAt > this.deps.windowMs) this.active.delete(id);
  }

  find(id: string): Promise<Incident | null> {
    return this.deps.repo.find(id);
  }

  alertsOf(id: string): Promise<Alert[]> {
    return this.deps.repo.alertsOf(id);
  }

  query(filter: IncidentFilter): Promise<{ items: Incident[]; total: number }> {
    return this.deps.repo.query(filter);
  }
}
