import { createExpression, type ExpressionSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { GeoJSONSourceSpecification } from 'maplibre-gl';
import { describe, expect, it } from 'vitest';
import { computeAqiReport, describeAqi } from '../../../../shared/domain/aqi';
import { CONGESTION_STATES } from '../../../../shared/domain/traffic';
import type { LatestReading } from '../../../../shared/schemas/reading.schema';
import type { Sensor } from '../../../../shared/schemas/sensor.schema';
import type { WorkerPosition } from '../../../../shared/schemas/workOrder.schema';
import { LIVE_SOURCES, liveLayerSet } from '../../../../client/src/features/map/layers';
import {
  alertFeatures,
  alertSite,
  cellsByAqi,
  cellsByCongestion,
  cellsByWorstAlert,
  freshPositions,
  indexLegend,
  sameColouring,
  sameEntries,
  sensorFeatures,
  workerFeatures,
  worstBySensor,
  type CaseSite,
} from '../../../../client/src/features/map/liveFeatures';
import { MAP_FONT } from '../../../../client/src/features/map/offlineStyle';
import { POSITION_MAX_AGE_MS } from '../../../../client/src/features/workers/workerPositions.store';
import { alert, sensor, T0 } from '../../live.fixtures';

const CELL_A = '330106001001001';
const CELL_B = '330106001001002';
const CELL_X = '330108001001001';

function placed(
  id: string,
  kind: Sensor['kind'],
  cell: string,
  at: [number, number] = [120.1, 30.2],
): Sensor {
  return { ...sensor(id, kind, cell.slice(0, 6)), gridCellId: cell, location: at };
}

function onRoad(id: string, cell: string, freeFlowKmh = 40): Sensor {
  return {
    ...placed(id, 'traffic', cell),
    road: {
      id: 'road-1',
      name: { zh: '延安路', en: 'Yan’an Road' },
      class: 'arterial',
      freeFlowKmh,
    },
  };
}

function latest(values: Record<string, Record<string, number>>, observedAt = T0 - 10_000) {
  return (id: string): LatestReading | undefined =>
    values[id] ? { sensorId: id, observedAt, values: values[id] } : undefined;
}

const byId = (sensors: Sensor[]) => new Map(sensors.map((s) => [s.id, s]));

/**
 * Cluster `features` the way maplibre's worker does with a source's `clusterProperties`: each
 * point through the map expression, then folded with the reduce expression.
 */
function clusterOf(
  features: { properties: Record<string, unknown> | null }[],
  clusterProperties: Record<string, [string, ExpressionSpecification]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, [operator, mapping]] of Object.entries(clusterProperties)) {
    const map = createExpression(mapping, `sources.sensors.clusterProperties.${key}[1]`);
    const reduce = createExpression(
      [operator, ['accumulated'], ['get', key]],
      `sources.sensors.clusterProperties.${key}[0]`,
    );
    if (map.result !== 'success' || reduce.result !== 'success') throw new Error(`bad expression ${key}`);
    let acc: ReturnType<typeof reduce.value.evaluate> = undefined;
    for (const f of features) {
      const value = map.value.evaluate({ zoom: 0 }, {
        type: 'Point',
        properties: f.properties ?? {},
      } as never);
      acc =
        acc === undefined
          ? value
          : reduce.value.evaluate({ zoom: 0, accumulated: acc }, {
              type: 'Point',
              properties: { [key]: value },
            } as never);
    }
    out[key] = acc;
  }
  return out;
}

