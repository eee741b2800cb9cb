import { alertSensorId, firingSpans, type AlertHistory } from './expectations';
import type { CompiledScenario } from './generate';
import type { Label } from './model';
import { isoInOffset } from './time';

/**
 * The ground-truth labels file: one JSON object per line,
 * `{"incident","type","subject":{"type","id"},"metric","start","end"}` with times as
 * ISO-8601 in the scenario's offset. Deterministic for a scenario and seed.
 */
export function labelsNdjson(cs: CompiledScenario): string {
  return cs.labels
    .map((l) =>
      JSON.stringify({
        incident: l.incident,
        type: l.type,
        subject: l.subject,
        metric: l.metric,
        start: isoInOffset(l.start, cs.offsetMin),
        end: isoInOffset(l.end, cs.offsetMin),
      }),
    )
    .join('\n')
    .concat(cs.labels.length ? '\n' : '');
}

/** How well the alerts found the labelled incidents. */
export interface DetectionScore {
  labels: number;
  detected: number;
  /** detected ÷ labels (null without labels). */
  recall: number | null;
  /**
   * Firing alerts that detected a label ÷ firing alerts about the same kinds of device (or
   * areas) as the labels (null without such alerts).
   */
  precision: number | null;
  /** Firing alerts judged for precision (about the kinds of device or areas the labels name). */
  firing: number;
  matchedAlerts: number;
  /** Label start → first matching alert firing, ms: median and 90th percentile. */
  delayP50Ms: number | null;
  delayP90Ms: number | null;
}

/** A label and an alert are about the same thing when their subjects agree. */
function sameSubject(label: Label, h: AlertHistory): boolean {
  const a = h.alert;
  const sensorId = alertSensorId(a);
  switch (label.subject.type) {
    case 'sensor':
      return sensorId === label.subject.id;
    case 'cell':
      return a.gridCellId === label.subject.id;
    case 'district':
      return a.subject.type === 'district' ? a.subject.id === label.subject.id : false;
    case 'city':
      return true;
  }
}

const GRACE_MS = 15 * 60_000;

/**
 * Score the run's alerts against the labels. A label is detected when an alert on its
 * subject is firing at some time between its start and 15 minutes after its end (the delay
 * counts from the label's start); an alert is a true positive when it detects a label, and
 * only alerts about the kinds of device (or areas) the labels name are judged.
 */
export function scoreDetections(cs: CompiledScenario, histories: readonly AlertHistory[]): DetectionScore {
  // Citizens' reports are found by citizens, not by sensors: no alert is expected to detect them.
  const labels = cs.labels.filter((l) => l.type !== 'citizen-reports');
  // Precision is judged on the alerts about what was injected: alerts on the kinds of device
  // the labels name (any subject of that kind), and area alerts when the labels name areas.
  const subtypes = new Set<string>();
  const areas = new Set<string>();
  for (const l of labels) {
    if (l.subject.type === 'sensor') {
      const subtype = cs.world.byId.get(l.subject.id)?.sensor.subtype;
      if (subtype) subtypes.add(subtype);
    } else areas.add(l.subject.type);
  }
  const relevant = (h: AlertHistory) => {
    const subtype = h.alert.labels?.['subtype'];
    if (subtype) return subtypes.has(subtype);
    return h.alert.subject.type === 'area' ? areas.size > 0 : areas.has(h.alert.subject.type);
  };
  const firing = histories.map((h) => ({ h, spans: firingSpans(h) })).filter((x) => x.spans.length > 0);
  const judged = firing.filter((f) => relevant(f.h));
  const matched = new Set<string>();
  const delays: number[] = [];
  let detected = 0;
  for (const label of labels) {
    let first: number | null = null;
    for (const f of firing) {
      if (!sameSubject(label, f.h)) continue;
      // Firing at some point between the label's start and a grace period after its end.
      const span = f.spans.find((s) => s.from <= label.end + GRACE_MS && s.to >= label.start);
      if (!span) continue;
      matched.add(f.h.alert.id);
      const at = Math.max(span.from, label.start);
      if (first === null || at < first) first = at;
    }
    if (first !== null) {
      detected++;
      delays.push(first - label.start);
    }
  }
  delays.sort((a, b) => a - b);
  const pct = (p: number) =>
    delays.length ? delays[Math.min(delays.length - 1, Math.floor(p * delays.length))]! : null;
  return {
    labels: labels.length,
    detected,
    recall: labels.length ? detected / labels.length : null,
    precision: judged.length ? judged.filter((f) => matched.has(f.h.alert.id)).length / judged.length : null,
    firing: judged.length,
    matchedAlerts: judged.filter((f) => matched.has(f.h.alert.id)).length,
    delayP50Ms: pct(0.5),
    delayP90Ms: pct(0.9),
  };
}
