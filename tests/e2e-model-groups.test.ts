/**
 * Model groups in headless Chromium against the real server and the mock upstream: the Routing
 * button of a group's header opens its settings; fallbacks chosen (added, moved, removed) and saved
 * are stored and shown on the header; a fallback cycle is refused with the server's message and
 * nothing is stored; max attempts out of range and a status that is not an error are refused in the
 * form without a request; Reset to defaults sends nulls; the log detail of a request a fallback group
 * answered shows both attempts and tags the fallback's; the Dashboard counts the fallback.
 * Screenshots go to test-output/screenshots.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { startApp, type TestApp } from './helpers/app.ts';
import { chromiumAvailable, launchChromium, screenshot, signIn } from './helpers/browser.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';
import { freePort } from './helpers/server-process.ts';

const available = chromiumAvailable('e2e-model-groups');

const DEFAULT_STATUSES = [408, 429, 500, 502, 503, 504, 529];

interface GroupSettings {
  fallbacks: string[];
  contextFallbacks: string[];
  maxAttempts: number;
  retryOnStatus: number[];
}

const head = (group: string) => `tbody[data-group="${group}"] tr.group-head`;
const summary = (group: string) => `${head(group)} .group-routing`;
const chain = (field: 'fallbacks' | 'contextFallbacks') => `.drawer [data-field="${field}"]`;

describe.skipIf(!available)('model groups in Chromium', () => {
  const mock = startMockUpstream();
  /** Nothing listens there: primary's only config fails to connect, so its fallback answers. */
  const dead = `http://127.0.0.1:${freePort()}/v1`;
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  /** The variables of every UpdateModelGroup the page sent. */
  const updates: { name: string; input: Record<string, unknown> }[] = [];

  const groupOf = async (name: string): Promise<GroupSettings> => {
    const r = await app.gql<{ modelGroup: GroupSettings | null }>(
      'query($name: String!) { modelGroup(name: $name) { fallbacks contextFallbacks maxAttempts retryOnStatus } }',
      { name },
    );
    expect(r.errors).toBeUndefined();
    return r.data!.modelGroup!;
  };
  const items = (field: 'fallbacks' | 'contextFallbacks') =>
    page.$$eval(`${chain(field)} li`, (lis) => lis.map((li) => li.getAttribute('data-item')));
  /** Opens the group's routing form from its header; `title` is the form's heading. */
  async function openRouting(group: string, title = `Routing of ${group}`) {
    await page.click(`${head(group)} button`);
    await page.waitForSelector(`.drawer h2:text-is("${title}")`);
  }
  async function addTo(field: 'fallbacks' | 'contextFallbacks', group: string) {
    await page.selectOption(`${chain(field)} select`, group);
    await page.click(`${chain(field)} button:text-is("Add")`);
    await page.waitForSelector(`${chain(field)} li[data-item="${group}"]`);
  }
  async function saveAndClose() {
    await page.click('.drawer button:text-is("Save")');
    await page.waitForSelector('.drawer', { state: 'detached' });
  }

  beforeAll(async () => {
    app = await startApp();
    await app.addConfig({ proxyModelName: 'primary', baseUrl: dead, backendModelName: 'echo' });
    for (const name of ['backup', 'local', 'large', 'alpha', 'beta']) {
      await app.addConfig({ proxyModelName: name, baseUrl: mock.baseUrl, backendModelName: 'echo' });
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page.on('request', (request) => {
      const body = request.postData();
      if (!request.url().endsWith('/graphql') || !body?.includes('UpdateModelGroup')) return;
      updates.push((JSON.parse(body) as { variables: { name: string; input: Record<string, unknown> } }).variables);
    });
    await signIn(page, app.url, '/models');
    await page.waitForSelector(head('primary'));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    mock.stop();
  });

  test('a fallback chosen in the group settings is stored and shown on the group header; moved, removed and saved again', async () => {
    // Every group has a header; with the defaults it shows no routing.
    for (const name of ['primary', 'backup', 'local', 'large', 'alpha', 'beta']) expect(await page.textContent(`${head(name)} .group-name`)).toBe(name);
    expect(await page.$(summary('primary'))).toBeNull();
    expect(await page.textContent(`${head('primary')} button`)).toBe('Routing…');

    await openRouting('primary');
    expect(await page.textContent(`${chain('fallbacks')} .group-chain-empty`)).toBe('None.');
    // The other groups can be chosen, never the group itself.
    const options = await page.$$eval(`${chain('fallbacks')} select option`, (os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(options.sort()).toEqual(['alpha', 'backup', 'beta', 'large', 'local']);
    expect(await page.inputValue('.drawer input[name=maxAttempts]')).toBe('3');
    expect(await page.inputValue('.drawer input[name=retryOnStatus]')).toBe(DEFAULT_STATUSES.join(', '));

    await addTo('fallbacks', 'local');
    // The picker is back on its prompt and no longer offers what the list holds.
    expect(await page.inputValue(`${chain('fallbacks')} select`)).toBe('');
    expect(await page.$(`${chain('fallbacks')} select option[value="local"]`)).toBeNull();
    await addTo('fallbacks', 'backup');
    expect(await items('fallbacks')).toEqual(['local', 'backup']);
    await page.click(`${chain('fallbacks')} button[aria-label="Move backup up"]`);
    expect(await items('fallbacks')).toEqual(['backup', 'local']);
    expect(await page.isDisabled(`${chain('fallbacks')} button[aria-label="Move backup up"]`)).toBe(true);
    expect(await page.isDisabled(`${chain('fallbacks')} button[aria-label="Move local down"]`)).toBe(true);
    await addTo('contextFallbacks', 'large');
    await page.fill('.drawer input[name=maxAttempts]', '5');
    await screenshot(page, 'model-group-form');
    await saveAndClose();

    await page.waitForSelector(`${summary('primary')}:text-is("→ backup, local · ctx → large · 5 attempts")`);
    expect(await groupOf('primary')).toEqual({ fallbacks: ['backup', 'local'], contextFallbacks: ['large'], maxAttempts: 5, retryOnStatus: DEFAULT_STATUSES });
    // The other groups are untouched.
    expect(await page.$(summary('backup'))).toBeNull();
    await screenshot(page, 'model-groups');

    // Opened again, the form holds what was stored; remove a fallback and the context fallback, empty max attempts (the default).
    await openRouting('primary');
    expect(await items('fallbacks')).toEqual(['backup', 'local']);
    expect(await items('contextFallbacks')).toEqual(['large']);
    expect(await page.inputValue('.drawer input[name=maxAttempts]')).toBe('5');
    await page.click(`${chain('fallbacks')} button[aria-label="Remove local"]`);
    await page.click(`${chain('contextFallbacks')} button[aria-label="Remove large"]`);
    await page.fill('.drawer input[name=maxAttempts]', '');
    await saveAndClose();
    await page.waitForSelector(`${summary('primary')}:text-is("→ backup")`);
    expect(await groupOf('primary')).toEqual({ fallbacks: ['backup'], contextFallbacks: [], maxAttempts: 3, retryOnStatus: DEFAULT_STATUSES });
    expect(updates.at(-1)).toEqual({ name: 'primary', input: { fallbacks: ['backup'], contextFallbacks: [], maxAttempts: null, retryOnStatus: DEFAULT_STATUSES } });
  }, 30_000);

  test('a fallback cycle is refused with the server\'s message in the form, which stays open; nothing is stored', async () => {
    const r = await app.gql('mutation { updateModelGroup(name: "alpha", input: { fallbacks: ["beta"] }) { name } }');
    expect(r.errors).toBeUndefined();
    await page.reload();
    await page.waitForSelector(`${summary('alpha')}:text-is("→ beta")`);

    await openRouting('beta');
    await addTo('fallbacks', 'alpha');
    await page.click('.drawer button:text-is("Save")');
    const error = await page.waitForSelector('.drawer .error[role=alert]');
    expect(await error.textContent()).toContain('fallbacks would make a cycle: beta → alpha → beta');
    // Still open, with what the user chose.
    expect(await items('fallbacks')).toEqual(['alpha']);
    await screenshot(page, 'model-group-cycle');
    expect(await groupOf('beta')).toEqual({ fallbacks: [], contextFallbacks: [], maxAttempts: 3, retryOnStatus: DEFAULT_STATUSES });

    await page.click('.drawer button:text-is("Cancel")');
    await page.waitForSelector('.drawer', { state: 'detached' });
    expect(await page.$(summary('beta'))).toBeNull();
    expect(await groupOf('alpha')).toMatchObject({ fallbacks: ['beta'] });
  }, 30_000);

  test('max attempts out of range and a status that is not an error are refused in the form, without a request', async () => {
    const sent = updates.length;
    await openRouting('backup');
    for (const value of ['11', '0', '2.5', 'many']) {
      await page.fill('.drawer input[name=maxAttempts]', value);
      await page.click('.drawer button:text-is("Save")');
      expect(await page.textContent('.drawer .error')).toBe('Max attempts must be a whole number from 1 to 10, or empty for 3.');
    }
    await page.fill('.drawer input[name=maxAttempts]', '2');
    await page.fill('.drawer input[name=retryOnStatus]', '429, 600');
    await page.click('.drawer button:text-is("Save")');
    expect(await page.textContent('.drawer .error')).toContain('“600” is not an error status');
    await page.fill('.drawer input[name=retryOnStatus]', '429, 5xx');
    await page.click('.drawer button:text-is("Save")');
    expect(await page.textContent('.drawer .error')).toContain('“5xx” is not an error status');
    expect(updates.length).toBe(sent);
    expect(await groupOf('backup')).toEqual({ fallbacks: [], contextFallbacks: [], maxAttempts: 3, retryOnStatus: DEFAULT_STATUSES });

    // Fixed, it saves (a trailing comma is no error).
    await page.fill('.drawer input[name=retryOnStatus]', '503, 429,');
    await saveAndClose();
    // The server sorts the statuses.
    await page.waitForSelector(`${summary('backup')}:text-is("2 attempts · retry on 429, 503")`);
    expect(await groupOf('backup')).toEqual({ fallbacks: [], contextFallbacks: [], maxAttempts: 2, retryOnStatus: [429, 503] });
  }, 30_000);

  test('Reset to defaults sends nulls and puts every setting back', async () => {
    await openRouting('backup');
    await addTo('fallbacks', 'local');
    await page.click('.drawer button:text-is("Reset to defaults")');
    await page.waitForSelector('.drawer', { state: 'detached' });
    expect(updates.at(-1)).toEqual({ name: 'backup', input: { fallbacks: null, contextFallbacks: null, maxAttempts: null, retryOnStatus: null } });
    await page.waitForSelector(summary('backup'), { state: 'detached' });
    expect(await groupOf('backup')).toEqual({ fallbacks: [], contextFallbacks: [], maxAttempts: 3, retryOnStatus: DEFAULT_STATUSES });
    // The rest of the page is as it was.
    expect(await page.textContent(summary('primary'))).toBe('→ backup');
  }, 30_000);

  test('the log detail of a request a fallback group answered shows both attempts, the second tagged with its group', async () => {
    const answer = await chat({ baseUrl: app.baseUrl, model: 'primary' });
    expect(answer.status).toBe(200);
    await app.drain();
    const r = await app.gql<{ logs: { nodes: { id: string; attempts: { model: string | null }[] }[] } }>(
      'query($f: LogFilter) { logs(filter: $f, first: 1) { nodes { id attempts { model } } } }',
      { f: { model: 'primary' } },
    );
    const entry = r.data!.logs.nodes[0]!;
    expect(entry.attempts.map((a) => a.model)).toEqual(['primary', 'backup']);

    await page.goto(`${app.url}/logs?log=${entry.id}`);
    await page.waitForSelector('.detail .attempts');
    expect(await page.textContent('.detail .attempts h3')).toBe('Attempts (2)');
    const attempt = (n: number) => `.detail .attempts tbody tr[data-attempt="${n}"]`;
    expect(await page.textContent(`${attempt(1)} td[data-col="status"]`)).toBe('no answer');
    expect(await page.textContent(`${attempt(1)} td[data-col="upstreamUrl"]`)).toBe(`${dead}/chat/completions`);
    // The first attempt was primary's own: no tag.
    expect(await page.textContent(`${attempt(1)} td[data-col="backendModel"]`)).toBe('echo');
    expect(await page.textContent(`${attempt(2)} td[data-col="status"]`)).toBe('200');
    expect(await page.textContent(`${attempt(2)} td[data-col="upstreamUrl"]`)).toBe(`${mock.baseUrl}/chat/completions`);
    expect(await page.textContent(`${attempt(2)} .attempt-fallback`)).toBe('fallback: backup');
    expect(await page.getAttribute(`${attempt(2)} .attempt-fallback`, 'title')).toBe('This attempt went to a config of backup, a fallback group of primary');
    expect(await page.getAttribute(attempt(2), 'data-answered')).toBe('');
    await page.locator('.detail .attempts').scrollIntoViewIfNeeded();
    await screenshot(page, 'log-detail-fallback');
  }, 30_000);

  test('the Dashboard counts the request a fallback answered, beside the retried requests and the attempts', async () => {
    await page.goto(`${app.url}/`);
    await page.waitForSelector('h1:has-text("Dashboard")');
    const figures = '[data-card="retries"] .dash-metric-value';
    await page.waitForFunction(
      (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent).join(' ') === '1 1',
      figures,
      { timeout: 10_000 },
    );
    expect(await page.$$eval('[data-card="retries"] .dash-metric-caption', (els) => els.map((e) => e.textContent))).toEqual(['Retried', 'Fallbacks']);
    expect(await page.textContent('[data-card="retries"] .dash-card-foot')).toBe('2 backend attempts');
    await screenshot(page, 'dashboard-fallbacks');
  }, 30_000);

  test('in Chinese on a narrow screen the group headers and the form are translated, and the page does not scroll sideways', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${app.url}/models`);
    await page.selectOption('nav select', 'zh');
    await page.waitForSelector(`${head('primary')} button:text-is("路由…")`);
    expect(await page.textContent(summary('primary'))).toBe('→ backup');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await openRouting('primary', 'primary 的路由');
    expect(await page.textContent('.drawer')).not.toMatch(/models\./);
    expect(await page.textContent('.drawer')).toContain('恢复默认');
    await screenshot(page, 'model-group-form-zh-390');
    await page.click('.drawer button:text-is("取消")');
    await page.selectOption('nav select', 'en');
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 30_000);
});
