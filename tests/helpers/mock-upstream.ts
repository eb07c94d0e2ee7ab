/**
 * A mock OpenAI-compatible backend on a real port. What it does is chosen by the backend model
 * name the proxy sends (so a test picks a behaviour by configuring a model):
 *   echo                  JSON chat.completion whose content echoes the request; usage included
 *   repeat                answers with the last message's content: streamed word by word (20 ms
 *                         apart) when the request asks for a stream, as JSON otherwise
 *   fixture:<file>        replays tests/fixtures/provider-streams/<file>.jsonl as SSE
 *   slow:<n>:<ms>         n chat chunks, one every ms, then [DONE]
 *   silent-after-first:<ms>  one chunk, silence for ms, then the rest
 *   hang                  never answers (until the client goes away)
 *   delay:<ms>            answers JSON after ms
 *   status:<code>         answers that status with an OpenAI error body
 *   die:<n>               n chunks, then the connection breaks
 *   binary                audio/mpeg bytes
 *   gzip                  a JSON answer sent gzip-compressed
 *   no-usage              JSON chat.completion with no usage (as some local servers answer)
 *   sse-error             a 200 event stream whose first event is an error (`data: {"error":…}`)
 *   flaky:<name>:<n>[:<code>[:<ms>]]  the first n requests of <name> answer <code> (503 by default,
 *                         429 with retry-after: 0), the next ones JSON (after ms); `flaky` counts them
 * Every request is recorded, every stream remembers whether the client cancelled it, and `sent`
 * keeps the bytes each generated stream enqueued (what a client of the proxy must receive).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// A copy of ../shared/fixtures/provider-streams (Apache-2.0, see its README) so that a fresh clone tests alone.
export const FIXTURES_DIR = join(import.meta.dir, '../fixtures/provider-streams');

export interface SeenRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: string;
  contentType: string | null;
  /** Set for multipart requests. */
  form?: FormData;
}

