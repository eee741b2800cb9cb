import type {
  CircleLayerSpecification,
  FillLayerSpecification,
  GeoJSONSourceSpecification,
  LayerSpecification,
} from 'maplibre-gl';
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../../../shared/schemas/alert.schema';
import {
  alertHaloLayer,
  cellStatusFeatures,
  dispatchLineFeatures,
  LAYER_GROUPS,
  LAYER_MEMBERSHIP,
  layerVisibility,
  LIVE_LAYERS,
  LIVE_SOURCES,
  liveLayerSet,
  PULSE_PERIOD_MS,
  pulseFrame,
  severityRank,
  type LayerGroup,
} from '../../../../client/src/features/map/layers';
import { basemapLayerSet, MAP_FONT, orderedLayers } from '../../../../client/src/features/map/offlineStyle';
import { DEFAULT_PALETTE } from '../../../../client/src/features/map/palette';
import { evaluate, passes, tinyPack } from './map.fixtures';

const live = liveLayerSet({ font: [MAP_FONT] });

/** A live layer by id (every live layer draws from a source, so it has a filter slot). */
function liveLayer(id: string): Exclude<LayerSpecification, { type: 'background' }> {
  const found = orderedLayers(live).find((l) => l.id === id);
  if (!found || found.type === 'background') throw new Error(`no layer ${id}`);
  return found;
}

describe('severityRank', () => {
  it('orders the warning levels 红 > 橙 > 黄 > 蓝 > none', () => {
    expect(SEVERITIES.map(severityRank)).toEqual([4, 3, 2, 1]);
    expect(severityRank(null)).toBe(0);
  });
});

