import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, saveScreenshot, signIn, type TestBrowser } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { createActor, requestAs } from '../helpers/accessActors';
import { postReadings } from '../helpers/cityOpsApi';
import { packWith } from '../helpers/cityPack';
import { waitFor } from '../helpers/server';
import type { Alert } from '../../shared/schemas/alert.schema';
import type { GridCell } from '../../shared/schemas/geo.schema';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import type { Worker } from '../../shared/schemas/worker.schema';
import type { WorkOrder } from '../../shared/schemas/workOrder.schema';

// The wall's map as a wall PC with no internet shows it: Debian's Chromium (WebGL through
// SwiftShader) against the real server serving the client built for this run. The map is drawn by
// maplibre-gl from the city pack alone; its Chinese labels come from the font file the build ships.

/** Where browser tests leave screenshots for reviewers. */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** The first draw includes fetching the labels' font subsets and SwiftShader's rendering, ms. */
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
  /** Id of the worker whose shift covers the whole day. */
  let roundTheClock: string;

  beforeAll(async () => {
    // One grid worker works round the clock (a shift from 00:00 to 00:00 is 24 h), so the live
    // layers can show a worker on duty whatever the hour (the shipped shifts change at 08:00 and
    // 20:00 Shanghai time; a run minutes before a change would find nobody on duty).
    const folder = mkdtempSync(join(tmpdir(), 'cityops-map-'));
    const pack = packWith(join(folder, 'pack'), 'workers.json', (workers) => {
      workers[0]!.shift = { start: '00:00', end: '00:00' };
      roundTheClock = String(workers[0]!.id);
    });
    server = await startTestServer({ CLIENT_DIR: inject('clientDir'), CITY_PACK: pack }, folder);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  /** Open the wall signed in as the admin and wait until its map says it is ready. */
  async function openMap(page: Page): Promise<Locator> {
    await page.goto(server.url);
    await signIn(page, server.url, server.admin.username, server.admin.password);
    const map = page.getByTestId('map');
    await map.and(page.locator('[data-map-ready="true"]')).waitFor({ timeout: MAP_READY_TIMEOUT_MS });
    return map;
  }

  it('draws the districts, roads and Chinese district names with no request leaving the origin', async () => {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    const failed: string[] = [];
    const fontLoads: { url: string; status: number }[] = [];
    const cspViolations: string[] = [];
    const pageErrors: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('requestfailed', (req) => failed.push(`${req.url()} ${req.failure()?.errorText ?? ''}`));
    page.on('response', (res) => {
      if (/\.(ttf|otf|woff2?)$/.test(new URL(res.url()).pathname))
        fontLoads.push({ url: res.url(), status: res.status() });
    });
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      const map = await openMap(page);
      expect(await map.getAttribute('data-map-provider')).toBe('maplibre');
      const canvas = page.getByTestId('map-canvas');

      // Outlines and roads cover a good part of the map; the district names (上城区, 西湖区, …) are
      // the only near-white pixels, so there are some only while labels are drawn.
      const shown = await waitForPixels(page, canvas, (s) => s.drawn > s.total * 0.01 && s.text > 300);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'wall-map.png') });
      // The labels were drawn with the Noto Sans SC subsets the build ships (no glyph server, no
      // system font): maplibre registers each file it draws with as its own loaded font family.
      const mapFaces = await page.evaluate(() =>
        [...document.fonts]
          .filter((f) => f.family.replace(/["']/g, '').startsWith('maplibre-gl-font-face-'))
          .map((f) => f.status),
      );
      expect(mapFaces.length).toBeGreaterThan(0);
      expect(mapFaces.every((s) => s === 'loaded')).toBe(true);
      // Only subsets were fetched (the page's and the map's are the same files): no whole-font file.
      expect(fontLoads.length).toBeGreaterThan(0);
      for (const f of fontLoads) {
        expect(f.status).toBe(200);
        expect(f.url).toMatch(/\/noto-sans-sc-[a-z\d-]+-(400|700)-normal-[\w-]+\.woff2$/);
      }

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

  it('feeds the live layers: sensors, an alert, a dispatched worker and their line, cells by AQI; and the drawer map', async () => {
    const api = async <T>(path: string): Promise<T> =>
      (await (await fetch(`${server.url}${path}`)).json()) as T;
    const sensors = (await api<{ items: Sensor[] }>('/api/v1/sensors?limit=5000')).items;
    const placed = sensors.filter((s) => s.location !== null);
    const smoke = placed.find((s) => s.subtype === 'smoke')!;
    const station = placed.find((s) => s.kind === 'air')!;
    const cells = (await api<{ items: GridCell[] }>('/api/v1/grid-cells?limit=5000')).items;
    const worker = (await api<{ items: Worker[] }>('/api/v1/workers')).items.find(
      (w) => w.id === roundTheClock,
    )!;
    expect(worker, 'a grid worker on duty').toBeDefined();

    // Signed out, whatever the tab before left in the profile.
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      const map = await openMap(page);
      const count = async (source: string) => Number(await map.getAttribute(`data-source-${source}`));
      const until = (what: string, probe: () => Promise<boolean>) =>
        waitFor(async () => (await probe()) || undefined, 15_000, what);

      // Every placed sensor of the snapshot is on the map, clustered.
      await until('sensors on the map', async () => (await count('sensors')) === placed.length);

      // A smoke detector fires: a red alert, its cell coloured.
      const fired = await postReadings(server.url, [
        { sensorId: smoke.id, observedAt: Date.now(), values: { smoke: 20 } },
      ]);
      expect(fired.accepted).toBe(1);
      const alert = await waitFor(
        async () =>
          (await api<{ items: Alert[] }>(`/api/v1/alerts?subjectId=${smoke.id}&state=firing`)).items[0],
        10_000,
        'the smoke alert',
      );
      await until('the alert on the map', async () => (await count('alerts')) >= 1);
      await until('its cell coloured', async () => (await count('cell-status')) >= 1);

      // The alert is dispatched to the worker, whose phone reports where they are.
      const dispatched = await requestAs<WorkOrder>(
        server.url,
        `/api/v1/alerts/${alert.id}/dispatch`,
        server.token,
        {
          method: 'POST',
          body: { assigneeId: worker.id },
        },
      );
      expect(dispatched.status, dispatched.text).toBe(201);
      const phone = await createActor(server.url, { role: 'worker', workerId: worker.id });
      const moved = await requestAs(server.url, '/api/v1/me/position', phone.token, {
        method: 'POST',
        body: { location: worker.location, accuracyM: 8 },
      });
      expect(moved.status, moved.text).toBe(200);
      await until('the worker on the map', async () => (await count('workers')) === 1);
      await until('the line to the site', async () => (await count('dispatch-lines')) === 1);

      // Cells by AQI: an air station reports; its district's cells take its colour.
      await page.getByTestId('map-cells-aqi').click();
      await postReadings(server.url, [
        { sensorId: station.id, observedAt: Date.now(), values: { pm25: 160, pm10: 200, no2: 40 } },
      ]);
      const inDistrict = cells.filter((c) => c.districtId === station.districtId).length;
      await until('the district coloured by AQI', async () => (await count('cell-status')) === inDistrict);
      await expect(page.getByTestId('map-legend').textContent()).resolves.toContain('中度污染');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'wall-map-live.png') });

      // The console's alert drawer shows the alert on a small map of its site.
      await page.goto(`${server.url}/console`);
      await page.getByTestId('console-tab-alerts').click();
      await page.getByTestId(`alert-row-${alert.id}`).click();
      const drawerMap = page.getByTestId('alert-drawer-map').getByTestId('map');
      await drawerMap.and(page.locator('[data-map-ready="true"]')).waitFor({ timeout: MAP_READY_TIMEOUT_MS });
      await until(
        'the alert on the drawer map',
        async () => Number(await drawerMap.getAttribute('data-source-alerts')) >= 1,
      );
      await page.getByTestId('alert-drawer-map').scrollIntoViewIfNeeded();
      await page
        .getByTestId('alert-drawer')
        .screenshot({ path: join(ARTIFACTS, 'console-alert-drawer-map.png') });
      expect(pageErrors, 'uncaught errors').toEqual([]);
    } catch (err) {
      const file = await saveScreenshot(page, 'wall-map-live-failed').catch(
        (e: unknown) => `(none: ${String(e)})`,
      );
      console.error(`screenshot of the failed live map test: ${file}`);
      throw err;
    } finally {
      await page.close();
    }
  }, 120_000);
});
