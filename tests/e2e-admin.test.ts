/**
 * The admin page in headless Chromium (Debian's package, driven by playwright-core) against the real
 * server and the mock upstream: models (prices, weight, priority, stream usage, and the health badge
 * of a config that real requests made cool down), logs. Screenshots go to test-output/screenshots
 * (ignored by git) for a reviewer. Without /usr/bin/chromium the suite is skipped with a warning,
 * except in CI, which installs it and must run it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';
import { chromiumAvailable, launchChromium, screenshot } from './helpers/browser.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const available = chromiumAvailable('e2e-admin');

describe.skipIf(!available)('admin page in Chromium', () => {
  const mock = startMockUpstream();
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => screenshot(page, name);

  beforeAll(async () => {
    // A cooldown that outlasts the test, so that the badge is read while the config cools.
    app = await startApp({ cooldown: { failures: 3, baseMs: 60_000, maxMs: 60_000 } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    mock.stop();
  });

  test('a wrong token is refused with a message; the right one opens the admin', async () => {
    await page.goto(`${app.url}/`);
    await shot('login');
    await page.fill('input[type=password]', 'not-the-token-0000000');
    await page.click('button[type=submit]');
    expect(await page.textContent('.error')).toContain('not accepted');
    await page.fill('input[type=password]', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('nav.nav');
    await page.click('nav a:has-text("Models")');
    await page.waitForSelector('h1:has-text("Models")');
  });

  test('add a model, see a server validation message inline, edit it, and test it through the proxy', async () => {
    await page.click('button:has-text("Add model")');
    await page.fill('label:has-text("Proxy model name") input', 'gpt-e2e');
    await page.fill('label:has-text("Backend base URL") input', 'ftp://nowhere');
    await page.fill('label:has-text("Backend model") input', 'echo');
    await page.click('button:has-text("Save")');
    expect(await page.textContent('.drawer .error')).toContain('http or https');
    await page.fill('label:has-text("Backend base URL") input', mock.baseUrl);
    await page.fill('label:has-text("API key") input', 'sk-e2e-secret-123456');
    await page.click('button:has-text("Save")');
    await page.waitForSelector('td:has-text("gpt-e2e")');
    expect(await page.textContent('table')).toContain('sk-…56');
    await page.click('tr:has-text("gpt-e2e") button:has-text("Edit")');
    await page.fill('label:has-text("Timeout (ms)") input', '120000');
    await page.click('button:has-text("Save")');
    await page.waitForSelector('td:has-text("120000")');
    await page.click('tr:has-text("gpt-e2e") button:has-text("Test")');
    await page.waitForSelector('.test-result:has-text("200")');
    expect(mock.requests.at(-1)!.headers.authorization).toBe('Bearer sk-e2e-secret-123456');
    await shot('models');
  }, 30_000);

  test('prices: the form takes USD per million tokens (empty: the price list\'s), and each config shows its price and where it comes from', async () => {
    /** The lines of the model's price cell: the prices, then their source. */
    const priceCell = (model: string) => page.$$eval(`tr:has(td:text-is("${model}")) td[data-col="price"] span`, (spans) => spans.map((s) => s.textContent));
    // The mock's echo model is on no price list.
    expect(await priceCell('gpt-e2e')).toEqual(['not priced']);
    await app.addConfig({ proxyModelName: 'gpt-listed', baseUrl: mock.baseUrl, backendModelName: 'gpt-4o-mini' });
    const listed = (await app.gql('{ configs { proxyModelName price { input cachedInput output provider model } } }')).data.configs
      .find((c: { proxyModelName: string }) => c.proxyModelName === 'gpt-listed').price;
    expect(listed).toMatchObject({ input: 0.15, cachedInput: 0.075, output: 0.6 });
    await page.reload();
    await page.waitForSelector('td:text-is("gpt-listed")');
    expect(await priceCell('gpt-listed')).toEqual(['in $0.15 · cached $0.075 · out $0.60', `price list: ${listed.provider} ${listed.model}`]);

    const edit = async (prices: Record<string, string>) => {
      await page.click('tr:has(td:text-is("gpt-e2e")) button:has-text("Edit")');
      for (const [name, value] of Object.entries(prices)) await page.fill(`.drawer input[name=${name}]`, value);
      await page.click('.drawer button:has-text("Save")');
    };
    await edit({ inputPrice: '2.5', outputPrice: '-1' });
    expect(await page.textContent('.drawer .error')).toBe('Output: a price must be a number of US dollars of 0 or more (per million tokens), or empty.');
    await page.fill('.drawer input[name=outputPrice]', '10');
    await page.click('.drawer button:has-text("Save")');
    await page.waitForSelector('.drawer', { state: 'detached' });
    await page.waitForSelector('tr:has(td:text-is("gpt-e2e")) [data-source="CONFIG"]');
    expect(await priceCell('gpt-e2e')).toEqual(['in $2.50 · cached $2.50 · out $10.00', 'config']);
    const stored = (await app.gql('{ configs { proxyModelName inputPrice cachedInputPrice outputPrice } }')).data.configs
      .find((c: { proxyModelName: string }) => c.proxyModelName === 'gpt-e2e');
    expect(stored).toEqual({ proxyModelName: 'gpt-e2e', inputPrice: 2.5, cachedInputPrice: null, outputPrice: 10 });
    await shot('models-prices');
    // Emptied, the prices are cleared: back to the price list (which does not know echo).
    await edit({ inputPrice: '', outputPrice: '' });
    await page.waitForSelector('.drawer', { state: 'detached' });
    await page.waitForSelector('tr:has(td:text-is("gpt-e2e")) td[data-col="price"] span:text-is("not priced")');
    expect(await priceCell('gpt-e2e')).toEqual(['not priced']);
  }, 30_000);

  test('routing: weight and priority are set in the form (empty: the defaults), checked, and shown per config', async () => {
    type Routing = { proxyModelName: string; weight: number; priority: number; injectStreamUsage: boolean };
    const routing = async (model: string) => {
      const r = await app.gql<{ configs: Routing[] }>('{ configs { proxyModelName weight priority injectStreamUsage } }');
      return r.data!.configs.find((c) => c.proxyModelName === model);
    };
    const row = 'tr:has(td:text-is("gpt-e2e"))';
    expect(await routing('gpt-e2e')).toEqual({ proxyModelName: 'gpt-e2e', weight: 1, priority: 0, injectStreamUsage: true });
    expect([await page.textContent(`${row} td[data-col="priority"]`), await page.textContent(`${row} td[data-col="weight"]`)]).toEqual(['0', '1']);

    await page.click(`${row} button:has-text("Edit")`);
    expect(await page.inputValue('.drawer input[name=weight]')).toBe('1');
    expect(await page.inputValue('.drawer input[name=priority]')).toBe('0');
    expect(await page.isChecked('.drawer input[name=injectStreamUsage]')).toBe(true);
    await page.fill('.drawer input[name=weight]', '1001');
    await page.click('.drawer button:has-text("Save")');
    expect(await page.textContent('.drawer .error')).toBe('The weight must be a whole number from 0 to 1000, or empty for 1.');
    await page.fill('.drawer input[name=weight]', '3');
    await page.fill('.drawer input[name=priority]', '1.5');
    await page.click('.drawer button:has-text("Save")');
    expect(await page.textContent('.drawer .error')).toBe('The priority must be a whole number from -1000 to 1000, or empty for 0.');
    await page.fill('.drawer input[name=priority]', '-2');
    await page.uncheck('.drawer input[name=injectStreamUsage]');
    await screenshot(page, 'models-routing-form');
    await page.click('.drawer button:has-text("Save")');
    await page.waitForSelector('.drawer', { state: 'detached' });
    await page.waitForSelector(`${row} td[data-col="priority"]:text-is("-2")`);
    expect(await page.textContent(`${row} td[data-col="weight"]`)).toBe('3');
    expect(await routing('gpt-e2e')).toEqual({ proxyModelName: 'gpt-e2e', weight: 3, priority: -2, injectStreamUsage: false });

    // A second member of the group at the same priority: the weights share its requests. Weight 0 is the last resort.
    await page.click('button:has-text("Add model")');
    await page.fill('label:has-text("Proxy model name") input', 'gpt-e2e');
    await page.fill('label:has-text("Backend base URL") input', mock.baseUrl);
    await page.fill('label:has-text("Backend model") input', 'echo');
    expect([await page.inputValue('.drawer input[name=weight]'), await page.inputValue('.drawer input[name=priority]')]).toEqual(['', '']);
    expect(await page.isChecked('.drawer input[name=injectStreamUsage]')).toBe(true);
    await page.fill('.drawer input[name=weight]', '0');
    await page.fill('.drawer input[name=priority]', '-2');
    await page.click('.drawer button:has-text("Save")');
    await page.waitForSelector('.drawer', { state: 'detached' });
    await page.waitForSelector(`${row} td[data-col="weight"]:text-is("0 (last resort)")`);
    // Next to each other, as the server lists a group.
    const names = await page.$$eval('tbody tr td:first-child', (cells) => cells.map((c) => c.textContent));
    expect(names.filter((n) => n === 'gpt-e2e')).toHaveLength(2);
    expect(names.lastIndexOf('gpt-e2e') - names.indexOf('gpt-e2e')).toBe(1);
    expect(await page.getAttribute(`${row} td[data-col="weight"]:text-is("3")`, 'title')).toBe('100% of the requests of its group and priority');
    const created = (await app.gql<{ configs: (Routing & { id: string; baseUrl: string })[] }>('{ configs { id proxyModelName baseUrl weight priority injectStreamUsage } }'))
      .data!.configs.filter((c) => c.proxyModelName === 'gpt-e2e' && c.weight === 0);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ priority: -2, injectStreamUsage: true });

    // Emptied, weight and priority are back to their defaults.
    await page.click(`tr[data-config="${created[0]!.id}"] button:has-text("Edit")`);
    await page.fill('.drawer input[name=weight]', '');
    await page.fill('.drawer input[name=priority]', '');
    await page.click('.drawer button:has-text("Save")');
    await page.waitForSelector('.drawer', { state: 'detached' });
    await page.waitForSelector(`tr[data-config="${created[0]!.id}"] td[data-col="weight"]:text-is("1")`);
    expect(await page.textContent(`tr[data-config="${created[0]!.id}"] td[data-col="priority"]`)).toBe('0');
    page.once('dialog', (d) => void d.accept());
    await page.click(`tr[data-config="${created[0]!.id}"] button:has-text("Delete")`);
    await page.waitForSelector(`tr[data-config="${created[0]!.id}"]`, { state: 'detached' });
  }, 30_000);

  test('health: a config that real requests made fail cools down; its row says until when, how many failures and the last error', async () => {
    const { id } = await app.addConfig({ proxyModelName: 'gpt-down', baseUrl: mock.baseUrl, backendModelName: 'status:503' });
    const health = `tr[data-config="${id}"] td[data-col="health"] .health`;
    await page.reload();
    await page.waitForSelector(`${health}[data-state="HEALTHY"]`);
    expect(await page.textContent(health)).toBe('healthy');
    expect(await page.getAttribute(health, 'title')).toBeNull();

    // A lone config is tried twice per request: two requests are three failures in a row, which trip its breaker.
    for (let i = 0; i < 2; i++) expect((await chat({ baseUrl: app.baseUrl, model: 'gpt-down' })).status).toBe(503);
    // No reload: the page reads the breakers again by itself while it is open.
    await page.waitForSelector(`${health}[data-state="COOLING"]`, { timeout: 10_000 });
    const h = (await app.gql('query($id: ID!) { config(id: $id) { health { state consecutiveFailures lastError lastErrorAt cooldownUntil } } }', { id })).data.config.health;
    expect(h.state).toBe('COOLING');
    // The third trips it; the second request's own retry may still have gone out then.
    expect(h.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(h.lastError).toContain('503');
    const clock = await page.evaluate((iso: string) => new Date(iso).toLocaleTimeString(navigator.language, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }), h.cooldownUntil);
    expect(clock).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await page.textContent(`${health} .badge`)).toBe(`cooling until ${clock}`);
    expect(await page.textContent(`${health} .health-failures`)).toBe(`${h.consecutiveFailures} failures in a row`);
    expect(await page.getAttribute(health, 'title')).toStartWith(`${h.lastError} (`);
    // The others are not touched.
    expect(await page.getAttribute('tr:has(td:text-is("gpt-e2e")) .health', 'data-state')).toBe('HEALTHY');
    await shot('models-health');
  }, 30_000);

  test('logs: filter by status class, live entries, the detail of a stream, and logged markup stays text', async () => {
    await app.addConfig({ proxyModelName: 'ds', baseUrl: mock.baseUrl, backendModelName: 'fixture:deepseek-chat-reasoning' });
    const send = (body: unknown) =>
      fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
    await send({ model: 'gpt-e2e', messages: [{ role: 'user', content: '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>' }] });
    await send({ model: 'ds', stream: true, messages: [] });
    await send({ model: 'missing', messages: [] });
    await app.drain();

    await page.click('a:has-text("Logs")');
    await page.waitForSelector('table.logs tbody tr');
    await page.selectOption('label:has-text("Status") select', '4');
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 1);
    expect(page.url()).toContain('status=4');
    expect(await page.textContent('table.logs tbody')).toContain('404');
    await page.selectOption('label:has-text("Status") select', '');
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length >= 4);

    await page.check('label:has-text("Live") input');
    const before = await page.locator('table.logs tbody tr').count();
    await Bun.sleep(300);
    await send({ model: 'gpt-e2e', messages: [{ role: 'user', content: 'live' }] });
    await page.waitForFunction((n) => document.querySelectorAll('table.logs tbody tr').length === n + 1, before);

    await page.click('table.logs tbody tr:has-text("ds →")');
    await page.waitForSelector('.detail summary:has-text("Merged text")');
    expect(await page.textContent('.detail')).toContain('strawberry');
    await shot('log-detail-stream');
    await page.click('button:has-text("Close")');

    // Newest first: the live one, then the one with markup in its body.
    await page.click('table.logs tbody tr:has-text("gpt-e2e") >> nth=1');
    await page.waitForSelector('.detail .jv-string:has-text("onerror")');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await shot('log-detail-markup');
    await page.click('button:has-text("Close")');
    // Live off again: an open subscription keeps the page busy for the next steps.
    await page.uncheck('label:has-text("Live") input');
    await shot('logs');
  }, 30_000);

  test('a cut-short link with filters that do not parse still opens the Logs page', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.url}/logs?from=garbage&to=2026-13-45&status=9`);
    await page.waitForSelector('h1:has-text("Logs")');
    expect(await page.isVisible('nav.nav')).toBe(true);
    await page.waitForSelector('table, .empty');
    expect(errors).toEqual([]);
  });

  test('the narrow layout at 390 px still shows the navigation and the table', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.click('a:has-text("Models")');
    await page.waitForSelector('td:has-text("gpt-e2e")');
    expect(await page.isVisible('nav a:has-text("Logs")')).toBe(true);
    await shot('models-390');
  });
});
