import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, saveScreenshot, signIn, type TestBrowser } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';

// The wall's map as a wall PC with no internet shows it: Debian's Chromium (WebGL through
// SwiftShader) against the real server serving the client built for this run. The map is drawn by
// maplibre-gl from the city pack alone; its Chinese labels come from the font file the build ships.

/** Where browser tests leave screenshots for reviewers. */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** The first draw includes fetching and parsing the ~10 MB font file and SwiftShader's rendering, ms. */
const MAP_READY_TIMEOUT_MS = 25_000;

interface PixelStats {
  /** Pixels looked at. */
  total: number;
  /** Pixels clearly not the background (lines, fills, text). */
  drawn: number;
  /** Near-white pixels: only label text is painted near white (lines and fills are coloured). */
  text: number;
}

/**
 * Pixel statistics of a screenshot of the map (the layer buttons masked out, since their text is
 * near-white too), decoded by the page itself (no PNG library needed).
 */
async function mapPixels(page: Page, canvas: Locator): Promise<PixelStats> {
  const png = await canvas.screenshot({
    mask: [page.locator('[data-test="map"] [role="group"]')],
    maskColor: '#ff00ff',
  });
  return page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    // The map's background is the theme's --bg, #060b16.
    const bg = [6, 11, 22];
    let drawn = 0;
    let text = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      if (r === 255 && g === 0 && b === 255) continue;
      if (Math.abs(r - bg[0]!) + Math.abs(g - bg[1]!) + Math.abs(b - bg[2]!) > 40) drawn++;
      if (r > 200 && g > 200 && b > 200) text++;
    }
    return { total: data.length / 4, drawn, text };
  }, png.toString('base64'));
}

/** Poll the map's pixels until `accept` holds; fails with the last statistics after `timeoutMs`. */
async function waitForPixels(
  page: Page,
  canvas: Locator,
  accept: (s: PixelStats) => boolean,
  timeoutMs = 10_000,
): Promise<PixelStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await mapPixels(page, canvas);
    if (accept(stats)) return stats;
    if (Date.now() > deadline) throw new Error(`map pixels never matched: ${JSON.stringify(stats)}`);
    await page.waitForTimeout(200);
  }
}

describe('wall map in Chromium, offline', () => {
  let server: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startTestServer({ CLIENT_DIR: inject('clientDir') });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  it('draws the districts, roads and Chinese district names with no request leaving the origin', async () => {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    const failed: string[] = [];
    const fontLoads: number[] = [];
    const cspViolations: string[] = [];
    const pageErrors: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('requestfailed', (req) => failed.push(`${req.url()} ${req.failure()?.errorText ?? ''}`));
    page.on('response', (res) => {
      if (/\/NotoSansSC_400Regular-[\w-]+\.ttf$/.test(res.url())) fontLoads.push(res.status());
    });
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(server.url);
      await signIn(page, server.url, server.admin.username, server.admin.password);

      const map = page.getByTestId('map');
      await map.and(page.locator('[data-map-ready="true"]')).waitFor({ timeout: MAP_READY_TIMEOUT_MS });
      expect(await map.getAttribute('data-map-provider')).toBe('maplibre');
      const canvas = page.getByTestId('map-canvas');

      // Outlines and roads cover a good part of the map; the district names (上城区, 西湖区, …) are
      // the only near-white pixels, so there are some only while labels are drawn.
      const shown = await waitForPixels(page, canvas, (s) => s.drawn > s.total * 0.01 && s.text > 300);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'wall-map.png') });
      // The labels were drawn with the font file the build ships (no glyph server, no system font).
      expect(fontLoads).toEqual([200]);

      await page.getByTestId('map-layer-labels').click();
      const hidden = await waitForPixels(page, canvas, (s) => s.text < shown.text / 20);
      expect(hidden.drawn).toBeGreaterThan(shown.total * 0.01);

      const foreign = requests.filter(
        (url) => !url.startsWith(`${server.url}/`) && !url.startsWith('blob:') && !url.startsWith('data:'),
      );
      expect(foreign, 'requests leaving the origin').toEqual([]);
      expect(failed, 'failed requests').toEqual([]);
      expect(cspViolations, 'CSP violations').toEqual([]);
      expect(pageErrors, 'uncaught errors').toEqual([]);
    } catch (err) {
      const file = await saveScreenshot(page, 'wall-map-failed').catch(
        (e: unknown) => `(none: ${String(e)})`,
      );
      console.error(`screenshot of the failed map test: ${file}`);
      throw err;
    } finally {
      await page.close();
    }
  });
});
