import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import distance from '@turf/distance';
import type { LngLat } from '@shared/schemas/common.schema';

/**
 * Whether a [lng, lat] point lies inside (or on the edge of) a GeoJSON polygon given as
 * coordinate rings (outer first, holes after). turf does the geometry; this keeps the
 * rule engine's PolygonTest free of GeoJSON wrapping.
 */
export function pointInPolygon(point: LngLat, rings: readonly (readonly LngLat[])[]): boolean {
  return booleanPointInPolygon(point as [number, number], {
    type: 'Polygon',
    coordinates: rings as [number, number][][],
  });
}

/** Great-circle distance between two [lng, lat] points, metres. */
export function distanceM(a: LngLat, b: LngLat): number {
  return distance(a as [number, number], b as [number, number], { units: 'meters' });
}
