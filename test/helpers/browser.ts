import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chromium,
  selectors,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
} from 'playwright-core';

/** Debian's Chromium (`apt install chromium`); CI installs it before the tests. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Longest a browser step waits for the page (below the test timeout, so a failure still gets its screenshot), ms. */
export const BROWSER_STEP_TIMEOUT_MS = 10_000;

export interface TestBrowser {
  context: BrowserContext;
  /** Close Chromium and remove its temporary profile. */
  close(): Promise<void>;
}

/**
 * Headless Chromium with a throw-away profile (IndexedDB on disk, as on a real device) and a
 * wall-sized (1920×1080) viewport, unless `device` says otherwise (a phone: viewport, isMobile…).
 */
export async function launchChromium(device: BrowserContextOptions = {}): Promise<TestBrowser> {
  // Components mark what tests read with `data-test` (the component tests use the same attribute).
  selectors.setTestIdAttribute('data-test');
  const profile = mkdtempSync(join(tmpdir(), 'cityops-chromium-'));
  try {
    // The user data dir goes here: Playwright refuses --user-data-dir in launch().
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1920, height: 1080 },
      ...device,
    });
    context.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Wait (Playwright's own polling, no sleeps) until `locator` shows text
 * matching `expected`; on timeout the error says what it showed instead.
 */
export async function waitForText(locator: Locator, expected: RegExp): Promise<void> {
  try {
    await locator.filter({ hasText: expected }).first().waitFor();
  } catch (err) {
    const shown = await locator.allTextContents().catch(() => ['(unreadable)']);
    throw new Error(
      `${String(locator)} never showed ${String(expected)}; it shows ${JSON.stringify(shown)}`,
      {
        cause: err,
      },
    );
  }
}

/** A counter as the screen prints it (`1,234`), read as a number; throws while it shows no number ("—"). */
export async function readCount(locator: Locator): Promise<number> {
  const text = (await locator.textContent())?.trim() ?? '';
  if (!/^\d[\d,]*$/.test(text)) throw new Error(`${String(locator)} shows no count: ${JSON.stringify(text)}`);
  return Number(text.replaceAll(',', ''));
}

/** A number exactly as a counter prints it (grouped thousands), as a pattern matching the whole text. */
export function countPattern(n: number): RegExp {
  return new RegExp(`^\\s*${n.toLocaleString('en-US')}\\s*$`);
}

/** Save a full-page screenshot to the OS temp folder and return its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const file = join(tmpdir(), `cityops-${name.replace(/[^\w-]+/g, '-').slice(0, 80)}-${Date.now()}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Sign in through the page's own form, as a person at the wall would: opens
 * `baseUrl` unless the tab is already there, fills 用户名 / 密码, presses 登录
 * and waits until the dashboard shows the signed-in user. A refusal fails with
 * the message the form showed.
 */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  if (!page.url().startsWith(baseUrl)) await page.goto(baseUrl);
  const form = page.getByTestId('login');
  await form.getByTestId('username').fill(username);
  await form.getByTestId('password').fill(password);
  await form.getByTestId('submit').click();
  const signedIn = page.getByTestId('user-name');
  const refused = form.getByTestId('login-error');
  await signedIn.or(refused).first().waitFor();
  if (await refused.isVisible())
    throw new Error(`sign-in of ${username} refused: ${await refused.textContent()}`);
}
