/**
 * Answers by content type: JSON is read whole; other text (plain, HTML, XML, NDJSON) streams through
 * to the client and is logged as text within LOG_BODY_BYTES; binary streams through and is logged
 * by type and size only.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { bodyKind } from '../server/proxy/respond.ts';
import type { LogRow } from '../server/store/types.ts';
import { STORE_KINDS, startApp, type TestApp } from './helpers/app.ts';

const LOG_BODY_BYTES = 2048;
const LONG = 'é'.repeat(3000); // 6000 bytes: past the budget, and cut inside no character
const EURO = '€'.repeat(1000); // 3 bytes each: the budget ends inside a character

/** A backend whose answer's type and body come from the backend model name, `type|body`. */
function startTextBackend() {
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const { model } = (await req.json()) as { model: string };
      const [type, body] = model.split('|') as [string, string];
      const status = type === 'text/plain' && body === 'oops' ? 503 : 200;
      if (type === 'application/x-ndjson') {
        // Three lines, apart in time: they must reach the client as they come.
        const lines = ['{"n":1}\n', '{"n":2}\n', '{"n":3}\n'];
        const stream = new ReadableStream({
          async pull(c) {
            const line = lines.shift();
            if (line === undefined) return c.close();
            await Bun.sleep(30);
            c.enqueue(new TextEncoder().encode(line));
          },
        });
        return new Response(stream, { headers: { 'content-type': type } });
      }
      return new Response(body === 'LONG' ? LONG : body === 'EURO' ? EURO : body, { status, headers: { 'content-type': type } });
    },
  });
}

test('bodyKind: what is read whole, streamed as text, or streamed as bytes', () => {
  expect(['', 'application/json', 'application/json; charset=utf-8', 'application/problem+json'].map(bodyKind)).toEqual(['json', 'json', 'json', 'json']);
  expect(['text/event-stream', 'text/event-stream; charset=utf-8'].map(bodyKind)).toEqual(['sse', 'sse']);
  expect(['text/plain', 'text/html; charset=utf-8', 'application/xml', 'application/atom+xml', 'application/x-ndjson', 'TEXT/CSV'].map(bodyKind))
    .toEqual(['text', 'text', 'text', 'text', 'text', 'text']);
  expect(['audio/mpeg', 'application/octet-stream', 'image/png', 'application/pdf'].map(bodyKind)).toEqual(['binary', 'binary', 'binary', 'binary']);
});

for (const kind of STORE_KINDS) {
  describe(`text answers (${kind})`, () => {
    let app: TestApp;
    let backend: ReturnType<typeof startTextBackend>;
    beforeAll(async () => {
      backend = startTextBackend();
      app = await startApp({ kind, logBodyBytes: LOG_BODY_BYTES });
    });
    afterAll(async () => {
      await app.stop();
      backend.stop(true);
    });

    /** One request through a config whose backend model is `type|body`; the client's answer and the log row. */
    async function through(type: string, body: string) {
      const name = `${type}|${body}`;
      await app.addConfig({ proxyModelName: name, baseUrl: `http://127.0.0.1:${backend.port}/v1`, backendModelName: name });
      const res = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: name }) });
      const text = await res.text();
      await app.drain();
      const page = await app.store.queryLogs({ filter: { model: name }, limit: 1 });
      const row = (await app.store.getLog(page[0]!.id)) as LogRow;
      return { res, text, row };
    }

    test.each([
      ['text/plain', 'plain answer'],
      ['text/html; charset=utf-8', '<p>hello <b>there</b></p>'],
      ['application/xml', '<?xml version="1.0"?><answer>42</answer>'],
    ])('%s reaches the client unchanged and is logged as that text', async (type, body) => {
      const { res, text, row } = await through(type, body);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(text).toBe(body);
      expect(row.responseBody).toBe(body);
      expect(row.statusCode).toBe(200);
      expect(row.error).toBeNull();
    });

    test('a text answer past LOG_BODY_BYTES is logged as its start with a marker; the client gets all of it', async () => {
      const { text, row } = await through('text/plain', 'LONG');
      expect(text).toBe(LONG);
      const logged = row.responseBody as { _truncated: boolean; bytes: number; preview: string };
      expect(logged._truncated).toBe(true);
      expect(logged.bytes).toBe(Buffer.byteLength(LONG));
      expect(Buffer.byteLength(logged.preview)).toBeLessThanOrEqual(LOG_BODY_BYTES);
      expect(logged.preview).toBe('é'.repeat(LOG_BODY_BYTES / 2));
    });

    test('a budget that ends inside a character keeps the whole characters before it, and no U+FFFD', async () => {
      const { text, row } = await through('text/plain; charset=utf-8', 'EURO');
      expect(text).toBe(EURO);
      const logged = row.responseBody as { _truncated: boolean; bytes: number; preview: string };
      expect(logged).toEqual({ _truncated: true, bytes: 3000, preview: '€'.repeat(Math.floor(LOG_BODY_BYTES / 3)) });
    });

    test('a text error answer is logged as text, with the status in the error', async () => {
      const { res, text, row } = await through('text/plain', 'oops');
      expect(res.status).toBe(503);
      expect(text).toBe('oops');
      expect(row.responseBody).toBe('oops');
      expect(row.error).toBe('Backend answered 503 Service Unavailable');
    });

    test('NDJSON streams to the client line by line and is logged as its text', async () => {
      const name = 'application/x-ndjson|';
      await app.addConfig({ proxyModelName: name, baseUrl: `http://127.0.0.1:${backend.port}/v1`, backendModelName: name });
      const res = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: name }) });
      const reader = res.body!.getReader();
      const first = await reader.read();
      // The first line is there before the backend has sent the others.
      expect(new TextDecoder().decode(first.value)).toBe('{"n":1}\n');
      let rest = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
      expect(rest).toBe('{"n":2}\n{"n":3}\n');
      await app.drain();
      const [summary] = await app.store.queryLogs({ filter: { model: name }, limit: 1 });
      expect((await app.store.getLog(summary!.id))!.responseBody).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    });
  });
}
