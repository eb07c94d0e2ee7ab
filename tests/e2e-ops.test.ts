/**
 * The admin's operations in headless Chromium against the real server and the mock upstream:
 * exporting models (with and without keys) and importing a file on the Models page, downloading
 * and deleting the log entries that match the filters on the Logs page, and the store panel on the
 * Dashboard. Screenshots (models-import.png, models-import-result.png, dashboard-store.png and
 * the 390 px dark ones) go to test-output/screenshots for a reviewer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Download, Page } from 'playwright-core';
import { startApp, type TestApp } from './helpers/app.ts';
import { chromiumAvailable, launchChromium, screenshot, signIn } from './helpers/browser.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const available = chromiumAvailable('e2e-ops');

const SECRET = 'sk-ops-secret-0123456789';

interface ExportedConfig {
  proxyModelName: string;
  baseUrl: string;
  backendModelName: string;
  apiKey?: string | null;
}
interface ConfigDocument {
  format: string;
  version: number;
  exportedAt: string;
  configs: ExportedConfig[];
}

/** Clicks and waits for the download it starts, then reads the file as text. */
async function downloadBy(page: Page, click: () => Promise<void>): Promise<{ download: Download; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), click()]);
  expect(await download.failure()).toBeNull();
  const text = await Bun.file((await download.path())!).text();
  return { download, text };
}

/** Minimal RFC 4180 reading: the test's rows hold no quotes or line breaks inside cells. */
const csvRows = (text: string) => text.split('\r\n').filter((line) => line !== '').map((line) => line.split(','));

