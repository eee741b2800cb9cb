import { describe, expect, it } from 'vitest';
import type { Alert } from '@shared/schemas/alert.schema';
import { loadCityPack, resolveCityPackDir } from '../../../server/src/cityPack/cityPack.loader';
import {
  checkExpectations,
  firingSpans,
  type AlertHistory,
} from '../../../simulators/src/scenario/expectations';
import { compileScenario } from '../../../simulators/src/scenario/generate';
import { labelsNdjson, scoreDetections } from '../../../simulators/src/scenario/labels';
import { parseScenario } from '../../../simulators/src/scenario/loadScenario';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const START = Date.parse('2026-11-26T22:00:00+08:00');
const MIN = 60_000;

const scenarioText = (expectations: string) => `name: { zh: 井盖, en: Covers }
start: '2026-11-26T22:00:00+08:00'
duration: 2h
incidents:
  - { id: covers, type: grid-events, event: manhole-displaced, at: '+10m', duration: 20m, count: 2, where: { districts: ['330103'] } }
expect:
${expectations}`;

function compiled(expectations: string) {
  return compileScenario(parseScenario(scenarioText(expectations)), pack);
}

let n = 0;
/** An alert on a sensor with events at minutes after the start: [minute, type, severity?]. */
function history(
  sensorId: string,
  ruleId: string,
  events: Array<[number, string, string?]>,
  extra: Partial<Alert> = {},
): AlertHistory {
  const sensor = pack.sensors.find((s) => s.id === sensorId)!;
  const alert = {
    id: `a${++n}`,
    ruleId,
    ruleVersion: 1,
    ruleKind: 'threshold',
    subject: { type: 'sensor', id: sensorId },
    severity: (events[0]?.[2] ?? 'orange') as Alert['severity'],
    state: 'firing',
    title: { zh: 't', en: 't' },
    startsAt: START + events[0]![0] * MIN,
    updatedAt: START,
    flapping: false,
    labels: { sensorId },
    ...(sensor.districtId && { districtId: sensor.districtId }),
    ...(sensor.gridCellId && { gridCellId: sensor.gridCellId }),
    ...extra,
  } as Alert;
  return {
    alert,
    events: events.map(([m, type, severity]) => ({
      at: START + m * MIN,
      type,
      ...(severity && { data: { severity } }),
    })),
  };
}

describe('firing spans', () => {
  it('starts at firing, changes with severity and muting, and ends at resolve', () => {
    const h = history('MH-0001', 'grid-manhole-tilt', [
      [1, 'pending', 'orange'],
      [3, 'firing', 'orange'],
      [5, 'severity', 'red'],
      [6, 'suppressed'],
      [8, 'unsuppressed'],
      [9, 'resolved', 'red'],
    ]);
    expect(firingSpans(h)).toEqual([
      { from: START + 3 * MIN, to: START + 5 * MIN, severity: 'orange', muted: false },
      { from: START + 5 * MIN, to: START + 6 * MIN, severity: 'red', muted: false },
      { from: START + 6 * MIN, to: START + 8 * MIN, severity: 'red', muted: true },
      { from: START + 8 * MIN, to: START + 9 * MIN, severity: 'red', muted: false },
    ]);
  });

  it('has no span for an alert that stayed pending and was cancelled', () => {
    expect(
      firingSpans(
        history('MH-0001', 'r', [
          [1, 'pending'],
          [4, 'cancelled'],
        ]),
      ),
    ).toEqual([]);
  });
});

