import { describe, expect, it } from 'vitest';
import type { Alert } from '@shared/schemas/alert.schema';
import type { TimelineEntry, WorkOrder } from '@shared/schemas/workOrder.schema';
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

  describe('by place (`where`) instead of by incident', () => {
    // A cover with another sensor in its grid cell, and a cover in another cell.
    const cover = pack.sensors.find(
      (s) =>
        s.subtype === 'manhole' &&
        s.gridCellId &&
        pack.sensors.some((o) => o.id !== s.id && o.gridCellId === s.gridCellId),
    )!;
    const neighbour = pack.sensors.find((s) => s.id !== cover.id && s.gridCellId === cover.gridCellId)!;
    const elsewhere = pack.sensors.find(
      (s) => s.subtype === 'manhole' && s.gridCellId && s.gridCellId !== cover.gridCellId,
    )!;
    const cell = cover.gridCellId!;
    /** Window: from 22:30 (`after`) for 15 minutes. */
    const byWhere = (where: string) =>
      compiled(
        `  - { id: here, type: alert, rule: grid-manhole-tilt, severity: orange, where: ${where}, after: '+30m', within: 15m }`,
      );
    const tilt = (sensorId: string, minute: number, extra: Partial<Alert> = {}) =>
      history(sensorId, 'grid-manhole-tilt', [[minute, 'firing', 'orange']], extra);

    it('passes for an alert in the cell within the window, and fails for one in another cell, too late or before it', () => {
      const cs = byWhere(`{ cells: ['${cell}'] }`);
      const [passed] = checkExpectations(cs, [tilt(cover.id, 40)]);
      expect(passed).toMatchObject({
        id: 'here',
        passed: true,
        firstAt: START + 40 * MIN,
        delayMs: 10 * MIN,
      });
      expect(passed!.expected).toContain(`in cell ${cell} within 15m`);
      expect(passed!.alerts.map((a) => a.subject)).toEqual([`sensor ${cover.id}`]);
      // Any sensor's alert located in the cell counts, and an alert about the cell itself.
      expect(checkExpectations(cs, [tilt(neighbour.id, 44)])[0]!.passed).toBe(true);
      const aboutCell = tilt(cover.id, 35, { subject: { type: 'cell', id: cell }, labels: {} });
      expect(checkExpectations(cs, [aboutCell])[0]!.passed).toBe(true);

      // In another cell, in time: not about this place.
      expect(checkExpectations(cs, [tilt(elsewhere.id, 40)])[0]).toMatchObject({
        passed: false,
        observed: 'no matching alert',
      });
      // In the cell, five minutes after the window closed: seen, but late.
      const late = checkExpectations(cs, [tilt(cover.id, 50)])[0]!;
      expect(late).toMatchObject({ passed: false, delayMs: 20 * MIN });
      expect(late.observed).toContain('+20m');
      // Already firing before the window opened: it detected nothing in it.
      expect(checkExpectations(cs, [tilt(cover.id, 20)])[0]!.passed).toBe(false);
      // The right place but below the severity asked.
      const blue = history(cover.id, 'grid-manhole-tilt', [[40, 'firing', 'blue']]);
      expect(checkExpectations(cs, [blue])[0]!.passed).toBe(false);
    });

    it('takes only the named sensors with `sensors`, not their neighbours in the cell', () => {
      const cs = byWhere(`{ sensors: ['${cover.id}'] }`);
      expect(checkExpectations(cs, [tilt(cover.id, 40)])[0]).toMatchObject({
        passed: true,
        delayMs: 10 * MIN,
      });
      expect(checkExpectations(cs, [tilt(neighbour.id, 40)])[0]!.passed).toBe(false);
      expect(checkExpectations(cs, [tilt(elsewhere.id, 40)])[0]!.passed).toBe(false);
      expect(checkExpectations(cs, [tilt(cover.id, 46)])[0]!.passed).toBe(false);
    });
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

describe('case expectations', () => {
  /** Covers at 22:10 plus three 12345 calls at 22:30, 22:40 and 22:50; the loop is on. */
  const caseScenario = (expectations: string) =>
    compileScenario(
      parseScenario(
        scenarioText(expectations).replace(
          'expect:',
          `  - id: calls
    type: citizen-reports
    at: '+30m'
    duration: 1h
    reports:
      - { category: event.city-appearance.litter, where: { cell: '330103001001001' }, description: 垃圾 }
      - { at: '+40m', category: component.public-facility.manhole, where: { cell: '330103001001002' }, description: 井盖 }
      - { at: '+50m', category: event.city-appearance.litter, where: { cell: '330103001001003' }, description: 垃圾 }
dispatch: { autoDispatch: [event.city-appearance.litter] }
expect:`,
        ),
      ),
      pack,
    );

  type Step = [minute: number, action: TimelineEntry['action'], data?: Record<string, unknown>];
  /** A case registered at `steps[0]`, through the given steps (states follow the actions), due at `deadline`. */
  function workOrder(id: string, steps: Step[], deadline: number, extra: Partial<WorkOrder> = {}): WorkOrder {
    const to: Record<string, WorkOrder['state']> = {
      register: 'registered',
      dispatch: 'dispatched',
      accept: 'accepted',
      checkIn: 'handling',
      report: 'reported',
    };
    let state: WorkOrder['state'] | null = null;
    const timeline = steps.map(([m, action, data], i): TimelineEntry => {
      const from = state;
      state =
        action === 'verify' ? (data?.['result'] === 'pass' ? 'closed' : 'handling') : (to[action] ?? state!);
      return {
        seq: i + 1,
        at: START + m * MIN,
        action,
        by: 'x',
        byName: 'x',
        from,
        to: state,
        ...(data && { data }),
      };
    });
    return {
      id,
      version: steps.length,
      source: 'citizen',
      category: 'event.city-appearance.litter',
      urgency: 'normal',
      state: state!,
      title: 't',
      location: [120.17, 30.27],
      gridCellId: '330103001001001',
      districtId: '330103',
      createdAt: START + steps[0]![0] * MIN,
      updatedAt: START,
      stage: null,
      dueAt: null,
      overdueAt: null,
      deadlineAt: START + deadline * MIN,
      reworkCount: 0,
      photoIds: [],
      timeline,
      ...extra,
    };
  }
  const worked = (id: string, registered: number, closeAt = registered + 40, deadline = registered + 120) =>
    workOrder(
      id,
      [
        [registered, 'register'],
        [registered + 1, 'dispatch'],
        [registered + 4, 'accept'],
        [registered + 10, 'checkIn'],
        [closeAt - 5, 'report'],
        [closeAt, 'verify', { result: 'pass' }],
      ],
      deadline,
    );
  const byReport = new Map([
    ['calls#0', 'WO-1'],
    ['calls#1', 'WO-2'],
    ['calls#2', 'WO-3'],
  ]);

  it('passes when every report made a case, dispatched in time and closed on time, with each case in the result', () => {
    const cs = caseScenario(`  - { id: worked, type: case, incident: calls, dispatchedWithin: 15m }`);
    const orders = [worked('WO-1', 30), worked('WO-2', 40), worked('WO-3', 50)];
    const [result] = checkExpectations(cs, [], { orders, byReport });
    expect(result).toMatchObject({
      id: 'worked',
      type: 'case',
      passed: true,
      observed: '3/3 case(s) met it',
    });
    expect(result!.expected).toBe(
      'every case of incident calls dispatched within 15m 00s, closed on time (by its deadline)',
    );
    expect(result!.cases![0]).toEqual({
      id: 'WO-1',
      state: 'closed',
      category: 'event.city-appearance.litter',
      knownAt: START + 30 * MIN,
      dispatchedAt: START + 31 * MIN,
      closedAt: START + 70 * MIN,
      deadlineAt: START + 150 * MIN,
      onTime: true,
      passed: true,
      problems: [],
    });
  });

  it('fails naming the case that was dispatched late, closed late or never closed, and the report with no case', () => {
    const cs = caseScenario(`  - { type: case, incident: calls, dispatchedWithin: 15m }`);
    const late = workOrder(
      'WO-1',
      [
        [30, 'register'],
        [50, 'dispatch'],
      ],
      150,
    );
    const overdue = worked('WO-2', 40, 200, 160);
    const [result] = checkExpectations(cs, [], {
      orders: [late, overdue],
      byReport: new Map([...byReport].slice(0, 2)),
    });
    expect(result!.passed).toBe(false);
    expect(result!.observed).toContain('0/2 case(s) met it');
    expect(result!.observed).toContain('report calls#2 at 22:50:00 registered no case');
    expect(result!.cases!.map((c) => [c.id, c.problems])).toEqual([
      ['WO-1', ['dispatched after 20m 00s', 'not closed (dispatched)']],
      ['WO-2', ['closed after its deadline 00:40:00']],
    ]);
  });

  it('judges on time by the report the verifier accepted, not the first one', () => {
    const cs = caseScenario(`  - { type: case, incident: calls }`);
    const reworked = (acceptedReportAt: number) =>
      workOrder(
        'WO-1',
        [
          [30, 'register'],
          [31, 'dispatch'],
          [34, 'accept'],
          [40, 'checkIn'],
          [60, 'report'],
          [65, 'verify', { result: 'fail' }],
          [acceptedReportAt, 'report'],
          [acceptedReportAt + 5, 'verify', { result: 'pass' }],
        ],
        100,
        { reworkCount: 1 },
      );
    const calls = new Map([['calls#0', 'WO-1']]);
    const onlyFirst = {
      ...cs,
      incidents: cs.incidents.map((i) => (i.id === 'calls' ? { ...i, reports: i.reports.slice(0, 1) } : i)),
    };
    expect(checkExpectations(onlyFirst, [], { orders: [reworked(90)], byReport: calls })[0]!.passed).toBe(
      true,
    );
    const late = checkExpectations(onlyFirst, [], { orders: [reworked(110)], byReport: calls })[0]!;
    expect(late.passed).toBe(false);
    expect(late.cases![0]).toMatchObject({ onTime: false, closedAt: START + 115 * MIN });
  });

  it('checks the time from the incident start to closure with `within`', () => {
    const cs = caseScenario(`  - { type: case, incident: calls, closedOnTime: false, within: 1h }`);
    const orders = [worked('WO-1', 30, 80), worked('WO-2', 40, 80), worked('WO-3', 50, 95)];
    const [result] = checkExpectations(cs, [], { orders, byReport });
    expect(result!.passed).toBe(false);
    expect(result!.cases!.map((c) => c.problems)).toEqual([
      [],
      [],
      ['closed 1h 05m after the incident start'],
    ]);
  });

  it('takes the cases dispatched for the incident’s alerts, counting from the alert firing', () => {
    const cs = caseScenario(`  - { id: covers-worked, type: case, incident: covers, dispatchedWithin: 5m }`);
    const [inside] = [...cs.incidents[0]!.area.sensors];
    const outside = pack.sensors.find(
      (s) => s.subtype === 'manhole' && !cs.incidents[0]!.area.sensors.has(s.id),
    )!;
    const alertIn = history(inside!, 'grid-manhole-tilt', [[20, 'firing', 'red']], {
      firingAt: START + 20 * MIN,
    });
    const alertOut = history(outside.id, 'grid-manhole-tilt', [[20, 'firing', 'red']]);
    const forIn = worked('WO-7', 22, 60);
    const forOut = workOrder('WO-8', [[21, 'register']], 100, {
      alertId: alertOut.alert.id,
      source: 'alert',
    });
    const histories = [alertIn, alertOut];
    const none = checkExpectations(cs, histories, { orders: [forOut], byReport: new Map() })[0]!;
    expect(none).toMatchObject({ passed: false, observed: 'no case', cases: [] });
    const [result] = checkExpectations(cs, histories, {
      orders: [forOut, { ...forIn, source: 'alert', alertId: alertIn.alert.id }],
      byReport: new Map(),
    });
    expect(result!.cases!.map((c) => c.id)).toEqual(['WO-7']);
    // Dispatched at 22:23, three minutes after the alert fired at 22:20.
    expect(result).toMatchObject({ passed: true });
    expect(result!.cases![0]).toMatchObject({ knownAt: START + 20 * MIN, dispatchedAt: START + 23 * MIN });
  });

  it('fails a case expectation when the run has no cases at all', () => {
    const cs = caseScenario(`  - { type: case, incident: calls }`);
    expect(checkExpectations(cs, [])[0]).toMatchObject({ passed: false });
  });
});
