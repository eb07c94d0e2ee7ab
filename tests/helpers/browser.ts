/**
 * Headless Chromium for the browser tests: Debian's package, driven by playwright-core. Without
 * /usr/bin/chromium the suites skip with a warning, except in CI, which installs it and must run them.
 * Screenshots go to test-output/screenshots (ignored by git) for a reviewer.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN } from './app.ts';

const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(import.meta.dir, '../../test-output/screenshots');

/** Whether the browser suites can run here; throws in CI when Chromium is missing. */
export function chromiumAvailable(suite: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
  if (!available) console.warn(`${suite}: skipped, ${CHROMIUM} not found (apt-get install chromium)`);
  return available;
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const screenshot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), timeout: 5_000 });

/** Opens the admin at `path` and signs in with the test token. */
export async function signIn(page: Page, appUrl: string, path = '/'): Promise<void> {
  await page.goto(`${appUrl}${path}`);
  await page.fill('input[type=password]', ADMIN_TOKEN);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav.nav');
}
