/**
 * The alert halos' pulse, drawn on a 2-D canvas laid over the map instead of by the map itself.
 *
 * Pulsing by changing the halo layers' paint made the map redraw its whole WebGL scene four times a
 * second; measured on the 2-core bench box (software GL, as on a wall PC without a GPU driver) that
 * kept the main thread 65 % busy with 21 alerts on screen and 99 % with 1,000. Here the map is
 * redrawn only when its data or view changes; the pulse is a few hundred canvas arcs at ≤ 4 Hz,
 * a millisecond or two. The halo layers stay on the map, still, as the ring the pulse grows from.
 */
import type { FeatureCollection } from 'geojson';
import { SEVERITIES, type Severity } from '@shared/schemas/alert.schema';
import { pulseFrame } from './layers';

/** Where an alert is on the map and how bad it is. */
export interface PulsePoint {
  lngLat: [number, number];
  severity: Severity;
}

/** A pixel position in the map's container, CSS px. */
export interface ScreenPoint {
  x: number;
  y: number;
}

/** The alerts of an `alerts` source (./layers.ts contract: points with `severity`). */
export function pulsePoints(data: FeatureCollection): PulsePoint[] {
  const out: PulsePoint[] = [];
  for (const f of data.features) {
    const severity = f.properties?.['severity'] as unknown;
    if (f.geometry.type !== 'Point' || !SEVERITIES.includes(severity as Severity)) continue;
    const [lng, lat] = f.geometry.coordinates;
    if (typeof lng === 'number' && typeof lat === 'number')
      out.push({ lngLat: [lng, lat], severity: severity as Severity });
  }
  return out;
}

/** One ring to draw, CSS px. */
export interface PulseRing {
  x: number;
  y: number;
  radius: number;
  opacity: number;
  severity: Severity;
}

/**
 * The rings to draw at time `tMs` for points projected with `project` into a `width`×`height` box:
 * the less severe first so the red ones end up on top; points whose ring cannot reach the box are
 * left out.
 */
export function pulseRings(
  points: readonly PulsePoint[],
  project: (lngLat: [number, number]) => ScreenPoint,
  tMs: number,
  width: number,
  height: number,
): PulseRing[] {
  const rings: PulseRing[] = [];
  for (const severity of [...SEVERITIES].reverse()) {
    const frame = pulseFrame(severity, tMs);
    for (const p of points) {
      if (p.severity !== severity) continue;
      const { x, y } = project(p.lngLat);
      const r = frame.radius;
      if (x < -r || y < -r || x > width + r || y > height + r) continue;
      rings.push({ x, y, radius: r, opacity: frame.opacity, severity });
    }
  }
  return rings;
}

/** Draws the rings on a canvas whose backing store is `dpr` times its CSS size. */
export function drawPulseRings(
  ctx: CanvasRenderingContext2D,
  rings: readonly PulseRing[],
  colours: Readonly<Record<Severity, string>>,
  dpr: number,
): void {
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width / dpr, ctx.canvas.height / dpr);
  for (const ring of rings) {
    ctx.globalAlpha = ring.opacity;
    ctx.fillStyle = colours[ring.severity];
    ctx.beginPath();
    ctx.arc(ring.x, ring.y, ring.radius, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}
