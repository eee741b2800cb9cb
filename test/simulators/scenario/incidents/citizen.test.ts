import { describe, expect, it } from 'vitest';
import { caseCategory } from '@shared/domain/caseCategories';
import { loadCityPack, resolveCityPackDir } from '../../../../server/src/cityPack/cityPack.loader';
import { compileScenario, ScenarioGenerator } from '../../../../simulators/src/scenario/generate';
import { labelsNdjson } from '../../../../simulators/src/scenario/labels';
import { parseScenario, ScenarioError } from '../../../../simulators/src/scenario/loadScenario';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const START = '2026-11-24T09:00:00+08:00';
const T0 = Date.parse(START);
const MIN = 60_000;
const HOUR = 3_600_000;
/** A cell covered by a day-shift worker, its centre, and a point inside it. */
const CELL = '330102001001001';
const CENTRE = [120.162435, 30.257969];

/** A 4-hour scenario from 09:00 with the given incident lines and extra top-level YAML. */
const scenarioText = (incidents: string, extra = '') => `name: { zh: 市民热线, en: Citizen calls }
start: '${START}'
duration: 4h
seed: 7
incidents:
${incidents}
${extra}`;

const EXPLICIT = `  - id: calls
    type: citizen-reports
    at: '09:30'
    duration: 2h
    reports:
      - { category: event.city-appearance.litter, where: { cell: '${CELL}' }, description: 垃圾没人清运 }
      - { at: '10:15', category: component.public-facility.streetlight, where: { sensor: SL-0006 }, description: 路灯不亮 }
      - { at: '+70m', category: component.public-facility.manhole, where: { lngLat: [120.161, 30.258] }, description: 井盖移位 }`;

const RATE = (perHour: number, area = `{ districts: ['330102'] }`) => `  - id: hotline
    type: citizen-reports
    at: '+30m'
    duration: 3h
    perHour: ${perHour}
    categories: [event.city-appearance.litter, component.public-facility.streetlight]
    area: ${area}`;