describe('liveLayerSet', () => {
  it('starts every live source empty', () => {
    expect(Object.keys(live.sources).sort()).toEqual(Object.values(LIVE_SOURCES).sort());
    for (const source of Object.values(live.sources))
      expect(source.data).toEqual({ type: 'FeatureCollection', features: [] });
  });

  it('clusters sensors, keeping the worst level and the number of alerting sensors per cluster', () => {
    const sensors = live.sources[LIVE_SOURCES.sensors] as GeoJSONSourceSpecification;

    expect(sensors.cluster).toBe(true);
    expect(sensors.clusterProperties).toEqual({
      worst: ['max', ['get', 'worst']],
      alerting: ['+', ['case', ['>', ['get', 'worst'], 0], 1, 0]],
    });
    // The map expression runs on each sensor before the reduce.
    const [, countsAlerting] = (sensors.clusterProperties as Record<string, [string, unknown]>)['alerting']!;
    expect(evaluate(countsAlerting, { worst: 3 })).toBe(1);
    expect(evaluate(countsAlerting, { worst: 0 })).toBe(0);
  });

  it('draws clusters and their counts only for clusters, and single sensors only outside them', () => {
    const cluster = { cluster: true, point_count: 12, worst: 2 };
    const sensor = { id: 'AQ-001', worst: 0 };

    expect(passes(liveLayer(LIVE_LAYERS.sensorClusters).filter, cluster)).toBe(true);
    expect(passes(liveLayer(LIVE_LAYERS.sensorClusterCount).filter, cluster)).toBe(true);
    expect(passes(liveLayer(LIVE_LAYERS.sensorPoints).filter, cluster)).toBe(false);
    expect(passes(liveLayer(LIVE_LAYERS.sensorClusters).filter, sensor)).toBe(false);
    expect(passes(liveLayer(LIVE_LAYERS.sensorPoints).filter, sensor)).toBe(true);
  });

  it('colours a cluster by its worst open alert, and a calm one in the calm colour', () => {
    const paint = (liveLayer(LIVE_LAYERS.sensorClusters) as CircleLayerSpecification).paint;

    expect(evaluate(paint?.['circle-color'], { worst: 4 })).toBe(DEFAULT_PALETTE.severity.red);
    expect(evaluate(paint?.['circle-color'], { worst: 1 })).toBe(DEFAULT_PALETTE.severity.blue);
    expect(evaluate(paint?.['circle-color'], { worst: 0 })).toBe(DEFAULT_PALETTE.calm);
    expect(evaluate(paint?.['circle-radius'], { point_count: 600 })).toBeGreaterThan(
      evaluate(paint?.['circle-radius'], { point_count: 5 }) as number,
    );
  });

  it('colours a cell by its worst alert, or by the colour an index gave it', () => {
    const paint = (liveLayer(LIVE_LAYERS.cellStatus) as FillLayerSpecification).paint;

    expect(evaluate(paint?.['fill-color'], { severity: 'orange' })).toBe(DEFAULT_PALETTE.severity.orange);
    expect(evaluate(paint?.['fill-color'], { color: '#7e0023' })).toBe('#7e0023');
    expect(evaluate(paint?.['fill-color'], {})).toBe('rgba(0, 0, 0, 0)');
  });

  it('gives each warning level a halo of its own colour that shows only its alerts', () => {
    for (const s of SEVERITIES) {
      const halo = liveLayer(alertHaloLayer(s)) as CircleLayerSpecification;
      expect(halo.paint?.['circle-color']).toBe(DEFAULT_PALETTE.severity[s]);
      expect(passes(halo.filter, { severity: s })).toBe(true);
      expect(passes(halo.filter, { severity: s === 'red' ? 'blue' : 'red' })).toBe(false);
    }
  });

  it('draws the more severe halos over the less severe, and alert cores over halos', () => {
    const ids = orderedLayers(live).map((l) => l.id);

    expect(ids.indexOf(alertHaloLayer('red'))).toBeGreaterThan(ids.indexOf(alertHaloLayer('blue')));
    expect(ids.indexOf(LIVE_LAYERS.alertCore)).toBeGreaterThan(ids.indexOf(alertHaloLayer('red')));
  });

  it('tells dispatched workers apart from those on patrol', () => {
    const paint = (liveLayer(LIVE_LAYERS.workers) as CircleLayerSpecification).paint;

    expect(evaluate(paint?.['circle-color'], { dispatched: true })).toBe(DEFAULT_PALETTE.workerDispatched);
    expect(evaluate(paint?.['circle-color'], { dispatched: false })).toBe(DEFAULT_PALETTE.worker);
  });
});

describe('pulseFrame', () => {
  it('swells and fades a halo once per period, back to where it started', () => {
    const rest = pulseFrame('red', 0);
    const peak = pulseFrame('red', PULSE_PERIOD_MS.red / 2);

    expect(peak.radius).toBeGreaterThan(rest.radius);
    expect(peak.opacity).toBeLessThan(rest.opacity);
    expect(pulseFrame('red', PULSE_PERIOD_MS.red)).toEqual(rest);
  });

  it('pulses a red alert faster than a blue one', () => {
    expect(PULSE_PERIOD_MS.red).toBeLessThan(PULSE_PERIOD_MS.orange);
    expect(PULSE_PERIOD_MS.orange).toBeLessThan(PULSE_PERIOD_MS.yellow);
    expect(PULSE_PERIOD_MS.yellow).toBeLessThan(PULSE_PERIOD_MS.blue);
    // Half-way through red's period, red is at its peak while blue has barely moved.
    const t = PULSE_PERIOD_MS.red / 2;
    expect(pulseFrame('red', t).radius / pulseFrame('red', 0).radius).toBeGreaterThan(
      pulseFrame('blue', t).radius / pulseFrame('blue', 0).radius,
    );
  });

  it('holds still with reduced motion', () => {
    const frames = [0, 250, 500, 750].map((t) => pulseFrame('red', t, true));

    expect(new Set(frames.map((f) => JSON.stringify(f))).size).toBe(1);
  });
});

