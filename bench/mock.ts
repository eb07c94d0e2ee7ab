/**
 * The benchmark's upstream: an OpenAI-compatible mock written for speed (answers prepared once,
 * no logging). Its behaviour is picked by the backend model name, so that direct and proxied
 * calls run the very same code:
 *   json                      a chat.completion, after MOCK_LATENCY_MS (default 0)
 *   stream:<n>:<ms>           n chat chunks, the first at once, then one every ms, then [DONE]
 *   first-byte-after:<ms>     a chat.completion after ms of silence
 *   silent-after-first:<ms>   one chunk, ms of silence, one more chunk, [DONE]
 *   big:<mb>                  a chat.completion of mb MB, in 64 KiB chunks without a length, usage at its end
 *   bomb:<mb>                 a gzip answer that inflates to mb MB (about 1 KB of gzip per MB)
 * `GET /stats` counts streams started, completed and cancelled by their client.
 * Started by bench/run.ts as its own process; prints its port on the first line of stdout.
 */
const latencyMs = Number(process.env.MOCK_LATENCY_MS ?? 0);
const encoder = new TextEncoder();

const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 1, model: 'bench',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the benchmark mock.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});
const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const DONE = encoder.encode('data: [DONE]\n\n');

const chunkCache = new Map<number, Uint8Array>();
function chunk(i: number): Uint8Array {
  let c = chunkCache.get(i);
  if (!c) {
    c = encoder.encode(`data: ${JSON.stringify({
      id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'bench',
      choices: [{ index: 0, delta: { content: `tok${i} ` }, finish_reason: null }],
    })}\n\n`);
    chunkCache.set(i, c);
  }
  return c;
}

/** A chat.completion of `mb` MB: its content is filler, its usage at the very end. */
function bigAnswer(mb: number): Uint8Array<ArrayBuffer> {
  const head = '{"id":"chatcmpl-big","object":"chat.completion","created":1,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"';
  const tail = '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}';
  return encoder.encode(head + 'x'.repeat(mb * 1024 * 1024 - head.length - tail.length) + tail);
}
const bigCache = new Map<number, Uint8Array<ArrayBuffer>>();
const bombCache = new Map<number, Uint8Array<ArrayBuffer>>();

function big(mb: number): Response {
  let bytes = bigCache.get(mb);
  if (!bytes) bigCache.set(mb, (bytes = bigAnswer(mb)));
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 65536));
      at += 65536;
    },
  });
  return new Response(body, { headers: JSON_HEADERS });
}

function bomb(mb: number): Response {
  let bytes = bombCache.get(mb);
  if (!bytes) bombCache.set(mb, (bytes = Bun.gzipSync(bigAnswer(mb), { level: 9 }) as Uint8Array<ArrayBuffer>));
  return new Response(bytes, { headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' } });
}

/** Streams begun, finished, and cancelled by their client (the proxy passing on a disconnect). */
const stats = { started: 0, completed: 0, cancelled: 0 };

const USAGE_CHUNK = encoder.encode(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'bench', choices: [], usage: { prompt_tokens: 12, completion_tokens: 64, total_tokens: 76 } })}\n\n`);

function stream(count: number, gapMs: (i: number) => number, signal: AbortSignal, withUsage = false): Response {
  let i = 0;
  let ended = false;
  const cancelled = () => {
    if (ended) return;
    ended = true;
    stats.cancelled++;
  };
  stats.started++;
  signal.addEventListener('abort', cancelled, { once: true });
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i > 0) await Bun.sleep(gapMs(i));
      if (ended) return;
      if (i === count) {
        ended = true;
        stats.completed++;
        if (withUsage) controller.enqueue(USAGE_CHUNK);
        controller.enqueue(DONE);
        return controller.close();
      }
      controller.enqueue(chunk(i++));
    },
    cancel: cancelled,
  });
  return new Response(body, { headers: SSE_HEADERS });
}

const server = Bun.serve({
  port: Number(process.env.MOCK_PORT ?? 0),
  hostname: '127.0.0.1',
  idleTimeout: 0,
  async fetch(request) {
    if (request.method === 'GET') return Response.json(stats);
    const { model = 'json', stream_options: options } = (await request.json().catch(() => ({}))) as { model?: string; stream_options?: { include_usage?: boolean } };
    // As OpenAI-compatible backends do: a stream asked for its usage ends with a usage-only chunk.
    const withUsage = options?.include_usage === true;
    const [kind, a, b] = model.split(':');
    switch (kind) {
      case 'stream':
        return stream(Number(a), () => Number(b), request.signal, withUsage);
      case 'silent-after-first':
        return stream(2, () => Number(a), request.signal, withUsage);
      case 'big':
        return big(Number(a));
      case 'bomb':
        return bomb(Number(a));
      case 'first-byte-after':
        await Bun.sleep(Number(a));
        return new Response(COMPLETION, { headers: JSON_HEADERS });
      case 'status':
        return new Response(JSON.stringify({ error: { message: `mock ${a}`, type: 'mock_error', param: null, code: null } }), { status: Number(a), headers: JSON_HEADERS });
      default:
        if (latencyMs > 0) await Bun.sleep(latencyMs);
        return new Response(COMPLETION, { headers: JSON_HEADERS });
    }
  },
});

console.log(server.port);
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
