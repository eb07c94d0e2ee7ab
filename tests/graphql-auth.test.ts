/**
 * Every admin operation needs `Authorization: Bearer <token>`; only the GraphiQL page itself is
 * public, it is served from the package (no CDN), and it never carries data. Also pins Yoga's
 * graphqlEndpoint to the path the app mounts it on.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chat } from './helpers/chat-request.ts';
import { ADMIN_TOKEN, startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';
import { subscribe } from './helpers/graphql-sse.ts';

const QUERY = '{ configs { id proxyModelName } }';
const MUTATION = 'mutation { createConfig(input: { proxyModelName: "intruder", baseUrl: "http://127.0.0.1:1/v1", backendModelName: "x" }) { id } }';
const INTROSPECTION = '{ __schema { queryType { name } types { name } } }';
const SUBSCRIPTION = 'subscription { logTail { id statusCode } }';

const BAD_AUTH: [string, Record<string, string>][] = [
  ['no token', {}],
  ['a wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef' }],
  ['the right token as Basic credentials', { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }],
  ['the right token under Basic', { authorization: `Basic ${ADMIN_TOKEN}` }],
  ['an empty Bearer', { authorization: 'Bearer ' }],
];

const OPERATIONS: [string, string, Record<string, string>][] = [
  ['a query', QUERY, { accept: 'application/json' }],
  ['a mutation', MUTATION, { accept: 'application/json' }],
  ['an introspection query', INTROSPECTION, { accept: 'application/json' }],
  ['a subscription', SUBSCRIPTION, { accept: 'text/event-stream' }],
];

/** External script, style, module and worker references; data: and relative URLs are fine offline. */
function externalRefs(html: string): string[] {
  const patterns = [
    /<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi,
    /<link\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)/gi,
    /@import\s+(?:url\()?["']?([^"')\s;]+)/gi,
    /\bimport\s*\(?\s*["']((?:https?:)?\/\/[^"']+)["']/gi,
    /\bfrom\s*["']((?:https?:)?\/\/[^"']+)["']/gi,
  ];
  const refs = patterns.flatMap((re) => [...html.matchAll(re)].map((m) => m[1]!));
  return refs.filter((url) => /^(https?:)?\/\//i.test(url));
}

for (const kind of STORE_KINDS) {
  describe(`GraphQL auth (${kind})`, () => {
    let app: TestApp;
    let configId = '';
    beforeAll(async () => {
      app = await startApp({ kind });
      configId = (await app.addConfig({ proxyModelName: 'secret-model-name', baseUrl: 'http://127.0.0.1:1/v1', backendModelName: 'b' })).id;
    });
    afterAll(() => app.stop());

    const post = (query: string, headers: Record<string, string>) =>
      fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });

    const expect401 = async (res: Response) => {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(body.data).toBeUndefined();
      expect(body.errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    };

    for (const [who, auth] of BAD_AUTH) {
      test.each(OPERATIONS)(`with ${who}, %s gets 401`, async (_, query, headers) => {
        const before = (await app.store.listConfigs()).length;
        await expect401(await post(query, { ...headers, ...auth }));
        expect((await app.store.listConfigs()).length).toBe(before);
      });

      test(`with ${who}, a GET with a query (JSON or SSE) gets 401`, async () => {
        for (const accept of ['application/json', 'application/graphql-response+json', 'text/event-stream']) {
          const q = accept === 'text/event-stream' ? SUBSCRIPTION : QUERY;
          await expect401(await fetch(`${app.url}/graphql?query=${encodeURIComponent(q)}`, { headers: { accept, ...auth } }));
        }
      });
    }

    test('GET /graphql for a browser is the GraphiQL page, served without any CDN', async () => {
      const res = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const html = await res.text();
      expect(html).toContain('<title>Lite Proxy GraphQL</title>');
      // The editor is inlined rather than fetched: the page works with no network.
      expect(html.length).toBeGreaterThan(100_000);
      expect(externalRefs(html)).toEqual([]);
      expect(html).not.toMatch(/unpkg\.com|jsdelivr|esm\.sh|cdnjs|fonts\.googleapis/);
    });

    test('a GET that asks for HTML and carries a query never returns data without the token', async () => {
      for (const accept of ['text/html', 'text/html, application/json', 'application/json;q=0.9, text/html;q=0.1', 'text/htmlx']) {
        const res = await fetch(`${app.url}/graphql?query=${encodeURIComponent(QUERY)}`, { headers: { accept } });
        const text = await res.text();
        expect(text).not.toContain(configId);
        expect(text).not.toContain('secret-model-name');
        if ((res.headers.get('content-type') ?? '').includes('json')) expect(res.status).toBe(401);
        else expect(res.headers.get('content-type')).toContain('text/html');
      }
    });

    describe('with the right token', () => {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

      test('a query works', async () => {
        const res = await post(QUERY, auth);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ data: { configs: [{ id: configId, proxyModelName: 'secret-model-name' }] } });
      });

      test('a mutation works', async () => {
        const r = await app.gql('mutation($id: ID!) { deleteConfig(id: $id) }', { id: 'not-there' });
        expect(r).toEqual({ status: 200, data: { deleteConfig: false } });
      });

      test('an introspection query works', async () => {
        const res = await post(INTROSPECTION, auth);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { data: { __schema: { queryType: { name: string }; types: { name: string }[] } } };
        expect(body.data.__schema.queryType).toEqual({ name: 'Query' });
        expect(body.data.__schema.types.map((t) => t.name)).toContain('ProxyConfig');
      });

      test('a subscription streams events', async () => {
        const sub = await subscribe({ url: app.url, query: SUBSCRIPTION, token: ADMIN_TOKEN });
        try {
          expect(sub.status).toBe(200);
          expect(sub.contentType).toContain('text/event-stream');
          // An unknown model is refused by the proxy itself, and logged.
          expect((await chat({ baseUrl: app.baseUrl, model: 'no-such-model' })).status).toBe(404);
          expect(await sub.next()).toEqual({ event: 'next', data: { data: { logTail: { id: expect.any(String), statusCode: 404 } } } });
        } finally {
          sub.close();
        }
      });

      test("Yoga's endpoint is the mount path: GET /graphql?query= with Accept JSON runs the query", async () => {
        for (const accept of ['application/json', 'application/graphql-response+json']) {
          const res = await fetch(`${app.url}/graphql?query=${encodeURIComponent(QUERY)}`, { headers: { accept, ...auth } });
          expect(res.status).toBe(200);
          expect(await res.json()).toEqual({ data: { configs: [{ id: configId, proxyModelName: 'secret-model-name' }] } });
        }
      });

      test('a mutation over GET is refused and changes nothing', async () => {
        const before = await app.store.listConfigs();
        const res = await fetch(`${app.url}/graphql?query=${encodeURIComponent(MUTATION)}`, { headers: { accept: 'application/json', ...auth } });
        expect(res.status).toBe(405);
        expect(((await res.json()) as { errors: unknown[] }).errors).toHaveLength(1);
        expect(await app.store.listConfigs()).toEqual(before);
      });
    });
  });
}
