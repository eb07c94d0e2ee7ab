/**
 * Client keys' budgets and the cost of every exchange (issue 12), on both stores:
 * - costUsd from a config's own prices, from the price list (@pydantic/genai-prices) by the backend
 *   model, null for a model nothing prices; summed in stats per model and per key, and in /metrics;
 * - a token budget under concurrency: each wave admits exactly what the reservations leave room for,
 *   and the overshoot is at most what the last admitted requests used beyond their reservations;
 * - a USD budget; 429 insufficient_quota (the SDK's RateLimitError) naming the period's end, with
 *   x-should-retry: false and no retry-after; refusals counted in /metrics by reason;
 * - a key's use read back from the store after a restart (the store reopened, a new KeyService).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { periodOf } from '../server/keys/budgets.ts';
import { PriceBook } from '../server/cost/prices.ts';
import type { ConfigRow } from '../server/store/types.ts';
import { ADMIN_TOKEN, makeStore, startApp, type TestApp } from './helpers/app.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';

const stores: ('sqlite' | 'mongodb')[] = ['sqlite', ...(process.env.MONGODB_URI ? ['mongodb' as const] : [])];
const USAGE = 'usage { periodStart periodEnd requests promptTokens completionTokens costUsd }';

async function createKey(app: TestApp, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const r = await app.gql(`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret key { id } } }`, { i: input });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return { id: r.data.createApiKey.key.id, secret: r.data.createApiKey.secret };
}

async function usageOf(app: TestApp, id: string) {
  const r = await app.gql(`query($id: ID!) { apiKey(id: $id) { ${USAGE} } }`, { id });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data.apiKey.usage as { periodStart: string | null; periodEnd: string | null; requests: number; promptTokens: number; completionTokens: number; costUsd: number };
}

/** The body of a chat request, and what the proxy reserves for it: about 4 bytes a token, plus max_tokens. */
function ask(model: string, maxTokens: number) {
  const body = JSON.stringify({ model, max_tokens: maxTokens, messages: [{ role: 'user', content: 'hello there' }] });
  return { body, estimate: Math.ceil(body.length / 4) + maxTokens };
}

