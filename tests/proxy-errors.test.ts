/**
 * What the proxy answers when a request or a backend goes wrong: OpenAI-shaped errors with the right
 * status, backend errors passed through unchanged, every failure logged, and the server still serving.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import type { LogRow } from '../server/store/types.ts';
import { STORE_KINDS, startApp, type TestApp } from './helpers/app.ts';
import { startMockUpstream, type MockUpstream } from './helpers/mock-upstream.ts';

const SMALL_LIMIT = 1024;

/** Asserts OpenAI's `{"error":{message,type,param,code}}` shape, and any fields given. */
function expectOpenAiError(body: unknown, want: Record<string, unknown> = {}) {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  expect(Object.keys(error ?? {}).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(error).toMatchObject({ message: expect.any(String), type: expect.any(String), code: expect.any(String), ...want });
  expect(error!.param === null || typeof error!.param === 'string').toBe(true);
}

/** A port that nothing listens on: bound once, then released. */
function closedPort(): number {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

describe.each(STORE_KINDS)('proxy errors (%s)', (kind) => {
  let mock: MockUpstream;
  let app: TestApp;
  let small: TestApp;
  let sdk: OpenAI;
  let n = 0;
  const garbage: { status: number; agent: string; target: TestApp }[] = [];

  /** Every request gets its own user-agent, so that its log row can be found among the others. */
  async function send(target: TestApp, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
    const agent = `errors-test-${++n}`;
    const startedAt = performance.now();
    const res = await fetch(`${target.baseUrl}${path}`, {
      method: 'POST', ...init, headers: { 'content-type': 'application/json', ...init.headers, 'user-agent': agent },
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the assertion to show
    }
    return { status: res.status, body, agent, ms: performance.now() - startedAt, target };
  }

  async function logOf(sent: { agent: string; target: TestApp }): Promise<LogRow> {
    await sent.target.drain();
    for (const s of await sent.target.store.queryLogs({ filter: {}, limit: 100 })) {
      if (s.userAgent === sent.agent) return (await sent.target.store.getLog(s.id))!;
    }
    throw new Error(`no log row for ${sent.agent}`);
  }

  async function expectLogged(sent: { agent: string; target: TestApp }, status: number) {
    const row = await logOf(sent);
    expect(row.statusCode).toBe(status);
    expect(row.error).toEqual(expect.any(String));
    return row;
  }

  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp({ kind });
    small = await startApp({ kind, maxBodyBytes: SMALL_LIMIT });
    sdk = new OpenAI({ baseURL: app.baseUrl, apiKey: 'sk-client', maxRetries: 0 });
    const add = (proxyModelName: string, backendModelName: string, extra: Record<string, unknown> = {}) =>
      app.addConfig({ proxyModelName, baseUrl: mock.baseUrl, backendModelName, ...extra });
    await add('ok', 'echo');
    await add('switched-off', 'echo', { enabled: false });
    await add('hangs', 'hang', { timeoutMs: 300 });
    await add('limited', 'status:429');
    await add('broken', 'status:500');
    await app.addConfig({ proxyModelName: 'nowhere', baseUrl: `http://127.0.0.1:${closedPort()}/v1`, backendModelName: 'echo' });
    await small.addConfig({ proxyModelName: 'ok', baseUrl: mock.baseUrl, backendModelName: 'echo' });
  });

  afterAll(async () => {
    await app.stop();
    await small.stop();
    mock.stop();
  });

  test('malformed JSON is a 400 in OpenAI shape', async () => {
    const sent = await send(app, '/chat/completions', { body: '{"model": "ok", "messages": [' });
    expect(sent.status).toBe(400);
    expectOpenAiError(sent.body, { type: 'invalid_request_error' });
    await expectLogged(sent, 400);
  });

  test('a JSON array body is a 400', async () => {
    const sent = await send(app, '/chat/completions', { body: '[{"model":"ok"}]' });
    expect(sent.status).toBe(400);
    expectOpenAiError(sent.body, { type: 'invalid_request_error' });
    await expectLogged(sent, 400);
  });

  test("a body without a model is a 400 naming param 'model'", async () => {
    const sent = await send(app, '/chat/completions', { body: '{"messages":[]}' });
    expect(sent.status).toBe(400);
    expectOpenAiError(sent.body, { type: 'invalid_request_error', param: 'model' });
    await expectLogged(sent, 400);
  });

  test('an empty body is a 400', async () => {
    const sent = await send(app, '/chat/completions', { body: '' });
    expect(sent.status).toBe(400);
    expectOpenAiError(sent.body, { type: 'invalid_request_error' });
    await expectLogged(sent, 400);
  });

  test('an unknown model is a 404 that names it', async () => {
    const err = await sdk.chat.completions.create({ model: 'no-such-model', messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expectOpenAiError({ error: (err as InstanceType<typeof OpenAI.APIError>).error }, { message: expect.stringContaining('no-such-model') });

    const sent = await send(app, '/chat/completions', { body: '{"model":"no-such-model"}' });
    expect(sent.status).toBe(404);
    expectOpenAiError(sent.body, { message: expect.stringContaining('no-such-model') });
    await expectLogged(sent, 404);
  });

  test('a disabled model is a 404', async () => {
    const sent = await send(app, '/chat/completions', { body: '{"model":"switched-off"}' });
    expect(sent.status).toBe(404);
    expectOpenAiError(sent.body, { message: expect.stringContaining('switched-off') });
    await expectLogged(sent, 404);
  });

  test('an unreachable backend is a 502', async () => {
    const sent = await send(app, '/chat/completions', { body: '{"model":"nowhere"}' });
    expect(sent.status).toBe(502);
    expectOpenAiError(sent.body);
    await expectLogged(sent, 502);
  });

  test('a backend silent past timeoutMs is a 504 within a second, and the backend sees the cancel', async () => {
    const before = mock.cancelled.filter((m) => m === 'hang').length;
    const sent = await send(app, '/chat/completions', { body: '{"model":"hangs"}' });
    expect(sent.status).toBe(504);
    expect(sent.ms).toBeGreaterThanOrEqual(250);
    expect(sent.ms).toBeLessThan(1000);
    expectOpenAiError(sent.body);
    const deadline = performance.now() + 1000;
    while (mock.cancelled.filter((m) => m === 'hang').length === before && performance.now() < deadline) await Bun.sleep(5);
    expect(mock.cancelled.filter((m) => m === 'hang').length).toBe(before + 1);
    await expectLogged(sent, 504);
  });

  test('a body over maxBodyBytes is a 413, declared or chunked, and never reaches the backend', async () => {
    const before = mock.requests.length;
    const big = JSON.stringify({ model: 'ok', input: 'x'.repeat(SMALL_LIMIT * 2) });
    const declared = await send(small, '/embeddings', { body: big });
    expect(declared.status).toBe(413);
    expectOpenAiError(declared.body, { type: 'invalid_request_error' });
    await expectLogged(declared, 413);

    const piece = new TextEncoder().encode(' '.repeat(512));
    let pulled = 0;
    const chunked = await send(small, '/embeddings', {
      // A stream body is sent with Transfer-Encoding: chunked and no content-length.
      body: new ReadableStream<Uint8Array>({
        pull(c) {
          if (pulled++ === 0) c.enqueue(new TextEncoder().encode('{"model":"ok","input":"'));
          else if (pulled < 20) c.enqueue(piece);
          else (c.enqueue(new TextEncoder().encode('"}')), c.close());
        },
      }),
    });
    expect(chunked.status).toBe(413);
    expectOpenAiError(chunked.body, { type: 'invalid_request_error' });
    await expectLogged(chunked, 413);
    expect(mock.requests.length).toBe(before);
  });

  test('backend 4xx and 5xx answers pass through with status and body unchanged', async () => {
    for (const [model, status] of [['limited', 429], ['broken', 500]] as const) {
      const sent = await send(app, '/chat/completions', { body: JSON.stringify({ model }) });
      expect(sent.status).toBe(status);
      expect(sent.body).toEqual({ error: { message: `mock error ${status}`, type: 'mock_error', param: null, code: `mock_${status}` } });
      const row = await expectLogged(sent, status);
      expect(row.responseBody as unknown).toEqual(sent.body);
    }
  });

  test('a GET on an unroutable path is a 404 in OpenAI shape', async () => {
    for (const path of ['/no/such/endpoint', '/chat/completions']) {
      const sent = await send(app, path, { method: 'GET' });
      expect(sent.status).toBe(404);
      expectOpenAiError(sent.body);
      await expectLogged(sent, 404);
    }
  });

  test('garbage gets a 4xx: invalid UTF-8, a 5 MB model name, JSON nested 10,000 deep', async () => {
    const bodies: BodyInit[] = [
      new Uint8Array([0x7b, 0x22, 0x6d, 0xff, 0xfe, 0x22, 0x3a, 0xc3, 0x28, 0x7d]),
      new Uint8Array([...new TextEncoder().encode('{"model":"'), 0xff, 0xc0, 0x80, ...new TextEncoder().encode('"}')]),
      JSON.stringify({ model: 'm'.repeat(5 * 1024 * 1024) }),
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
      `{"model":"no-such-model","deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    ];
    for (const body of bodies) {
      const sent = await send(app, '/chat/completions', { body });
      expect(sent.status).toBeGreaterThanOrEqual(400);
      expect(sent.status).toBeLessThan(500);
      expectOpenAiError(sent.body);
      garbage.push(sent);
    }
  });

  test('garbage exchanges are logged like any other error', async () => {
    expect(garbage.length).toBeGreaterThan(0);
    for (const sent of garbage) await expectLogged(sent, sent.status);
  });

  test('after all of that the server still serves and logs a normal request', async () => {
    const answer = await sdk.chat.completions.create({ model: 'ok', messages: [{ role: 'user', content: 'still there?' }] });
    expect(answer.choices[0]!.message.content).toStartWith('echo:');
    const sent = await send(app, '/chat/completions', { body: '{"model":"ok"}' });
    expect(sent.status).toBe(200);
    const row = await logOf(sent);
    expect(row).toMatchObject({ statusCode: 200, error: null, model: 'ok' });
    const health = (await (await fetch(`${app.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });
});

describe('what a refused request leaves behind', () => {
  test('a malformed body is kept in the log as text, and a bad percent-encoding in /models/{id} is a 400', async () => {
    const app = await startApp();
    try {
      const res = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "x",' });
      expect(res.status).toBe(400);
      const bad = await fetch(`${app.baseUrl}/models/%E0%A4%A`);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe('invalid_model');
      await app.drain();
      const rows = await app.store.queryLogs({ filter: { statusCode: 400 }, limit: 10 });
      const logs = await Promise.all(rows.map((r) => app.store.getLog(r.id)));
      expect(logs.map((l) => l!.requestBody)).toContain('{"model": "x",');
    } finally {
      await app.stop();
    }
  });
});

describe('odd hosts and paths', () => {
  async function raw(port: number, head: string): Promise<string> {
    const net = await import('node:net');
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
      let data = '';
      socket.on('data', (b) => (data += b));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
  }

  test('a short Host name (a Compose service called "llm") still reaches /v1 and /health', async () => {
    const app = await startApp();
    try {
      const port = Number(new URL(app.url).port);
      expect(await raw(port, 'GET /v1/models HTTP/1.1\r\nHost: llm\r\nConnection: close\r\n\r\n')).toStartWith('HTTP/1.1 200');
      expect(await raw(port, 'GET /health HTTP/1.1\r\nHost: ai\r\nConnection: close\r\n\r\n')).toStartWith('HTTP/1.1 200');
    } finally {
      await app.stop();
    }
  });

  test('a path that does not start with /v1/ never reaches a backend with its key', async () => {
    const mock = startMockUpstream();
    const app = await startApp();
    try {
      await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: 'sk-secret-key-123456' });
      const port = Number(new URL(app.url).port);
      const body = '{"model":"m"}';
      const answer = await raw(port, `POST //v1/chat/completions HTTP/1.1\r\nHost: abc\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      expect(answer).toStartWith('HTTP/1.1 404');
      expect(mock.requests).toHaveLength(0);
    } finally {
      await app.stop();
      mock.stop();
    }
  });
});