/** The issues a scenario text is refused with, parsed and (with `compile`) compiled. */
function issuesOf(text: string, compile = false) {
  try {
    const s = parseScenario(text, 'test.yaml');
    if (compile) compileScenario(s, pack, { file: 'test.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).issues;
  }
  throw new Error('the scenario was accepted');
}

describe('citizen-reports incidents', () => {
  it('places each listed report at its time, point and grid cell, with its Open311 service code', () => {
    const cs = compileScenario(parseScenario(scenarioText(EXPLICIT)), pack);
    // In time order; each keeps its place in the list as its index.
    expect(cs.reports.map((r) => [r.index, (r.t - T0) / MIN, r.category, r.gridCellId])).toEqual([
      [0, 30, 'event.city-appearance.litter', CELL],
      [2, 70, 'component.public-facility.manhole', CELL],
      [1, 75, 'component.public-facility.streetlight', '330104022001002'],
    ]);
    const [litter, cover, lamp] = cs.reports;
    expect(litter!.location).toEqual(CENTRE);
    expect(litter!.serviceCode).toBe(caseCategory('event.city-appearance.litter')!.serviceCode);
    expect(lamp!.sensorId).toBe('SL-0006');
    expect(lamp!.location).toEqual(pack.sensors.find((s) => s.id === 'SL-0006')!.location);
    expect(cover!.location).toEqual([120.161, 30.258]);
    expect(cover!.description).toBe('井盖移位');
  });

  it('labels each report on its cell from the call to the incident end, and its cells as the incident area', () => {
    const cs = compileScenario(parseScenario(scenarioText(EXPLICIT)), pack);
    const labels = cs.labels.filter((l) => l.incident === 'calls');
    expect(labels).toHaveLength(3);
    for (const l of labels) {
      expect(l).toMatchObject({ type: 'citizen-reports', metric: 'citizen-report', end: T0 + 150 * MIN });
      expect(l.subject.type).toBe('cell');
    }
    expect(labels.map((l) => l.start)).toEqual([T0 + 30 * MIN, T0 + 70 * MIN, T0 + 75 * MIN]);
    const area = cs.incidents.find((i) => i.id === 'calls')!.area;
    expect([...area.cells].sort()).toEqual([CELL, '330104022001002'].sort());
    expect([...area.districts].sort()).toEqual(['330102', '330104']);
    expect([...area.sensors]).toEqual(['SL-0006']);
    expect(labelsNdjson(cs)).toContain('"metric":"citizen-report"');
  });

  it('sends no reading of its own', () => {
    const withCalls = compileScenario(parseScenario(scenarioText(EXPLICIT)), pack);
    const without = compileScenario(parseScenario(scenarioText('  []')), pack);
    const window: [number, number] = [T0 + 29 * MIN, T0 + 31 * MIN];
    expect(new ScenarioGenerator(withCalls).emissionsBetween(...window)).toEqual(
      new ScenarioGenerator(without).emissionsBetween(...window),
    );
  });

  it('draws rate-based reports from the seed: the same seed gives the same reports, another seed others', () => {
    const text = scenarioText(RATE(6));
    const a = compileScenario(parseScenario(text), pack).reports;
    const b = compileScenario(parseScenario(text), pack).reports;
    const c = compileScenario(parseScenario(text), pack, { seed: 8 }).reports;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    // About 6 an hour for 3 hours (a Poisson count of mean 18 stays within 6..36 with near certainty).
    expect(a.length).toBeGreaterThanOrEqual(6);
    expect(a.length).toBeLessThanOrEqual(36);
    for (const r of a) {
      expect(r.t).toBeGreaterThan(T0 + 30 * MIN);
      expect(r.t).toBeLessThan(T0 + 30 * MIN + 3 * HOUR);
      expect(r.t % 1000).toBe(0);
      expect(r.districtId).toBe('330102');
      expect(['event.city-appearance.litter', 'component.public-facility.streetlight']).toContain(r.category);
      expect(pack.gridCells.find((g) => g.id === r.gridCellId)?.districtId).toBe('330102');
    }
    expect(new Set(a.map((r) => r.category)).size).toBe(2);
    expect(new Set(a.map((r) => r.gridCellId)).size).toBeGreaterThan(3);
  });

  it('follows the rate: ten times the rate gives about ten times the reports', () => {
    const low = compileScenario(parseScenario(scenarioText(RATE(10))), pack).reports.length;
    const high = compileScenario(parseScenario(scenarioText(RATE(100))), pack).reports.length;
    expect(high).toBeGreaterThan(240);
    expect(high).toBeLessThan(360);
    expect(high / low).toBeGreaterThan(5);
  });

  it('reports from the selected sensors when the area names sensor kinds', () => {
    const cs = compileScenario(
      parseScenario(scenarioText(RATE(20, `{ subtypes: [streetlight], districts: ['330104'] }`))),
      pack,
    );
    expect(cs.reports.length).toBeGreaterThan(0);
    for (const r of cs.reports) {
      const sensor = pack.sensors.find((s) => s.id === r.sensorId)!;
      expect(sensor.subtype).toBe('streetlight');
      expect(r.location).toEqual(sensor.location);
    }
  });

  describe('validation', () => {
    it('refuses an unknown case category and names the field', () => {
      const issues = issuesOf(scenarioText(EXPLICIT.replace('event.city-appearance.litter', 'event.litter')));
      expect(issues[0]!.path).toBe('incidents[0].reports[0].category');
      expect(issues[0]!.message).toContain('event.city-appearance.litter');
    });

    it('refuses both a list and a rate, and neither', () => {
      const both = issuesOf(scenarioText(`${EXPLICIT}\n    perHour: 3`));
      expect(both[0]).toMatchObject({ path: 'incidents[0].reports' });
      expect(both[0]!.message).toContain('not both');
      const neither = issuesOf(
        scenarioText(`  - { id: calls, type: citizen-reports, at: '09:30', duration: 2h }`),
      );
      expect(neither[0]).toMatchObject({ path: 'incidents[0].reports' });
    });

    it('needs categories with a rate', () => {
      const issues = issuesOf(scenarioText(RATE(3).replace(/ {4}categories: .*\n/, '')));
      expect(issues.map((i) => i.path)).toEqual(['incidents[0].categories']);
    });

    it('refuses a description over 4,000 characters and a malformed cell code', () => {
      const issues = issuesOf(
        scenarioText(EXPLICIT.replace('垃圾没人清运', 'x'.repeat(4001)).replace(`'${CELL}'`, "'3301'")),
      );
      expect(issues.map((i) => i.path).sort()).toEqual([
        'incidents[0].reports[0].description',
        'incidents[0].reports[0].where.cell',
      ]);
    });

    it('reports unknown cells and sensors, and points outside the grid, when compiled', () => {
      const issues = issuesOf(
        scenarioText(
          EXPLICIT.replace(`'${CELL}'`, "'330102999999999'")
            .replace('SL-0006', 'SL-9999')
            .replace('[120.161, 30.258]', '[121.5, 31.2]'),
        ),
        true,
      );
      expect(issues.map((i) => [i.path, i.message])).toEqual([
        ['incidents[0].reports[0].where.cell', 'no cell "330102999999999" in the city pack'],
        ['incidents[0].reports[1].where.sensor', 'no sensor "SL-9999" in the city pack'],
        ['incidents[0].reports[2].where.lngLat', expect.stringContaining("outside the city's grid cells")],
      ]);
    });

    it('reports a report outside its incident window when compiled', () => {
      const issues = issuesOf(scenarioText(EXPLICIT.replace("at: '10:15'", "at: '12:00'")), true);
      expect(issues.map((i) => i.path)).toEqual(['incidents[0].reports[1].at']);
    });

    it('reports an unknown district in a rate-based area, and an area with no place in the grid', () => {
      const unknown = issuesOf(scenarioText(RATE(3, `{ districts: ['339999'] }`)), true);
      expect(unknown.map((i) => i.path)).toEqual(['incidents[0].area.districts[0]']);
      const empty = issuesOf(scenarioText(RATE(3, `{ near: { lngLat: [121.5, 31.2], radiusKm: 1 } }`)), true);
      expect(empty.map((i) => i.path)).toEqual(['incidents[0].area']);
    });
  });
});
