import booleanIntersects from '@turf/boolean-intersects';
import { SEVERITIES, type Alert, type Severity } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';

/**
 * Correlation of alerts into incidents, pure. An alert that fires joins an incident
 * when it is close in place and time:
 *
 * - place: its grid cell is one of the incident's cells or touches one of them (the
 *   cells' outlines intersect: the eight around it on a regular grid). An alert with
 *   no cell (a district or a drawn area) joins only an incident about the same subject.
 * - time: the incident is open, or resolved less than `windowMs` ago (it reopens).
 *
 * Incidents chain through neighbouring cells (congestion backing up a road stays one
 * incident) up to `MAX_INCIDENT_CELLS`, after which nearby alerts start a new one.
 */

export const MAX_INCIDENT_CELLS = 50;

export type Neighbours = ReadonlyMap<string, ReadonlySet<string>>;

/** Cells whose outlines touch or overlap each other; bounding boxes first, turf for the rest. */
export function cellNeighbours(cells: ReadonlyArray<{ id: string; polygon: number[][][] }>): Neighbours {
  const boxes = cells.map((c) => {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const point of c.polygon[0] ?? []) {
      const x = point[0] ?? NaN;
      const y = point[1] ?? NaN;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    return { cell: c, minX, minY, maxX, maxY };
  });
  boxes.sort((a, b) => a.minX - b.minX);
  const out = new Map<string, Set<string>>(cells.map((c) => [c.id, new Set<string>()]));
  const EPS = 1e-7;
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i]!;
    for (let j = i + 1; j < boxes.length && boxes[j]!.minX <= a.maxX + EPS; j++) {
      const b = boxes[j]!;
      if (b.minY > a.maxY + EPS || b.maxY < a.minY - EPS) continue;
      const touches = booleanIntersects(
        { type: 'Polygon', coordinates: a.cell.polygon },
        { type: 'Polygon', coordinates: b.cell.polygon },
      );
      if (!touches) continue;
      out.get(a.cell.id)!.add(b.cell.id);
      out.get(b.cell.id)!.add(a.cell.id);
    }
  }
  return out;
}

const subjectKey = (a: Pick<Alert, 'subject'>) => `${a.subject.type}:${a.subject.id}`;

export interface CorrelationContext {
  neighbours: Neighbours;
  windowMs: number;
  now: number;
}

function near(alert: Alert, incident: Incident, neighbours: Neighbours): boolean {
  const cell = alert.gridCellId;
  if (!cell) return incident.subjects.includes(subjectKey(alert));
  if (incident.gridCellIds.includes(cell)) return true;
  if (incident.gridCellIds.length >= MAX_INCIDENT_CELLS) return false;
  const around = neighbours.get(cell);
  return around !== undefined && incident.gridCellIds.some((c) => around.has(c));
}

/** The incident a firing alert belongs to: the most recently active one close enough, or null. */
export function correlate(
  alert: Alert,
  incidents: Iterable<Incident>,
  ctx: CorrelationContext,
): Incident | null {
  let best: Incident | null = null;
  for (const incident of incidents) {
    const recent = incident.state === 'open' || ctx.now - incident.lastActiveAt <= ctx.windowMs;
    if (!recent || !near(alert, incident, ctx.neighbours)) continue;
    if (!best || moreActive(incident, best)) best = incident;
  }
  return best;
}

/** Open beats resolved; then the one whose alerts changed last. */
const moreActive = (a: Incident, b: Incident): boolean =>
  a.state !== b.state ? a.state === 'open' : a.lastActiveAt > b.lastActiveAt;

const worst = (a: Severity, b: Severity): Severity =>
  SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;

const addUnique = <T>(list: readonly T[], item: T | undefined): T[] =>
  item === undefined || list.includes(item) ? [...list] : [...list, item];

function titled(incident: Incident, first: Alert | undefined): Incident {
  const base = first?.title ?? incident.title;
  const more = incident.alertIds.length - 1;
  if (more <= 0) return { ...incident, title: base };
  const zh = base.zh.replace(/ 等 \d+ 条告警$/, '');
  const en = base.en.replace(/ \(\+\d+ more\)$/, '');
  return { ...incident, title: { zh: `${zh} 等 ${more + 1} 条告警`, en: `${en} (+${more} more)` } };
}

/** A new incident around its first alert. */
export function openIncident(alert: Alert, id: string, now: number): Incident {
  return {
    id,
    state: 'open',
    severity: alert.severity,
    peakSeverity: alert.severity,
    title: alert.title,
    districtIds: alert.districtId ? [alert.districtId] : [],
    gridCellIds: alert.gridCellId ? [alert.gridCellId] : [],
    subjects: [subjectKey(alert)],
    alertIds: [alert.id],
    openAlertIds: [alert.id],
    ruleIds: [alert.ruleId],
    ...(alert.location && { location: alert.location }),
    startsAt: alert.firingAt ?? alert.startsAt,
    updatedAt: now,
    lastActiveAt: now,
  };
}

/**
 * An incident after one of its alerts joined or changed. `lookup` gives the member
 * alerts the caller knows (at least the open ones) for the worst open severity.
 */
export function withMember(
  incident: Incident,
  alert: Alert,
  now: number,
  lookup: (id: string) => Alert | undefined,
): Incident {
  const isOpen = alert.state === 'pending' || alert.state === 'firing' || alert.state === 'acknowledged';
  const openAlertIds = isOpen
    ? addUnique(incident.openAlertIds, alert.id)
    : incident.openAlertIds.filter((id) => id !== alert.id);
  let severity: Severity | null = null;
  for (const id of openAlertIds) {
    const member = id === alert.id ? alert : lookup(id);
    if (member) severity = severity ? worst(severity, member.severity) : member.severity;
  }
  const resolved = openAlertIds.length === 0;
  const peakSeverity = worst(incident.peakSeverity, alert.severity);
  // A change to a member of an incident that was and stays resolved (an operator closing a
  // resolved alert) does not make it active again: the reopen window counts from resolution.
  const stillQuiet = resolved && incident.state === 'resolved';
  const next: Incident = {
    ...incident,
    state: resolved ? 'resolved' : 'open',
    severity: resolved ? peakSeverity : (severity ?? alert.severity),
    peakSeverity,
    districtIds: addUnique(incident.districtIds, alert.districtId),
    gridCellIds: addUnique(incident.gridCellIds, alert.gridCellId),
    subjects: addUnique(incident.subjects, subjectKey(alert)),
    alertIds: addUnique(incident.alertIds, alert.id),
    openAlertIds,
    ruleIds: addUnique(incident.ruleIds, alert.ruleId),
    ...(incident.location === undefined && alert.location && { location: alert.location }),
    updatedAt: now,
    lastActiveAt: stillQuiet ? incident.lastActiveAt : now,
  };
  if (resolved) next.resolvedAt = incident.state === 'resolved' ? (incident.resolvedAt ?? now) : now;
  else delete next.resolvedAt;
  const first = incident.alertIds[0] === alert.id ? alert : lookup(incident.alertIds[0] ?? '');
  return titled(next, first ?? undefined);
}
