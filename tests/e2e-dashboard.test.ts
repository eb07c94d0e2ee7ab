/**
 * The Dashboard page in headless Chromium against the real server and the mock upstream: the
 * figures of traffic sent before opening it, live updates without a reload, the window switch,
 * the chart's keyboard tooltip, the narrow layout, readable errors, the spend and the by-key table
 * (empty while no key sends traffic) and the empty state.
 * Screenshots (dashboard.png, dashboard-narrow.png) go to test-output/screenshots for a reviewer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import type { LogRow } from '../server/store/types.ts';
import { startApp, type TestApp } from './helpers/app.ts';
import { chromiumAvailable, launchChromium, screenshot, signIn } from './helpers/browser.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const available = chromiumAvailable('e2e-dashboard');

const cardValue = (card: string) => `[data-card="${card}"] .dash-metric-value`;

/** Waits until the card's (first) figure reads `text`: the page updates on its own, no reload. */
async function waitForCard(page: Page, card: string, text: string) {
  await page.waitForFunction(
    ([selector, expected]) => document.querySelector(selector!)?.textContent === expected,
    [cardValue(card), text],
    { timeout: 10_000 },
  );
}

const rowText = (page: Page, model: string) => page.textContent(`table.dash-models tbody tr[data-model="${model}"]`);

