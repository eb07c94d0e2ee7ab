/**
 * Hostile admin operations (issue 11): depth, aliases, tokens and cost are limited (graphql-armor),
 * each answered with a clear 400 GraphQL error and never a 500 or a stack overflow; bodies are read
 * for at most 20 entries per operation; and the heaviest operation within the limits holds up
 * proxied requests sent alongside by no more than about 50 ms.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { getIntrospectionQuery } from 'graphql';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';

describe('GraphQL limits', () => {
  let app: TestApp;
  let mock: MockUpstream;
  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp({ logBodyBytes: 64 * 1024 });
    await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json' });
    const post = () => fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', pad: 'x'.repeat(60_000) }) });
    for (let i = 0; i < 30; i++) await post();
    await app.drain();
  });
  afterAll(async () => {
    await app.stop();
    mock.stop();
  });
  const raw = (query: string) => fetch(`${app.url}/graphql`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }),
  });
  const refused = async (query: string, words: RegExp) => {
    const res = await raw(query);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string }[]; data?: unknown };
    expect(body.errors[0]!.message).toMatch(words);
    expect(body.data ?? null).toBeNull();
  };

  test('too deep, too many aliases, too many tokens or directives: 400 with a clear message', async () => {
    const nested = (n: number) => `{ configs { ${'id '.repeat(1)}${'... on ProxyConfig { '.repeat(n)}id${' }'.repeat(n)} } }`;
    await refused(`{ logs { nodes { id } pageInfo { endCursor } } ${Array.from({ length: 21 }, (_, i) => `a${i}: health { status }`).join(' ')} }`, /alias/i);
    await refused(`{ health { status ${'status '.repeat(2_100)} } }`, /token/i);
    await refused(`{ health @include(if: true) ${'@include(if: true) '.repeat(25)} { status } }`, /directive/i);
    await refused(nested(13), /depth/i);
  });

  test('a query nested 10,000 levels deep is a 400, not a stack overflow', async () => {
    await refused(`{ ${'health { '.repeat(10_000)}status${' }'.repeat(10_000)} }`, /token|depth/i);
    const ok = await app.gql('{ health { status } }');
    expect(ok.status).toBe(200);
  });

  test("GraphiQL's introspection and the admin page's own operations pass", async () => {
    const r = await app.gql(getIntrospectionQuery());
    expect(r.errors).toBeUndefined();
    expect(r.data.__schema.types.length).toBeGreaterThan(10);
  });

  test('bodies of at most 20 entries per operation; the error says to use log(id)', async () => {
    const ok = await app.gql('{ logs(first: 20) { nodes { id requestBody } } }');
    expect(ok.errors).toBeUndefined();
    expect(ok.data.logs.nodes).toHaveLength(20);
    const over = await app.gql('{ logs(first: 30) { nodes { id requestBody } } }');
    expect(over.errors![0]!.message).toContain('log(id)');
  });

  test('the heaviest operation within the limits holds up proxied requests by about 50 ms at most', async () => {
    const heavy = `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: logs(first: 200) { nodes { id timestamp model path statusCode durationMs } totalCount }`).join(' ')} }`;
    const baseline: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' });
      baseline.push(performance.now() - t);
    }
    const proxied: number[] = [];
    let running = true;
    const probe = (async () => {
      while (running) {
        const t = performance.now();
        await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' });
        proxied.push(performance.now() - t);
      }
    })();
    for (let i = 0; i < 5; i++) {
      const res = await raw(heavy);
      expect(await res.text()).not.toContain("errors");
      expect(res.status).toBe(200);
    }
    running = false;
    await probe;
    const worst = Math.max(...proxied);
    console.log(`heavy admin query: slowest proxied ${worst.toFixed(1)} ms (baseline worst ${Math.max(...baseline).toFixed(1)} ms), ${proxied.length} requests`);
    expect(worst).toBeLessThan(Math.max(...baseline) + 50);
  });
});
