import { bearing as turfBearing, distance as turfDistance } from '@turf/turf';
import { describe, expect, it } from 'vitest';
import { bearingDeg, compassPoint, distanceM, geoUri } from '../../../../client/src/features/worker/geo';

describe('distanceM', () => {
  it('is zero from a point to itself', () => {
    expect(distanceM([120.15, 30.25], [120.15, 30.25])).toBe(0);
  });

  it('measures one degree of latitude as about 111.2 km', () => {
    expect(distanceM([120, 30], [120, 31])).toBeCloseTo(111_195, -1);
  });

  it('agrees with turf to the metre across a city', () => {
    const a: [number, number] = [120.1551, 30.2741];
    const b: [number, number] = [120.2123, 30.2087];
    expect(distanceM(a, b)).toBeCloseTo(turfDistance(a, b, { units: 'meters' }), 0);
  });

  it('is the same in both directions', () => {
    expect(distanceM([121.47, 31.23], [120.15, 30.27])).toBeCloseTo(
      distanceM([120.15, 30.27], [121.47, 31.23]),
      6,
    );
  });
});

describe('bearingDeg', () => {
  it('points north to a site due north', () => {
    expect(bearingDeg([120, 30], [120, 30.01])).toBeCloseTo(0, 6);
  });

  it('points east along the equator and west back', () => {
    expect(bearingDeg([0, 0], [1, 0])).toBeCloseTo(90, 6);
    expect(bearingDeg([1, 0], [0, 0])).toBeCloseTo(270, 6);
  });

  it('points south-west as turf does, within [0, 360)', () => {
    const a: [number, number] = [120.2, 30.3];
    const b: [number, number] = [120.15, 30.25];
    const b1 = bearingDeg(a, b);
    expect(b1).toBeGreaterThan(180);
    expect(b1).toBeLessThan(270);
    expect(b1).toBeCloseTo((turfBearing(a, b) + 360) % 360, 6);
  });
});

describe('compassPoint', () => {
  it('rounds a bearing to the nearest of eight points', () => {
    expect(compassPoint(0)).toBe('N');
    expect(compassPoint(22)).toBe('N');
    expect(compassPoint(23)).toBe('NE');
    expect(compassPoint(180)).toBe('S');
    expect(compassPoint(250)).toBe('W');
    expect(compassPoint(350)).toBe('N');
    expect(compassPoint(-45)).toBe('NW');
  });
});

describe('geoUri', () => {
  it('puts latitude first and pins the site', () => {
    expect(geoUri([120.1551234567, 30.2741])).toBe('geo:30.2741,120.155123?q=30.2741,120.155123');
  });
});
