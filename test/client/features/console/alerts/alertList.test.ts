import { describe, expect, it } from 'vitest';
import type { Sensor } from '@shared/schemas/sensor.schema';
import {
  caseNumberOf,
  compareAlerts,
  filterAndSort,
  insertSorted,
  matchesFilters,
  NO_FILTERS,
  removeSorted,
  silenceEndsAt,
  silenceMatchers,
  silenceRequest,
} from '../../../../../client/src/features/console/alerts/alertList';
import { sensor } from '../../../live.fixtures';
import { alert, manyAlerts, T0 } from './alerts.fixtures';

const HOUR = 3_600_000;
const noSensors = new Map<string, Sensor>();

describe('alert list order', () => {
  it('puts the most severe first, then the newest, then by id', () => {
    const rows = [
      alert('b', { severity: 'yellow', startsAt: T0 }),
      alert('old-red', { severity: 'red', startsAt: T0 - HOUR }),
      alert('new-red', { severity: 'red', startsAt: T0 }),
      alert('a', { severity: 'yellow', startsAt: T0 }),
      alert('blue', { severity: 'blue', startsAt: T0 + HOUR }),
    ].sort(compareAlerts);

    expect(rows.map((r) => r.id)).toEqual(['new-red', 'old-red', 'a', 'b', 'blue']);
  });

  it('keeps a sorted array sorted through inserts and removals', () => {
    const all = manyAlerts(200);
    const rows = [] as typeof all;
    for (const a of all) insertSorted(rows, a);
    expect(rows).toEqual([...all].sort(compareAlerts));

    for (const a of all.filter((_, i) => i % 3 === 0)) expect(removeSorted(rows, a)).toBe(true);
    expect(rows).toEqual(all.filter((_, i) => i % 3 !== 0).sort(compareAlerts));
    expect(removeSorted(rows, alert('missing'))).toBe(false);
  });
});

describe('alert filters', () => {
  const sensors = new Map([['s-air', { ...sensor('s-air', 'air'), subtype: 'aq-station' as const }]]);
  const water = alert('w', {
    severity: 'orange',
    state: 'acknowledged',
    districtId: '330106',
    labels: { sensorKind: 'grid-event', subtype: 'waterlogging' },
  });
  const air = alert('x', { subject: { type: 'sensor', id: 's-air' }, districtId: '330102' });
  const district = alert('d', { subject: { type: 'district', id: '330106' } });

  it('matches district, level and state, each only when set', () => {
    expect(matchesFilters(water, NO_FILTERS, noSensors)).toBe(true);
    expect(matchesFilters(water, { ...NO_FILTERS, districtId: '330106' }, noSensors)).toBe(true);
    expect(matchesFilters(water, { ...NO_FILTERS, districtId: '330102' }, noSensors)).toBe(false);
    expect(matchesFilters(water, { ...NO_FILTERS, severity: 'red' }, noSensors)).toBe(false);
    expect(matchesFilters(water, { ...NO_FILTERS, state: 'acknowledged' }, noSensors)).toBe(true);
    expect(matchesFilters(water, { ...NO_FILTERS, state: 'firing' }, noSensors)).toBe(false);
  });

  it("takes a district alert's own subject as its district", () => {
    expect(matchesFilters(district, { ...NO_FILTERS, districtId: '330106' }, noSensors)).toBe(true);
  });

  it('matches the category by sensor kind or device family, from the labels or else the sensor', () => {
    expect(matchesFilters(water, { ...NO_FILTERS, category: 'kind:grid-event' }, noSensors)).toBe(true);
    expect(matchesFilters(water, { ...NO_FILTERS, category: 'subtype:waterlogging' }, noSensors)).toBe(true);
    expect(matchesFilters(water, { ...NO_FILTERS, category: 'subtype:manhole' }, noSensors)).toBe(false);
    expect(matchesFilters(air, { ...NO_FILTERS, category: 'kind:air' }, sensors)).toBe(true);
    expect(matchesFilters(air, { ...NO_FILTERS, category: 'subtype:aq-station' }, sensors)).toBe(true);
    expect(matchesFilters(district, { ...NO_FILTERS, category: 'kind:air' }, sensors)).toBe(false);
  });

  it('filters and sorts in one pass', () => {
    const rows = filterAndSort(manyAlerts(40), { ...NO_FILTERS, severity: 'red' }, noSensors);
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.severity === 'red')).toBe(true);
    expect(rows.map((r) => r.startsAt)).toEqual([...rows.map((r) => r.startsAt)].sort((a, b) => b - a));
  });
});

describe('silences from the drawer', () => {
  it('ends after one or four hours', () => {
    expect(silenceEndsAt('1h', T0)).toBe(T0 + HOUR);
    expect(silenceEndsAt('4h', T0)).toBe(T0 + 4 * HOUR);
  });

  it('ends at 08:00 Asia/Shanghai the next morning when chosen in the afternoon', () => {
    // T0 is 16:00 in Shanghai; the next 08:00 there is 00:00 UTC the next day.
    expect(silenceEndsAt('morning', T0)).toBe(Date.UTC(2026, 10, 22, 0, 0, 0));
  });

  it('ends at 08:00 the same morning when chosen in the small hours', () => {
    const at0300 = Date.UTC(2026, 10, 21, 19, 0, 0); // 03:00 on the 22nd in Shanghai
    expect(silenceEndsAt('morning', at0300)).toBe(Date.UTC(2026, 10, 22, 0, 0, 0));
  });

  it("matches the alert's rule and subject, naming a sensor by its own label too", () => {
    expect(
      silenceMatchers(alert('a', { ruleId: 'pm25-high', subject: { type: 'sensor', id: 'AQ-1' } })),
    ).toEqual({
      ruleId: ['pm25-high'],
      subjectId: ['AQ-1'],
      sensorId: ['AQ-1'],
    });
    expect(
      silenceMatchers(alert('b', { ruleId: 'r', subject: { type: 'cell', id: '330106001001001' } })),
    ).toEqual({
      ruleId: ['r'],
      subjectId: ['330106001001001'],
      gridCellId: ['330106001001001'],
    });
    expect(silenceMatchers(alert('c', { ruleId: 'r', subject: { type: 'area', id: 'fence-1' } }))).toEqual({
      ruleId: ['r'],
      subjectId: ['fence-1'],
    });
  });

  it('builds a one-off schedule from now with the trimmed reason', () => {
    const body = silenceRequest(
      alert('a', { ruleId: 'r', subject: { type: 'district', id: '330106' } }),
      '4h',
      T0,
      '  检修 ',
    );
    expect(body).toEqual({
      matchers: { ruleId: ['r'], subjectId: ['330106'], districtId: ['330106'] },
      schedule: { type: 'once', startsAt: T0, endsAt: T0 + 4 * HOUR },
      comment: '检修',
    });
  });
});

describe('caseNumberOf', () => {
  it("finds the case number in the server's refusal", () => {
    expect(caseNumberOf('alert al1 is already being handled as case WO-20261121-0007 (dispatched)')).toBe(
      'WO-20261121-0007',
    );
    expect(caseNumberOf('something else')).toBeNull();
    expect(caseNumberOf(null)).toBeNull();
  });
});