describe('layerVisibility', () => {
  const base = orderedLayers(basemapLayerSet(tinyPack(), { font: [MAP_FONT] })).map((l) => l.id);
  const liveIds = orderedLayers(live).map((l) => l.id);

  it('puts every layer of the map in at least one group, and only known groups', () => {
    expect(Object.keys(LAYER_MEMBERSHIP).sort()).toEqual([...base, ...liveIds].sort());
    for (const groups of Object.values(LAYER_MEMBERSHIP)) {
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) expect(LAYER_GROUPS).toContain(g);
    }
  });

  it('shows everything with every group on', () => {
    const v = layerVisibility(new Set(LAYER_GROUPS));

    expect(Object.values(v).every((x) => x === 'visible')).toBe(true);
  });

  it('hides the names but not the roads when labels are off', () => {
    const v = layerVisibility(new Set<LayerGroup>(LAYER_GROUPS.filter((g) => g !== 'labels')));

    expect(v['road-label']).toBe('none');
    expect(v['district-label']).toBe('none');
    expect(v['road-line']).toBe('visible');
    expect(v['district-outline']).toBe('visible');
    // Cluster counts are text too; the clusters themselves stay.
    expect(v[LIVE_LAYERS.sensorClusterCount]).toBe('none');
    expect(v[LIVE_LAYERS.sensorClusters]).toBe('visible');
  });

  it('hides road names with the roads', () => {
    const v = layerVisibility(new Set<LayerGroup>(LAYER_GROUPS.filter((g) => g !== 'roads')));

    expect(v['road-line']).toBe('none');
    expect(v['road-label']).toBe('none');
    expect(v['district-label']).toBe('visible');
  });

  it('hides all four alert halos and the cores with the alerts group', () => {
    const v = layerVisibility(new Set<LayerGroup>(LAYER_GROUPS.filter((g) => g !== 'alerts')));

    for (const s of SEVERITIES) expect(v[alertHaloLayer(s)]).toBe('none');
    expect(v[LIVE_LAYERS.alertCore]).toBe('none');
    expect(v[LIVE_LAYERS.sensorClusters]).toBe('visible');
  });
});

describe('cellStatusFeatures', () => {
  it('gives the cells that have a status their outline and status, and leaves the others out', () => {
    const [first, second] = tinyPack().gridCells;
    const fc = cellStatusFeatures([first!, second!], new Map([[second!.id, { severity: 'red' as const }]]));

    expect(fc.features).toEqual([
      {
        type: 'Feature',
        properties: { id: second!.id, severity: 'red' },
        geometry: { type: 'Polygon', coordinates: second!.polygon },
      },
    ]);
  });
});

describe('cellStatusFeatures with district colours', () => {
  it("gives a cell without a status of its own its district's", () => {
    const [xihu, binjiang] = tinyPack().gridCells;
    const fc = cellStatusFeatures(
      [xihu!, binjiang!],
      new Map([[xihu!.id, { color: '#ff0000' }]]),
      new Map([
        [xihu!.districtId, { color: '#00ff00' }],
        [binjiang!.districtId, { color: '#0000ff' }],
      ]),
    );

    expect(fc.features.map((f) => f.properties)).toEqual([
      { id: xihu!.id, color: '#ff0000' },
      { id: binjiang!.id, color: '#0000ff' },
    ]);
  });
});

describe('dispatchLineFeatures', () => {
  it('draws a line from the worker to the site of the case', () => {
    const fc = dispatchLineFeatures([
      { workerId: 'W-01', workOrderId: 'WO-1', from: [120.1, 30.2], to: [120.11, 30.21] },
    ]);

    expect(fc.features).toEqual([
      {
        type: 'Feature',
        properties: { workerId: 'W-01', workOrderId: 'WO-1' },
        geometry: {
          type: 'LineString',
          coordinates: [
            [120.1, 30.2],
            [120.11, 30.21],
          ],
        },
      },
    ]);
  });
});
