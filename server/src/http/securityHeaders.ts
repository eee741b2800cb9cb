import helmet from 'helmet';
import type { RequestHandler } from 'express';

/** Where mapbox-gl v3 goes for a Mapbox style (Mapbox's own CSP guidance). */
const MAPBOX_ORIGINS = ['https://api.mapbox.com', 'https://events.mapbox.com', 'https://*.tiles.mapbox.com'];

/**
 * Security headers (helmet) with a Content-Security-Policy the dashboard runs
 * under (the browser test fails on any violation): everything from this
 * origin, the live socket to this origin, no inline scripts or style
 * elements (Vue and ECharts set styles through the CSSOM, which CSP allows),
 * no framing. Workers and images may come from blob:/data: URLs (canvas
 * exports, map workers). The offline map (maplibre-gl) runs its worker from a
 * same-origin module file, loads its font from this origin and needs nothing
 * more; only a configured Mapbox map adds Mapbox's hosts.
 */
export function securityHeaders(options: { https: boolean; mapbox?: boolean }): RequestHandler {
  // A Mapbox map (only with a configured token) fetches styles, tiles, glyphs and sprites from Mapbox
  // and reports telemetry there; the default offline map needs nothing beyond this origin.
  const mapbox = options.mapbox ? MAPBOX_ORIGINS : [];
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:', ...mapbox],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", ...mapbox],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Only where the site is served over HTTPS: on a plain-HTTP LAN it would break every request.
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // HSTS only makes sense over HTTPS.
    strictTransportSecurity: options.https,
  });
}
