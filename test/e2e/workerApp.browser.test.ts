import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { onDuty } from '../../server/src/domain/workOrders/roster';
import type { User } from '../../shared/schemas/auth.schema';
import type { GridCell } from '../../shared/schemas/geo.schema';
import type { Worker } from '../../shared/schemas/worker.schema';
import type { Photo, WorkOrder } from '../../shared/schemas/workOrder.schema';
import { tinyJpeg } from '../fixtures/jpegWithExif';
import { createUser } from '../helpers/accessActors';
import { launchChromium, saveScreenshot, waitForText } from '../helpers/browser';
import { getJson, postJson, startTestServer, type TestServer } from '../helpers/server';

// The grid worker's phone app (/worker) as a worker in the street uses it: Debian's
// Chromium emulating a phone (390×844, touch, GPS near the site) against the real server,
// serving the client built for this run, with the browser's own IndexedDB holding the
// offline queue and the real socket.io pushing tasks.

/** A phone held in one hand: iPhone-12-sized viewport, touch, a mobile user agent's layout rules. */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 } as const;

/** The chosen worker stays on shift at least this long after the test starts, ms. */
const SHIFT_MARGIN_MS = 15_000;

interface Phone {
  context: BrowserContext;
  page: Page;
  /** Console messages reporting a Content-Security-Policy violation. */
  cspViolations: string[];
  close(): Promise<void>;
}

/**
 * Debian's Chromium with a throw-away profile (so IndexedDB is on disk as on a phone),
 * emulating a phone, with location permission for `origin` and the GPS at `at`.
 */