describe.skipIf(!available)('dashboard in Chromium', () => {
  const mock = startMockUpstream();
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: Error[] = [];
  const configIds: Record<string, string> = {};
  /** Requests in the last hour once the history is in. */
  let hourTotal = '';

  beforeAll(async () => {
    // With client keys (CLIENT_AUTH=auto: requests from this machine need none until a key exists), for the by-key table.
    app = await startApp({ clientAuth: 'auto' });
    configIds['gpt-dash'] = (await app.addConfig({ proxyModelName: 'gpt-dash', baseUrl: mock.baseUrl, backendModelName: 'echo' })).id;
    configIds['gpt-other'] = (await app.addConfig({ proxyModelName: 'gpt-other', baseUrl: mock.baseUrl, backendModelName: 'echo' })).id;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page.on('pageerror', (err) => pageErrors.push(err));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    mock.stop();
  });

  test('opens after login with the traffic sent before: totals, error rate, one row per model and "(unrouted)"', async () => {
    for (let i = 0; i < 3; i++) expect((await chat({ baseUrl: app.baseUrl, model: 'gpt-dash' })).status).toBe(200);
    // The same model's backend now fails: 3 OK + 1 server error on one model.
    const r = await app.gql('mutation($id: ID!) { updateConfig(id: $id, input: { backendModelName: "status:500" }) { id } }', { id: configIds['gpt-dash'] });
    expect(r.errors).toBeUndefined();
    expect((await chat({ baseUrl: app.baseUrl, model: 'gpt-dash' })).status).toBe(500);
    // No config routes this one: a client error, shown as "(unrouted)".
    expect((await chat({ baseUrl: app.baseUrl, model: 'no-such-model' })).status).toBe(404);
    await app.drain();

    await signIn(page, app.url);
    await page.waitForSelector('h1:has-text("Dashboard")');
    await waitForCard(page, 'requests', '5');
    expect(await page.textContent(cardValue('errors'))).toBe('40%');
    expect(await page.textContent('[data-card="errors"] .dash-card-foot')).toBe('4xx: 1 · 5xx: 1');
    expect(await page.textContent('[data-card="tokens"]')).toContain('15'); // 3 × 5 prompt tokens
    expect(await page.textContent('[data-card="tokens"]')).toContain('21'); // 3 × 7 completion tokens
    expect(await page.textContent('[data-card="duration"] .dash-metric-value')).toMatch(/\d+ ms|\d s/);

    const models = await page.$$eval('table.dash-models tbody tr', (rows) => rows.map((r) => r.getAttribute('data-model')));
    expect(models).toEqual(['gpt-dash', '']); // most requests first
    const dash = (await rowText(page, 'gpt-dash'))!;
    expect(dash).toContain('4');
    expect(dash).toContain('25%');
    const unrouted = (await rowText(page, ''))!;
    expect(unrouted).toContain('(unrouted)');
    expect(unrouted).toContain('100%');
    expect(await page.getAttribute('.dash-chart svg', 'role')).toBe('img');
    expect(await page.getAttribute('.dash-chart svg', 'aria-label')).toContain('5 requests, 2 errors');
    // The echo backend is on no price list, and no key sent anything yet.
    expect(await page.textContent(cardValue('spend'))).toBe('$0.00');
    expect(await page.textContent('[data-panel="keys"] .dash-keys-empty')).toBe('No client key sent requests in the last hour.');
    expect(await page.$('table.dash-keys')).toBeNull();
  }, 30_000);

  test('the figures move live when more requests arrive, without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await page.waitForSelector('.dash-live'); // subscribed
    await Bun.sleep(300);
    for (let i = 0; i < 2; i++) expect((await chat({ baseUrl: app.baseUrl, model: 'gpt-other' })).status).toBe(200);
    await waitForCard(page, 'requests', '7');
    await page.waitForSelector('table.dash-models tbody tr[data-model="gpt-other"]');
    expect(await rowText(page, 'gpt-other')).toContain('0%');
    expect(await page.textContent(cardValue('errors'))).toBe('28.6%');
    // A burst is throttled to about a query per second, and its last request is always counted.
    for (let i = 0; i < 5; i++) void chat({ baseUrl: app.baseUrl, model: 'gpt-other' });
    await waitForCard(page, 'requests', '12');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  }, 30_000);

  test('switching to 24 h and 7 d keeps the totals and puts the window in the URL', async () => {
    for (const [label, key] of [['24 h', '24h'], ['7 d', '7d'], ['1 h', '1h']] as const) {
      await page.click(`.dash-windows button:has-text("${label}")`);
      await page.waitForSelector(`section.dash[data-loaded-window="${key}"]`);
      expect(new URL(page.url()).searchParams.get('window')).toBe(key);
      expect(await page.getAttribute(`.dash-windows button:has-text("${label}")`, 'aria-pressed')).toBe('true');
      expect(await page.textContent(cardValue('requests'))).toBe('12');
      expect(await page.textContent(cardValue('errors'))).toBe('16.7%');
      expect(await page.textContent('.dash-panel-head h2')).toContain(key === '1h' ? 'per minute' : 'per hour');
    }
    // The window is read back from the URL when the page opens there.
    await page.goto(`${app.url}/?window=7d`);
    await page.waitForSelector('section.dash[data-loaded-window="7d"]');
    await waitForCard(page, 'requests', '12');
    await page.click('.dash-windows button:has-text("1 h")');
    await page.waitForSelector('section.dash[data-loaded-window="1h"]');
  }, 30_000);

  test('the chart has a tooltip for the keyboard and the pointer', async () => {
    await page.focus('.dash-chart svg');
    const tip = await page.waitForSelector('.dash-tip');
    expect(await tip.textContent()).toMatch(/Requests: \d+/);
    expect(await tip.textContent()).toContain('Errors:');
    await page.keyboard.press('Home');
    expect(await page.textContent('.dash-tip')).toContain('Requests: 0');
    await page.keyboard.press('Escape');
    expect(await page.$('.dash-tip')).toBeNull();
  });

  test('an hour of history on two models fills the chart (dashboard.png)', async () => {
    // Older entries go through the real recorder, so rollups and the live tail see them as traffic.
    const now = Date.now();
    const rows: LogRow[] = [];
    for (let minute = 58; minute >= 1; minute--) {
      const wave = Math.round(6 + 5 * Math.sin(minute / 6) + (minute % 7 === 0 ? 6 : 0));
      for (let i = 0; i < wave; i++) {
        const model = i % 3 === 0 ? 'gpt-other' : 'gpt-dash';
        const failed = (minute % 11 === 0 && i < 3) || (minute % 5 === 0 && i === 0);
        rows.push(logRow({ at: now - minute * 60_000 + i * 500, model, configId: configIds[model]!, status: failed ? (i === 0 ? 502 : 429) : 200, durationMs: 180 + ((minute * 37 + i * 91) % 900) }));
      }
    }
    for (const row of rows) app.recorder.record(row);
    await app.drain();
    hourTotal = new Intl.NumberFormat('en-US').format(12 + rows.length);
    await waitForCard(page, 'requests', hourTotal);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const box = (await page.$('.dash-chart svg'))!;
    const rect = (await box.boundingBox())!;
    await page.mouse.move(rect.x + rect.width * 0.62, rect.y + rect.height / 2);
    await page.waitForSelector('.dash-tip');
    await screenshot(page, 'dashboard');
    await page.mouse.move(0, 0);
  }, 30_000);

  test('at 390 px the cards and the table fit without horizontal page scrolling (dashboard-narrow.png)', async () => {
    await page.setViewportSize({ width: 390, height: 1200 });
    await page.waitForFunction(() => (document.querySelector('.dash-chart svg')?.clientWidth ?? 999) < 390);
    for (const card of ['requests', 'errors', 'tokens', 'spend', 'duration', 'ttft']) expect(await page.isVisible(`[data-card="${card}"]`)).toBe(true);
    expect(await page.isVisible('table.dash-models')).toBe(true);
    expect(await page.isVisible('[data-panel="keys"]')).toBe(true);
    expect(await page.isVisible('.dash-chart svg')).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'dashboard-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('in Chinese and in the dark every string is translated (dashboard-dark-zh.png)', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.selectOption('nav select', 'zh');
    await page.waitForSelector('h1:has-text("仪表盘")');
    expect(await rowText(page, '')).toContain('（未路由）');
    expect(await page.textContent('.dash-panel-head h2')).toBe('请求数（每分钟）');
    expect(await page.textContent('section.dash')).not.toContain('dashboard.');
    await screenshot(page, 'dashboard-dark-zh');
    await page.selectOption('nav select', 'en');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForSelector('h1:has-text("Dashboard")');
  });

  test('a failing stats query is shown as a readable message', async () => {
    const isGraphql = (url: URL) => url.pathname === '/graphql';
    await page.route(isGraphql, async (route) => {
      // urql sends short queries as GET, so the operation's name is in the URL or in the body.
      const request = `${route.request().url()} ${route.request().postData() ?? ''}`;
      if (!request.includes('DashboardStats')) return route.fallback();
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ data: null, errors: [{ message: 'That window holds 9999 buckets' }] }) });
    });
    await page.click('.dash-windows button:has-text("24 h")');
    expect(await (await page.waitForSelector('.dash-alert[role=alert]')).textContent()).toBe('The statistics could not be loaded: That window holds 9999 buckets');
    await page.unroute(isGraphql);
    await page.click('.dash-windows button:has-text("1 h")');
    await page.waitForSelector('section.dash[data-loaded-window="1h"]');
    await page.waitForSelector('.dash-alert[role=alert]', { state: 'detached' });
  }, 30_000);

  test('live updates that cannot connect say so, and the figures stay', async () => {
    const isTick = (url: URL) => url.pathname === '/graphql';
    await page.route(isTick, async (route) => {
      const request = `${route.request().url()} ${route.request().postData() ?? ''}`;
      if (!request.includes('DashboardTick')) return route.fallback();
      await route.abort('connectionrefused');
    });
    // Leave and come back (client-side navigation) so the page subscribes again.
    await page.click('nav a:has-text("Models")');
    await page.waitForSelector('h1:has-text("Models")');
    await page.click('nav a:has-text("Dashboard")');
    const notice = await page.waitForSelector('.dash-alert[role=status]');
    expect(await notice.textContent()).toStartWith('Live updates stopped (');
    expect(await page.textContent('.dash-live')).toBe('Live updates paused');
    await waitForCard(page, 'requests', hourTotal);
    await page.unroute(isTick);
    await page.click('nav a:has-text("Models")');
    await page.click('nav a:has-text("Dashboard")');
    await page.waitForSelector('.dash-live:has-text("Live")');
    expect(await page.$('.dash-alert[role=status]')).toBeNull();
  }, 30_000);

  test('the spend and the by-key table: each key\'s requests, errors, tokens and cost, most requests first', async () => {
    const key = async (name: string) => {
      const r = await app.gql<{ createApiKey: { key: { id: string } } }>(
        'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key { id } } }',
        { i: { name } },
      );
      expect(r.errors).toBeUndefined();
      return r.data!.createApiKey.key.id;
    };
    const teamA = await key('team-a');
    const teamB = await key('team-b');
    // Entries keep the id of a key deleted since: the table names it by its id.
    const gone = '0190aaaa-bbbb-7ccc-8ddd-000000000001';
    const now = Date.now();
    const rows: LogRow[] = [];
    const add = (n: number, opts: { apiKeyId: string; apiKeyName: string; costUsd: number | null; status?: number }) => {
      for (let i = 0; i < n; i++) {
        const at = now - 20_000 - rows.length * 100;
        rows.push(logRow({ ...opts, at, model: 'gpt-dash', configId: configIds['gpt-dash']!, status: opts.status ?? 200, durationMs: 300 }));
      }
    };
    add(2, { apiKeyId: teamA, apiKeyName: 'team-a', costUsd: 0.25 });
    add(1, { apiKeyId: teamA, apiKeyName: 'team-a', costUsd: null, status: 500 });
    add(5, { apiKeyId: teamB, apiKeyName: 'team-b', costUsd: 0.5 });
    add(1, { apiKeyId: gone, apiKeyName: 'old-key', costUsd: 1.2 });
    for (const row of rows) app.recorder.record(row);
    await app.drain();

    // $0.50 + $2.50 + $1.20, on top of the unpriced traffic before.
    await waitForCard(page, 'spend', '$4.20');
    await page.waitForSelector('table.dash-keys tbody tr >> nth=2');
    expect(await page.$$eval('table.dash-keys tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-key-id')))).toEqual([teamB, teamA, gone]);
    const cells = (id: string) => page.$$eval(`table.dash-keys tbody tr[data-key-id="${id}"] > *`, (tds) => tds.map((td) => td.textContent));
    // Key, requests, errors, tokens (120 in + 340 out for each answered entry), cost.
    expect(await cells(teamB)).toEqual(['team-b', '5', '0', '2,300', '$2.50']);
    expect(await cells(teamA)).toEqual(['team-a', '3', '1', '920', '$0.50']);
    expect(await cells(gone)).toEqual([gone, '1', '0', '460', '$1.20']);
    // Its errors in the danger colour.
    expect(await page.$(`table.dash-keys tr[data-key-id="${teamA}"] td.dash-bad`)).not.toBeNull();
    // The model's cost column holds them too.
    expect(await page.textContent('table.dash-models tr[data-model="gpt-dash"] td[data-col="cost"]')).toBe('$4.20');
    await page.locator('[data-panel="keys"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-keys');

    // A key's name opens its log entries.
    await page.click(`table.dash-keys a:has-text("team-a")`);
    await page.waitForURL(`${app.url}/logs?key=${teamA}`);
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 3);
    await page.click('nav a:has-text("Dashboard")');
    await page.waitForSelector('table.dash-keys');
  }, 30_000);

  test('a window without traffic shows the empty state with a way to send a request', async () => {
    const empty = await startApp();
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    other.on('pageerror', (err) => pageErrors.push(err));
    try {
      await signIn(other, empty.url);
      await other.waitForSelector('.dash-empty');
      expect(await other.textContent('.dash-empty h2')).toBe('No traffic in the last hour');
      expect(await other.textContent('.dash-empty pre')).toContain(`${empty.url}/v1/chat/completions`);
      expect(await other.textContent(cardValue('requests'))).toBe('0');
      expect(await other.$('table.dash-models')).toBeNull();
      await screenshot(other, 'dashboard-empty');
      await other.click('.dash-empty a:has-text("Chat page")');
      await other.waitForURL(`${empty.url}/chat`);
    } finally {
      await other.close();
      await empty.stop();
    }
  }, 30_000);

  test('no uncaught errors in the page', () => {
    expect(pageErrors.map(String)).toEqual([]);
  });
});

