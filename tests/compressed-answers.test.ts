/**
 * Compressed answers (issue 11): the client's Accept-Encoding goes to the backend; a client that
 * accepts the answer's coding gets the backend's compressed bytes untouched, one that does not gets
 * them inflated; the log always holds the inflated answer (usage too), a bomb is inflated only as a
 * stream, an echoed key never reaches the client, and a body that does not inflate is said so in the log.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { brotliCompressSync, gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import type { LogRow } from '../server/store/types.ts';
import { startApp, type TestApp } from './helpers/app.ts';
import { completion, fixtureSse } from './helpers/mock-upstream.ts';

const KEY = 'sk-backend-compressed-0123456789abcdef';
const SSE_FIXTURE = 'openai-chat-text';

/** 1 MiB of filler ahead of the usage, so that the answer is larger than the log's budget (LOG_BODY_BYTES 64 KiB here). */
const bigJson = (mb: number) => `{"id":"big","object":"chat.completion","filler":"${'a'.repeat(mb * 1024 * 1024)}","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`;

describe('compressed answers', () => {
  let app: TestApp;
  let backend: ReturnType<typeof Bun.serve>;
  const seenAcceptEncoding: (string | null)[] = [];
  const bodies = new Map<string, Uint8Array>();
  const compressed = (name: string, bytes: Uint8Array) => (bodies.set(name, bytes), bytes);
  const sse = fixtureSse(SSE_FIXTURE);
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 'a'.charCodeAt(0)));

  beforeAll(async () => {
    backend = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(request) {
        const { model } = (await request.json()) as { model: string };
        seenAcceptEncoding.push(request.headers.get('accept-encoding'));
        const json = (bytes: Uint8Array, encoding: string, status = 200) =>
          new Response(bytes as Uint8Array<ArrayBuffer>, { status, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
        switch (model) {
          case 'gzip-json': return json(compressed(model, gzipSync(JSON.stringify(completion('squeezed')))), 'gzip');
          case 'zstd-json': return json(compressed(model, zstdCompressSync(JSON.stringify(completion('zstd')))), 'zstd');
          case 'big-gzip': return json(compressed(model, gzipSync(bigJson(2))), 'gzip');
          case 'bomb': return json(compressed(model, bomb), 'gzip');
          case 'key-in-error': return json(gzipSync(JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } })), 'gzip', 401);
          case 'key-in-answer': return json(gzipSync(JSON.stringify(completion(`${'x'.repeat(200_000)} your key is ${KEY}`))), 'gzip');
          case 'corrupt': return json(compressed(model, new TextEncoder().encode('this is not gzip at all')), 'gzip');
          case 'unknown-coding': return json(compressed(model, new TextEncoder().encode('compressed by lzw')), 'compress');
          case 'br-sse': {
            const bytes = compressed(model, brotliCompressSync(sse));
            // In pieces, as a stream comes.
            const body = new ReadableStream<Uint8Array>({
              async start(c) {
                for (let at = 0; at < bytes.length; at += 97) {
                  c.enqueue(bytes.subarray(at, at + 97));
                  await Bun.sleep(1);
                }
                c.close();
              },
            });
            return new Response(body, { headers: { 'content-type': 'text/event-stream', 'content-encoding': 'br' } });
          }
          default: return new Response('no such model', { status: 404 });
        }
      },
    });
    app = await startApp({ logBodyBytes: 64 * 1024 });
    for (const model of ['gzip-json', 'zstd-json', 'big-gzip', 'bomb', 'key-in-error', 'key-in-answer', 'corrupt', 'unknown-coding', 'br-sse']) {
      await app.addConfig({ proxyModelName: model, baseUrl: `http://127.0.0.1:${backend.port}/v1`, backendModelName: model, apiKey: KEY });
    }
  });
  afterAll(async () => {
    await app.stop();
    backend.stop(true);
  });

  const post = (model: string, acceptEncoding: string | null, extra: Record<string, unknown> = {}) => fetch(`${app.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(acceptEncoding === null ? {} : { 'accept-encoding': acceptEncoding }) },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
    // The test reads the bytes as they came.
    decompress: false,
  });
  const logOf = async (model: string): Promise<LogRow> => {
    await app.drain();
    const [summary] = await app.store.queryLogs({ filter: { model }, limit: 1 });
    return (await app.store.getLog(summary!.id))!;
  };

  test("the client's Accept-Encoding reaches the backend; none is sent when the client sent none", async () => {
    seenAcceptEncoding.length = 0;
    await (await post('gzip-json', 'br;q=1, gzip;q=0.5')).arrayBuffer();
    await (await post('gzip-json', null)).arrayBuffer();
    expect(seenAcceptEncoding).toEqual(['br;q=1, gzip;q=0.5', null]);
  });

  for (const [model, coding] of [['gzip-json', 'gzip'], ['zstd-json', 'zstd']] as const) {
    test(`a client that accepts ${coding} gets the backend's bytes and Content-Encoding; the log holds the answer inflated`, async () => {
      const res = await post(model, `${coding}, deflate`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(coding);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(bodies.get(model)!));
      const row = await logOf(model);
      expect(row.responseBody).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: model === 'gzip-json' ? 'squeezed' : 'zstd' } }] });
      expect(row.totalTokens).toBe(12);
      expect((row.responseHeaders as Record<string, string>)['content-encoding']).toBe(coding);
      expect(row.error).toBeNull();
    });
  }

  test('a client that does not accept the coding (or sends no Accept-Encoding, or refuses it with q=0) gets the answer inflated', async () => {
    for (const acceptEncoding of [null, 'br', 'gzip;q=0', 'identity']) {
      const res = await post('gzip-json', acceptEncoding);
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'squeezed' } }] });
    }
    const star = await post('gzip-json', '*');
    expect(star.headers.get('content-encoding')).toBe('gzip');
  });

  test('a compressed answer larger than the log budget: passed or inflated whole, logged within the budget, usage from its end', async () => {
    const passed = await post('big-gzip', 'gzip');
    expect(passed.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(new Uint8Array(await passed.arrayBuffer())).toString()).toBe(bigJson(2));
    const row = await logOf('big-gzip');
    expect(row.responseBody).toMatchObject({ _truncated: true, bytes: bigJson(2).length });
    expect(row.totalTokens).toBe(7);
    const inflatedRes = await post('big-gzip', null);
    expect(await inflatedRes.text()).toBe(bigJson(2));
  });

  test('a brotli event stream passes as it came to a client that takes br, and the log assembles it as it does a plain one', async () => {
    // The client asked for usage itself: nothing is taken out of the stream, which can stay compressed.
    const res = await post('br-sse', 'gzip, br', { stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(bodies.get('br-sse')!));
    const row = await logOf('br-sse');
    expect(row.error).toBeNull();
    expect(row.responseBody).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant' } }] });
    // Without br, the client reads the stream itself; the log is the same.
    const plain = await post('br-sse', 'gzip', { stream: true, stream_options: { include_usage: true } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(sse);
    const plainRow = await logOf('br-sse');
    expect(plainRow.id).not.toBe(row.id);
    expect(row.chunks!.length).toBeGreaterThan(100);
    expect({ chunks: row.chunks, body: row.responseBody, tokens: row.totalTokens }).toEqual({ chunks: plainRow.chunks, body: plainRow.responseBody, tokens: plainRow.totalTokens });
  });

  test('a compressed stream whose usage the proxy asked for reaches the client inflated, without the usage event', async () => {
    const res = await post('br-sse', 'gzip, br', { stream: true });
    expect(res.headers.get('content-encoding')).toBeNull();
    const text = await res.text();
    const usageOnly = (e: string) => e.startsWith('data: {') && /"choices":\[\]/.test(e) && e.includes('"usage"');
    expect(text).toBe(sse.split('\n\n').filter((e) => !usageOnly(e)).join('\n\n'));
  });

  test('a decompression bomb (64 KB of gzip that inflates to 64 MB) passes as it came, and is logged within the budget', async () => {
    const res = await post('bomb', 'gzip');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(new Uint8Array(await res.arrayBuffer()).byteLength).toBe(bomb.byteLength);
    const row = await logOf('bomb');
    expect(row.responseBody).toMatchObject({ _truncated: true, bytes: 64 * 1024 * 1024 });
    expect((row.responseBody as { preview: string }).preview.length).toBeLessThanOrEqual(64 * 1024);
    // Inflated for a client that does not take gzip: all of it, as a stream.
    const inflatedRes = await post('bomb', null);
    let bytes = 0;
    for await (const chunk of inflatedRes.body!) bytes += chunk.byteLength;
    expect(bytes).toBe(64 * 1024 * 1024);
  });

  test("a backend's compressed error that echoes the key is inflated for the client, with the key masked", async () => {
    const res = await post('key-in-error', 'gzip');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-encoding')).toBeNull();
    const text = await res.text();
    expect(text).toContain('Incorrect API key provided: [redacted]');
    expect(text).not.toContain(KEY);
    const row = await logOf('key-in-error');
    expect(JSON.stringify(row)).not.toContain(KEY);
    expect(row.error).toContain('[redacted]');
  });

  test('a compressed answer that passes as it came and holds the key is cut before the key; inflated, the key is masked', async () => {
    // The key is in its first chunk: the answer is cut before any of it is sent.
    const got: Uint8Array[] = [];
    let failed = false;
    try {
      const res = await post('key-in-answer', 'gzip');
      for await (const chunk of res.body!) got.push(chunk);
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(Buffer.concat(got).includes(Buffer.from(KEY))).toBe(false);
    const row = await logOf('key-in-answer');
    expect(row.error).toContain('echoed the config');
    expect(JSON.stringify(row)).not.toContain(KEY);
    const inflatedRes = await post('key-in-answer', null);
    const text = await inflatedRes.text();
    expect(text).toContain('your key is [redacted]');
    expect(text).not.toContain(KEY);
  });

  test('a body that does not inflate reaches the client as it came, and the log says why it holds none of it', async () => {
    const res = await post('corrupt', 'gzip');
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(bodies.get('corrupt')!));
    const row = await logOf('corrupt');
    expect(row.error).toContain('does not inflate');
    // Inflated for the client instead, it is a broken answer.
    await expect(post('corrupt', null).then((r) => r.text())).rejects.toThrow();
  });

  test('a coding the proxy cannot inflate passes as it came and is logged by its size', async () => {
    const res = await post('unknown-coding', 'gzip');
    expect(res.headers.get('content-encoding')).toBe('compress');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(bodies.get('unknown-coding')!));
    const row = await logOf('unknown-coding');
    expect(row.responseBody).toMatchObject({ _encoded: true, encoding: 'compress', bytes: bodies.get('unknown-coding')!.byteLength });
  });
});