async function launchPhone(origin: string, at: [number, number]): Promise<Phone> {
  const browser = await launchChromium({
    ...PHONE,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const { context } = browser;
  try {
    await context.grantPermissions(['geolocation'], { origin });
    // A few metres off the site, with a good fix.
    await context.setGeolocation({ longitude: at[0] + 0.00003, latitude: at[1] + 0.00002, accuracy: 8 });
    const page = context.pages()[0] ?? (await context.newPage());
    const cspViolations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    return { context, page, cspViolations, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

interface CaseDetail {
  order: WorkOrder;
  photos: Photo[];
}

describe("grid worker's phone app in Chromium, real server and real offline queue", () => {
  let server: TestServer;
  let phone: Phone;
  /** The signed-in worker's roster entry: on duty now, with grid cells. */
  let rosterWorker: Worker;
  /** Another worker on the roster, to reassign a case to. */
  let otherWorker: Worker;
  let worker: { user: User; password: string };
  /** A cell centroid of the worker's: where the cases are. */
  let site: [number, number];

  const page = (): Page => phone.page;

  beforeAll(async () => {
    server = await startTestServer({ CLIENT_DIR: inject('clientDir') });
    const { body: roster } = await getJson<{ items: Worker[] }>(`${server.url}/api/v1/workers`);
    // Shifts are Asia/Shanghai day (08–20) or night (20–08): someone on duty now and for the
    // length of the test, so that the server takes the phone's position.
    const onShift = (now: number) =>
      roster.items.filter(
        (w) => w.gridCellIds.length > 0 && onDuty(w.shift, now) && onDuty(w.shift, now + SHIFT_MARGIN_MS),
      );
    let onDutyNow = onShift(Date.now());
    if (onDutyNow.length === 0) {
      // Seconds before a shift change: let it pass (the next one is 12 hours away).
      await new Promise((resolve) => setTimeout(resolve, SHIFT_MARGIN_MS));
      onDutyNow = onShift(Date.now());
    }
    const first = onDutyNow[0];
    const second = roster.items.find((w) => first && w.id !== first.id && w.districtId === first.districtId);
    if (!first || !second) throw new Error('the roster needs a worker on duty now and a colleague');
    rosterWorker = first;
    otherWorker = second;
    const cell = await getJson<GridCell>(`${server.url}/api/v1/grid-cells/${rosterWorker.gridCellIds[0]}`);
    expect(cell.status).toBe(200);
    site = cell.body.centroid;
    worker = await createUser(server.url, {
      role: 'worker',
      workerId: rosterWorker.id,
      displayName: `网格员${rosterWorker.name}`,
    });
    phone = await launchPhone(server.url, site);
  });

  afterEach(async ({ task }) => {
    if (!phone) return;
    if (task.result?.state === 'fail') {
      const file = await saveScreenshot(phone.page, task.name).catch(
        (err: unknown) => `(no screenshot: ${String(err)})`,
      );
      console.error(`screenshot of the failed test "${task.name}": ${file}`);
      // The next scenario starts online.
      await phone.context.setOffline(false);
    } else {
      // The app must run under the server's CSP without a single violation.
      expect(phone.cspViolations, 'CSP violations in the page').toEqual([]);
    }
  });

  afterAll(async () => {
    await phone?.close();
    await server?.stop();
    server?.cleanup();
  });

  /** 立案 by the centre (the server's admin), dispatched at once to the signed-in worker. */
  async function dispatch(title: string): Promise<WorkOrder> {
    const res = await postJson<WorkOrder>(`${server.url}/api/v1/work-orders`, {
      category: 'event.other.other',
      title,
      location: site,
      assigneeId: rosterWorker.id,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ state: 'dispatched', assigneeId: rosterWorker.id });
    return res.body;
  }

  /** The case as the centre sees it. */
  async function caseOf(id: string): Promise<CaseDetail> {
    const res = await getJson<CaseDetail>(`${server.url}/api/v1/work-orders/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Sign in through the app's own form at /worker, unless this phone already is. */
  async function openSignedIn(): Promise<void> {
    const p = page();
    if (p.url().startsWith(`${server.url}/worker`) && (await p.getByTestId('worker-app').isVisible())) return;
    await p.goto(`${server.url}/worker`);
    const form = p.getByTestId('login');
    await form.getByTestId('username').fill(worker.user.username);
    await form.getByTestId('password').fill(worker.password);
    await form.getByTestId('submit').tap();
    const app = p.getByTestId('worker-app');
    const refused = form.getByTestId('login-error');
    await app.or(refused).first().waitFor();
    if (await refused.isVisible()) throw new Error(`sign-in refused: ${await refused.textContent()}`);
    // Connected: pushes reach this phone from now on.
    await waitForText(p.getByTestId('online'), /^\s*在线\s*$/);
  }

  /** Back to the task list, if a task is open. */
  async function toList(): Promise<void> {
    const back = page().getByTestId('back');
    if (await back.isVisible()) await back.tap();
    await page().getByTestId('open-patrol').waitFor();
  }

  /** Tap a task on the list (it must be there) and wait for its detail view. */
  async function openTask(order: WorkOrder): Promise<void> {
    await toList();
    const card = page().getByTestId(`task-${order.id}`);
    await waitForText(card, new RegExp(order.title));
    await card.tap();
    await waitForText(page().getByTestId('detail-title'), new RegExp(order.title));
  }

  /** No network: the browser says so, and the app shows it. */
  async function goOffline(): Promise<void> {
    await phone.context.setOffline(true);
    await waitForText(page().getByTestId('online'), /^\s*离线\s*$/);
  }

  /** What the signed-in worker's offline queue (their own IndexedDB database) holds, in replay order. */
  function storedQueue(): Promise<Array<{ kind: string; action?: string; orderId?: string; state: string }>> {
    return page().evaluate(
      (name) =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const all = db.transaction('entries').objectStore('entries').getAll();
            all.onerror = () => reject(all.error);
            all.onsuccess = () => {
              db.close();
              const rows = all.result as Array<{
                seq: number;
                kind: string;
                action?: string;
                orderId?: string;
                state: string;
              }>;
              resolve(
                rows
                  .sort((a, b) => a.seq - b.seq)
                  .map(({ kind, action, orderId, state }) => ({ kind, action, orderId, state })),
              );
            };
          };
        }),
      `cityops-worker:${worker.user.id}`,
    );
  }

  /** A target a thumb can hit: at least 48 × 48 CSS px. */
  async function expectThumbSized(target: Locator): Promise<void> {
    const box = await target.boundingBox();
    expect(box, 'not on screen').not.toBeNull();
    expect(box!.width).toBeGreaterThanOrEqual(48);
    expect(box!.height).toBeGreaterThanOrEqual(48);
  }

  it('signs the worker in at /worker and shows a case the centre dispatches to them without a reload', async () => {
    const p = page();
    await openSignedIn();
    await waitForText(p.getByTestId('worker-name'), new RegExp(`网格员${rosterWorker.name}`));
    // The phone's position went to the server, which took it: the worker is on shift now.
    await waitForText(p.getByTestId('duty'), /^\s*在岗\s*$/);
    await waitForText(p.getByTestId('empty'), /暂无任务/);
    expect(await p.locator('[data-test^="task-"]').count()).toBe(0);
    await expectThumbSized(p.getByTestId('lang-toggle'));
    await expectThumbSized(p.getByTestId('sign-out'));
    await p.evaluate(() => Object.assign(window, { cityopsSamePage: true }));

    const order = await dispatch('井盖缺失');

    const card = p.getByTestId(`task-${order.id}`);
    await waitForText(card, /井盖缺失/);
    await waitForText(card.getByTestId('state'), /已派遣/);
    expect(await p.getByTestId('empty').count()).toBe(0);
    expect(await p.evaluate(() => 'cityopsSamePage' in window)).toBe(true);
  });

  it('accepts live, checks in and reports offline, and sends both in order once back online', async () => {
    const p = page();
    await openSignedIn();
    const order = await dispatch('路灯不亮');
    await openTask(order);
    const state = p.getByTestId('detail-state');
    await waitForText(state, /已派遣/);

    // Online, the accept goes straight through.
    await p.getByTestId('accept').tap();
    await waitForText(state, /已接单/);
    await expect.poll(async () => (await caseOf(order.id)).order.state).toBe('accepted');
    await p.getByTestId('pending-sync').waitFor({ state: 'detached' });
    const accepted = (await caseOf(order.id)).order;

    // In the basement: check in with the site's code, photograph the result, report.
    await goOffline();
    await p.getByTestId('check-in').tap();
    await p.getByTestId('qr-code-input').fill(`cityops:site:${order.id}`);
    await p.getByTestId('qr-code-submit').tap();
    await waitForText(state, /处置中\s*待同步/);
    await p
      .getByTestId('photo-input')
      .setInputFiles({ name: 'after.jpg', mimeType: 'image/jpeg', buffer: tinyJpeg() });
    await p.getByTestId('photo-thumb').waitFor();
    await expectThumbSized(p.getByTestId('photo-remove'));
    await p.getByTestId('report-note').fill('已更换灯泡，恢复照明');
    await p.getByTestId('report-submit').tap();

    await waitForText(state, /待核实\s*待同步/);
    await waitForText(p.getByTestId('queued'), /^\s*待同步 2\s*$/);
    await waitForText(p.getByTestId('pending-actions'), /到场签到[\s\S]*反馈/);
    // The queue is in the browser's IndexedDB, in the order the worker acted…
    expect(await storedQueue()).toEqual([
      { kind: 'command', action: 'checkIn', orderId: order.id, state: 'pending' },
      { kind: 'photo', action: undefined, orderId: undefined, state: 'pending' },
      { kind: 'command', action: 'report', orderId: order.id, state: 'pending' },
    ]);
    // …and nothing of it reached the server.
    const meanwhile = await caseOf(order.id);
    expect(meanwhile.order).toMatchObject({ state: 'accepted', version: accepted.version });
    expect(meanwhile.photos).toEqual([]);

    const backOnlineAt = Date.now();
    await phone.context.setOffline(false);

    await waitForText(p.getByTestId('online'), /^\s*在线\s*$/);
    await p.getByTestId('queued').waitFor({ state: 'detached' });
    await p.getByTestId('wait-verify').waitFor();
    await waitForText(state, /待核实/);
    expect(await state.getByTestId('pending-sync').count()).toBe(0);
    expect(await storedQueue()).toEqual([]);

    const { order: done, photos } = await caseOf(order.id);
    expect(done.state).toBe('reported');
    expect(photos).toHaveLength(1);
    expect(photos[0]).toMatchObject({
      workOrderId: order.id,
      uploadedBy: worker.user.id,
      mime: 'image/jpeg',
      bytes: tinyJpeg().length,
      locationSource: 'device',
    });
    expect(done.photoIds).toEqual([photos[0]?.id]);
    const [accept, checkIn, report] = done.timeline.slice(-3);
    expect([accept?.action, checkIn?.action, report?.action]).toEqual(['accept', 'checkIn', 'report']);
    expect(checkIn).toMatchObject({ from: 'accepted', to: 'handling', by: worker.user.id });
    expect(checkIn?.data).toMatchObject({ method: 'qr', code: `cityops:site:${order.id}` });
    expect(report).toMatchObject({ from: 'handling', to: 'reported', note: '已更换灯泡，恢复照明' });
    // Recorded when the worker did them (offline), received only after the phone was back.
    for (const entry of [checkIn, report]) {
      expect(entry?.doneAt).toBeGreaterThan(accept?.at ?? Infinity);
      expect(entry?.doneAt).toBeLessThan(backOnlineAt);
      expect(entry?.at).toBeGreaterThanOrEqual(backOnlineAt);
    }
    expect(checkIn?.doneAt).toBeLessThanOrEqual(report?.doneAt ?? -Infinity);
  });

  it('explains an accept refused because the centre reassigned the case while the phone was offline', async () => {
    const p = page();
    await openSignedIn();
    const order = await dispatch('垃圾满溢');
    await openTask(order);
    const state = p.getByTestId('detail-state');
    await waitForText(state, /已派遣/);

    await goOffline();
    await p.getByTestId('accept').tap();
    await waitForText(state, /已接单\s*待同步/);
    await waitForText(p.getByTestId('queued'), /^\s*待同步 1\s*$/);
    const reassigned = await postJson<WorkOrder>(`${server.url}/api/v1/work-orders/${order.id}/reassign`, {
      assigneeId: otherWorker.id,
      reason: '原网格员失联，改派',
    });
    expect(reassigned.status, JSON.stringify(reassigned.body)).toBe(200);

    await phone.context.setOffline(false);

    const notice = p.getByTestId('notice').filter({ hasText: '操作未生效' });
    await waitForText(notice, /接单：您离线期间，该案卷已被改派给其他网格员，此操作未生效。/);
    // The task is no longer this worker's: off the list, nothing left to send.
    await p.getByTestId('open-patrol').waitFor();
    await p.getByTestId(`task-${order.id}`).waitFor({ state: 'detached' });
    await p.getByTestId('queued').waitFor({ state: 'detached' });
    const { order: now } = await caseOf(order.id);
    expect(now).toMatchObject({ state: 'dispatched', assigneeId: otherWorker.id });
    expect(now.timeline.map((e) => e.action)).not.toContain('accept');

    // Read and dismissed, the refused action leaves the phone's queue.
    await notice.getByTestId('notice-dismiss').tap();
    await notice.waitFor({ state: 'detached' });
    await expect.poll(storedQueue).toEqual([]);
  });
});
