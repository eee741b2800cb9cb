/**
 * Distance and direction from the worker's phone to a site, computed on the phone (no
 * network needed). Positions are `[lng, lat]` in degrees (WGS-84, as the contract sends them).
 */

/** Mean Earth radius, metres (the IUGG value most map libraries use for great-circle maths). */
const EARTH_RADIUS_M = 6_371_008.8;

const rad = (deg: number): number => (deg * Math.PI) / 180;
const deg = (r: number): number => (r * 180) / Math.PI;

/** Great-circle (haversine) distance between two `[lng, lat]` points, metres. */
export function distanceM(from: readonly [number, number], to: readonly [number, number]): number {
  const [lng1, lat1] = from;
  const [lng2, lat2] = to;
  const dLat = rad(lat2 - lat1);
  const dLng = rad(lng2 - lng1);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from `from` to `to`, degrees clockwise from true north in [0, 360). */
export function bearingDeg(from: readonly [number, number], to: readonly [number, number]): number {
  const [lng1, lat1] = from;
  const [lng2, lat2] = to;
  const dLng = rad(lng2 - lng1);
  const y = Math.sin(dLng) * Math.cos(rad(lat2));
  const x =
    Math.cos(rad(lat1)) * Math.sin(rad(lat2)) - Math.sin(rad(lat1)) * Math.cos(rad(lat2)) * Math.cos(dLng);
  return (deg(Math.atan2(y, x)) + 360) % 360;
}

/** The eight compass points, clockwise from north. */
export const COMPASS_POINTS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const;
export type CompassPoint = (typeof COMPASS_POINTS)[number];

/** The compass point nearest to a bearing (degrees). */
export function compassPoint(bearing: number): CompassPoint {
  const i = Math.round((((bearing % 360) + 360) % 360) / 45) % 8;
  return COMPASS_POINTS[i] as CompassPoint;
}

/**
 * A `geo:` URI (RFC 5870) for the site; Android offers the installed map apps for it.
 * The `q` parameter puts a pin there rather than only centring the map.
 */
export function geoUri(location: readonly [number, number]): string {
  const [lng, lat] = location;
  const ll = `${round6(lat)},${round6(lng)}`;
  return `geo:${ll}?q=${ll}`;
}

/** Six decimals are about 0.1 m: enough for a site, short enough for a link. */
function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
