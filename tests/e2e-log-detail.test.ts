/**
 * The log detail in headless Chromium against the real server and the mock upstream: the deep link
 * /logs?log=<id>, the JSON tree (folding, highlight classes, logged markup shown as text), streams
 * (merged text, assembled object, raw chunks paged), large entries, an entry that tried two backends
 * (the Retried filter, its ×2 badge, the attempt chain), and the GraphQL playground opened with the
 * admin token already in its headers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';
import { chromiumAvailable, launchChromium, screenshot, signIn } from './helpers/browser.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';
import { freePort } from './helpers/server-process.ts';

const available = chromiumAvailable('e2e-log-detail');

const MARKUP = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const MANY_CHUNKS = 3000;
const BIG_MESSAGES = 3000;

/** The detail's foldable section with this title. */
const block = (title: string) => `.detail details.block:has(> summary:has-text("${title}"))`;
/** The tree node (object or array) under this key, inside `scope`. */
const branch = (scope: string, key: string) => `${scope} .jv-branch:has(> .jv-line > .jv-key:text-is('"${key}"'))`;

describe.skipIf(!available)('log detail in Chromium', () => {
  const mock = startMockUpstream();
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};

  async function idOf(model: string): Promise<string> {
    const r = await app.gql<{ logs: { nodes: { id: string }[] } }>('query($f: LogFilter) { logs(filter: $f, first: 1) { nodes { id } } }', { f: { model } });
    const id = r.data?.logs.nodes[0]?.id;
    if (!id) throw new Error(`no log entry for ${model}: ${JSON.stringify(r)}`);
    return id;
  }

  const waitDetail = () => page.waitForSelector('.detail p.mono, .detail [role=alert]');
  /** Each test starts from the URL alone, as a shared link would. */
  const openLog = async (id: string) => {
    await page.goto(`${app.url}/logs?log=${id}`);
    await waitDetail();
  };
  const pwned = () => page.evaluate(() => (window as unknown as { __xss?: number }).__xss);

  beforeAll(async () => {
    app = await startApp();
    await app.addConfig({ proxyModelName: 'jv-echo', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    await app.addConfig({ proxyModelName: 'jv-ds', baseUrl: mock.baseUrl, backendModelName: 'fixture:deepseek-chat-reasoning' });
    await app.addConfig({ proxyModelName: 'jv-openai', baseUrl: mock.baseUrl, backendModelName: 'fixture:openai-chat-text' });
    await app.addConfig({ proxyModelName: 'jv-many', baseUrl: mock.baseUrl, backendModelName: `slow:${MANY_CHUNKS}:0` });
    await app.addConfig({ proxyModelName: 'jv-big', baseUrl: mock.baseUrl, backendModelName: 'echo' });

    expect((await chat({ baseUrl: app.baseUrl, model: 'jv-echo', content: MARKUP })).status).toBe(200);
    expect((await chat({ baseUrl: app.baseUrl, model: 'jv-ds', stream: true })).status).toBe(200);
    expect((await chat({ baseUrl: app.baseUrl, model: 'jv-openai', stream: true })).status).toBe(200);
    expect((await chat({ baseUrl: app.baseUrl, model: 'jv-many', stream: true })).status).toBe(200);
    // Close to the 1 MiB that the app logs of a body: 3000 messages of ~300 characters.
    const messages = Array.from({ length: BIG_MESSAGES }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `message ${i} ${'x'.repeat(280)}` }));
    const big = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'jv-big', messages }) });
    expect(big.status).toBe(200);
    await app.drain();
    for (const model of ['jv-echo', 'jv-ds', 'jv-openai', 'jv-many', 'jv-big']) ids[model] = await idOf(model);

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page = await context.newPage();
    await signIn(page, app.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    mock.stop();
  });

  test('opening /logs?log=<id> directly shows that entry, its body as a highlighted JSON tree', async () => {
    await openLog(ids['jv-echo']!);
    expect(await page.textContent('.detail h2')).toBe(ids['jv-echo']!);
    expect(await page.textContent('.detail p.mono')).toContain('POST /v1/chat/completions');

    const body = block('Request body');
    // Keys, strings, numbers and punctuation each carry their class.
    expect(await page.textContent(`${body} .jv-key >> nth=0`)).toBe('"model"');
    expect(await page.locator(`${body} .jv-string:text-is('"jv-echo"')`).count()).toBe(1);
    const response = block('Response body');
    expect(await page.locator(`${response} .jv-number`).count()).toBeGreaterThan(0);
    expect(await page.locator(`${response} .jv-string:has-text("echo:")`).count()).toBe(1);
    const colours = await page.evaluate(() => {
      const colour = (sel: string) => getComputedStyle(document.querySelector(`.detail ${sel}`)!).color;
      return [colour('.jv-key'), colour('.jv-string'), colour('.jv-number'), colour('.jv-punct')];
    });
    expect(new Set(colours).size).toBe(4);
  });

  test('a shared link opened before signing in shows the entry once signed in', async () => {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    try {
      const other = await fresh.newPage();
      await signIn(other, app.url, `/logs?log=${ids['jv-ds']}`);
      await other.waitForSelector('.detail p.mono');
      expect(await other.textContent('.detail h2')).toBe(ids['jv-ds']!);
      expect(new URL(other.url()).searchParams.get('log')).toBe(ids['jv-ds']!);
    } finally {
      await fresh.close();
    }
  });

  test('a node folds to a one-line summary and opens again', async () => {
    await openLog(ids['jv-echo']!);
    const messages = branch(block('Request body'), 'messages');
    const toggle = `${messages} > .jv-line > .jv-toggle`;
    expect(await page.getAttribute(toggle, 'aria-expanded')).toBe('true');
    expect(await page.isVisible(`${messages} .jv-key:text-is('"role"')`)).toBe(true);

    await page.click(toggle);
    expect(await page.getAttribute(toggle, 'aria-expanded')).toBe('false');
    expect(await page.textContent(`${messages} > .jv-line .jv-summary`)).toBe('[…]');
    expect(await page.textContent(`${messages} > .jv-line .jv-count`)).toBe('1 item');
    expect(await page.locator(`${messages} .jv-key:text-is('"role"')`).count()).toBe(0);

    // The summary itself opens the node too.
    await page.click(`${messages} > .jv-line .jv-summary`);
    expect(await page.getAttribute(toggle, 'aria-expanded')).toBe('true');
    expect(await page.isVisible(`${messages} .jv-key:text-is('"role"')`)).toBe(true);
  });

  test('markup in a logged body is shown as text and runs nothing', async () => {
    await openLog(ids['jv-echo']!);
    const content = `${block('Request body')} .jv-string:has-text("onerror")`;
    expect(await page.textContent(content)).toBe(JSON.stringify(MARKUP));
    expect(await page.locator('.detail img, .detail script').count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    // Opening every section (the headers too) still runs nothing.
    for (const title of ['Request headers', 'Response headers']) await page.click(`${block(title)} > summary`);
    await page.waitForSelector(`${block('Request headers')} .jv-key`);
    expect(await pwned()).toBeUndefined();
  });

  test('the copy buttons copy the exact JSON text, and curl without the key; a refused copy says so', async () => {
    await openLog(ids['jv-echo']!);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
    await page.click(`${block('Request body')} > summary button:has-text("Copy")`);
    expect(JSON.parse(await clipboard())).toEqual({ model: 'jv-echo', messages: [{ role: 'user', content: MARKUP }] });
    expect(await page.textContent(`${block('Request body')} > summary`)).toContain('Copied');

    await page.click('.detail button:has-text("Copy as curl")');
    const curl = await clipboard();
    expect(curl).toStartWith(`curl -X POST '${app.url}/v1/chat/completions'`);
    expect(curl).toContain("-H 'authorization: Bearer $OPENAI_API_KEY'");
    expect(curl).not.toContain(ADMIN_TOKEN);

    // Over plain http from another host there is no clipboard: the button says why instead of nothing.
    await context.clearPermissions();
    await page.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined }));
    await page.click(`${block('Response body')} > summary button:has-text("Copy")`);
    expect(await page.textContent(`${block('Response body')} > summary [role=alert]`)).toContain('Could not copy');
  });

  test('closing the detail removes `log` from the URL and keeps the filters; opening a row sets it', async () => {
    await page.goto(`${app.url}/logs?status=2&log=${ids['jv-echo']}`);
    await waitDetail();
    await page.click('.detail button:has-text("Close")');
    await page.waitForSelector('.detail', { state: 'detached' });
    const closed = new URL(page.url());
    expect(closed.searchParams.has('log')).toBe(false);
    expect(closed.searchParams.get('status')).toBe('2');

    await page.click('table.logs tbody tr:has-text("jv-ds")');
    await waitDetail();
    expect(new URL(page.url()).searchParams.get('log')).toBe(ids['jv-ds']!);
    // Escape closes it too, and the browser's Back opens it again.
    await page.keyboard.press('Escape');
    await page.waitForSelector('.detail', { state: 'detached' });
    expect(new URL(page.url()).searchParams.has('log')).toBe(false);
    await page.goBack();
    await waitDetail();
    expect(await page.textContent('.detail h2')).toBe(ids['jv-ds']!);
  });

  test('an id that does not exist says so in the detail panel', async () => {
    await page.goto(`${app.url}/logs?log=no-such-entry-42`);
    await page.waitForSelector('.detail .not-found');
    expect(await page.textContent('.detail .not-found')).toContain('There is no log entry no-such-entry-42');
    await page.click('.detail button:has-text("Close")');
    expect(new URL(page.url()).searchParams.has('log')).toBe(false);
  });

  test("a stream's detail shows the merged text, the assembled object and the raw chunks, each a folded line", async () => {
    await openLog(ids['jv-ds']!);
    expect(await page.textContent(`${block('Merged text')} pre`)).toContain('strawberry');
    const assembled = block('Assembled response');
    expect(await page.locator(`${assembled} .jv-string:text-is('"chat.completion"')`).count()).toBe(1);
    expect(await page.locator(branch(assembled, 'choices')).count()).toBe(1);

    const chunks = block('Raw chunks');
    const count = Number((await page.textContent(`${chunks} > summary`))!.match(/\((\d+)\)/)![1]);
    expect(count).toBeGreaterThan(100);
    await page.click(`${chunks} > summary`);
    const lines = page.locator(`${chunks} .chunks > .json-view`);
    await lines.first().waitFor();
    expect(await lines.count()).toBe(100);
    expect(await lines.first().locator('.jv-toggle').getAttribute('aria-expanded')).toBe('false');
    expect(await lines.first().locator('.jv-preview').textContent()).toContain('chat.completion.chunk');
    // Open the second chunk: its delta is there as a tree.
    await lines.nth(1).locator('.jv-toggle').first().click();
    await lines.nth(1).locator(`.jv-key:text-is('"reasoning_content"')`).waitFor();
    await page.click(`${chunks} button:has-text("Show more chunks")`);
    expect(await lines.count()).toBe(Math.min(200, count));
    await page.locator(`${chunks} > summary`).scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('.drawer .card')!.scrollTo(0, 0));
    await screenshot(page, 'log-detail');
  });

  test(`a stream of ${MANY_CHUNKS} chunks opens quickly and pages its chunks 100 at a time`, async () => {
    const started = performance.now();
    await page.goto(`${app.url}/logs?log=${ids['jv-many']}`);
    await waitDetail();
    const chunks = block('Raw chunks');
    expect(await page.textContent(`${chunks} > summary`)).toContain(`(${MANY_CHUNKS})`);
    await page.click(`${chunks} > summary`);
    await page.locator(`${chunks} .chunks > .json-view`).nth(99).waitFor();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await page.locator(`${chunks} .chunks > .json-view`).count()).toBe(100);
    expect(await page.textContent(`${block('Merged text')} pre`)).toContain(`t${MANY_CHUNKS - 1} `);
  }, 20_000);

  test('a request body of about 1 MB opens quickly: large nodes start folded and open 500 children at a time', async () => {
    const started = performance.now();
    await page.goto(`${app.url}/logs?log=${ids['jv-big']}`);
    await waitDetail();
    const messages = branch(block('Request body'), 'messages');
    await page.waitForSelector(`${messages} > .jv-line .jv-count`);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await page.textContent(`${messages} > .jv-line .jv-count`)).toBe(`${BIG_MESSAGES.toLocaleString('en')} items`);
    expect(await page.locator('.detail .jv-line').count()).toBeLessThan(100);

    const opened = performance.now();
    await page.click(`${messages} > .jv-line .jv-toggle`);
    const items = page.locator(`${messages} > .jv-children > .jv-branch`);
    await items.nth(499).waitFor();
    expect(performance.now() - opened).toBeLessThan(3_000);
    expect(await items.count()).toBe(500);
    // Each item of so long a list is one folded line with a preview.
    expect(await items.nth(7).locator('.jv-toggle').getAttribute('aria-expanded')).toBe('false');
    expect(await items.nth(7).locator('.jv-preview').textContent()).toStartWith('{"role":"assistant","content":"message 7 xxx');
    await page.click(`${messages} > .jv-children > .jv-link`);
    expect(await items.count()).toBe(1000);
  }, 20_000);

  test('an entry that tried two backends: the Retried filter (kept in the URL), its ×2 badge, and the attempt chain in the detail', async () => {
    // Priority 0 first: a port nothing listens on; then the healthy member at priority 1 answers.
    const closed = `http://127.0.0.1:${freePort()}/v1`;
    await app.addConfig({ proxyModelName: 'jv-retry', baseUrl: closed, backendModelName: 'echo', priority: 0 });
    await app.addConfig({ proxyModelName: 'jv-retry', baseUrl: mock.baseUrl, backendModelName: 'echo', priority: 1 });
    const answer = await chat({ baseUrl: app.baseUrl, model: 'jv-retry' });
    expect(answer.status).toBe(200);
    await app.drain();
    const id = await idOf('jv-retry');

    const rows = 'table.logs tbody tr';
    const retriedSelect = '.filters select[name=retried]';
    await page.goto(`${app.url}/logs`);
    await page.waitForSelector(rows);
    // In the list, only that entry has a badge, and it says how many backends were tried.
    expect(await page.$$eval('table.logs [data-attempts]', (badges) => badges.map((b) => b.textContent))).toEqual(['×2 attempts']);
    expect(await page.textContent(`${rows}:has([data-attempts])`)).toContain('jv-retry');

    await page.selectOption(retriedSelect, 'true');
    await page.waitForFunction((s) => document.querySelectorAll(s).length === 1, rows);
    expect(new URL(page.url()).searchParams.get('retried')).toBe('true');
    expect(await page.textContent(rows)).toContain('jv-retry');
    await screenshot(page, 'logs-retried');

    await page.selectOption(retriedSelect, 'false');
    const others = (await app.gql('{ logs(filter: { retried: false }) { totalCount } }')).data.logs.totalCount;
    await page.waitForFunction(([s, n]) => document.querySelectorAll(s as string).length === n, [rows, Math.min(20, others)] as const);
    expect(new URL(page.url()).searchParams.get('retried')).toBe('false');
    expect(await page.$('table.logs [data-attempts]')).toBeNull();
    expect(await page.textContent('table.logs tbody')).not.toContain('jv-retry');

    // Read back from the URL; the detail opens from the filtered list.
    await page.goto(`${app.url}/logs?retried=true`);
    await page.waitForFunction((s) => document.querySelectorAll(s).length === 1, rows);
    expect(await page.inputValue(retriedSelect)).toBe('true');
    await page.click(rows);
    await waitDetail();
    expect(new URL(page.url()).searchParams.get('log')).toBe(id);

    const attempts = '.detail .attempts tbody tr';
    expect(await page.textContent('.detail .attempts h3')).toBe('Attempts (2)');
    expect(await page.locator(attempts).count()).toBe(2);
    const cell = (n: number, col: string) => page.textContent(`${attempts}[data-attempt="${n}"] td[data-col="${col}"]`);
    expect(await cell(1, 'status')).toBe('no answer');
    expect(await cell(1, 'error')).toContain('Backend unreachable');
    expect(await cell(1, 'upstreamUrl')).toBe(`${closed}/chat/completions`);
    expect(await cell(1, 'backendModel')).toBe('echo');
    expect(await cell(1, 'duration')).toMatch(/^\d+ ms$/);
    // The last one answered the client: its figures are the entry's.
    expect(await cell(2, 'status')).toBe('200');
    expect(await cell(2, 'error')).toBe('–');
    expect(await cell(2, 'upstreamUrl')).toBe(`${mock.baseUrl}/chat/completions`);
    expect(await page.getAttribute(`${attempts}[data-attempt="2"]`, 'data-answered')).toBe('');
    expect(await page.getAttribute(`${attempts}[data-attempt="1"]`, 'data-answered')).toBeNull();
    await page.locator('.detail .attempts').scrollIntoViewIfNeeded();
    await screenshot(page, 'log-detail-attempts');

    // One attempt: no chain.
    await openLog(ids['jv-echo']!);
    expect(await page.locator('.detail .attempts').count()).toBe(0);
  }, 30_000);

  test('a string over 500 characters is cut until "show all"', async () => {
    const long = 'y'.repeat(1200);
    expect((await chat({ baseUrl: app.baseUrl, model: 'jv-echo', content: long, userAgent: 'long-string' })).status).toBe(200);
    await app.drain();
    await openLog(await idOf('jv-echo'));
    const string = `${block('Request body')} .jv-string:has-text("yyy")`;
    expect((await page.textContent(string))!.length).toBeLessThan(520);
    await page.click(`${block('Request body')} button:has-text("show all 1,200 characters")`);
    expect(await page.textContent(string)).toBe(JSON.stringify(long));
  });

  test('the playground opens from the navigation signed in by the session, and a query works without typing a token', async () => {
    await page.goto(`${app.url}/`);
    await page.waitForSelector('nav.nav');
    const [graphiql] = await Promise.all([context.waitForEvent('page'), page.click('nav a:has-text("GraphQL playground")')]);
    await graphiql.waitForSelector('.graphiql-editor-tool', { timeout: 20_000 });
    expect(new URL(graphiql.url()).search).toBe('');
    const headers = await editorText(graphiql, '.graphiql-editor-tool');
    expect(headers).toContain('"x-lite-proxy-csrf": "1"');
    expect(headers).not.toContain(ADMIN_TOKEN);

    await graphiql.goto(`${app.url}/graphql?query=${encodeURIComponent('{ health { status } }')}`);
    const response = await runInGraphiQL(graphiql);
    expect(JSON.parse(response)).toEqual({ data: { health: { status: 'ok' } } });
    // The token is nowhere a script could read it: not in storage, not in a readable cookie.
    const readable = await graphiql.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie }));
    expect(readable).not.toContain(ADMIN_TOKEN);
    expect(JSON.parse(readable).cookies).toBe('');
    await graphiql.close();
  }, 40_000);

  test('without a signed-in admin the playground still opens, and a query gets the 401 message', async () => {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    try {
      const graphiql = await fresh.newPage();
      await graphiql.goto(`${app.url}/graphql?query=${encodeURIComponent('{ health { status } }')}`);
      await graphiql.waitForSelector('.graphiql-editor-tool', { timeout: 20_000 });
      expect(await editorText(graphiql, '.graphiql-editor-tool')).not.toContain('Bearer');
      const response = await runInGraphiQL(graphiql);
      expect(response).toContain('Missing or wrong admin token');
      expect(response).not.toContain('"status": "ok"');
    } finally {
      await fresh.close();
    }
  }, 40_000);
});

/** The text of a Monaco editor, which draws spaces as non-breaking ones. */
async function editorText(graphiql: Page, selector: string): Promise<string> {
  return ((await graphiql.textContent(selector)) ?? '').replaceAll('\u00a0', ' ');
}

/** Runs the query in the editor and returns the response pane's text once it has one. */
async function runInGraphiQL(graphiql: Page): Promise<string> {
  await graphiql.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
  await graphiql.click('.graphiql-execute-button');
  const pane = await graphiql.waitForFunction(() => {
    const text = document.querySelector('.graphiql-response .view-lines')?.textContent ?? '';
    return text.includes('}') ? text : null;
  }, null, { timeout: 10_000 });
  return ((await pane.jsonValue()) as string).replaceAll('\u00a0', ' ');
}
