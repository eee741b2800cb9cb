import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ReadingInput } from '../../shared/schemas/reading.schema';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import { readingsTopic } from '../../shared/version';
import {
  countPattern,
  launchChromium,
  readCount,
  saveScreenshot,
  signIn,
  waitForText,
  type TestBrowser,
} from '../helpers/browser';
import { postReadings } from '../helpers/cityOpsApi';
import { connectMqtt, publishJson } from '../helpers/mqtt';
import { getJson, startTestServer, type TestServer } from '../helpers/server';

// What `npm start` serves, driven like a person at the wall would: Debian's
// Chromium against the real server, serving the client built for this run.

let browser: TestBrowser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A fresh tab per test, leaving no stored preference behind; on failure its screenshot is kept in the temp folder. */
function useTab(): () => Page {
  let page: Page | undefined;
  /** Console messages reporting a Content-Security-Policy violation in this tab. */
  let cspViolations: string[] = [];
  beforeEach(async () => {
    // Every test starts signed out: the session cookie would otherwise carry over between tabs.
    await browser.context.clearCookies();
    page = await browser.context.newPage();
    cspViolations = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
  });
  afterEach(async ({ task }) => {
    if (!page) return;
    // The dashboard must run under the server's CSP without a single violation.
    if (task.result?.state !== 'fail') expect(cspViolations, 'CSP violations in the page').toEqual([]);
    if (task.result?.state === 'fail') {
      const file = await saveScreenshot(page, task.name).catch(
        (err: unknown) => `(no screenshot: ${String(err)})`,
      );
      console.error(`screenshot of the failed test "${task.name}": ${file}`);
    }
    // Tabs share the profile: a language chosen in one test must not carry over to the next.
    await page.evaluate(() => localStorage.clear()).catch(() => undefined);
    await page.close();
    page = undefined;
  });
  return () => {
    if (!page) throw new Error('no tab open');
    return page;
  };
}

/** Open the dashboard as the server's admin and wait until its socket is connected and the first snapshot is on screen. */
async function openDashboard(page: Page, server: TestServer): Promise<void> {
  await page.goto(server.url);
  await signIn(page, server.url, server.admin.username, server.admin.password);
  await waitForText(page.getByTestId('connection'), /已连接/);
  await waitForText(page.getByTestId('accepted').getByTestId('value'), /^\s*\d/);
}

