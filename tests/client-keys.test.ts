/**
 * Client keys for /v1 (issue 12, first part): CLIENT_AUTH modes, keys made and managed over
 * GraphQL (the secret shown once, stored as a hash), every refusal in OpenAI's shape as the official
 * SDK reads it, allowed models (and /v1/models filtered), revocation on the next request, a client's
 * key never reaching a backend, and its pace (RPM, TPM, in flight). Budgets and cost: budgets-cost.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { startApp, type TestApp } from './helpers/app.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';

const SECRET_SHAPE = /^sk-lp-[A-Za-z0-9]{12}-[A-Za-z0-9_-]{43}$/;
const KEY_FIELDS = 'id name publicId allowedModels rpm tpm maxParallel budgetTokens budgetUsd budgetPeriod expiresAt enabled revokedAt metadata createdAt updatedAt lastUsedAt';

interface ApiKey { id: string; name: string; publicId: string; allowedModels: string[] | null; enabled: boolean; revokedAt: string | null; lastUsedAt: string | null; [k: string]: unknown }

async function createKey(app: TestApp, input: Record<string, unknown>): Promise<{ key: ApiKey; secret: string }> {
  const r = await app.gql(`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret key { ${KEY_FIELDS} } } }`, { i: input });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data.createApiKey;
}

const chat = (app: TestApp, model: string, headers: Record<string, string> = {}) => fetch(`${app.baseUrl}/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
});

const stores: ('sqlite' | 'mongodb')[] = ['sqlite', ...(process.env.MONGODB_URI ? ['mongodb' as const] : [])];

for (const kind of stores) {
  describe(`client keys (${kind})`, () => {
    let app: TestApp;
    let mock: MockUpstream;
    beforeAll(async () => {
      mock = startMockUpstream();
      // The proxy in front is trusted: X-Forwarded-For says where a test's client is.
      app = await startApp({ kind, clientAuth: 'auto', trustedProxies: ['127.0.0.1/32'] });
      await app.addConfig({ proxyModelName: 'open-a', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: 'sk-backend-key-0123456789' });
      await app.addConfig({ proxyModelName: 'open-b', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: 'sk-backend-key-0123456789' });
      await app.addConfig({ proxyModelName: 'keyless', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    });
    afterAll(async () => {
      await app.stop();
      mock.stop();
    });

    test('auto, before any key: a client on this machine is served without one, any other gets 401 saying to create a key', async () => {
      expect((await chat(app, 'open-a')).status).toBe(200);
      const remote = await chat(app, 'open-a', { 'x-forwarded-for': '203.0.113.7' });
      expect(remote.status).toBe(401);
      expect(remote.headers.get('x-should-retry')).toBe('false');
      expect(await remote.json()).toMatchObject({ error: { code: 'invalid_api_key', message: expect.stringContaining('create a key in the admin') } });
      // Before any key, the client's own Authorization still reaches a config without a key (as in 0.1.0).
      const before = mock.requests.length;
      expect((await chat(app, 'keyless', { authorization: 'Bearer sk-client-own-backend-key' })).status).toBe(200);
      expect(mock.requests[before]!.headers.authorization).toBe('Bearer sk-client-own-backend-key');
    });

    test('a key is made with its secret shown once; nothing returns it again, and the store keeps only a hash', async () => {
      const { key, secret } = await createKey(app, { name: 'ci', metadata: { team: 'search' } });
      expect(secret).toMatch(SECRET_SHAPE);
      expect(secret).toContain(key.publicId);
      expect(key).toMatchObject({ name: 'ci', allowedModels: null, enabled: true, revokedAt: null, metadata: { team: 'search' } });
      const fields = (await app.gql('{ __type(name: "ApiKey") { fields { name } } }')).data.__type.fields.map((f: { name: string }) => f.name);
      expect(fields.filter((n: string) => /secret|hash/i.test(n))).toEqual([]);
      const listed = await app.gql(`{ apiKeys { ${KEY_FIELDS} } apiKey(id: "${key.id}") { name } }`);
      expect(JSON.stringify(listed)).not.toContain(secret.slice(19));
      expect(listed.data.apiKey).toEqual({ name: 'ci' });
      const stored = await app.store.listApiKeys();
      expect(JSON.stringify(stored)).not.toContain(secret.slice(19));
      expect(stored.find((k) => k.id === key.id)!.secretHash).toMatch(/^[0-9a-f]{64}$/);
    });

    test('once a key exists every client needs one, this machine too; the SDK reads each refusal', async () => {
      const { secret } = await createKey(app, { name: 'sdk' });
      const none = await chat(app, 'open-a');
      expect(none.status).toBe(401);
      expect(none.headers.get('x-should-retry')).toBe('false');
      expect(await none.json()).toMatchObject({ error: { code: 'invalid_api_key', type: 'invalid_request_error' } });

      const good = new OpenAI({ apiKey: secret, baseURL: app.baseUrl, maxRetries: 0 });
      const answer = await good.chat.completions.create({ model: 'open-a', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.object).toBe('chat.completion');

      const wrong = new OpenAI({ apiKey: `${secret.slice(0, -4)}AAAA`, baseURL: app.baseUrl, maxRetries: 2 });
      const seen = mock.requests.length;
      const err = await wrong.chat.completions.create({ model: 'open-a', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
      expect(mock.requests.length).toBe(seen);
      for (const bad of ['not-a-key', 'sk-lp-short', '']) {
        const res = await chat(app, 'open-a', { authorization: `Bearer ${bad}` });
        expect(res.status).toBe(401);
        expect(JSON.stringify(await res.json())).not.toContain(secret);
      }
      // x-api-key, for clients that send their key there.
      expect((await chat(app, 'open-a', { 'x-api-key': secret })).status).toBe(200);
    });

    test("a client's Lite Proxy key never reaches a backend, whether the config has a key or not", async () => {
      const { secret } = await createKey(app, { name: 'forwarding' });
      const before = mock.requests.length;
      expect((await chat(app, 'open-a', { authorization: `Bearer ${secret}` })).status).toBe(200);
      expect((await chat(app, 'keyless', { 'x-api-key': secret })).status).toBe(200);
      expect((await chat(app, 'keyless', { authorization: `Bearer ${secret}` })).status).toBe(200);
      const seen = mock.requests.slice(before);
      expect(seen).toHaveLength(3);
      expect(seen[0]!.headers.authorization).toBe('Bearer sk-backend-key-0123456789');
      expect(seen[1]!.headers.authorization).toBeUndefined();
      expect(seen[1]!.headers['x-api-key']).toBeUndefined();
      expect(seen[2]!.headers.authorization).toBeUndefined();
      expect(JSON.stringify(seen)).not.toContain(secret);
    });

    test('allowed models: others get 403 model_not_allowed (PermissionDeniedError), and /v1/models lists only the allowed', async () => {
      const { secret } = await createKey(app, { name: 'only-a', allowedModels: ['open-a', 'nothing-*'] });
      const client = new OpenAI({ apiKey: secret, baseURL: app.baseUrl, maxRetries: 0 });
      expect((await client.chat.completions.create({ model: 'open-a', messages: [{ role: 'user', content: 'hi' }] })).object).toBe('chat.completion');
      const err = await client.chat.completions.create({ model: 'open-b', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((err as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('model_not_allowed');
      expect((err as Error).message).toContain('open-b');
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['open-a']);
      const { secret: prefixed } = await createKey(app, { name: 'prefix', allowedModels: ['open-*'] });
      const models = await new OpenAI({ apiKey: prefixed, baseURL: app.baseUrl }).models.list();
      expect(models.data.map((m) => m.id)).toEqual(['open-a', 'open-b']);
    });

    test('revoked, disabled and expired keys are refused on the next request, each saying which', async () => {
      const { key, secret } = await createKey(app, { name: 'short-lived' });
      const auth = { authorization: `Bearer ${secret}` };
      expect((await chat(app, 'open-a', auth)).status).toBe(200);
      await app.gql(`mutation { updateApiKey(id: "${key.id}", input: { enabled: false }) { enabled } }`);
      expect(await (await chat(app, 'open-a', auth)).json()).toMatchObject({ error: { code: 'invalid_api_key', message: 'This API key is disabled' } });
      await app.gql(`mutation { updateApiKey(id: "${key.id}", input: { enabled: true }) { enabled } }`);
      expect((await chat(app, 'open-a', auth)).status).toBe(200);
      const revoked = await app.gql(`mutation { revokeApiKey(id: "${key.id}") { revokedAt } }`);
      expect(revoked.data.revokeApiKey.revokedAt).not.toBeNull();
      expect(await (await chat(app, 'open-a', auth)).json()).toMatchObject({ error: { code: 'invalid_api_key', message: 'This API key has been revoked' } });

      const soon = new Date(Date.now() + 1_500).toISOString();
      const { secret: expiring } = await createKey(app, { name: 'expiring', expiresAt: soon });
      expect((await chat(app, 'open-a', { authorization: `Bearer ${expiring}` })).status).toBe(200);
      await Bun.sleep(1_600);
      expect(await (await chat(app, 'open-a', { authorization: `Bearer ${expiring}` })).json()).toMatchObject({ error: { message: 'This API key has expired' } });
    });

    test('a key used shows when; updating sets what is given and null clears a limit', async () => {
      const { key, secret } = await createKey(app, { name: 'tracked', rpm: 60, budgetTokens: 1000, budgetPeriod: 'MONTH' });
      expect(key.lastUsedAt).toBeNull();
      await chat(app, 'open-a', { authorization: `Bearer ${secret}` });
      const used = await app.gql(`{ apiKey(id: "${key.id}") { lastUsedAt } }`);
      expect(used.data.apiKey.lastUsedAt).not.toBeNull();
      const updated = await app.gql(`mutation { updateApiKey(id: "${key.id}", input: { rpm: null, name: "tracked-2", allowedModels: ["open-b"] }) { name rpm budgetTokens budgetPeriod allowedModels } }`);
      expect(updated.data.updateApiKey).toEqual({ name: 'tracked-2', rpm: null, budgetTokens: 1000, budgetPeriod: 'MONTH', allowedModels: ['open-b'] });
    });

    test('log entries name their key (refusals of a known key too), and the Logs filter takes a key', async () => {
      const { key, secret } = await createKey(app, { name: 'logged' });
      const auth = { authorization: `Bearer ${secret}` };
      expect((await chat(app, 'open-a', auth)).status).toBe(200);
      expect((await chat(app, 'open-b', auth)).status).toBe(200);
      await app.gql(`mutation { revokeApiKey(id: "${key.id}") { id } }`);
      expect((await chat(app, 'open-a', auth)).status).toBe(401);
      await app.drain();
      const page = await app.gql('query($f: LogFilter) { logs(filter: $f) { totalCount nodes { model statusCode apiKeyId apiKeyName requestHeaders } } }', { f: { apiKeyId: key.id } });
      expect(page.errors).toBeUndefined();
      expect(page.data.logs.totalCount).toBe(3);
      expect(page.data.logs.nodes.map((n: { statusCode: number; apiKeyName: string; model: string }) => [n.statusCode, n.apiKeyName, n.model])).toEqual([[401, 'logged', null], [200, 'logged', 'open-b'], [200, 'logged', 'open-a']]);
      // The key itself never: its header is redacted.
      expect(JSON.stringify(page.data)).not.toContain(secret);
      expect(page.data.logs.nodes[1].requestHeaders.authorization).toBe('[redacted]');
      // An unknown key is logged too, with no key named.
      await chat(app, 'open-a', { authorization: 'Bearer sk-lp-AAAAAAAAAAAA-not-a-real-secret-not-a-real-secret-xx' });
      await app.drain();
      const [last] = await app.store.queryLogs({ filter: {}, limit: 1 });
      expect(last).toMatchObject({ statusCode: 401, apiKeyId: null, apiKeyName: null });
    });

    test('bad input is a clear GraphQL error and stores nothing', async () => {
      const before = (await app.store.listApiKeys()).length;
      const cases: [Record<string, unknown>, string][] = [
        [{ name: '' }, 'name must not be empty'],
        [{ name: 'ci' }, 'exists already'],
        [{ name: 'neg', rpm: -1 }, 'rpm must be a whole number'],
        [{ name: 'neg', budgetUsd: -5 }, 'budgetUsd must be a number of 0 or more'],
        [{ name: 'past', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt must be in the future'],
        [{ name: 'meta', metadata: [1, 2] }, 'metadata must be a JSON object'],
        [{ name: 'models', allowedModels: [''] }, 'allowedModels'],
      ];
      for (const [input, message] of cases) {
        const r = await app.gql('mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }', { i: input });
        expect(r.errors?.[0]?.message).toContain(message);
        expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      const period = await app.gql('mutation { createApiKey(input: { name: "p", budgetPeriod: YEAR }) { secret } }');
      expect(period.errors?.[0]?.message).toContain('YEAR');
      const unknown = await app.gql('mutation { revokeApiKey(id: "nope") { id } }');
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await app.store.listApiKeys()).length).toBe(before);
    });
  });
}

describe('client key limits', () => {
  let app: TestApp;
  let mock: MockUpstream;
  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp({ clientAuth: 'required' });
    await app.addConfig({ proxyModelName: 'fast', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    await app.addConfig({ proxyModelName: 'slow', baseUrl: mock.baseUrl, backendModelName: 'slow:5:100' });
  });
  afterAll(async () => {
    await app.stop();
    mock.stop();
  });

  test('rpm 10 under 40 concurrent requests: exactly 10 pass, the rest get 429 with retry-after, and honouring it lets the next one in', async () => {
    const { secret } = await createKey(app, { name: 'rpm', rpm: 10 });
    const auth = { authorization: `Bearer ${secret}` };
    const answers = await Promise.all(Array.from({ length: 40 }, () => chat(app, 'fast', auth)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    const refused = answers.find((r) => r.status === 429)!;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(6);
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s|m\d+s)$/);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'requests' } });
    const ok = answers.find((r) => r.status === 200)!;
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('10');
    // The SDK sees a RateLimitError.
    const err = await new OpenAI({ apiKey: secret, baseURL: app.baseUrl, maxRetries: 0 }).chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    await Bun.sleep(retryAfter * 1_000);
    expect((await chat(app, 'fast', auth)).status).toBe(200);
  }, 20_000);

  test('maxParallel 2 under 10 concurrent streams: never more than 2 at the backend, the others 429, and a finished one frees its place', async () => {
    const { secret } = await createKey(app, { name: 'parallel', maxParallel: 2 });
    const auth = { authorization: `Bearer ${secret}` };
    mock.inflight.peak = 0;
    const stream = () => fetch(`${app.baseUrl}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const results = await Promise.all(Array.from({ length: 10 }, stream));
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 429)).toHaveLength(8);
    expect(results.filter((r) => r.status === 200).every((r) => r.body.includes('[DONE]'))).toBe(true);
    expect(mock.inflight.peak).toBeLessThanOrEqual(2);
    expect((await stream()).status).toBe(200);
  }, 20_000);

  test('tpm: a request reserves its estimate (prompt plus max_tokens); a second that does not fit gets 429 tokens; the real usage gives the rest back', async () => {
    const { secret } = await createKey(app, { name: 'tpm', tpm: 1_000 });
    const ask = (maxTokens: number) => fetch(`${app.baseUrl}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ model: 'slow', stream: true, max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const first = await ask(700);
    expect(first.status).toBe(200);
    // While the first holds its 700+, a second asking as much does not fit.
    const second = await ask(700);
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'tokens' } });
    expect(second.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    await first.text();
    await app.drain();
    // The stream used no tokens it reported: its reservation is back, and the same request fits again.
    const third = await ask(700);
    expect(third.status).toBe(200);
    await third.text();
  }, 20_000);
});

describe('CLIENT_AUTH required and off', () => {
  let mock: MockUpstream;
  beforeAll(() => {
    mock = startMockUpstream();
  });
  afterAll(() => mock.stop());

  test('required: a key from the start, this machine too', async () => {
    const app = await startApp({ clientAuth: 'required' });
    try {
      await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      expect(await (await chat(app, 'm')).json()).toMatchObject({ error: { code: 'invalid_api_key', message: expect.stringContaining('Missing API key') } });
      const { secret } = await createKey(app, { name: 'first' });
      expect((await chat(app, 'm', { authorization: `Bearer ${secret}` })).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  test('off: anyone, from anywhere, and the client Authorization passes to a config without a key', async () => {
    const app = await startApp({ clientAuth: 'off', trustedProxies: ['127.0.0.1/32'] });
    try {
      await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await createKey(app, { name: 'unused' });
      const before = mock.requests.length;
      expect((await chat(app, 'm', { 'x-forwarded-for': '203.0.113.7', authorization: 'Bearer sk-their-own' })).status).toBe(200);
      expect(mock.requests[before]!.headers.authorization).toBe('Bearer sk-their-own');
    } finally {
      await app.stop();
    }
  });
});