interface LogRowOptions {
  at: number;
  model: string;
  configId: string;
  status: number;
  durationMs: number;
  apiKeyId?: string;
  apiKeyName?: string;
  costUsd?: number | null;
}

function logRow(opts: LogRowOptions): LogRow {
  const ok = opts.status < 400;
  return {
    id: Bun.randomUUIDv7('hex', opts.at), timestamp: new Date(opts.at), method: 'POST', path: '/v1/chat/completions',
    model: opts.model, backendModel: 'echo', configId: opts.configId, upstreamUrl: null, statusCode: opts.status,
    stream: false, durationMs: opts.durationMs, ttftMs: Math.round(opts.durationMs * 0.4),
    promptTokens: ok ? 120 : null, completionTokens: ok ? 340 : null, totalTokens: ok ? 460 : null,
    error: ok ? null : `upstream answered ${opts.status}`, clientIp: '127.0.0.1', userAgent: 'e2e-dashboard history',
    apiKeyId: opts.apiKeyId ?? null, apiKeyName: opts.apiKeyName ?? null, costUsd: opts.costUsd ?? null, attemptCount: null, usageEstimated: null,
    requestHeaders: {}, requestBody: null, responseHeaders: {}, responseBody: null, streamContent: null, chunks: null, attempts: null,
  };
}
