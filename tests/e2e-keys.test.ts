/**
 * The Keys page in Chromium: a key made in the form shows its secret once (with a copy button) and
 * never again; the key then works on /v1 and shows its last use; Disable and Revoke act on the next
 * request. Budgets made in the form show their use this period as bars (with the figures real /v1
 * requests used), warning near and past the limit. Edit opens the same form on a key: the row then
 * shows the new limits and its bar the new budget, and an emptied limit is sent as null. The Logs page
 * filters by key and shows each entry's key and cost. Screenshots go to test-output/screenshots.
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
    // The mock's echo answers report 5 prompt + 7 completion tokens: 12 a request; unpriced, so they cost null.
    await app.addConfig({ proxyModelName: 'kp-model', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    // 5 × $1000/M + 7 × $2000/M = $0.019 a request.
    await app.addConfig({ proxyModelName: 'kp-priced', baseUrl: mock.baseUrl, backendModelName: 'echo', inputPrice: 1000, outputPrice: 2000 });
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

  const call = (secret: string | null, model = 'kp-model') => fetch(`${app.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  /** Sends `n` requests one after the other; every one must be answered 200. */
  const calls = async (secret: string, n: number, model = 'kp-model') => {
    for (let i = 0; i < n; i++) expect((await call(secret, model)).status).toBe(200);
  };

  /** Makes a key in the New key form; returns its secret. */
  async function createInForm(fields: Record<string, string>, period?: string): Promise<string> {
    await page.click('button:has-text("New key")');
    for (const [name, value] of Object.entries(fields)) await page.fill(`.drawer input[name=${name}]`, value);
    if (period) await page.selectOption('.drawer select[name=budgetPeriod]', period);
    await page.click('button:has-text("Create key")');
    const secret = (await page.textContent('[data-testid=key-secret]'))!.trim();
    await page.click('button:has-text("I have saved it")');
    await page.waitForSelector(`tr[data-key="${fields.name}"]`);
    return secret;
  }

  const keyId = async (name: string) => {
    const r = await app.gql<{ apiKeys: { id: string; name: string }[] }>('{ apiKeys { id name } }');
    return r.data!.apiKeys.find((k) => k.name === name)!.id;
  };
  const bar = (key: string, budget: 'tokens' | 'usd') => `tr[data-key="${key}"] [data-budget="${budget}"]`;
  /**
   * Reloads the page until the key's bar reads `text`: the page shows use as of its last read, and
   * the server counts an exchange when it ends, which may be just after its answer was read.
   */
  async function waitForBar(key: string, budget: 'tokens' | 'usd', text: string) {
    const selector = `${bar(key, budget)} .key-bar[aria-valuetext="${text}"]`;
    const until = Date.now() + 10_000;
    for (;;) {
      await page.reload();
      await page.waitForSelector(`tr[data-key="${key}"]`);
      if (await page.$(selector)) return;
      if (Date.now() > until) throw new Error(`${key}: the ${budget} bar reads "${await page.getAttribute(`${bar(key, budget)} .key-bar`, 'aria-valuetext')}", not "${text}"`);
    }
  }
  /** As waitForBar, for the key's figures: a key whose period changed reads its use back from the store, after the answer. */
  async function waitForFigures(key: string, text: string) {
    const selector = `tr[data-key="${key}"] .key-usage-figures`;
    const until = Date.now() + 10_000;
    for (;;) {
      await page.waitForSelector(`tr[data-key="${key}"]`);
      if ((await page.textContent(selector)) === text) return;
      if (Date.now() > until) throw new Error(`${key}: the figures read "${await page.textContent(selector)}", not "${text}"`);
      await page.reload();
    }
  }
  /** When the period that holds now ends, as the page writes it. */
  const localTime = (at: number) => page.evaluate((ms) => new Date(ms).toLocaleString('en-US', { dateStyle: 'short', timeStyle: 'short' }), at);

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
    await page.fill('input[name=rpm]', '');
    await page.fill('input[name=budgetTokens]', '1.5');
    await page.click('button:has-text("Create key")');
    expect(await page.textContent('.drawer .error')).toBe('The token budget must be a whole number of tokens (0 or more), or empty for none.');
    await page.fill('input[name=budgetTokens]', '10,000');
    await page.fill('input[name=budgetUsd]', '-1');
    await page.click('button:has-text("Create key")');
    expect(await page.textContent('.drawer .error')).toBe('The dollar budget must be an amount of 0 or more, such as 5 or 12.50, or empty for none.');
    await page.click('.drawer button:has-text("Cancel")');
    expect(await page.locator('tbody tr').count()).toBe(1);
  }, 30_000);

  test('a token budget shows its use today as a bar with the real figures, warning near the limit and once used up', async () => {
    const secret = await createInForm({ name: 'budgeted', budgetTokens: '100' }, 'DAY');
    expect(await page.getAttribute(`${bar('budgeted', 'tokens')} .key-bar`, 'aria-valuetext')).toBe('0 of 100 tokens today');
    expect(await page.$(bar('budgeted', 'usd'))).toBeNull();

    await calls(secret, 2);
    await app.drain();
    await waitForBar('budgeted', 'tokens', '24 of 100 tokens today');
    const meter = `${bar('budgeted', 'tokens')} .key-bar`;
    expect(await page.getAttribute(meter, 'role')).toBe('meter');
    expect(await page.getAttribute(meter, 'aria-label')).toBe('Token budget used');
    expect(await page.getAttribute(meter, 'aria-valuenow')).toBe('24');
    expect(await page.getAttribute(meter, 'aria-valuemax')).toBe('100');
    expect(await page.getAttribute(bar('budgeted', 'tokens'), 'data-level')).toBe('ok');
    expect(await page.textContent('tr[data-key="budgeted"] .key-usage-figures')).toBe('2 requests · 24 tokens · $0.00');
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(await page.textContent('tr[data-key="budgeted"] .key-usage-renews')).toBe(`renews ${await localTime(midnight)}`);

    // 84 of 100: the bar warns.
    await calls(secret, 5);
    await app.drain();
    await waitForBar('budgeted', 'tokens', '84 of 100 tokens today');
    expect(await page.getAttribute(bar('budgeted', 'tokens'), 'data-level')).toBe('near');
    expect(await page.textContent(bar('budgeted', 'tokens'))).toContain('nearly used up');
    await screenshot(page, 'keys-budget');

    // Past the budget the key is refused, and the bar says it is used up.
    let refused: Response | null = null;
    for (let i = 0; i < 5 && !refused; i++) {
      const res = await call(secret);
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(await refused!.json()).toMatchObject({ error: { code: 'insufficient_quota' } });
    await app.drain();
    const usage = (await app.gql('query($id: ID!) { apiKey(id: $id) { usage { requests promptTokens completionTokens } } }', { id: await keyId('budgeted') })).data.apiKey.usage;
    const used = usage.promptTokens + usage.completionTokens;
    expect(used).toBeGreaterThanOrEqual(100);
    await waitForBar('budgeted', 'tokens', `${used} of 100 tokens today`);
    expect(await page.getAttribute(bar('budgeted', 'tokens'), 'data-level')).toBe('over');
    expect(await page.getAttribute(meter, 'aria-valuenow')).toBe('100');
    expect(await page.textContent(bar('budgeted', 'tokens'))).toContain('used up');
    // The refusal counts as a request of the key.
    expect(await page.textContent('tr[data-key="budgeted"] .key-usage-figures')).toBe(`${usage.requests} requests · ${used} tokens · $0.00`);
  }, 60_000);

  test('a dollar budget shows dollars this month; a key without a budget shows only its figures', async () => {
    const secret = await createInForm({ name: 'metered', budgetUsd: '0.05' }, 'MONTH');
    await calls(secret, 2, 'kp-priced');
    await app.drain();
    await waitForBar('metered', 'usd', '$0.038 of $0.05 this month');
    expect(await page.getAttribute(bar('metered', 'usd'), 'data-level')).toBe('ok');
    expect(await page.$(bar('metered', 'tokens'))).toBeNull();
    expect(await page.textContent('tr[data-key="metered"] .key-usage-figures')).toBe('2 requests · 24 tokens · $0.038');
    const now = new Date();
    expect(await page.textContent('tr[data-key="metered"] .key-usage-renews')).toBe(`renews ${await localTime(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1))}`);

    // No budget: the figures (of all time), no bar, no renewal.
    const plain = await createInForm({ name: 'plain' });
    await calls(plain, 1, 'kp-priced');
    await app.drain();
    await page.reload();
    await page.waitForSelector('tr[data-key="plain"] .key-usage-figures:text-is("1 request · 12 tokens · $0.019 in total")');
    expect(await page.$('tr[data-key="plain"] .key-bar')).toBeNull();
    expect(await page.$('tr[data-key="plain"] .key-usage-renews')).toBeNull();
    await screenshot(page, 'keys-usage');
  }, 60_000);

  test('Edit opens the form on a key with its values; a new budget and limits show in the row, an emptied limit is sent as null', async () => {
    const secret = await createInForm({ name: 'editable', rpm: '60', tpm: '1000', budgetTokens: '100' }, 'DAY');
    await calls(secret, 1);
    await app.drain();
    await waitForBar('editable', 'tokens', '12 of 100 tokens today');
    expect(await page.textContent('tr[data-key="editable"] td[data-col="limits"]')).toBe('60 rpm · 1000 tpm');

    await page.click('tr[data-key="editable"] button:has-text("Edit")');
    await page.waitForSelector('.drawer h2:text-is(\'Edit the key "editable"\')');
    const field = (name: string) => page.inputValue(`.drawer [name=${name}]`);
    expect(await Promise.all(['name', 'rpm', 'tpm', 'maxParallel', 'budgetTokens', 'budgetUsd', 'budgetPeriod', 'expiresAt', 'metadata'].map(field)))
      .toEqual(['editable', '60', '1000', '', '100', '', 'DAY', '', '']);
    expect(await page.isChecked('.drawer [name=enabled]')).toBe(true);

    // What does not parse is said before anything is sent; the server's refusal is said in the form too.
    await page.fill('.drawer [name=metadata]', '[1, 2]');
    await page.click('.drawer button:has-text("Save")');
    expect(await page.textContent('.drawer .error')).toBe('The metadata must be a JSON object, such as {"team": "search"}, or empty for none.');
    await page.fill('.drawer [name=metadata]', '{"team": "search"}');
    await page.fill('.drawer [name=name]', 'metered');
    await page.click('.drawer button:has-text("Save")');
    await page.waitForSelector('.drawer .error:has-text("exists already")');
    await screenshot(page, 'keys-edit-form');

    await page.fill('.drawer [name=name]', 'editable');
    await page.fill('.drawer [name=rpm]', '');
    await page.fill('.drawer [name=tpm]', '500');
    await page.fill('.drawer [name=budgetTokens]', '15');
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/graphql') && (r.postData() ?? '').includes('mutation UpdateApiKey')),
      page.click('.drawer button:has-text("Save")'),
    ]);
    const sent = request.postDataJSON() as { variables: { id: string; input: Record<string, unknown> } };
    expect(sent.variables.id).toBe(await keyId('editable'));
    // Every field the form holds; the expiry was not touched, so it is left as stored.
    expect(sent.variables.input).toEqual({
      name: 'editable', allowedModels: null, rpm: null, tpm: 500, maxParallel: null, budgetTokens: 15, budgetUsd: null, budgetPeriod: 'DAY',
      enabled: true, metadata: { team: 'search' },
    });
    await page.waitForSelector('.drawer', { state: 'detached' });

    // The row follows without a reload: the limits, and the bar against the new budget (12 of 15 warns).
    await page.waitForSelector(`${bar('editable', 'tokens')} .key-bar[aria-valuetext="12 of 15 tokens today"]`);
    expect(await page.getAttribute(bar('editable', 'tokens'), 'data-level')).toBe('near');
    expect(await page.getAttribute(`${bar('editable', 'tokens')} .key-bar`, 'aria-valuemax')).toBe('15');
    expect(await page.textContent('tr[data-key="editable"] td[data-col="limits"]')).toBe('500 tpm');
    expect(await page.$('[data-testid=key-secret]')).toBeNull();
    const stored = (await app.gql('query($id: ID!) { apiKey(id: $id) { rpm tpm maxParallel budgetTokens budgetPeriod metadata } }', { id: await keyId('editable') })).data.apiKey;
    expect(stored).toEqual({ rpm: null, tpm: 500, maxParallel: null, budgetTokens: 15, budgetPeriod: 'DAY', metadata: { team: 'search' } });
    await screenshot(page, 'keys-edit');

    // Emptied, the budget is gone (and its period with it): only the figures are left.
    await page.click('tr[data-key="editable"] button:has-text("Edit")');
    expect(await page.inputValue('.drawer [name=budgetTokens]')).toBe('15');
    await page.fill('.drawer [name=budgetTokens]', '');
    await page.click('.drawer button:has-text("Save")');
    await page.waitForSelector('.drawer', { state: 'detached' });
    await waitForFigures('editable', '1 request · 12 tokens · $0.00 in total');
    expect(await page.$(bar('editable', 'tokens'))).toBeNull();
    expect((await app.gql('query($id: ID!) { apiKey(id: $id) { budgetTokens budgetPeriod } }', { id: await keyId('editable') })).data.apiKey)
      .toEqual({ budgetTokens: null, budgetPeriod: null });
    // The secret is the same: the key still works.
    expect((await call(secret)).status).toBe(200);
  }, 60_000);

  test('Logs: the key filter (kept in the URL) shows one key\'s entries, with each entry\'s key and cost', async () => {
    const metered = await keyId('metered');
    await page.click('nav a:has-text("Logs")');
    await page.waitForSelector('table.logs tbody tr');
    const keySelect = '.filters select[name=key]';
    // Revoked keys stay in the list: their entries stay too.
    await page.waitForSelector(`${keySelect} option:text-is("ci-runner (revoked)")`, { state: 'attached' });
    await page.selectOption(keySelect, { label: 'metered' });
    expect(new URL(page.url()).searchParams.get('key')).toBe(metered);
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 2);
    expect(await page.$$eval('table.logs td[data-col="key"]', (cells) => cells.map((c) => c.textContent))).toEqual(['metered', 'metered']);
    expect(await page.$$eval('table.logs td[data-col="cost"]', (cells) => cells.map((c) => c.textContent))).toEqual(['$0.019', '$0.019']);

    await page.selectOption(keySelect, { label: 'budgeted' });
    const budgetedCount = (await app.gql('query($k: ID) { logs(filter: { apiKeyId: $k }) { totalCount } }', { k: await keyId('budgeted') })).data.logs.totalCount;
    await page.waitForFunction((n) => document.querySelectorAll('table.logs tbody tr').length === n, budgetedCount);
    expect(new Set(await page.$$eval('table.logs td[data-col="key"]', (cells) => cells.map((c) => c.textContent)))).toEqual(new Set(['budgeted']));
    // Unpriced: no cost known.
    expect(new Set(await page.$$eval('table.logs td[data-col="cost"]', (cells) => cells.map((c) => c.textContent)))).toEqual(new Set(['–']));

    // The filter is read back from the URL (the option is chosen once the keys are in), and the detail shows key and cost.
    await page.goto(`${app.url}/logs?key=${metered}`);
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 2);
    await page.waitForFunction((s) => (document.querySelector(s) as HTMLSelectElement | null)?.selectedOptions[0]?.textContent === 'metered', keySelect);
    await screenshot(page, 'logs-key-filter');
    await page.click('table.logs tbody tr >> nth=0');
    await page.waitForSelector('.detail [data-fact="cost"]');
    expect(await page.textContent('.detail [data-fact="cost"] dd')).toBe('$0.019');
    expect(await page.textContent('.detail [data-fact="key"] dd')).toBe('metered');
    expect(await page.textContent('.detail [data-fact="tokens"] dd')).toBe('5 prompt + 7 completion = 12');
    await screenshot(page, 'log-detail-cost');
    await page.click('.detail button:has-text("Close")');

    // Any: every entry again.
    await page.selectOption(keySelect, '');
    expect(new URL(page.url()).searchParams.has('key')).toBe(false);
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length > 2);
  }, 60_000);
});
