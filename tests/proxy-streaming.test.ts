/**
 * Streams through the proxy: chunks pass as they arrive and byte for byte, the log assembles them,
 * a client that goes away cancels the backend, a backend that dies is recorded, and a long silence
 * between chunks is not cut.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import type { Json } from '../server/json.ts';
import type { LogRow } from '../server/store/types.ts';
import { STORE_KINDS, startApp, type TestApp } from './helpers/app.ts';
import { startMockUpstream, type MockUpstream } from './helpers/mock-upstream.ts';

interface TimedRead {
  text: string;
  /** ms since the request was sent, for each read that brought bytes. */
  reads: number[];
  endedAt: number;
  error: unknown;
}

/** Reads a body to its end (or failure), timing every read; `stopAfter` aborts once that many reads came. */
async function readTimed(res: Response, startedAt: number, stopAfter?: { reads: number; abort: () => void }): Promise<TimedRead> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const out: TimedRead = { text: '', reads: [], endedAt: 0, error: null };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out.reads.push(performance.now() - startedAt);
      out.text += decoder.decode(value, { stream: true });
      if (stopAfter && out.reads.length >= stopAfter.reads) {
        stopAfter.abort();
        break;
      }
    }
  } catch (err) {
    out.error = err;
  }
  out.endedAt = performance.now() - startedAt;
  return out;
}

/** The parsed `data:` events of an SSE text, [DONE] left out. */
function dataEvents(sse: string): Json[] {
  return sse
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice('data: '.length)) as Json);
}

/** Polls a condition (never a fixed sleep) and reports how long it took to hold, or null. */
async function within(ms: number, cond: () => boolean): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (cond()) return performance.now() - start;
    await Bun.sleep(5);
  }
  return cond() ? performance.now() - start : null;
}

describe.each(STORE_KINDS)('proxy streaming (%s)', (kind) => {
  let mock: MockUpstream;
  let app: TestApp;
  let sdk: OpenAI;
  const backendOf: Record<string, string> = {
    'st-slow': 'slow:10:30',
    'st-abort-fetch': 'slow:50:20',
    'st-abort-sdk': 'slow:51:20',
    'st-die': 'die:3',
    'st-silent': 'silent-after-first:3000',
    'st-sdk': 'slow:5:5',
  };

  const post = (model: string, init: RequestInit = {}) =>
    fetch(`${app.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'go' }] }),
      ...init,
    });

  async function logOf(model: string): Promise<LogRow> {
    await app.drain();
    const [summary] = await app.store.queryLogs({ filter: { model }, limit: 1 });
    expect(summary).toBeDefined();
    return (await app.store.getLog(summary!.id))!;
  }

  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp({ kind });
    sdk = new OpenAI({ baseURL: app.baseUrl, apiKey: 'sk-client', maxRetries: 0 });
    for (const [proxyModelName, backendModelName] of Object.entries(backendOf)) {
      await app.addConfig({ proxyModelName, baseUrl: mock.baseUrl, backendModelName });
    }
  });

  afterAll(async () => {
    await app.stop();
    mock.stop();
  });

  test('a slow stream reaches the client chunk by chunk, byte for byte', async () => {
    const startedAt = performance.now();
    const res = await post('st-slow');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const got = await readTimed(res, startedAt);
    expect(got.error).toBeNull();
    expect(got.text).toBe(mock.sent.get(backendOf['st-slow']!)!);
    // Ten chunks 30 ms apart: a buffering proxy would deliver the first one at the end.
    expect(got.reads.length).toBeGreaterThanOrEqual(5);
    expect(got.reads[0]!).toBeLessThan(got.endedAt / 2);
  });

  test('the log of a stream holds the assembled text and every parsed chunk', async () => {
    const sent = mock.sent.get(backendOf['st-slow']!)!;
    const chunks = dataEvents(sent);
    const text = Array.from({ length: 10 }, (_, i) => `t${i} `).join('');
    const row = await logOf('st-slow');
    expect(row).toMatchObject({ stream: true, statusCode: 200, error: null, backendModel: 'slow:10:30', streamContent: text });
    expect(row.chunks).toEqual(chunks);
    expect(row.chunks).toHaveLength(10);
    expect((row.responseBody as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(text);
    expect(row.ttftMs).toBeGreaterThan(0);
    expect(row.ttftMs!).toBeLessThan(row.durationMs);
    expect(row.durationMs).toBeGreaterThanOrEqual(250);
  });

  test('a client that aborts a fetch mid-stream cancels the backend, and the log records it', async () => {
    const controller = new AbortController();
    const startedAt = performance.now();
    const res = await post('st-abort-fetch', { signal: controller.signal });
    const got = await readTimed(res, startedAt, { reads: 2, abort: () => controller.abort() });
    expect(got.text).toContain('t0 ');
    expect(await within(1000, () => mock.cancelled.includes(backendOf['st-abort-fetch']!))).not.toBeNull();

    const row = await logOf('st-abort-fetch');
    expect(row.stream).toBe(true);
    expect(row.error).toEqual(expect.any(String));
    // The backend was cut long before its 50 chunks × 20 ms.
    expect(row.durationMs).toBeLessThan(900);
  });

  test("an SDK stream aborted through its controller cancels the backend, and the log records it", async () => {
    const stream = await sdk.chat.completions.create({ model: 'st-abort-sdk', messages: [], stream: true });
    let received = 0;
    try {
      for await (const chunk of stream) {
        received += chunk.choices.length;
        if (received === 2) stream.controller.abort();
      }
    } catch (err) {
      expect((err as Error).name).toMatch(/Abort/);
    }
    expect(received).toBeGreaterThanOrEqual(2);
    expect(received).toBeLessThan(51);
    expect(await within(1000, () => mock.cancelled.includes(backendOf['st-abort-sdk']!))).not.toBeNull();
    const row = await logOf('st-abort-sdk');
    expect(row.error).toEqual(expect.any(String));
  });

  test('a backend dying mid-stream ends the client stream with an error event in OpenAI\'s shape, and is logged as an error', async () => {
    const res = await post('st-die');
    expect(res.status).toBe(200);
    const got = await readTimed(res, performance.now());
    expect(got.text).toContain('t2 ');
    expect(got.text).not.toContain('[DONE]');
    const events = dataEvents(got.text);
    expect(events).toHaveLength(4);
    expect(events[3]).toMatchObject({ error: { code: 'upstream_failed', type: 'api_error' } });

    const row = await logOf('st-die');
    expect(row.error).toEqual(expect.any(String));
    expect(row.chunks).toEqual(dataEvents(mock.sent.get('die:3')!));
    expect(row.streamContent).toBe('t0 t1 t2 ');
  });

  test('three seconds of silence after the first chunk do not cut the stream', async () => {
    const res = await post('st-silent');
    const got = await readTimed(res, performance.now());
    expect(got.error).toBeNull();
    expect(got.endedAt).toBeGreaterThanOrEqual(2900);
    expect(got.text).toBe(mock.sent.get(backendOf['st-silent']!)!);
    expect(got.text.endsWith('data: [DONE]\n\n')).toBe(true);
    const row = await logOf('st-silent');
    expect(row).toMatchObject({ error: null, streamContent: 'first second' });
  }, 10_000);

  test('the SDK iterates a proxied stream to its full text', async () => {
    const stream = await sdk.chat.completions.create({ model: 'st-sdk', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(chunks).toBe(5);
    expect(text).toBe('t0 t1 t2 t3 t4 ');
    expect(JSON.parse(mock.requests.at(-1)!.body)).toMatchObject({ model: 'slow:5:5', stream: true });
  });
});