async function sensor(url: string, id: string): Promise<Sensor> {
  const res = await getJson<Sensor>(`${url}/api/v1/sensors/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

function trafficReading(sensorId: string, observedAt: number): ReadingInput {
  return { sensorId, observedAt, values: { speed: 42, volume: 1200, occupancy: 0.3 } };
}

describe('live dashboard in Chromium, real data only', () => {
  let server: TestServer;
  let mqtt: MqttClient | undefined;
  const tab = useTab();

  beforeAll(async () => {
    server = await startTestServer({ CLIENT_DIR: inject('clientDir') });
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await server?.stop();
    server?.cleanup();
  });

  it('shows the platform title, the city and a connected indicator', async () => {
    const page = tab();
    await page.goto(server.url);
    await signIn(page, server.url, server.admin.username, server.admin.password);

    await waitForText(page.getByRole('heading', { level: 1 }), /城市运行一网统管/);
    await waitForText(page.getByTestId('city'), /^\s*杭州市\s*$/);
    await waitForText(page.getByTestId('connection'), /^\s*已连接\s*$/);
  });

  it('shows no simulated badge while the demo feed is off', async () => {
    const page = tab();
    await openDashboard(page, server);

    // The snapshot (which says whether the feed is simulated) is on screen, so absence is final.
    expect(await page.getByTestId('simulated').count()).toBe(0);
  });

  it('counts readings posted over HTTP and published over MQTT by kind and in total, without a reload', async () => {
    const page = tab();
    await openDashboard(page, server);
    const trafficTile = page.getByTestId('kind-traffic').getByTestId('value');
    const acceptedTile = page.getByTestId('accepted').getByTestId('value');
    const trafficBefore = await readCount(trafficTile);
    const acceptedBefore = await readCount(acceptedTile);
    await page.evaluate(() => Object.assign(window, { cityopsSamePage: true }));

    const t = Date.now() - 5_000;
    const result = await postReadings(server.url, [
      trafficReading('TRF-0001', t),
      trafficReading('TRF-0002', t),
      { sensorId: 'AQ-001', observedAt: t, values: { pm25: 35, pm10: 60 } },
    ]);
    expect(result.accepted).toBe(3);
    mqtt = await connectMqtt(server.mqttUrl);
    await publishJson(mqtt, readingsTopic('TRF-0003'), trafficReading('TRF-0003', t + 1_000));

    // Three traffic readings (two over HTTP, one over MQTT) and one air reading.
    await waitForText(trafficTile, countPattern(trafficBefore + 3));
    await waitForText(acceptedTile, countPattern(acceptedBefore + 4));
    expect(await page.evaluate(() => 'cityopsSamePage' in window)).toBe(true);
  });

  it("lists a newly arrived reading under its sensor's name", async () => {
    const page = tab();
    await openDashboard(page, server);
    const { name } = await sensor(server.url, 'AQ-002');
    const row = page.getByTestId('recent-row').filter({ hasText: name.zh });
    expect(await row.count()).toBe(0);

    await postReadings(server.url, [
      { sensorId: 'AQ-002', observedAt: Date.now() - 1_000, values: { pm25: 12 } },
    ]);

    await row.first().waitFor();
  });

  it('counts its own tab among the open connections', async () => {
    const page = tab();
    await openDashboard(page, server);

    await waitForText(page.getByTestId('connections').getByTestId('value'), /^\s*[1-9][\d,]*\s*$/);
  });

  it('switches the header to English with the language toggle', async () => {
    const page = tab();
    await openDashboard(page, server);

    await page.getByRole('button', { name: 'EN' }).click();

    await waitForText(page.getByRole('heading', { level: 1 }), /Unified City Operations/);
    await waitForText(page.getByTestId('city'), /^\s*Hangzhou\s*$/);
    await waitForText(page.getByTestId('connection'), /^\s*Connected\s*$/);
  });

  it('stays on the sign-in view and shows the error when the password is wrong', async () => {
    const page = tab();
    await page.goto(server.url);
    const form = page.getByTestId('login');

    await form.getByTestId('username').fill(server.admin.username);
    await form.getByTestId('password').fill(`${server.admin.password}-wrong`);
    await form.getByTestId('submit').click();

    await waitForText(form.getByTestId('login-error'), /用户名或密码错误/);
    expect(await form.isVisible()).toBe(true);
    expect(await form.getByTestId('submit').isEnabled()).toBe(true);
    expect(await page.getByTestId('user-name').count()).toBe(0);
    expect(await page.getByTestId('connection').count()).toBe(0);
  });

  it('fits the 1920×1080 wall into a 4:3 window, scaled whole and centred between black bars', async () => {
    const page = tab();
    await page.setViewportSize({ width: 1280, height: 1024 });
    await openDashboard(page, server);

    // 1280/1920 = 2/3: the stage is 1280×720, 152 px of bar above and below.
    expect(await page.getByTestId('wall-stage').boundingBox()).toEqual({
      x: 0,
      y: 152,
      width: 1280,
      height: 720,
    });
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize)).toBe('12px');
    const header = await page.locator('.app-header').boundingBox();
    expect(header?.y).toBe(152);
    const feed = await page.getByTestId('alert-feed').boundingBox();
    expect((feed?.y ?? 0) + (feed?.height ?? 0)).toBeLessThanOrEqual(152 + 720);
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it("shows the city's air quality from the server's vitals once stations report", async () => {
    const page = tab();
    await openDashboard(page, server);

    const now = Date.now() - 1_000;
    await postReadings(server.url, [
      { sensorId: 'AQ-001', observedAt: now, values: { pm25: 80, pm10: 120 } },
      { sensorId: 'AQ-002', observedAt: now, values: { pm25: 80, pm10: 120 } },
    ]);

    // The figure comes with the next vitals push (every 2 s), as a whole number beside its category.
    await waitForText(page.getByTestId('aqi'), /^\s*\d+\s*$/);
    await waitForText(page.getByTestId('wall-air'), /首要\s*PM/);
  });

  it("shows the chosen district's sensor count after a scope change", async () => {
    const page = tab();
    await openDashboard(page, server);
    const cityTotal = (await getJson<{ total: number }>(`${server.url}/api/v1/sensors?limit=1`)).body.total;
    const districtTotal = (
      await getJson<{ total: number }>(`${server.url}/api/v1/sensors?districtId=330106&limit=1`)
    ).body.total;
    expect(districtTotal).toBeGreaterThan(0);
    expect(districtTotal).toBeLessThan(cityTotal);
    const sensorsTile = page.getByTestId('sensors').getByTestId('value');
    const total = (n: number) => new RegExp(`/\\s*${n.toLocaleString('en-US')}\\s*$`);
    await waitForText(sensorsTile, total(cityTotal));

    await page.getByTestId('scope').selectOption('330106');

    await waitForText(sensorsTile, total(districtTotal));
  });
});

describe('live dashboard in Chromium, demo feed on', () => {
  let server: TestServer;
  const tab = useTab();

  beforeAll(async () => {
    server = await startTestServer({ CLIENT_DIR: inject('clientDir'), DEMO_FEED: 'true' });
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('shows the simulated badge', async () => {
    const page = tab();
    await page.goto(server.url);
    await signIn(page, server.url, server.admin.username, server.admin.password);

    await waitForText(page.getByTestId('simulated'), /模拟数据/);
  });
});
