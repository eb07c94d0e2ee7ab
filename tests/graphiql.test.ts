/**
 * The GraphiQL page that /graphql serves to a browser: the same public page for everyone, with no
 * token and no CDN in it, which reads the admin token from the browser's storage when it starts
 * (tests/e2e-log-detail.test.ts runs it in Chromium).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ADMIN_TOKEN_STORAGE_KEY, renderAdminGraphiQL } from '../server/admin/graphiql.ts';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('GraphiQL page', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  const page = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}/graphql`, { headers: { ...HTML, ...headers } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    return res.text();
  };

  test('carries no token, not even for a caller that sent one, and loads nothing from a CDN', async () => {
    for (const html of [await page(), await page({ authorization: `Bearer ${ADMIN_TOKEN}` })]) {
      expect(html).not.toContain(ADMIN_TOKEN);
      expect(html).not.toMatch(/Bearer [\w-]{8,}/);
      expect(html).not.toMatch(/unpkg\.com|jsdelivr|esm\.sh|cdnjs|fonts\.googleapis/);
      expect(html).not.toMatch(/<script\b[^>]*\bsrc\s*=|<link\b[^>]*\brel\s*=\s*["']?stylesheet/i);
    }
  });

  test('is the same page whoever asks', async () => {
    expect(await page({ authorization: `Bearer ${ADMIN_TOKEN}` })).toBe(await page());
  });

  test('starts GraphiQL through the script that reads the token from where the admin client keeps it', async () => {
    const html = await page();
    expect(ADMIN_TOKEN_STORAGE_KEY).toBe('lite-proxy.admin-token');
    expect(html).toContain(`localStorage.getItem(${JSON.stringify(ADMIN_TOKEN_STORAGE_KEY)})`);
    expect(html).toContain('return YogaGraphiQL.renderYogaGraphiQL(root, options);');
    // The template's own call is gone: GraphiQL starts once, through ours.
    expect(html.split('YogaGraphiQL.renderYogaGraphiQL(').length).toBe(2);
    // GraphiQL does not copy the headers (the token) into its own storage, where it would outlive a logout.
    expect(html).toContain('"shouldPersistHeaders":false');
    expect(html).toContain('<title>Lite Proxy GraphQL</title>');
  });

  test('the options given to the page reach GraphiQL unchanged, the title included', async () => {
    const html = await renderAdminGraphiQL({ title: 'Some <b>title</b>', defaultQuery: '{ health { status } }' });
    const options = html.slice(html.lastIndexOf('window.document.querySelector'));
    expect(options).toContain(JSON.stringify({ title: 'Some <b>title</b>', defaultQuery: '{ health { status } }', shouldPersistHeaders: false }));
  });

  test('an operation from the page still needs the token', async () => {
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ health { status } }' }) });
    expect(res.status).toBe(401);
  });
});
