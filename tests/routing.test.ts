/**
 * Routing that survives backends (issue 13, first part): weights and priority tiers, attempts on
 * another config before anything reached the client (connection refused, a retried status), none
 * after, the breaker's cooldown and its single half-open probe, and every attempt in the log and
 * the answer's headers. Driven with the official SDK at maxRetries 0, so that only the proxy retries.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';
import { freePort } from './helpers/server-process.ts';

let mock: MockUpstream;
beforeAll(() => {
  mock = startMockUpstream();
});
afterAll(() => mock.stop());

const stores: ('sqlite' | 'mongodb')[] = ['sqlite', ...(process.env.MONGODB_URI ? ['mongodb' as const] : [])];

const ask = (app: TestApp, model: string, extra: Record<string, unknown> = {}) => fetch(`${app.baseUrl}/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
});

/** How many requests the mock saw for a backend model. */
const seenFor = (backendModel: string) => mock.requests.filter((r) => r.body.includes(`"model":"${backendModel}"`)).length;

async function lastLog(app: TestApp) {
  await app.drain();
  const r = await app.gql('{ logs(first: 1) { nodes { id statusCode configId attemptCount attempts { configId backendModel statusCode error durationMs } } } }');
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data.logs.nodes[0];
}

for (const kind of stores) {
  describe(`routing (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind, cooldown: { failures: 3, baseMs: 300, maxMs: 2_000 } });
    });
    afterAll(() => app.stop());

    test('weights 3 and 1 give exactly 75 and 25 of 100 requests, interleaved (smooth weighted round-robin)', async () => {
      const a = await app.addConfig({ proxyModelName: 'weighted', baseUrl: mock.baseUrl, backendModelName: 'echo', weight: 3 });
      const b = await app.addConfig({ proxyModelName: 'weighted', baseUrl: mock.baseUrl, backendModelName: 'echo', weight: 1 });
      const order: string[] = [];
      for (let i = 0; i < 100; i++) {
        const res = await ask(app, 'weighted');
        expect(res.status).toBe(200);
        expect(res.headers.get('x-lite-proxy-attempts')).toBe('1');
        order.push(res.headers.get('x-lite-proxy-config')!);
        await res.arrayBuffer();
      }
      expect(order.filter((id) => id === a.id)).toHaveLength(75);
      expect(order.filter((id) => id === b.id)).toHaveLength(25);
      // Never more than three of A in a row: B's turns are spread out, not bunched.
      expect(order.join(',').includes([a.id, a.id, a.id, a.id].join(','))).toBe(false);
    });

    test('a weight of 0 serves only when nothing else in its tier can', async () => {
      const main = await app.addConfig({ proxyModelName: 'spare', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      const spare = await app.addConfig({ proxyModelName: 'spare', baseUrl: mock.baseUrl, backendModelName: 'echo', weight: 0 });
      for (let i = 0; i < 5; i++) expect((await ask(app, 'spare')).headers.get('x-lite-proxy-config')).toBe(main.id);
      await app.gql(`mutation { updateConfig(id: "${main.id}", input: { enabled: false }) { id } }`);
      expect((await ask(app, 'spare')).headers.get('x-lite-proxy-config')).toBe(spare.id);
    });

    test('tiers: the lowest priority serves; a refused connection goes to the next tier at once, and the log keeps both attempts', async () => {
      const dead = await app.addConfig({ proxyModelName: 'tiered', baseUrl: `http://127.0.0.1:${freePort()}/v1`, backendModelName: 'echo', priority: 0 });
      const backup = await app.addConfig({ proxyModelName: 'tiered', baseUrl: mock.baseUrl, backendModelName: 'echo', priority: 5 });
      const client = new OpenAI({ apiKey: 'x', baseURL: app.baseUrl, maxRetries: 0 });
      const { data, response } = await client.chat.completions.create({ model: 'tiered', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(data.choices[0]!.message.content).toContain('echo');
      expect(response.headers.get('x-lite-proxy-attempts')).toBe('2');
      expect(response.headers.get('x-lite-proxy-config')).toBe(backup.id);
      const log = await lastLog(app);
      expect(log).toMatchObject({ statusCode: 200, configId: backup.id, attemptCount: 2 });
      expect(log.attempts).toHaveLength(2);
      expect(log.attempts[0]).toMatchObject({ configId: dead.id, statusCode: null, error: expect.stringContaining('Backend unreachable') });
      expect(log.attempts[1]).toMatchObject({ configId: backup.id, statusCode: 200, error: null });
      // The "retried" filter finds it, and only retried entries.
      const retried = (await app.gql('{ logs(filter: { retried: true }, first: 50) { nodes { id attemptCount } } }')).data.logs.nodes;
      expect(retried.map((n: { id: string }) => n.id)).toContain(log.id);
      expect(retried.every((n: { attemptCount: number }) => n.attemptCount > 1)).toBe(true);
      const single = (await app.gql('{ logs(filter: { retried: false }, first: 5) { nodes { attemptCount attempts { configId } } } }')).data.logs.nodes;
      expect(single.every((n: { attemptCount: number; attempts: unknown[] }) => n.attemptCount <= 1 && n.attempts.length <= 1)).toBe(true);
    });

    test('a status the group retries (503) goes to another config; the client sees the answer that worked', async () => {
      await app.addConfig({ proxyModelName: 'shaky', baseUrl: mock.baseUrl, backendModelName: `flaky:shaky-${kind}:1000`, priority: 0 });
      const good = await app.addConfig({ proxyModelName: 'shaky', baseUrl: mock.baseUrl, backendModelName: 'echo', priority: 1 });
      const res = await ask(app, 'shaky');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-lite-proxy-config')).toBe(good.id);
      const log = await lastLog(app);
      expect(log.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 200]);
      expect(log.attempts[0].error).toBe('Backend answered 503');
    });

    test('client errors go back at once, tried nowhere else', async () => {
      await app.addConfig({ proxyModelName: 'bad-request', baseUrl: mock.baseUrl, backendModelName: 'status:400', priority: 0 });
      await app.addConfig({ proxyModelName: 'bad-request', baseUrl: mock.baseUrl, backendModelName: 'echo', priority: 1 });
      const res = await ask(app, 'bad-request');
      expect(res.status).toBe(400);
      expect(res.headers.get('x-lite-proxy-attempts')).toBe('1');
      expect(seenFor('echo')).toBeGreaterThan(0);
      const log = await lastLog(app);
      expect(log.attemptCount).toBe(1);
    });

    test('when every attempt fails the client gets the last backend\'s status and body; at most 3 attempts', async () => {
      for (let i = 0; i < 4; i++) await app.addConfig({ proxyModelName: 'all-down', baseUrl: mock.baseUrl, backendModelName: `status:502` });
      const before = seenFor('status:502');
      const res = await ask(app, 'all-down');
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: { code: 'mock_502' } });
      expect(seenFor('status:502') - before).toBe(3);
      expect(res.headers.get('x-lite-proxy-attempts')).toBe('3');
    });

    test('nothing is retried once bytes reached the client: a stream that breaks ends with an error event', async () => {
      await app.addConfig({ proxyModelName: 'breaks', baseUrl: mock.baseUrl, backendModelName: 'die:2', priority: 0 });
      await app.addConfig({ proxyModelName: 'breaks', baseUrl: mock.baseUrl, backendModelName: 'echo', priority: 1 });
      const res = await ask(app, 'breaks', { stream: true });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('"error"');
      expect(res.headers.get('x-lite-proxy-attempts')).toBe('1');
    });

    test('a 200 stream whose first event is an error goes to another config; a lone config passes it to the client as it came', async () => {
      const bad = await app.addConfig({ proxyModelName: 'sse-first-error', baseUrl: mock.baseUrl, backendModelName: 'sse-error', priority: 0 });
      const good = await app.addConfig({ proxyModelName: 'sse-first-error', baseUrl: mock.baseUrl, backendModelName: 'slow:3:5', priority: 1 });
      const res = await ask(app, 'sse-first-error', { stream: true });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-lite-proxy-config')).toBe(good.id);
      const text = await res.text();
      expect(text).toContain('t2 ');
      expect(text).not.toContain('overloaded');
      const log = await lastLog(app);
      expect(log.attempts).toHaveLength(2);
      expect(log.attempts[0]).toMatchObject({ configId: bad.id, statusCode: 200, error: 'Backend stream began with an error: mock overloaded' });
      await app.addConfig({ proxyModelName: 'sse-error-alone', baseUrl: mock.baseUrl, backendModelName: 'sse-error' });
      const alone = await ask(app, 'sse-error-alone', { stream: true });
      expect(alone.status).toBe(200);
      expect(await alone.text()).toBe('data: {"error":{"message":"mock overloaded","type":"server_error","code":"overloaded"}}\n\ndata: [DONE]\n\n');
    });

    test('stats count attempts and retried requests, per model', async () => {
      await app.drain();
      const now = Date.now();
      const stats = (await app.gql(`query($f: DateTime!, $t: DateTime!) { stats(from: $f, to: $t, bucket: HOUR) {
        total { requests attempts retried } models { model summary { requests attempts retried } } } }`,
      { f: new Date(now - 3_600_000).toISOString(), t: new Date(now + 60_000).toISOString() })).data.stats;
      const tiered = stats.models.find((m: { model: string }) => m.model === 'tiered').summary;
      expect(tiered).toEqual({ requests: 1, attempts: 2, retried: 1 });
      const weighted = stats.models.find((m: { model: string }) => m.model === 'weighted').summary;
      expect(weighted).toEqual({ requests: 100, attempts: 100, retried: 0 });
      expect(stats.total.attempts).toBeGreaterThan(stats.total.requests);
    });

    test('cooldown after 3 failures, then a single half-open probe under 20 concurrent requests; success closes it', async () => {
      const name = `probe-${kind}`;
      // Fails 3 times (tripping its breaker), then answers.
      const flaky = await app.addConfig({ proxyModelName: 'probed', baseUrl: mock.baseUrl, backendModelName: `flaky:${name}:3` });
      const steady = await app.addConfig({ proxyModelName: 'probed', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      for (let i = 0; i < 6; i++) expect((await ask(app, 'probed')).status).toBe(200);
      expect(mock.flaky.get(name)).toBe(3);
      const health = async () => (await app.gql(`{ config(id: "${flaky.id}") { health { state consecutiveFailures lastError cooldownUntil } } }`)).data.config.health;
      expect(await health()).toMatchObject({ state: 'COOLING', consecutiveFailures: 3, lastError: 'Backend answered 503', cooldownUntil: expect.any(String) });
      const metrics = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      expect(metrics).toContain(`lite_proxy_backend_state{config="${flaky.id}",model="probed"} 2`);
      expect(metrics).toContain(`lite_proxy_backend_state{config="${steady.id}",model="probed"} 0`);
      expect(Number(/lite_proxy_attempt_failures_total\{model="probed"\} (\d+)/.exec(metrics)?.[1])).toBe(3);
      // Cooling: every request goes to the other config, in one attempt.
      for (let i = 0; i < 5; i++) expect((await ask(app, 'probed')).headers.get('x-lite-proxy-config')).toBe(steady.id);
      expect(mock.flaky.get(name)).toBe(3);
      await Bun.sleep(350);
      expect((await health()).state).toBe('HALF_OPEN');
      const answers = await Promise.all(Array.from({ length: 20 }, () => ask(app, 'probed')));
      expect(answers.every((r) => r.status === 200)).toBe(true);
      // Exactly one of the twenty went to the half-open config.
      expect(mock.flaky.get(name)).toBe(4);
      expect(answers.filter((r) => r.headers.get('x-lite-proxy-config') === flaky.id)).toHaveLength(1);
      expect((await health()).state).toBe('HEALTHY');
    });

    test('a group whose only config cools is still tried (the soonest to recover): each request tries it, and once more after 0.5 s', async () => {
      const name = `alone-${kind}`;
      const only = await app.addConfig({ proxyModelName: 'alone', baseUrl: mock.baseUrl, backendModelName: `flaky:${name}:6` });
      // One config: each request tries it, then once more after 0.5 s; six failures trip it.
      for (let i = 0; i < 3; i++) expect((await ask(app, 'alone')).status).toBe(503);
      expect(mock.flaky.get(name)).toBe(6);
      const cooling = (await app.gql(`{ config(id: "${only.id}") { health { state } } }`)).data.config.health.state;
      expect(cooling).toBe('COOLING');
      // Cooling, and the only one: tried rather than refused untried (it answers now).
      const res = await ask(app, 'alone');
      expect(res.status).toBe(200);
    }, 20_000);

    test('while the only config\'s half-open probe is out, other requests get 503 no_healthy_backend without an attempt', async () => {
      const name = `out-${kind}`;
      // Four failures, then slow answers (400 ms): the probe is still out while the others arrive.
      await app.addConfig({ proxyModelName: 'probe-out', baseUrl: mock.baseUrl, backendModelName: `flaky:${name}:4:503:400` });
      // Two failures (an attempt and its retry); then the third trips it, and the retry 0.5 s later is a failed probe.
      expect((await ask(app, 'probe-out')).status).toBe(503);
      expect((await ask(app, 'probe-out')).status).toBe(503);
      expect(mock.flaky.get(name)).toBe(4);
      await Bun.sleep(650);
      const answers = await Promise.all(Array.from({ length: 20 }, () => ask(app, 'probe-out')));
      expect(mock.flaky.get(name)).toBe(5);
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
      const refused = answers.filter((r) => r.status === 503);
      expect(refused).toHaveLength(19);
      expect(await refused[0]!.json()).toMatchObject({ error: { code: 'no_healthy_backend', message: expect.stringContaining('probe-out') } });
    }, 20_000);
  });
}