export function fixtureEvents(name: string): string[] {
  return readFileSync(join(FIXTURES_DIR, `${name}.jsonl`), 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** The exact bytes the mock sends for a fixture: what a client of the proxy must receive. */
export function fixtureSse(name: string): string {
  const events = fixtureEvents(name);
  if (name.includes('responses')) {
    return events.map((data) => `event: ${(JSON.parse(data) as { type: string }).type}\ndata: ${data}\n\n`).join('');
  }
  return `${events.map((data) => `data: ${data}\n\n`).join('')}data: [DONE]\n\n`;
}

const chunk = (i: number, content: string, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1, model: 'mock', choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra })}\n\n`;

export function startMockUpstream() {
  const requests: SeenRequest[] = [];
  /** Streams whose consumer cancelled them (the proxy aborted the upstream request). */
  const cancelled: string[] = [];
  /** Every byte a generated stream (slow, silent-after-first, die) enqueued, by backend model name; repeats append. */
  const sent = new Map<string, string>();
  /** Requests seen per flaky:<name>. */
  const flaky = new Map<string, number>();
  const encoder = new TextEncoder();

  const sse = (name: string, pull: (c: ReadableStreamDefaultController<Uint8Array>) => Promise<void>, signal: AbortSignal) => {
    const body = new ReadableStream<Uint8Array>({
      async start(c) {
        signal.addEventListener('abort', () => cancelled.push(name));
        try {
          await pull(c);
        } catch {
          // the consumer went away
        }
      },
      cancel() {
        if (!cancelled.includes(name)) cancelled.push(name);
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
  };

  const inflight = { now: 0, peak: 0 };
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const contentType = request.headers.get('content-type');
      const seen: SeenRequest = {
        method: request.method, path: url.pathname, search: url.search,
        headers: Object.fromEntries(request.headers), body: '', contentType,
      };
      let model = '';
      if (contentType?.startsWith('multipart/form-data')) {
        seen.form = await request.formData();
        model = String(seen.form.get('model'));
      } else {
        seen.body = await request.text();
        try {
          model = (JSON.parse(seen.body) as { model?: string }).model ?? '';
        } catch {
          model = '';
        }
      }
      requests.push(seen);
      inflight.now++;
      inflight.peak = Math.max(inflight.peak, inflight.now);
      try {
        return await answer(request, url, seen, model);
      } finally {
        inflight.now--;
      }
    },
  });

  async function answer(request: Request, url: URL, seen: SeenRequest, model: string): Promise<Response> {
    const [kind, a, b] = model.split(':');
    const wait = (ms: number) => Bun.sleep(ms);
    const send = (c: ReadableStreamDefaultController<Uint8Array>, s: string) => {
      c.enqueue(encoder.encode(s));
      sent.set(model, (sent.get(model) ?? '') + s);
    };

    switch (kind) {
      case 'fixture':
        return new Response(fixtureSse(a!), { headers: { 'content-type': 'text/event-stream' } });
      case 'slow':
        return sse(model, async (c) => {
          for (let i = 0; i < Number(a); i++) {
            if (request.signal.aborted) return;
            send(c, chunk(i, `t${i} `));
            await wait(Number(b));
          }
          send(c, 'data: [DONE]\n\n');
          c.close();
        }, request.signal);
      case 'silent-after-first':
        return sse(model, async (c) => {
          send(c, chunk(0, 'first '));
          await wait(Number(a));
          send(c, chunk(1, 'second'));
          send(c, 'data: [DONE]\n\n');
          c.close();
        }, request.signal);
      case 'die':
        return sse(model, async (c) => {
          for (let i = 0; i < Number(a); i++) {
            send(c, chunk(i, `t${i} `));
            await wait(10);
          }
          c.error(new Error('backend crashed'));
        }, request.signal);
      case 'repeat': {
        const body = JSON.parse(seen.body) as { stream?: boolean; messages?: { content: string }[] };
        const text = body.messages?.at(-1)?.content ?? '';
        if (!body.stream) return Response.json(completion(text, model));
        const words = text.split(/(?<=\s)/);
        return sse(model, async (c) => {
          for (const [i, word] of words.entries()) {
            if (request.signal.aborted) return;
            send(c, chunk(i, word));
            await wait(20);
          }
          send(c, chunk(words.length, '', { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
          send(c, `data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length } })}\n\n`);
          send(c, 'data: [DONE]\n\n');
          c.close();
        }, request.signal);
      }
      case 'sse-silent':
        // Headers at once, then nothing (or a comment only, `sse-silent:ms:comment`) for `a` ms, then one event.
        return sse(model, async (c) => {
          if (b === 'comment') send(c, ': keep-alive\n\n');
          await wait(Number(a));
          if (request.signal.aborted) return;
          send(c, chunk(0, 'late'));
          send(c, 'data: [DONE]\n\n');
          c.close();
        }, request.signal);
      case 'hang':
        await new Promise<void>((resolve) => request.signal.addEventListener('abort', () => resolve()));
        cancelled.push(model);
        return new Response(null, { status: 204 });
      case 'delay':
        await wait(Number(a));
        return Response.json(completion('delayed'));
      case 'status':
        return Response.json(
          { error: { message: `mock error ${a}`, type: 'mock_error', param: null, code: `mock_${a}` } },
          { status: Number(a) },
        );
      case 'binary':
        return new Response(new Uint8Array(4096).fill(7), { headers: { 'content-type': 'audio/mpeg' } });
      case 'no-usage': {
        const { usage: _, ...rest } = completion('The quick brown fox jumps over the lazy dog.', model);
        return Response.json(rest);
      }
      case 'sse-error':
        return new Response('data: {"error":{"message":"mock overloaded","type":"server_error","code":"overloaded"}}\n\ndata: [DONE]\n\n', {
          headers: { 'content-type': 'text/event-stream' },
        });
      case 'flaky': {
        const seenBefore = flaky.get(a!) ?? 0;
        flaky.set(a!, seenBefore + 1);
        if (seenBefore < Number(b)) {
          const code = Number(model.split(':')[3] ?? 503);
          return Response.json({ error: { message: `mock flaky ${code}`, type: 'mock_error', param: null, code: `mock_${code}` } }, {
            status: code, headers: code === 429 ? { 'retry-after': '0' } : {},
          });
        }
        const slow = Number(model.split(':')[4] ?? 0);
        if (slow > 0) await wait(slow);
        return Response.json(completion(`flaky ${a} ok`, model));
      }
      case 'no-stream-options':
        // A backend that refuses the field (some older OpenAI-compatible servers do).
        if (seen.body.includes('"stream_options"')) {
          return Response.json({ error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', param: null, code: null } }, { status: 400 });
        }
        return new Response(fixtureSse('openai-chat-text'), { headers: { 'content-type': 'text/event-stream' } });
      case 'context': {
        // context:<max body bytes>[:text]: a longer request gets OpenAI's 400 context_length_exceeded
        // (with ":text", vLLM's wording: the message alone, no code).
        if (seen.body.length <= Number(a)) return Response.json(completion(`fits ${a}`, model));
        const message = `This model's maximum context length is ${a} tokens. However, your messages resulted in ${seen.body.length} tokens.`;
        return Response.json({ error: { message, type: 'invalid_request_error', param: 'messages', code: b === 'text' ? null : 'context_length_exceeded' } }, { status: 400 });
      }
      case 'gzip':
        return new Response(gzipSync(JSON.stringify(completion('compressed'))), {
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        });
      default:
        if (url.pathname.endsWith('/embeddings')) {
          return Response.json({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], model, usage: { prompt_tokens: 3, total_tokens: 3 } });
        }
        return Response.json(completion(`echo: ${seen.body.length} bytes to ${url.pathname}${url.search}`, model), {
          headers: { 'x-mock': 'yes', 'set-cookie': 'session=secret-cookie' },
        });
    }
  }

  return {
    server,
    /** Requests being answered right now, and the most at once. */
    inflight,
    url: `http://127.0.0.1:${server.port}`,
    /** The base URL a config should use. */
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    cancelled,
    sent,
    flaky,
    stop: () => server.stop(true),
    [Symbol.dispose]() {
      server.stop(true);
    },
  };
}

export function completion(content: string, model = 'mock') {
  return {
    id: 'chatcmpl-mock', object: 'chat.completion', created: 1, model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  };
}

export type MockUpstream = ReturnType<typeof startMockUpstream>;