describe('compressed answers with logging off', () => {
  test('pass as they came without being inflated, and an echoed key still never reaches the client', async () => {
    const key = 'sk-backend-unlogged-0123456789abcdef';
    const backend = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(request) {
        const { model } = (await request.json()) as { model: string };
        const content = model === 'leaky' ? `your key is ${key}` : 'quiet';
        return new Response(gzipSync(JSON.stringify(completion(content))) as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
      },
    });
    const app = await startApp({ logRequests: false });
    try {
      for (const model of ['quiet', 'leaky']) {
        await app.addConfig({ proxyModelName: model, baseUrl: `http://127.0.0.1:${backend.port}/v1`, backendModelName: model, apiKey: key });
      }
      const post = (model: string) => fetch(`${app.baseUrl}/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' }, body: JSON.stringify({ model }), decompress: false,
      });
      const quiet = await post('quiet');
      expect(quiet.headers.get('content-encoding')).toBe('gzip');
      expect(JSON.parse(gunzipSync(new Uint8Array(await quiet.arrayBuffer())).toString())).toMatchObject({ choices: [{ message: { content: 'quiet' } }] });
      let got = Buffer.alloc(0);
      let failed = false;
      try {
        const leaky = await post('leaky');
        got = Buffer.from(await leaky.arrayBuffer());
      } catch {
        failed = true;
      }
      expect(failed).toBe(true);
      expect(got.includes(Buffer.from(key))).toBe(false);
    } finally {
      await app.stop();
      backend.stop(true);
    }
  });
});