describe.skipIf(!available)('operations in Chromium', () => {
  const mock = startMockUpstream();
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: Error[] = [];

  const configNames = async () => {
    const r = await app.gql<{ configs: { proxyModelName: string; backendModelName: string }[] }>('{ configs { proxyModelName backendModelName } }');
    return r.data!.configs.map((c) => `${c.proxyModelName}=${c.backendModelName}`).sort();
  };

  beforeAll(async () => {
    app = await startApp();
    await app.addConfig({ proxyModelName: 'ops-a', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: SECRET });
    await app.addConfig({ proxyModelName: 'ops-fail', baseUrl: mock.baseUrl, backendModelName: 'status:500' });
    // Traffic for the Logs page: three 2xx, two 5xx, one 4xx.
    for (let i = 0; i < 3; i++) expect((await chat({ baseUrl: app.baseUrl, model: 'ops-a' })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await chat({ baseUrl: app.baseUrl, model: 'ops-fail' })).status).toBe(500);
    expect((await chat({ baseUrl: app.baseUrl, model: 'ops-missing' })).status).toBe(404);
    await app.drain();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US', acceptDownloads: true });
    page.on('pageerror', (err) => pageErrors.push(err));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    mock.stop();
  });

  test('Export downloads every model as a JSON document without keys', async () => {
    await signIn(page, app.url, '/models');
    await page.waitForSelector('td:has-text("ops-fail")');
    const { download, text } = await downloadBy(page, () => page.click('button:text-is("Export")'));
    expect(download.suggestedFilename()).toMatch(/^lite-proxy-models-\d{4}-\d{2}-\d{2}\.json$/);
    const doc = JSON.parse(text) as ConfigDocument;
    expect(doc.format).toBe('lite-proxy-configs');
    expect(doc.version).toBe(1);
    expect(doc.configs.map((c) => c.proxyModelName).sort()).toEqual(['ops-a', 'ops-fail']);
    for (const c of doc.configs) expect('apiKey' in c).toBe(false);
    expect(text).not.toContain(SECRET);
  }, 30_000);

  test('Export with keys asks first; declined nothing is saved, confirmed the keys are in the file', async () => {
    let question = '';
    page.once('dialog', (d) => {
      question = d.message();
      void d.dismiss();
    });
    let downloaded = false;
    const onDownload = () => (downloaded = true);
    page.on('download', onDownload);
    await page.click('button:text-is("Export with keys")');
    await Bun.sleep(500);
    page.off('download', onDownload);
    expect(question).toContain('API keys in clear text');
    expect(downloaded).toBe(false);

    page.once('dialog', (d) => void d.accept());
    const { text } = await downloadBy(page, () => page.click('button:text-is("Export with keys")'));
    const doc = JSON.parse(text) as ConfigDocument;
    const byName = Object.fromEntries(doc.configs.map((c) => [c.proxyModelName, c]));
    expect(byName['ops-a']!.apiKey).toBe(SECRET);
    expect(byName['ops-fail']!.apiKey).toBeNull();
  }, 30_000);

  test('Import: a file with one new and one changed model is confirmed, reported and shown in the table', async () => {
    const before = await configNames();
    const doc: ConfigDocument = {
      format: 'lite-proxy-configs',
      version: 1,
      exportedAt: new Date().toISOString(),
      configs: [
        { proxyModelName: 'ops-a', baseUrl: mock.baseUrl, backendModelName: 'echo-v2' },
        { proxyModelName: 'ops-new', baseUrl: mock.baseUrl, backendModelName: 'echo' },
      ],
    };
    await page.setInputFiles('input[type=file]', { name: 'models.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    const dialog = await page.waitForSelector('.modal[role=dialog]');
    expect(await dialog.textContent()).toContain('models.json');
    expect(await dialog.textContent()).toContain('The file holds 2 models.');
    expect(await page.isChecked('.modal label:has-text("Replace: delete models not in the file") input')).toBe(false);
    // Nothing happens before the confirmation.
    expect(await configNames()).toEqual(before);
    await screenshot(page, 'models-import');

    await page.click('.modal button[type=submit]');
    const result = await page.waitForSelector('.import-result');
    expect(await result.textContent()).toBe('Imported: 1 created, 1 updated, 0 unchanged, 0 deleted.');
    expect(await page.$('.modal')).toBeNull();
    await page.waitForSelector('td:has-text("ops-new")');
    expect(await page.textContent('tr[data-config]:has-text("ops-a")')).toContain('echo-v2');
    // A file without keys keeps the stored key.
    expect(await page.textContent('tr[data-config]:has-text("ops-a")')).toContain('sk-…89');
    expect(await configNames()).toEqual(['ops-a=echo-v2', 'ops-fail=status:500', 'ops-new=echo']);
    await screenshot(page, 'models-import-result');
  }, 30_000);

  test('Import: a file that is not JSON, and a document the server refuses, change nothing and say why', async () => {
    const before = await configNames();
    await page.setInputFiles('input[type=file]', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "lite-proxy-configs",') });
    const parseError = await page.waitForSelector('p.error[role=alert]');
    expect(await parseError.textContent()).toStartWith('broken.json is not a JSON file: ');
    expect(await page.$('.modal')).toBeNull();

    const doc: ConfigDocument = {
      format: 'lite-proxy-configs',
      version: 1,
      exportedAt: new Date().toISOString(),
      configs: [
        { proxyModelName: 'ops-never', baseUrl: mock.baseUrl, backendModelName: 'echo' },
        { proxyModelName: 'ops-bad', baseUrl: 'ftp://nowhere', backendModelName: 'echo' },
      ],
    };
    await page.setInputFiles('input[type=file]', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    await page.waitForSelector('.modal[role=dialog]');
    // The earlier message goes once another file is read.
    expect(await page.$('section > p.error[role=alert]')).toBeNull();
    // Even with Replace, a refused document deletes nothing.
    await page.check('.modal label:has-text("Replace") input');
    expect(await page.textContent('.modal .warning')).toContain('will be deleted');
    await page.click('.modal button[type=submit]');
    const refused = await page.waitForSelector('.modal p.error[role=alert]');
    const message = (await refused.textContent())!;
    expect(message).toStartWith('Nothing was imported: ');
    expect(message).toContain('configs[1].baseUrl');
    await page.click('.modal button:has-text("Cancel")');
    expect(await page.$('.modal')).toBeNull();
    expect(await configNames()).toEqual(before);
    expect(await page.textContent('table')).not.toContain('ops-never');
  }, 30_000);

  test('Logs: Delete is disabled without a filter, with a tooltip that says why', async () => {
    await page.click('nav a:has-text("Logs")');
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 6);
    expect(await page.isDisabled('button:has-text("Delete matching")')).toBe(true);
    expect(await page.getAttribute('.log-delete', 'title')).toContain('Set at least one filter');
  }, 30_000);

  test('Logs: Download CSV and Download JSONL give only the entries matching the filter (5xx)', async () => {
    await page.selectOption('label:has-text("Status") select', '5');
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 2);

    const csv = await downloadBy(page, () => page.click('button:has-text("Download CSV")'));
    expect(csv.download.suggestedFilename()).toMatch(/^lite-proxy-logs-\d{4}-\d{2}-\d{2}\.csv$/);
    const [header, ...rows] = csvRows(csv.text);
    const status = header!.indexOf('statusCode');
    const model = header!.indexOf('model');
    expect(status).toBeGreaterThanOrEqual(0);
    expect(rows.length).toBe(2);
    for (const row of rows) {
      expect(row[status]).toBe('500');
      expect(row[model]).toBe('ops-fail');
    }

    const jsonl = await downloadBy(page, () => page.click('button:has-text("Download JSONL")'));
    expect(jsonl.download.suggestedFilename()).toMatch(/\.jsonl$/);
    const entries = jsonl.text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { statusCode: number; model: string; requestBody: unknown });
    expect(entries.length).toBe(2);
    for (const e of entries) {
      expect(e.statusCode).toBe(500);
      expect(e.model).toBe('ops-fail');
    }
    // JSONL holds whole entries, bodies included.
    expect(entries[0]!.requestBody).toMatchObject({ model: 'ops-fail' });
  }, 30_000);

  test('Logs: a download the server refuses shows its message', async () => {
    const isExport = (url: URL) => url.pathname.startsWith('/export/logs');
    await page.route(isExport, (route) =>
      route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { message: 'from must be an ISO 8601 date' } }) }));
    await page.click('button:has-text("Download CSV")');
    const alert = await page.waitForSelector('p.error[role=alert]');
    expect(await alert.textContent()).toBe('The download failed: from must be an ISO 8601 date');
    await page.unroute(isExport);
  }, 30_000);

  test('Logs: Delete matching… confirms with the count and the filters, deletes exactly those and reloads', async () => {
    expect(await app.store.countLogs({})).toBe(6);
    expect(await page.isEnabled('button:has-text("Delete matching")')).toBe(true);
    let question = '';
    page.once('dialog', (d) => {
      question = d.message();
      void d.accept();
    });
    await page.click('button:has-text("Delete matching")');
    const notice = await page.waitForSelector('p.notice[role=status]');
    expect(await notice.textContent()).toBe('2 entries deleted.');
    expect(question).toContain('Delete the 2 log entries that match these filters?');
    expect(question).toContain('Status: 5xx');
    // The error line of the refused download is gone with the next action.
    expect(await page.$('p.error[role=alert]')).toBeNull();
    await page.waitForSelector('p.muted:has-text("No log entries match.")');
    expect(await page.textContent('p.muted:has-text("entries")')).toBe('0 entries');
    expect(await app.store.countLogs({ statusClass: 5 })).toBe(0);
    expect(await app.store.countLogs({})).toBe(4);
    // Nothing left to delete under this filter.
    expect(await page.isDisabled('button:has-text("Delete matching")')).toBe(true);

    await page.selectOption('label:has-text("Status") select', '');
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 4);
    expect(await page.$('p.notice')).toBeNull();
  }, 30_000);

  test('Dashboard: the store panel shows the kind, the entries, the size and the retention (dashboard-store.png)', async () => {
    await app.upkeep.sweep();
    await page.click('nav a:has-text("Dashboard")');
    const item = (name: string) => `.dash-store [data-item="${name}"] dd`;
    await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === '4', item('entries'), { timeout: 10_000 });
    expect(await page.textContent(item('kind'))).toBe('SQLite');
    expect(await page.textContent(item('size'))).toMatch(/^\d+(\.\d+)? (B|KiB|MiB)$/);
    expect(await page.textContent(item('retention'))).toBe('30 days');
    expect(await page.textContent(item('retention-deleted'))).toBe('0');
    expect(await page.textContent(item('queue'))).toBe('0 waiting');
    expect(await page.textContent('.dash-store-status')).toBe('OK');
    expect(await page.textContent('.dash-store .dash-card-foot')).toContain('as of');
    await page.locator('.dash-store').scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-store');
  }, 30_000);

  test('at 390 px and in the dark the new controls fit (ops-logs-390.png, ops-models-390.png, dashboard-store-390.png)', async () => {
    await page.setViewportSize({ width: 390, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    const noSideScroll = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await page.locator('.dash-store').scrollIntoViewIfNeeded();
    expect(await page.isVisible('.dash-store [data-item="size"]')).toBe(true);
    await noSideScroll();
    await screenshot(page, 'dashboard-store-390');

    await page.click('nav a[href="/logs"]');
    await page.selectOption('label:has-text("Status") select', '2');
    await page.waitForFunction(() => document.querySelectorAll('table.logs tbody tr').length === 3);
    for (const label of ['Download JSONL', 'Download CSV', 'Delete matching…']) expect(await page.isVisible(`.log-actions button:text-is("${label}")`)).toBe(true);
    await noSideScroll();
    await screenshot(page, 'ops-logs-390');

    await page.click('nav a[href="/models"]');
    await page.waitForSelector('td:has-text("ops-new")');
    for (const label of ['Import…', 'Export', 'Export with keys', 'Add model']) expect(await page.isVisible(`.page-actions button:text-is("${label}")`)).toBe(true);
    await noSideScroll();
    await screenshot(page, 'ops-models-390');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 30_000);

  test('in Chinese every new string is translated', async () => {
    await page.selectOption('nav select', 'zh');
    await page.waitForSelector('button:text-is("导入…")');
    expect(await page.textContent('.page-actions')).not.toMatch(/models\./);
    for (const label of ['导出', '导出（含密钥）', '添加模型']) expect(await page.isVisible(`.page-actions button:text-is("${label}")`)).toBe(true);

    await page.click('nav a[href="/logs"]');
    await page.waitForSelector('button:has-text("下载 CSV")');
    expect(await page.textContent('.log-actions')).not.toMatch(/logs\./);

    await page.click('nav a[href="/"]');
    await page.waitForSelector('.dash-store h2:has-text("日志存储")');
    expect(await page.textContent('.dash-store [data-item="retention"] dd')).toBe('30 天');
    expect(await page.textContent('.dash-store')).not.toMatch(/dashboard\./);
    await page.selectOption('nav select', 'en');
    await page.waitForSelector('h1:has-text("Dashboard")');
  }, 30_000);

  test('no uncaught errors in the page', () => {
    expect(pageErrors.map(String)).toEqual([]);
  });
});
