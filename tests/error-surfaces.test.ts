/**
 * Each surface answers errors in its own shape, and what no route takes is JSON too: `/v1` in
 * OpenAI's shape, `/graphql` as GraphQL errors, everything else as `{"error":{message,code}}`.
 * The release shows in /health and the GraphQL `health`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../server/store/types.ts';
import { ADMIN_TOKEN, makeStore, startApp, type TestApp } from './helpers/app.ts';

const VERSION = (JSON.parse(readFileSync(join(import.meta.dir, '../package.json'), 'utf8')) as { version: string }).version;

describe('error surfaces', () => {
  let app: TestApp;
  let failing = false;
  beforeAll(async () => {
    const { store } = makeStore('sqlite');
    // A store whose kind cannot be read once `failing` is set: /health then throws inside its route.
    const flaky = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'kind' && failing) throw new Error('secret internal detail: /var/lib/db');
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    app = await startApp({ store: flaky, metricsToken: 'metrics-token-0123456789' });
  });
  afterAll(() => app.stop());

  test.each([
    ['GET', '/nope'],
    ['POST', '/nope/deeper?x=1'],
    ['DELETE', '/health'],
    ['GET', '/export'],
  ])('%s %s: 404 as JSON, not plain text', async (method, path) => {
    const res = await fetch(`${app.url}${path}`, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({
      error: { message: `No such path: ${method} ${path.split('?')[0]}`, type: 'invalid_request_error', param: null, code: 'not_found' },
    });
  });

  test('GET /v1 (no trailing path): 404 in OpenAI\'s shape', async () => {
    const res = await fetch(`${app.url}/v1`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string; type: string; param: unknown; code: string } };
    expect(body.error).toEqual({ message: expect.stringContaining('/v1'), type: 'invalid_request_error', param: null, code: 'not_found' });
  });

  test('an unknown /v1 path and a GET that carries no model: 404 in OpenAI\'s shape', async () => {
    for (const path of ['/files', '/chat/completions']) {
      const res = await fetch(`${app.baseUrl}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { message: expect.stringContaining(`/v1${path}`), type: 'invalid_request_error', param: null, code: 'not_found' },
      });
    }
  });

  test('/metrics without its token: 401 as JSON with www-authenticate', async () => {
    const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('METRICS_TOKEN') });
    expect((await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).status).toBe(200);
  });

  test('the three admin guards give their own surface\'s 401', async () => {
    const gql = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ configs { id } }"}' });
    expect(gql.status).toBe(401);
    expect(((await gql.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    const exp = await fetch(`${app.url}/export/logs`);
    expect(exp.status).toBe(401);
    expect(((await exp.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  test('the release is in /health and in the GraphQL health', async () => {
    expect(((await (await fetch(`${app.url}/health`)).json()) as { version: string }).version).toBe(VERSION);
    const r = await app.gql<{ health: { version: string } }>('{ health { version } }');
    expect(r.data!.health.version).toBe(VERSION);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('a failure that escapes a route: 500 as JSON, details kept off the answer, and the server keeps serving', async () => {
    failing = true;
    const original = console.error;
    const logged: unknown[] = [];
    console.error = (...args: unknown[]) => logged.push(args.map(String).join(" "));
    try {
      const res = await fetch(`${app.url}/health`);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { message: 'Internal server error', type: 'api_error', param: null, code: 'internal_error' } });
      expect(text).not.toContain('secret internal detail');
      expect(logged.join("\n")).toContain('secret internal detail');
    } finally {
      console.error = original;
      failing = false;
    }
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
  });
});
