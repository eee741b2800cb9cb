import { describe, expect, it, vi } from 'vitest';
import type { FeatureCollection } from 'geojson';
import { pulseFrame } from '../../../../client/src/features/map/layers';
import {
  drawPulseRings,
  pulsePoints,
  pulseRings,
  type PulsePoint,
} from '../../../../client/src/features/map/pulseOverlay';

const identity = ([x, y]: [number, number]) => ({ x, y });

describe('pulsePoints', () => {
  it('takes the points of the alerts source with a known level and skips anything else', () => {
    const data: FeatureCollection = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { id: 'A', severity: 'red' },
          geometry: { type: 'Point', coordinates: [120, 30] },
        },
        {
          type: 'Feature',
          properties: { id: 'B', severity: 'purple' },
          geometry: { type: 'Point', coordinates: [1, 2] },
        },
        {
          type: 'Feature',
          properties: { id: 'C', severity: 'blue' },
          geometry: {
            type: 'LineString',
            coordinates: [
              [0, 0],
              [1, 1],
            ],
          },
        },
      ],
    };
    expect(pulsePoints(data)).toEqual([{ lngLat: [120, 30], severity: 'red' }]);
  });
});

describe('pulseRings', () => {
  const points: PulsePoint[] = [
    { lngLat: [10, 10], severity: 'red' },
    { lngLat: [50, 50], severity: 'blue' },
    { lngLat: [5_000, 10], severity: 'red' },
  ];

  it('sizes each ring by its level at that instant and draws red over blue', () => {
    const rings = pulseRings(points, identity, 500, 200, 200);
    expect(rings.map((r) => r.severity)).toEqual(['blue', 'red']);
    expect(rings[1]).toMatchObject({ x: 10, y: 10, ...pulseFrame('red', 500) });
    expect(rings[0]).toMatchObject({ x: 50, y: 50, ...pulseFrame('blue', 500) });
  });

  it('leaves out rings that cannot reach the visible box, keeps those on its edge', () => {
    const edge: PulsePoint[] = [{ lngLat: [205, 100], severity: 'red' }];
    expect(pulseRings(edge, identity, 0, 200, 200)).toHaveLength(1);
    expect(pulseRings(points, identity, 0, 200, 200).some((r) => r.x === 5_000)).toBe(false);
  });
});

describe('drawPulseRings', () => {
  it('clears the canvas, then fills each ring at its opacity and colour, scaled for the screen', () => {
    const calls: string[] = [];
    const ctx = {
      canvas: { width: 400, height: 200 },
      globalAlpha: 1,
      fillStyle: '',
      setTransform: vi.fn((...a: number[]) => calls.push(`transform ${a.join(',')}`)),
      clearRect: vi.fn((...a: number[]) => calls.push(`clear ${a.join(',')}`)),
      beginPath: vi.fn(),
      arc: vi.fn((x: number, y: number, r: number) => calls.push(`arc ${x},${y},${r}`)),
      fill: vi.fn(function (this: { globalAlpha: number; fillStyle: string }) {
        calls.push(`fill ${this.fillStyle}@${this.globalAlpha}`);
      }),
    };
    drawPulseRings(
      ctx as unknown as CanvasRenderingContext2D,
      [{ x: 3, y: 4, radius: 12, opacity: 0.5, severity: 'red' }],
      { red: '#f00', orange: '#f80', yellow: '#ff0', blue: '#00f' },
      2,
    );
    expect(calls).toEqual(['transform 2,0,0,2,0,0', 'clear 0,0,200,100', 'arc 3,4,12', 'fill #f00@0.5']);
    expect(ctx.globalAlpha).toBe(1);
  });
});
