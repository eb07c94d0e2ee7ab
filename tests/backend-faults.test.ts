/**
 * Backends that misbehave (issue 11): a stream whose first event never comes is a 504 within the
 * config's timeoutMs, as a silent JSON backend's is; a stream that goes silent past
 * STREAM_IDLE_TIMEOUT_MS is cut with a final error event in OpenAI's shape, and the log says so.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LogRow } from '../server/store/types.ts';
import { startApp, type TestApp } from './helpers/app.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';

const dataEvents = (sse: string) =>
  sse.split('\n').filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]').map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

describe('stream timeouts', () => {
  let app: TestApp;
  let mock: MockUpstream;
  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp({ streamIdleTimeoutMs: 400 });
    const add = (name: string, backend: string, timeoutMs = 300) =>
      app.addConfig({ proxyModelName: name, baseUrl: mock.baseUrl, backendModelName: backend, timeoutMs });
    await add('silent', 'sse-silent:5000');
    await add('comment-only', 'sse-silent:5000:comment');
    await add('late-but-in-time', 'sse-silent:100', 2_000);
    await add('idle', 'silent-after-first:3000', 2_000);
    await add('pauses', 'slow:4:250', 2_000);
  });
  afterAll(async () => {
    await app.stop();
    mock.stop();
  });
  const stream = (model: string) => fetch(`${app.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const logOf = async (model: string): Promise<LogRow> => {
    await app.drain();
    const [summary] = await app.store.queryLogs({ filter: { model }, limit: 1 });
    return (await app.store.getLog(summary!.id))!;
  };

  for (const model of ['silent', 'comment-only']) {
    test(`a 200 event stream with no first event (${model}) is a 504 upstream_timeout after timeoutMs, and the backend is cancelled`, async () => {
      const started = performance.now();
      const res = await stream(model);
      const took = performance.now() - started;
      expect(res.status).toBe(504);
      expect(res.headers.get('content-type')).toStartWith('application/json');
      expect(await res.json()).toMatchObject({ error: { code: 'upstream_timeout' } });
      expect(took).toBeGreaterThanOrEqual(280);
      expect(took).toBeLessThan(2_000);
      const row = await logOf(model);
      expect(row.statusCode).toBe(504);
      expect(row.error).toContain('300 ms');
      const deadline = performance.now() + 2_000;
      while (!mock.cancelled.includes(model === 'silent' ? 'sse-silent:5000' : 'sse-silent:5000:comment') && performance.now() < deadline) await Bun.sleep(10);
      expect(mock.cancelled).toContain(model === 'silent' ? 'sse-silent:5000' : 'sse-silent:5000:comment');
    });
  }

  test('a first event inside timeoutMs passes, whole', async () => {
    const res = await stream('late-but-in-time');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('late');
  });

  test('silence past STREAM_IDLE_TIMEOUT_MS after the first event ends the stream with an error event; the log says so', async () => {
    const res = await stream('idle');
    expect(res.status).toBe(200);
    const started = performance.now();
    const text = await res.text();
    expect(performance.now() - started).toBeLessThan(2_500);
    const events = dataEvents(text);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ error: { code: 'upstream_idle_timeout', type: 'api_error' } });
    expect(text).not.toContain('second');
    const row = await logOf('idle');
    expect(row.error).toContain('400 ms');
    expect(row.streamContent).toBe('first ');
  });

  test('pauses shorter than the idle limit pass, however many', async () => {
    const res = await stream('pauses');
    const events = dataEvents(await res.text());
    expect(events).toHaveLength(4);
    expect(events.some((e) => 'error' in e)).toBe(false);
  });
});

describe('large JSON answers', () => {
  const BIG = 5 * 1024 * 1024;
  /** A JSON answer of `BIG` bytes, sent in 64 KiB chunks without a length, its usage at the very end. */
  function startBigBackend() {
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch() {
        const head = '{"id":"big","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"';
        const tail = '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":22,"total_tokens":33}}';
        const text = head + 'x'.repeat(BIG - head.length - tail.length) + tail;
        const bytes = new TextEncoder().encode(text);
        let at = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (at >= bytes.length) return c.close();
            c.enqueue(bytes.subarray(at, at + 65_536));
            at += 65_536;
          },
        });
        return new Response(body, { headers: { 'content-type': 'application/json' } });
      },
    });
    return { baseUrl: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
  }

  test('an answer past LOG_BODY_BYTES streams through whole; the log keeps a bounded start and still has the usage', async () => {
    const backend = startBigBackend();
    const app = await startApp({ logBodyBytes: 4096 });
    try {
      await app.addConfig({ proxyModelName: 'big', baseUrl: backend.baseUrl, backendModelName: 'b' });
      const res = await fetch(`${app.baseUrl}/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'big', messages: [] }),
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { usage: unknown; choices: { message: { content: string } }[] };
      expect(answer.usage).toEqual({ prompt_tokens: 11, completion_tokens: 22, total_tokens: 33 });
      expect(answer.choices[0]!.message.content.length).toBeGreaterThan(BIG - 300);
      await app.drain();
      const [summary] = await app.store.queryLogs({ filter: { model: 'big' }, limit: 1 });
      expect(summary).toMatchObject({ promptTokens: 11, completionTokens: 22, totalTokens: 33, statusCode: 200, error: null });
      const row = (await app.store.getLog(summary!.id))!;
      expect(row.responseBody).toMatchObject({ _truncated: true, bytes: BIG });
      expect(((row.responseBody as { preview: string }).preview).length).toBeLessThanOrEqual(4096);
    } finally {
      await app.stop();
      backend.stop();
    }
  });
});

describe("a backend that echoes the config's key", () => {
  const KEY = 'sk-backend-secret-0123456789abcdef';
  /** Echoes the Authorization it got in a header, in a JSON error, and split across SSE chunks. */
  function startEchoBackend() {
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const auth = req.headers.get('authorization') ?? '';
        const { stream } = (await req.json()) as { stream?: boolean };
        const headers = { 'x-echo': `you sent ${auth}` };
        if (!stream) return Response.json({ error: { message: `Invalid key ${auth.slice(7)} (key: ${auth.slice(7)})` } }, { status: 401, headers });
        const text = `data: {"choices":[{"index":0,"delta":{"content":"key=${auth.slice(7)}"}}]}\n\ndata: [DONE]\n\n`;
        const bytes = new TextEncoder().encode(text);
        // Cut inside the key, byte by byte around it, so that no chunk holds it whole.
        const cut = text.indexOf('sk-backend') + 5;
        const parts = [bytes.subarray(0, cut), ...Array.from(bytes.subarray(cut, cut + 10), (b) => new Uint8Array([b])), bytes.subarray(cut + 10)];
        const body = new ReadableStream<Uint8Array>({
          async pull(c) {
            const part = parts.shift();
            if (!part) return c.close();
            await Bun.sleep(2);
            c.enqueue(part);
          },
        });
        return new Response(body, { headers: { ...headers, 'content-type': 'text/event-stream' } });
      },
    });
    return { baseUrl: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
  }

  test('the key is [redacted] in headers, JSON bodies and streams, for the client and in the log', async () => {
    const backend = startEchoBackend();
    const app = await startApp();
    try {
      await app.addConfig({ proxyModelName: 'echo', baseUrl: backend.baseUrl, backendModelName: 'b', apiKey: KEY });
      const post = (stream: boolean) => fetch(`${app.baseUrl}/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'echo', stream, messages: [] }),
      });
      const json = await post(false);
      expect(json.status).toBe(401);
      expect(json.headers.get('x-echo')).toBe('you sent Bearer [redacted]');
      expect(await json.json()).toEqual({ error: { message: 'Invalid key [redacted] (key: [redacted])' } });

      const sse = await post(true);
      expect(sse.headers.get('x-echo')).toBe('you sent Bearer [redacted]');
      const text = await sse.text();
      expect(text).toContain('"content":"key=[redacted]"');
      expect(text).not.toContain('sk-backend');
      expect(text).toEndWith('data: [DONE]\n\n');

      await app.drain();
      const rows = await app.store.queryLogRows({ filter: { model: 'echo' }, limit: 10 });
      expect(rows).toHaveLength(2);
      expect(JSON.stringify(rows)).not.toContain('sk-backend');
      expect(rows.find((r) => r.stream)!.streamContent).toBe('key=[redacted]');
    } finally {
      await app.stop();
      backend.stop();
    }
  });
});

test('odd data events (null, numbers, text, broken JSON) pass as they came, and the log API answers for them', async () => {
  const raw = 'data: null\n\ndata: 42\n\ndata: hello there\n\ndata: {"broken":\n\ndata: [DONE]\n\n';
  const backend = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response(raw, { headers: { 'content-type': 'text/event-stream' } }) });
  const app = await startApp();
  try {
    await app.addConfig({ proxyModelName: 'odd', baseUrl: `http://127.0.0.1:${backend.port}/v1`, backendModelName: 'b' });
    const res = await fetch(`${app.baseUrl}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'odd', stream: true, messages: [] }),
    });
    expect(await res.text()).toBe(raw);
    await app.drain();
    const [summary] = await app.store.queryLogs({ filter: { model: 'odd' }, limit: 1 });
    const r = await app.gql<{ log: { chunks: unknown[]; streamContent: string | null } }>('query($id: ID!) { log(id: $id) { chunks streamContent } }', { id: summary!.id });
    expect(r.errors).toBeUndefined();
    expect(r.data!.log.chunks).toEqual([null, 42, 'hello there', '{"broken":']);
  } finally {
    await app.stop();
    backend.stop(true);
  }
});