const send = (app: TestApp, secret: string, body: string) => fetch(`${app.baseUrl}/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body,
});

const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;

for (const kind of stores) {
  describe(`budgets and cost (${kind})`, () => {
    let app: TestApp;
    let mock: MockUpstream;
    beforeAll(async () => {
      mock = startMockUpstream();
      app = await startApp({ kind, clientAuth: 'required' });
      // The mock's answers report 5 prompt and 7 completion tokens; delay:150 holds each in flight.
      await app.addConfig({ proxyModelName: 'priced', baseUrl: mock.baseUrl, backendModelName: 'delay:150', inputPrice: 1000, outputPrice: 2000 });
      await app.addConfig({ proxyModelName: 'listed', baseUrl: mock.baseUrl, backendModelName: 'gpt-4o-mini' });
      await app.addConfig({ proxyModelName: 'local', baseUrl: mock.baseUrl, backendModelName: 'llama-local-7b' });
      await app.addConfig({ proxyModelName: 'free', baseUrl: mock.baseUrl, backendModelName: 'echo', inputPrice: 0, outputPrice: 0 });
      await app.addConfig({ proxyModelName: 'slow', baseUrl: mock.baseUrl, backendModelName: 'delay:150' });
    });
    afterAll(async () => {
      await app.stop();
      mock.stop();
    });

    test('costUsd: from the config\'s prices, from the price list by the backend model, null for a model nothing prices', async () => {
      const { id, secret } = await createKey(app, { name: `cost-${kind}` });
      for (const model of ['priced', 'listed', 'local', 'free']) expect((await send(app, secret, ask(model, 10).body)).status).toBe(200);
      await app.drain();
      const logs = (await app.gql(`query($k: ID) { logs(filter: { apiKeyId: $k }, first: 10) { nodes { model costUsd promptTokens completionTokens } } }`, { k: id })).data.logs.nodes as { model: string; costUsd: number | null }[];
      const cost = Object.fromEntries(logs.map((l) => [l.model, l.costUsd]));
      // 5 × $1000/M + 7 × $2000/M.
      expect(near(cost.priced!, 0.019)).toBe(true);
      // gpt-4o-mini on the price list: $0.15/M input, $0.60/M output (the mock's URL is no known provider: matched by the model).
      expect(near(cost.listed!, (5 * 0.15 + 7 * 0.6) / 1e6)).toBe(true);
      expect(cost.local).toBeNull();
      expect(cost.free).toBe(0);
      // What each config is charged at, and where that comes from.
      const configs = (await app.gql('{ configs { proxyModelName price { source input cachedInput output provider model } } }')).data.configs as { proxyModelName: string; price: unknown }[];
      const price = Object.fromEntries(configs.map((c) => [c.proxyModelName, c.price]));
      expect(price.priced).toEqual({ source: 'CONFIG', input: 1000, cachedInput: 1000, output: 2000, provider: null, model: null });
      expect(price.listed).toMatchObject({ source: 'LIST', input: 0.15, cachedInput: 0.075, output: 0.6, provider: 'OpenAI' });
      expect(price.local).toBeNull();
      // The key's use, the stats per key and per model, and /metrics add it up.
      const usage = await usageOf(app, id);
      expect(usage).toMatchObject({ periodStart: null, periodEnd: null, requests: 4, promptTokens: 20, completionTokens: 28 });
      expect(near(usage.costUsd, 0.019 + (5 * 0.15 + 7 * 0.6) / 1e6)).toBe(true);
      const now = Date.now();
      const stats = (await app.gql(`query($f: DateTime!, $t: DateTime!) { stats(from: $f, to: $t, bucket: HOUR) {
        total { costUsd } models { model summary { costUsd } } keys { apiKeyId key { name } summary { requests costUsd promptTokens } } series { costUsd } } }`,
      { f: new Date(now - 3_600_000).toISOString(), t: new Date(now + 60_000).toISOString() })).data.stats;
      const mine = stats.keys.find((k: { apiKeyId: string }) => k.apiKeyId === id);
      expect(mine).toMatchObject({ key: { name: `cost-${kind}` }, summary: { requests: 4, promptTokens: 20 } });
      expect(near(mine.summary.costUsd, usage.costUsd)).toBe(true);
      expect(near(stats.models.find((m: { model: string }) => m.model === 'priced').summary.costUsd, 0.019)).toBe(true);
      expect(stats.total.costUsd).toBeGreaterThanOrEqual(usage.costUsd - 1e-12);
      expect(stats.series.reduce((s: number, p: { costUsd: number }) => s + p.costUsd, 0)).toBeCloseTo(stats.total.costUsd, 12);
      const metrics = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      expect(metrics).toMatch(/lite_proxy_cost_usd_total\{model="priced"\} 0\.019/);
    });

    test('a token budget under concurrency: each wave admits what the reservations leave room for; the overshoot is what the last ones used beyond theirs', async () => {
      const budget = 100;
      const { id, secret } = await createKey(app, { name: `tokens-${kind}`, budgetTokens: budget, budgetPeriod: 'DAY' });
      const { body, estimate } = ask('slow', 20);
      // Each answer uses 12 tokens (5 + 7), less than its reservation: no wave may take the key past its budget...
      let used = 0;
      const waves: number[] = [];
      for (let wave = 0; wave < 20; wave++) {
        const answers = await Promise.all(Array.from({ length: 10 }, () => send(app, secret, body)));
        const admitted = answers.filter((r) => r.status === 200).length;
        const refused = answers.filter((r) => r.status === 429);
        await Promise.all(answers.map((r) => r.arrayBuffer()));
        // ...exactly as many as fit: the last reservation is capped at what is left.
        expect(admitted).toBe(Math.min(10, Math.max(0, Math.ceil((budget - used) / estimate))));
        if (refused.length > 0) {
          expect(refused[0]!.headers.get('x-should-retry')).toBe('false');
          expect(refused[0]!.headers.get('retry-after')).toBeNull();
        }
        used += admitted * 12;
        waves.push(admitted);
        if (admitted === 0) break;
        expect(used).toBe((await usageOf(app, id)).promptTokens + (await usageOf(app, id)).completionTokens);
      }
      expect(waves.at(-1)).toBe(0);
      expect(waves.length).toBeGreaterThan(2);
      const usage = await usageOf(app, id);
      const total = usage.promptTokens + usage.completionTokens;
      // Past the budget by at most one answer beyond a reservation that was capped to what was left.
      expect(total).toBeGreaterThanOrEqual(budget);
      expect(total - budget).toBeLessThan(12);
      const { start, end } = periodOf('DAY', Date.now());
      expect(usage).toMatchObject({ periodStart: new Date(start!).toISOString(), periodEnd: new Date(end!).toISOString() });
      // The refusal as the SDK sees it: a RateLimitError that names the period's end, not retried.
      const client = new OpenAI({ apiKey: secret, baseURL: app.baseUrl });
      const err = await client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
      expect((err as Error).message).toContain(new Date(end!).toISOString());
      const metrics = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      expect(Number(/lite_proxy_refusals_total\{reason="insufficient_quota"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(10);
      // Raising the budget lets the key in again at once.
      await app.gql(`mutation($id: ID!) { updateApiKey(id: $id, input: { budgetTokens: 1000 }) { id } }`, { id });
      expect((await send(app, secret, body)).status).toBe(200);
    }, 30_000);

    test('a USD budget: requests go in while the key\'s cost is under it; then 429 insufficient_quota', async () => {
      const { id, secret } = await createKey(app, { name: `usd-${kind}`, budgetUsd: 0.05, budgetPeriod: 'MONTH' });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await send(app, secret, ask('priced', 1).body)).status);
      // $0.019 each: after three the key has spent $0.057.
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const usage = await usageOf(app, id);
      expect(usage.costUsd).toBeCloseTo(0.057, 12);
      expect(usage.requests).toBe(5);
      const { start } = periodOf('MONTH', Date.now());
      expect(usage.periodStart).toBe(new Date(start!).toISOString());
      // A model nothing prices costs nothing the budget could count: still refused once spent.
      expect((await send(app, secret, ask('local', 1).body)).status).toBe(429);
    });
  });

  test(`budget use survives a restart: read back from the store's per-key rollups (${kind})`, async () => {
    const mock = startMockUpstream();
    const handle = makeStore(kind);
    const first = await startApp({ store: handle.store, clientAuth: 'required' });
    let second: TestApp | null = null;
    try {
      await first.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'echo', inputPrice: 1000, outputPrice: 1000 });
      const day = await createKey(first, { name: 'day', budgetTokens: 30, budgetPeriod: 'DAY' });
      const total = await createKey(first, { name: 'total', budgetUsd: 0.02, budgetPeriod: 'TOTAL' });
      for (let i = 0; i < 2; i++) expect((await send(first, day.secret, ask('m', 1).body)).status).toBe(200);
      expect((await send(first, total.secret, ask('m', 1).body)).status).toBe(200);
      const before = await usageOf(first, day.id);
      await first.stop();

      second = await startApp({ store: handle.reopen(), clientAuth: 'required' });
      expect(await usageOf(second, day.id)).toEqual(before);
      expect((await usageOf(second, total.id)).costUsd).toBeCloseTo(0.012, 12);
      // 24 of 30 tokens used: one more fits, then the budget is spent, across the restart.
      expect((await send(second, day.secret, ask('m', 1).body)).status).toBe(200);
      expect((await send(second, day.secret, ask('m', 1).body)).status).toBe(429);
      expect((await send(second, total.secret, ask('m', 1).body)).status).toBe(200);
      expect((await send(second, total.secret, ask('m', 1).body)).status).toBe(429);
    } finally {
      await second?.stop();
      await handle.destroy();
      mock.stop();
    }
  });
}