describe('worstBySensor and sensorFeatures', () => {
  it("keeps each sensor's worst open, announced alert", () => {
    const worst = worstBySensor([
      alert('a1', { subject: { type: 'sensor', id: 's1' }, severity: 'blue' }),
      alert('a2', { subject: { type: 'sensor', id: 's1' }, severity: 'orange' }),
      alert('a3', { subject: { type: 'sensor', id: 's1' }, severity: 'yellow' }),
      alert('a4', { subject: { type: 'sensor', id: 's2' }, severity: 'red', state: 'resolved' }),
      alert('a5', {
        subject: { type: 'sensor', id: 's3' },
        severity: 'red',
        suppressed: { by: 'silence', id: 'sil-1', reason: '检修' },
      }),
      alert('a6', { subject: { type: 'cell', id: CELL_A }, severity: 'red' }),
    ]);

    expect(worst).toEqual(new Map([['s1', 'orange']]));
  });

  it('gives every placed sensor its kind and the rank of its worst alert, 0 for none', () => {
    const unplaced: Sensor = { ...sensor('s9', 'air'), location: null };
    const fc = sensorFeatures(
      [placed('s1', 'grid-event', CELL_A, [120.11, 30.21]), placed('s2', 'traffic', CELL_A), unplaced],
      new Map([['s1', 'red']]),
    );

    expect(fc.features).toEqual([
      {
        type: 'Feature',
        properties: { id: 's1', kind: 'grid-event', worst: 4 },
        geometry: { type: 'Point', coordinates: [120.11, 30.21] },
      },
      {
        type: 'Feature',
        properties: { id: 's2', kind: 'traffic', worst: 0 },
        geometry: { type: 'Point', coordinates: [120.1, 30.2] },
      },
    ]);
  });

  it("makes a cluster of the map's sensor source show its worst sensor's level and how many alert", () => {
    const source = liveLayerSet({ font: [MAP_FONT] }).sources[
      LIVE_SOURCES.sensors
    ] as GeoJSONSourceSpecification;
    const sensors = ['s1', 's2', 's3', 's4'].map((id) => placed(id, 'grid-event', CELL_A));
    const fc = sensorFeatures(
      sensors,
      worstBySensor([
        alert('a1', { subject: { type: 'sensor', id: 's2' }, severity: 'yellow' }),
        alert('a2', { subject: { type: 'sensor', id: 's3' }, severity: 'red' }),
        alert('a3', { subject: { type: 'sensor', id: 's4' }, severity: 'blue' }),
      ]),
    );

    const cluster = clusterOf(
      fc.features,
      source.clusterProperties as Record<string, [string, ExpressionSpecification]>,
    );

    expect(cluster).toEqual({ worst: 4, alerting: 3 });
  });

  it('tells an unchanged set of worst alerts from a changed one', () => {
    const a = new Map([['s1', 'red' as const]]);
    expect(sameEntries(a, new Map([['s1', 'red' as const]]))).toBe(true);
    expect(sameEntries(a, new Map([['s1', 'orange' as const]]))).toBe(false);
    expect(sameEntries(a, new Map([['s2', 'red' as const]]))).toBe(false);
    expect(sameEntries(a, new Map())).toBe(false);
  });
});

describe('alertFeatures', () => {
  const sensors = byId([placed('s1', 'grid-event', CELL_A, [120.12, 30.22])]);

  it("places an alert at its own location, else at its sensor's, and leaves out one with neither", () => {
    const own = alert('a1', { location: [120.3, 30.3], subject: { type: 'sensor', id: 's1' } });
    const bySensor = alert('a2', { subject: { type: 'sensor', id: 's1' } });
    const nowhere = alert('a3', { subject: { type: 'sensor', id: 'unknown' } });

    expect(alertSite(own, sensors)).toEqual([120.3, 30.3]);
    expect(alertSite(bySensor, sensors)).toEqual([120.12, 30.22]);
    expect(alertSite(nowhere, sensors)).toBeNull();
    expect(
      alertFeatures([own, bySensor, nowhere], sensors).features.map((f) => f.geometry.coordinates),
    ).toEqual([
      [120.3, 30.3],
      [120.12, 30.22],
    ]);
  });

  it('draws open, announced alerts least severe first, so the worst end up on top', () => {
    const fc = alertFeatures(
      [
        alert('red', { severity: 'red', location: [120, 30] }),
        alert('blue', { severity: 'blue', location: [120, 30] }),
        alert('closed', { severity: 'red', state: 'closed', location: [120, 30] }),
        alert('muted', {
          severity: 'red',
          location: [120, 30],
          suppressed: { by: 'inhibition', id: 'a0', reason: '停电' },
        }),
        alert('orange', { severity: 'orange', location: [120, 30] }),
      ],
      sensors,
    );

    expect(fc.features.map((f) => f.properties)).toEqual([
      { id: 'blue', severity: 'blue' },
      { id: 'orange', severity: 'orange' },
      { id: 'red', severity: 'red' },
    ]);
  });

  it('always draws a pinned alert, resolved or not', () => {
    const resolved = alert('gone', { state: 'resolved', severity: 'yellow', location: [120, 30] });

    expect(alertFeatures([resolved], sensors, [resolved]).features.map((f) => f.properties)).toEqual([
      { id: 'gone', severity: 'yellow' },
    ]);
  });
});

