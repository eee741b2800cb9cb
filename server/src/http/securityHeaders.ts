import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * Security headers (helmet) with a Content-Security-Policy the dashboard runs
 * under (the browser test fails on any violation): everything from this
 * origin, the live socket to this origin, no inline scripts or style
 * elements (Vue and ECharts set styles through the CSSOM, which CSP allows),
 * no framing. Workers and images may come from blob:/data: URLs (canvas
 * exports, map workers).
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
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