describe('expectations', () => {
  it('passes an alert expectation when a matching alert fires in time, with its delay', () => {
    const cs = compiled(
      `  - { id: seen, type: alert, rule: grid-manhole-tilt, incident: covers, within: 30m }`,
    );
    const sensor = [...cs.incidents[0]!.area.sensors][0]!;
    const [result] = checkExpectations(cs, [
      history(sensor, 'grid-manhole-tilt', [[22, 'firing', 'orange']]),
    ]);
    expect(result).toMatchObject({ id: 'seen', passed: true, firstAt: START + 22 * MIN, delayMs: 12 * MIN });
    expect(result!.observed).toContain('22:22:00');
    expect(result!.observed).toContain('+12m');
  });

  it('fails when the alert comes too late, and says when it came', () => {
    const cs = compiled(`  - { id: seen, type: alert, incident: covers, within: 5m }`);
    const sensor = [...cs.incidents[0]!.area.sensors][0]!;
    const [result] = checkExpectations(cs, [
      history(sensor, 'grid-manhole-tilt', [[40, 'firing', 'orange']]),
    ]);
    expect(result!.passed).toBe(false);
    expect(result!.delayMs).toBe(30 * MIN);
  });

  it('fails when no alert matches, and ignores alerts on sensors outside the incident', () => {
    const cs = compiled(`  - { type: alert, incident: covers, within: 1h }`);
    const outside = pack.sensors.find(
      (s) => s.subtype === 'manhole' && !cs.incidents[0]!.area.sensors.has(s.id),
    )!;
    const [result] = checkExpectations(cs, [
      history(outside.id, 'grid-manhole-tilt', [[15, 'firing', 'red']]),
    ]);
    expect(result).toMatchObject({ id: 'expect[0]', passed: false, observed: 'no matching alert' });
  });

  it('counts an alert already firing before the incident only when it escalates after it', () => {
    const cs = compiled(`  - { type: alert, severity: red, incident: covers, within: 30m }`);
    const sensor = [...cs.incidents[0]!.area.sensors][0]!;
    const before = history(sensor, 'grid-manhole-tilt', [[2, 'firing', 'red']]);
    expect(checkExpectations(cs, [before])[0]!.passed).toBe(false);
    const escalates = history(sensor, 'grid-manhole-tilt', [
      [2, 'firing', 'orange'],
      [15, 'severity', 'red'],
    ]);
    expect(checkExpectations(cs, [escalates])[0]!.passed).toBe(true);
  });

  it('needs atLeast distinct subjects and the severity asked', () => {
    const cs = compiled(`  - { type: alert, severity: orange, incident: covers, atLeast: 2, within: 1h }`);
    const [a, b] = [...cs.incidents[0]!.area.sensors];
    const one = [history(a!, 'r', [[15, 'firing', 'orange']]), history(a!, 'r', [[30, 'firing', 'orange']])];
    expect(checkExpectations(cs, one)[0]!.passed).toBe(false);
    const blue = [...one, history(b!, 'r', [[20, 'firing', 'blue']])];
    expect(checkExpectations(cs, blue)[0]!.passed).toBe(false);
    const two = [...one, history(b!, 'r', [[20, 'firing', 'red']])];
    expect(checkExpectations(cs, two)[0]!.passed).toBe(true);
  });

  it('tells muted from announced alerts when asked', () => {
    const cs = compiled(`  - { type: alert, muted: true, incident: covers, within: 1h }`);
    const sensor = [...cs.incidents[0]!.area.sensors][0]!;
    const announced = history(sensor, 'r', [[15, 'firing', 'blue']]);
    expect(checkExpectations(cs, [announced])[0]!.passed).toBe(false);
    const muted = history(sensor, 'r', [
      [15, 'firing', 'blue'],
      [15, 'suppressed'],
    ]);
    expect(checkExpectations(cs, [muted])[0]!.passed).toBe(true);
  });

  it('fails a no-alert window on a matching alert inside it and names it', () => {
    const cs = compiled(`  - { id: quiet, type: no-alert, severity: red, from: '+0m', to: '+1h' }`);
    const inside = history('SM-0001', 'grid-smoke', [[30, 'firing', 'red']]);
    const after = history('SM-0002', 'grid-smoke', [[70, 'firing', 'red']]);
    const orange = history('MH-0002', 'grid-manhole-tilt', [[10, 'firing', 'orange']]);
    expect(checkExpectations(cs, [after, orange])[0]).toMatchObject({ passed: true, observed: 'none' });
    const [result] = checkExpectations(cs, [after, orange, inside]);
    expect(result!.passed).toBe(false);
    expect(result!.observed).toContain('grid-smoke (red) on sensor SM-0001 at 22:30:00');
  });

  it('lets a muted alert through a no-alert window unless includeMuted', () => {
    const muted = history('SM-0001', 'grid-smoke', [
      [30, 'firing', 'red'],
      [30, 'suppressed'],
    ]);
    expect(checkExpectations(compiled(`  - { type: no-alert, severity: red }`), [muted])[0]!.passed).toBe(
      true,
    );
    const strict = compiled(`  - { type: no-alert, severity: red, includeMuted: true }`);
    expect(checkExpectations(strict, [muted])[0]!.passed).toBe(false);
  });
});

describe('labels', () => {
  it('writes one label per line with the subject, metric and times in the scenario offset', () => {
    const cs = compiled(`  - { type: no-alert }`);
    const lines = labelsNdjson(cs)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).toMatchObject({ incident: 'covers', type: 'grid-events', metric: 'tilt' });
      expect(l['subject']).toMatchObject({ type: 'sensor' });
      expect(String(l['start'])).toMatch(/^2026-11-26T22:[1-2]\d:\d\d\+08:00$/);
      expect(String(l['end'])).toBe('2026-11-27T00:00:00+08:00');
    }
  });

  it('scores recall, precision and delay of alerts against the labels', () => {
    const cs = compiled(`  - { type: no-alert }`);
    const [l1, l2] = cs.labels;
    const hit = history(l1!.subject.id, 'grid-manhole-tilt', [
      [(l1!.start - START) / MIN + 2, 'firing', 'orange'],
    ]);
    const unlabelled = pack.sensors.find(
      (s) => s.subtype === 'manhole' && !cs.incidents[0]!.area.sensors.has(s.id),
    )!;
    const stray = history(unlabelled.id, 'grid-manhole-tilt', [[5, 'firing', 'red']], {
      labels: { sensorId: unlabelled.id, subtype: 'manhole' },
    });
    // A smoke alarm is not about what was injected (manhole covers): not judged.
    const smoke = history('SM-0001', 'grid-smoke', [[5, 'firing', 'red']], { labels: { subtype: 'smoke' } });
    const score = scoreDetections(cs, [
      { ...hit, alert: { ...hit.alert, labels: { ...hit.alert.labels, subtype: 'manhole' } } },
      stray,
      smoke,
    ]);
    expect(score).toMatchObject({
      labels: 2,
      detected: 1,
      recall: 0.5,
      firing: 2,
      matchedAlerts: 1,
      precision: 0.5,
    });
    expect(score.delayP50Ms).toBe(2 * MIN);
    const both = scoreDetections(cs, [hit, history(l2!.subject.id, 'r', [[100, 'firing', 'red']])]);
    expect(both.recall).toBe(1);
  });
});