describe('cellsByWorstAlert', () => {
  it('colours a cell by the worst alert on its sensors or on itself', () => {
    const sensors = byId([placed('s1', 'grid-event', CELL_A), placed('s2', 'grid-event', CELL_B)]);
    const colouring = cellsByWorstAlert(
      [
        alert('a1', { subject: { type: 'sensor', id: 's1' }, severity: 'blue' }),
        alert('a2', { subject: { type: 'cell', id: CELL_A }, severity: 'orange' }),
        alert('a3', { subject: { type: 'sensor', id: 's2' }, severity: 'yellow', gridCellId: CELL_B }),
        alert('a4', { subject: { type: 'sensor', id: 's2' }, severity: 'red', state: 'resolved' }),
      ],
      sensors,
    );

    expect(colouring.cells).toEqual(
      new Map([
        [CELL_A, { severity: 'orange' }],
        [CELL_B, { severity: 'yellow' }],
      ]),
    );
    expect(colouring.districts.size).toBe(0);
  });

  it("lets a district's alert colour its cells, and a cell keep its own alert when that is worse", () => {
    const sensors = byId([placed('s1', 'grid-event', CELL_A), placed('s2', 'grid-event', CELL_B)]);
    const colouring = cellsByWorstAlert(
      [
        alert('d', { subject: { type: 'district', id: '330106' }, severity: 'orange' }),
        alert('a1', { subject: { type: 'sensor', id: 's1' }, severity: 'blue' }),
        alert('a2', { subject: { type: 'sensor', id: 's2' }, severity: 'red' }),
      ],
      sensors,
    );

    expect(colouring.cells).toEqual(
      new Map([
        [CELL_A, { severity: 'orange' }],
        [CELL_B, { severity: 'red' }],
      ]),
    );
    expect(colouring.districts).toEqual(new Map([['330106', { severity: 'orange' }]]));
  });
});

describe('cellsByAqi', () => {
  const stations = [
    placed('aq1', 'air', CELL_A),
    placed('aq2', 'air', CELL_A),
    placed('aq3', 'air', CELL_B),
    placed('aq4', 'air', CELL_X),
  ];

  it('colours a cell by the AQI of the mean of its stations, and its district by all of its stations', () => {
    const colouring = cellsByAqi(
      stations,
      latest({ aq1: { pm25: 40 }, aq2: { pm25: 80 }, aq3: { pm25: 300, no2: 20 }, aq4: { pm25: 10 } }),
      T0,
    );
    const colourOf = (pm25: number) =>
      computeAqiReport({ pm25_1h: pm25, pm25_24h: pm25 }, { mode: 'realtime' })!.color;

    expect(colouring.cells).toEqual(
      new Map([
        [CELL_A, { color: colourOf(60) }],
        [CELL_B, { color: colourOf(300) }],
        [CELL_X, { color: colourOf(10) }],
      ]),
    );
    // 330106: (40 + 80 + 300) / 3 = 140 µg/m³, 轻度污染 or worse; 330108: 优.
    expect(colouring.districts.get('330106')).toEqual({ color: colourOf(140) });
    expect(colouring.districts.get('330108')).toEqual({ color: describeAqi(0)!.color });
    expect(colourOf(60)).not.toBe(colourOf(300));
  });

  it('leaves out stations that are offline and sensors of other kinds', () => {
    const stale = cellsByAqi(stations, latest({ aq1: { pm25: 300 } }, T0 - 3_600_000), T0);
    const other = cellsByAqi([placed('t1', 'traffic', CELL_A)], latest({ t1: { pm25: 300 } }), T0);

    expect(stale).toEqual({ cells: new Map(), districts: new Map() });
    expect(other).toEqual({ cells: new Map(), districts: new Map() });
  });
});

