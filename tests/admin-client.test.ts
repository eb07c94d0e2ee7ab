/** The admin client is served by the same server: its pages, its assets, and no clash with the API. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { isClientBuilt } from '../server/admin/client.ts';
import { startApp, tempDir, type TestApp } from './helpers/app.ts';

describe('the built admin client', () => {
  let app: TestApp;
  beforeAll(async () => {
    // `bun run test` builds the client before the suites run.
    expect(isClientBuilt()).toBe(true);
    app = await startApp();
  });
  afterAll(() => app.stop());

  test('/ and the client-side pages answer with the app page, never cached', async () => {
    for (const path of ['/', '/models', '/keys', '/logs', '/chat']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="root"></div>');
    }
  });

  test('its hashed script and stylesheet are served with their types', async () => {
    const html = await (await fetch(`${app.url}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${app.url}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
    }
  });

  test('the API keeps its paths', async () => {
    expect((await fetch(`${app.url}/v1/models`)).headers.get('content-type')).toContain('application/json');
    expect((await fetch(`${app.url}/graphql`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
    expect((await fetch(`${app.url}/no-such-page`)).status).toBe(404);
  });
});

test('without a build, the page says how to make one and the API still works', async () => {
  const app = await startApp({ clientDir: tempDir() });
  try {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('bun run build');
    expect((await fetch(`${app.url}/v1/models`)).status).toBe(200);
  } finally {
    await app.stop();
  }
});
