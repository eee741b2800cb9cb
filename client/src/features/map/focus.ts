import type { LngLat } from '@shared/schemas/common.schema';
import type { Scope } from '@shared/schemas/live.schema';
import type { Bbox } from './mapEngine';
import type { BasemapPack } from './offlineStyle';

/** Where the map looks when nobody has moved it: an area to fit, or a point at a zoom. */
export type MapHome =
  | { kind: 'bounds'; bbox: Bbox }
  | {
      kind: 'point';
      center: LngLat;
      /** Zoom level. */
      zoom: number;
    };

/** The [minLng, minLat, maxLng, maxLat] of some points; null when there are none. */
export function bboxOf(points: Iterable<LngLat>): Bbox | null {
  let minLng = Infinity;
  let minLat = Infinity;
  let maxLng = -Infinity;
  let maxLat = -Infinity;
  for (const [lng, lat] of points) {
    minLng = Math.min(minLng, lng);
    minLat = Math.min(minLat, lat);
    maxLng = Math.max(maxLng, lng);
    maxLat = Math.max(maxLat, lat);
  }
  return minLng === Infinity ? null : [minLng, minLat, maxLng, maxLat];
}

/** The outer rings' points of polygons (holes lie inside them and never widen the bounds). */
function* outerPoints(polygons: Iterable<readonly (readonly LngLat[])[]>): Iterable<LngLat> {
  for (const rings of polygons) yield* rings[0] ?? [];
}

/**
 * The bounds of a scope from the pack the map drew: the city's, a district's or a cell's outline;
 * null for a district or cell the pack does not hold (outside the caller's reach).
 */
export function scopeBounds(
  pack: Pick<BasemapPack, 'meta' | 'districts' | 'gridCells'>,
  scope: Scope,
): Bbox | null {
  if (scope.kind === 'city') return pack.meta.bbox;
  if (scope.kind === 'district') {
    const district = pack.districts.find((d) => d.id === scope.id);
    return district ? bboxOf(outerPoints(district.polygon)) : null;
  }
  const cell = pack.gridCells.find((c) => c.id === scope.id);
  return cell ? bboxOf(outerPoints([cell.polygon])) : null;
}