describe('cellsByCongestion', () => {
  const stateColour = (id: string) => CONGESTION_STATES.find((s) => s.id === id)!.color;

  it('colours a cell by the congestion state of its detectors, weighted by their volume', () => {
    const colouring = cellsByCongestion(
      [onRoad('t1', CELL_A), onRoad('t2', CELL_A), onRoad('t3', CELL_B), onRoad('t4', CELL_X)],
      latest({
        // 40 km/h free flow: 10 km/h is DTP 0.75 (严重拥堵), 40 km/h is DTP 0 (畅通).
        t1: { speed: 10, volume: 3000 },
        t2: { speed: 40, volume: 10 },
        t3: { speed: 40, volume: 800 },
        // Speed 0: an empty road or a standstill, no telling which.
        t4: { speed: 0, volume: 0 },
      }),
      T0,
    );

    expect(colouring.cells).toEqual(
      new Map([
        [CELL_A, { color: stateColour('severe') }],
        [CELL_B, { color: stateColour('free') }],
      ]),
    );
    expect(colouring.districts.size).toBe(0);
  });

  it('ignores detectors that are offline', () => {
    const colouring = cellsByCongestion(
      [onRoad('t1', CELL_A)],
      latest({ t1: { speed: 10 } }, T0 - 3_600_000),
      T0,
    );

    expect(colouring.cells.size).toBe(0);
  });
});

describe('sameColouring', () => {
  it('compares cells and districts by what they paint', () => {
    const a = { cells: new Map([[CELL_A, { color: '#fff' }]]), districts: new Map() };

    expect(sameColouring(a, { cells: new Map([[CELL_A, { color: '#fff' }]]), districts: new Map() })).toBe(
      true,
    );
    expect(sameColouring(a, { cells: new Map([[CELL_A, { color: '#000' }]]), districts: new Map() })).toBe(
      false,
    );
    expect(sameColouring(a, { cells: new Map([[CELL_A, { severity: 'red' }]]), districts: new Map() })).toBe(
      false,
    );
    expect(sameColouring(a, { cells: a.cells, districts: new Map([['330106', { color: '#fff' }]]) })).toBe(
      false,
    );
  });
});

describe('workerFeatures and freshPositions', () => {
  const position = (workerId: string, at = T0 - 60_000, location: [number, number] = [120.1, 30.2]) =>
    ({ workerId, location, at }) satisfies WorkerPosition;
  const site = (id: string, assigneeId: string | null, state: CaseSite['state']): CaseSite => ({
    id,
    state,
    assigneeId,
    location: [120.2, 30.3],
  });

  it('marks a worker dispatched while they hold a case on the way or on site, with a line to each site', () => {
    const { workers, lines } = workerFeatures(
      [position('W-1', T0, [120.11, 30.21]), position('W-2'), position('W-3')],
      [
        site('WO-1', 'W-1', 'dispatched'),
        site('WO-2', 'W-1', 'handling'),
        site('WO-3', 'W-2', 'reported'),
        site('WO-4', 'W-3', 'accepted'),
        site('WO-5', 'W-9', 'dispatched'),
        site('WO-6', null, 'registered'),
      ],
    );

    expect(workers.features.map((f) => f.properties)).toEqual([
      { id: 'W-1', dispatched: true },
      { id: 'W-2', dispatched: false },
      { id: 'W-3', dispatched: true },
    ]);
    expect(lines.features.map((f) => [f.properties, f.geometry.coordinates])).toEqual([
      [
        { workerId: 'W-1', workOrderId: 'WO-1' },
        [
          [120.11, 30.21],
          [120.2, 30.3],
        ],
      ],
      [
        { workerId: 'W-1', workOrderId: 'WO-2' },
        [
          [120.11, 30.21],
          [120.2, 30.3],
        ],
      ],
      [
        { workerId: 'W-3', workOrderId: 'WO-4' },
        [
          [120.1, 30.2],
          [120.2, 30.3],
        ],
      ],
    ]);
  });

  it('keeps positions reported within the last 15 minutes', () => {
    const fresh = freshPositions(
      [
        position('old', T0 - POSITION_MAX_AGE_MS - 1),
        position('edge', T0 - POSITION_MAX_AGE_MS),
        position('new', T0),
      ],
      T0,
    );

    expect(fresh.map((p) => p.workerId)).toEqual(['edge', 'new']);
  });
});

describe('indexLegend', () => {
  it('lists the six AQI levels and the five congestion states, best first', () => {
    const aqi = indexLegend('aqi');
    const congestion = indexLegend('congestion');

    expect(aqi.map((e) => e.name.zh)).toEqual(['优', '良', '轻度污染', '中度污染', '重度污染', '严重污染']);
    expect(congestion.map((e) => e.name.zh)).toEqual([
      '畅通',
      '基本畅通',
      '轻度拥堵',
      '中度拥堵',
      '严重拥堵',
    ]);
    expect(congestion.map((e) => e.color)).toEqual(CONGESTION_STATES.map((s) => s.color));
  });
});