describe('periods and prices', () => {
  test('periods start at 00:00 UTC: weeks on Monday, months on the 1st; TOTAL has no bounds', () => {
    // Wednesday 2026-12-02 15:30 UTC.
    const at = Date.UTC(2026, 11, 2, 15, 30);
    const iso = (p: { start: number | null; end: number | null }) => [p.start, p.end].map((t) => (t === null ? null : new Date(t).toISOString()));
    expect(iso(periodOf('DAY', at))).toEqual(['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z']);
    expect(iso(periodOf('WEEK', at))).toEqual(['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    expect(iso(periodOf('WEEK', Date.UTC(2026, 10, 29, 23, 59)))).toEqual(['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
    expect(iso(periodOf('MONTH', at))).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(iso(periodOf('TOTAL', at))).toEqual([null, null]);
    expect(iso(periodOf(null, at))).toEqual([null, null]);
  });

  test('the price list: by the provider a base URL names, by the model alone elsewhere; cached tokens at the cached rate; a config\'s own prices first', () => {
    const book = new PriceBook();
    const config = (o: Partial<ConfigRow>): ConfigRow => ({
      id: 'c', proxyModelName: 'p', baseUrl: 'https://api.openai.com/v1', backendModelName: 'gpt-4o-mini', apiKey: null, ignoreSslVerify: false, enabled: true,
      timeoutMs: null, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: new Date(), updatedAt: new Date(), ...o,
    });
    const use = { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 400_000 };
    // gpt-4o-mini: $0.15 input, $0.075 cached, $0.60 output per million.
    expect(book.costOf(config({}), use)).toBeCloseTo(0.6 * 0.15 + 0.4 * 0.075 + 0.6, 9);
    expect(book.costOf(config({ baseUrl: 'http://gateway.internal:8080/v1' }), use)).toBeCloseTo(0.6 * 0.15 + 0.4 * 0.075 + 0.6, 9);
    expect(book.costOf(config({ baseUrl: 'https://api.deepseek.com', backendModelName: 'deepseek-chat' }), { promptTokens: 1000, completionTokens: 1000 })).toBeGreaterThan(0);
    expect(book.costOf(config({ backendModelName: 'no-such-model-anywhere' }), use)).toBeNull();
    expect(book.costOf(config({}), null)).toBeNull();
    expect(book.costOf(config({}), { promptTokens: null, completionTokens: null })).toBeNull();
    // One own price prices the config: the others are 0, cached input at the input price.
    expect(book.costOf(config({ inputPrice: 2 }), use)).toBeCloseTo(2, 9);
    expect(book.costOf(config({ inputPrice: 2, cachedInputPrice: 1, outputPrice: 8 }), use)).toBeCloseTo(0.6 * 2 + 0.4 * 1 + 8, 9);
    expect(book.info(config({}))).toMatchObject({ source: 'list', provider: 'OpenAI' });
  });
});
