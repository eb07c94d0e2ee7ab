/**
 * The Keys page in Chromium: a key made in the form shows its secret once (with a copy button) and
 * never again; the key then works on /v1 and shows its last use; Disable and Revoke act on the next
 * request. Screenshots go to test-output/screenshots.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, type TestApp } from './helpers/app.ts';
import { chromiumAvailable, launchChromium, screenshot, signIn } from './helpers/browser.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';

const available = chromiumAvailable('e2e-keys');
const SECRET_SHAPE = /^sk-lp-[A-Za-z0-9]{12}-[A-Za-z0-9_-]{43}$/;

describe.skipIf(!available)('Keys page in Chromium', () => {
  let mock: MockUpstream;
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp({ clientAuth: 'auto' });
    await app.addConfig({ proxyModelName: 'kp-model', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    page = await context.newPage();
    await signIn(page, app.url, '/keys');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    mock?.stop();
  });

  const call = (secret: string | null) => fetch(`${app.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
    body: JSON.stringify({ model: 'kp-model', messages: [{ role: 'user', content: 'hi' }] }),
  });

  test('a new key shows its secret once, with a copy button; after that only its public id is shown', async () => {
    await page.waitForSelector('h1:has-text("Keys")');
    expect(await page.textContent('main')).toContain('No keys yet');
    await page.click('button:has-text("New key")');
    await page.fill('input[name=name]', 'ci-runner');
    await page.fill('input[name=models]', 'kp-*');
    await page.fill('input[name=rpm]', '120');
    await page.click('button:has-text("Create key")');
    const secret = (await page.textContent('[data-testid=key-secret]'))!.trim();
    expect(secret).toMatch(SECRET_SHAPE);
    await screenshot(page, 'keys-secret');
    await page.click('.key-secret button:has-text("Copy")');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.click('button:has-text("I have saved it")');
    await page.waitForSelector('tr[data-key="ci-runner"]');
    const row = await page.textContent('tr[data-key="ci-runner"]');
    expect(row).toContain(secret.slice(6, 18));
    expect(row).toContain('kp-*');
    expect(row).toContain('120 rpm');
    expect(row).toContain('active');
    // Never again: not on the page after a reload, not anywhere the page can read.
    await page.reload();
    await page.waitForSelector('tr[data-key="ci-runner"]');
    expect(await page.content()).not.toContain(secret.slice(19));
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + document.cookie)).not.toContain(secret.slice(19));
    await screenshot(page, 'keys');

    // The key works, and the page shows its use.
    expect((await call(null)).status).toBe(401);
    expect((await call(secret)).status).toBe(200);
    await page.reload();
    await page.waitForSelector('tr[data-key="ci-runner"]');
    expect(await page.textContent('tr[data-key="ci-runner"]')).not.toContain('not yet');

    // Disable, then revoke: each on the next request.
    await page.click('tr[data-key="ci-runner"] button:has-text("Disable")');
    await page.waitForSelector('tr[data-key="ci-runner"] .key-status.disabled');
    expect((await call(secret)).status).toBe(401);
    await page.click('tr[data-key="ci-runner"] button:has-text("Enable")');
    await page.waitForSelector('tr[data-key="ci-runner"] .key-status.active');
    expect((await call(secret)).status).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await page.click('tr[data-key="ci-runner"] button:has-text("Revoke")');
    await page.waitForSelector('tr[data-key="ci-runner"] .key-status.revoked');
    expect(await page.locator('tr[data-key="ci-runner"] button').count()).toBe(0);
    const refused = await call(secret);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_api_key', message: 'This API key has been revoked' } });
  }, 60_000);

  test('a bad limit or a taken name is said in the form, and nothing is made', async () => {
    await page.click('button:has-text("New key")');
    await page.fill('input[name=name]', 'ci-runner');
    await page.click('button:has-text("Create key")');
    await page.waitForSelector('.drawer .error');
    expect(await page.textContent('.drawer .error')).toContain('exists already');
    await page.fill('input[name=name]', 'other');
    await page.fill('input[name=rpm]', '-3');
    await page.click('button:has-text("Create key")');
    expect(await page.textContent('.drawer .error')).toContain('whole numbers');
    await page.click('.drawer button:has-text("Cancel")');
    expect(await page.locator('tbody tr').count()).toBe(1);
  }, 30_000);
});
