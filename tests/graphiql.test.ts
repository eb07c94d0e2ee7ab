/**
 * The GraphiQL page that /graphql serves to a browser: the same public page for everyone, with no
 * token, no CDN and no inline script in it; its files are made once and served from memory,
 * gzipped, with an ETag; its operations ride on the admin page's session cookie
 * (tests/e2e-log-detail.test.ts runs it in Chromium, under the Content-Security-Policy).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';
import { startServer } from './helpers/server-process.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('GraphiQL page', () => {
  let app: TestApp;
  let mock: MockUpstream;
  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp();
    await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json' });
  });
  afterAll(async () => {
    await app.stop();
    mock.stop();
  });

  const page = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}/graphql`, { headers: { ...HTML, ...headers } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    return res.text();
  };
  const file = (name: string, headers: Record<string, string> = {}) => fetch(`${app.url}/graphiql/${name}`, { headers });

  test('carries no token, not even for a caller that sent one; loads nothing from a CDN; has no inline script', async () => {
    for (const html of [await page(), await page({ authorization: `Bearer ${ADMIN_TOKEN}` })]) {
      expect(html).not.toContain(ADMIN_TOKEN);
      expect(html).not.toMatch(/Bearer [\w-]{8,}/);
      expect(html).not.toMatch(/unpkg\.com|jsdelivr|esm\.sh|cdnjs|fonts\.googleapis/);
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.map((m) => m[1]!.trim())).toEqual(['src="/graphiql/graphiql.js"', 'src="/graphiql/start.js"']);
      expect(scripts.every((m) => m[2] === '')).toBe(true);
      expect(html).toContain('<title>Lite Proxy GraphQL</title>');
    }
    expect(await page({ authorization: `Bearer ${ADMIN_TOKEN}` })).toBe(await page());
  });

  test('the page and its files carry the security headers: no inline script, no framing', async () => {
    for (const res of [await fetch(`${app.url}/graphql`, { headers: HTML }), await file('graphiql.js'), await fetch(`${app.url}/`)]) {
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  test('start.js holds no token and reads none: GraphiQL sends the session cookie and the CSRF header, and stores no headers', async () => {
    const start = await (await file('start.js')).text();
    expect(start).not.toContain('localStorage');
    expect(start).toContain('YogaGraphiQL.renderYogaGraphiQL(');
    expect(start).toContain('"credentials":"same-origin"');
    expect(start).toContain('x-lite-proxy-csrf');
    expect(start).toContain('"shouldPersistHeaders":false');
    expect(start).toContain('"endpoint":"/graphql"');
    expect(start).not.toContain(ADMIN_TOKEN);
  });

  test('files are served gzipped when the browser takes it, with an ETag that answers 304', async () => {
    const gz = await file('graphiql.js', { 'accept-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const etag = gz.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const plain = await file('graphiql.js', { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect((await plain.text()).length).toBeGreaterThan(1_000_000);
    const again = await file('graphiql.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await file('no-such.js')).status).toBe(404);
  });

  test('fifty loads of the page and its editor barely hold up proxied requests (server in its own process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-graphiql-'));
    const server = await startServer({ env: { DATA_DIR: dir, ADMIN_TOKEN } });
    try {
      const gql = (query: string, variables = {}) => fetch(`${server.url}/graphql`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }),
      });
      await gql('mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', { i: { proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json' } });
      const proxied = async () => {
        const t = performance.now();
        await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' })).text();
        return performance.now() - t;
      };
      await (await fetch(`${server.url}/graphiql/graphiql.js`, { headers: { 'accept-encoding': 'gzip' } })).arrayBuffer();
      const idle: number[] = [];
      for (let i = 0; i < 20; i++) idle.push(await proxied());
      const during: number[] = [];
      let loading = true;
      const probe = (async () => {
        while (loading) during.push(await proxied());
      })();
      await Promise.all(Array.from({ length: 50 }, async () => {
        await (await fetch(`${server.url}/graphql`, { headers: HTML })).text();
        // Not inflated here: the client's own gunzip would run on this process's thread, beside the probe.
        await (await fetch(`${server.url}/graphiql/graphiql.js`, { headers: { 'accept-encoding': 'gzip' }, decompress: false })).arrayBuffer();
      }));
      loading = false;
      await probe;
      const worst = Math.max(...during);
      console.log(`GraphiQL x50: slowest proxied ${worst.toFixed(1)} ms over ${during.length} (idle worst ${Math.max(...idle).toFixed(1)} ms)`);
      expect(worst).toBeLessThan(Math.max(...idle) + 250);
    } finally {
      server.proc.kill();
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('an operation from the page still needs the token', async () => {
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ health { status } }' }) });
    expect(res.status).toBe(401);
  });
});
