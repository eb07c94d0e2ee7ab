/** The benchmark's measurements, one function per item of bench/README.md. */
import { addedLatency, type AddedLatency, chatBody, concurrentStreams, readStream, type StreamStats } from './client.ts';
import type { Mock, Proxy } from './procs.ts';
import { median, quantile, slope } from './stats.ts';
import { runWrk, type WrkResult } from './wrk.ts';

export const endpoints = (mock: Mock, proxy: Proxy) => ({
  direct: `${mock.url}/chat/completions`,
  proxied: `${proxy.url}/v1/chat/completions`,
});

export function latency(mock: Mock, proxy: Proxy, size: { warmup: number; rounds: number; perRound: number }, proxiedHeaders?: Record<string, string>): Promise<AddedLatency> {
  const { direct, proxied } = endpoints(mock, proxy);
  return addedLatency({ directUrl: direct, proxiedUrl: proxied, body: chatBody('json'), ...size, proxiedHeaders });
}

export interface Throughput {
  direct: WrkResult;
  proxied: WrkResult;
  ratio: number;
}

export async function throughput(mock: Mock, proxy: Proxy, opts: { seconds: number; connections: number; core: number | null; direct?: WrkResult; proxiedHeaders?: Record<string, string> }): Promise<Throughput> {
  const { direct: directUrl, proxied: proxiedUrl } = endpoints(mock, proxy);
  const run = (url: string, headers?: Record<string, string>) => runWrk({ url, body: chatBody('json'), connections: opts.connections, seconds: opts.seconds, core: opts.core, headers });
  const direct = opts.direct ?? (await run(directUrl));
  const proxied = await run(proxiedUrl, opts.proxiedHeaders);
  return { direct, proxied, ratio: proxied.rps / direct.rps };
}

export interface Streaming {
  streams: number;
  eventsSent: number;
  addedTtftP50Ms: number;
  addedTtftP99Ms: number;
  direct: { ttftP50Ms: number; ttftP99Ms: number; gapP99Ms: number; mergedReads: number };
  proxied: { ttftP50Ms: number; ttftP99Ms: number; gapP99Ms: number; mergedReads: number };
  /** Proxied streams whose client saw a different number of events than the mock sent. */
  incomplete: number;
  reads: number;
}

function summarise(all: StreamStats[]) {
  return {
    ttftP50Ms: quantile(all.map((s) => s.ttftMs), 0.5),
    ttftP99Ms: quantile(all.map((s) => s.ttftMs), 0.99),
    gapP99Ms: quantile(all.flatMap((s) => s.gapsMs), 0.99),
    mergedReads: all.reduce((n, s) => n + s.mergedReads, 0),
  };
}

/** After a warm-up, rounds of `concurrency` direct streams, then as many proxied (order flipped each round). */
export async function streaming(mock: Mock, proxy: Proxy, opts: { rounds: number; concurrency: number; chunks: number; gapMs: number }): Promise<Streaming> {
  const { direct, proxied } = endpoints(mock, proxy);
  const body = chatBody(`stream:${opts.chunks}:${opts.gapMs}`, true);
  // One uncounted round of each first: connections pooled and code compiled, as in a running proxy.
  await concurrentStreams(direct, body, opts.concurrency);
  await concurrentStreams(proxied, body, opts.concurrency);
  const d: StreamStats[] = [];
  const p: StreamStats[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    if (r % 2 === 0) {
      d.push(...(await concurrentStreams(direct, body, opts.concurrency)));
      p.push(...(await concurrentStreams(proxied, body, opts.concurrency)));
    } else {
      p.push(...(await concurrentStreams(proxied, body, opts.concurrency)));
      d.push(...(await concurrentStreams(direct, body, opts.concurrency)));
    }
  }
  const eventsSent = opts.chunks + 1; // the chunks and [DONE]
  const ds = summarise(d);
  const ps = summarise(p);
  return {
    streams: p.length,
    eventsSent,
    addedTtftP50Ms: ps.ttftP50Ms - ds.ttftP50Ms,
    addedTtftP99Ms: ps.ttftP99Ms - ds.ttftP99Ms,
    direct: ds,
    proxied: ps,
    incomplete: p.filter((s) => s.status !== 200 || s.events !== eventsSent).length,
    reads: p.reduce((n, s) => n + s.gapsMs.length + 1, 0),
  };
}

const mockStats = async (mock: Mock) => (await (await fetch(mock.url.replace(/\/v1$/, '/stats'))).json()) as { started: number; completed: number; cancelled: number };

/** Clients that walk away mid-stream: the backend must see each cancel. */
export async function cancellation(mock: Mock, proxy: Proxy, count: number) {
  const before = await mockStats(mock);
  const { proxied } = endpoints(mock, proxy);
  await Promise.all(Array.from({ length: count }, () => readStream(proxied, chatBody('stream:50:20', true), 3)));
  // The cancel travels proxy -> backend asynchronously; give it a moment.
  const deadline = Date.now() + 3_000;
  let after = await mockStats(mock);
  while (after.cancelled - before.cancelled < count && Date.now() < deadline) {
    await Bun.sleep(50);
    after = await mockStats(mock);
  }
  return { aborted: count, cancelledAtBackend: after.cancelled - before.cancelled };
}

/** `count` slow streams held open together: the proxy's RSS before, while open, and after. */
export async function openStreams(mock: Mock, proxy: Proxy, opts: { count: number; chunks: number; gapMs: number }) {
  const { proxied } = endpoints(mock, proxy);
  Bun.gc(true);
  const baselineMb = proxy.rssMb();
  let maxOpenMb = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      maxOpenMb = Math.max(maxOpenMb, proxy.rssMb());
      await Bun.sleep(250);
    }
  })();
  const results = await Promise.all(Array.from({ length: opts.count }, () => readStream(proxied, chatBody(`stream:${opts.chunks}:${opts.gapMs}`, true))));
  done = true;
  await sampler;
  await Bun.sleep(3_000);
  return {
    count: opts.count,
    completed: results.filter((s) => s.status === 200 && s.events === opts.chunks + 1).length,
    baselineMb,
    maxOpenMb,
    afterMb: proxy.rssMb(),
  };
}

/** Mixed traffic for `seconds`: ¾ JSON, ¼ streams of which one in five is cancelled mid-way. */
export async function soak(mock: Mock, proxy: Proxy, opts: { seconds: number; concurrency: number; warmupSeconds: number }) {
  const { proxied } = endpoints(mock, proxy);
  const json = chatBody('json');
  const stream = chatBody('stream:10:10', true);
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  let sent = 0;
  let failed = 0;
  let cancelled = 0;
  const samples: [number, number][] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      samples.push([(performance.now() - started) / 60_000, proxy.rssMb()]);
      await Bun.sleep(Math.min(5_000, (opts.seconds * 1000) / 20));
    }
  })();
  const worker = async () => {
    while (performance.now() < deadline) {
      const r = Math.random();
      sent++;
      try {
        if (r < 0.75) {
          const res = await fetch(proxied, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
          await res.arrayBuffer();
          if (res.status !== 200) failed++;
        } else {
          const abortAfter = r > 0.95 ? 3 : undefined;
          const s = await readStream(proxied, stream, abortAfter);
          if (s.aborted) cancelled++;
          else if (s.status !== 200 || s.events !== 11) failed++;
        }
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  running = false;
  await sampler;
  const rows = await waitForRows(proxy, sent, 30_000);
  const afterWarmup = samples.filter(([minutes]) => minutes * 60 >= opts.warmupSeconds);
  return {
    seconds: opts.seconds,
    sent,
    failed,
    cancelled,
    rows,
    rssStartMb: samples[0]?.[1] ?? NaN,
    rssEndMb: samples.at(-1)?.[1] ?? NaN,
    growthMbPerMin: slope(afterWarmup),
    samples: samples.length,
  };
}

async function countRows(proxy: Proxy): Promise<number> {
  return (await proxy.gql<{ logs: { totalCount: number } }>('{ logs(first: 1) { totalCount } }')).logs.totalCount;
}

/** Log rows are written in the background: wait until they are all there (or the time is up). */
async function waitForRows(proxy: Proxy, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let rows = await countRows(proxy);
  while (rows < expected && Date.now() < deadline) {
    await Bun.sleep(200);
    rows = await countRows(proxy);
  }
  return rows;
}

/** A backend silent for `seconds` before its first byte, and one silent after its first chunk. */
export async function longSilence(mock: Mock, proxy: Proxy, seconds: number) {
  const { proxied } = endpoints(mock, proxy);
  const ms = seconds * 1000;
  const [json, stream] = await Promise.all([
    (async () => {
      const res = await fetch(proxied, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody(`first-byte-after:${ms}`) });
      const body = (await res.json().catch(() => null)) as { choices?: unknown[] } | null;
      return res.status === 200 && Array.isArray(body?.choices);
    })(),
    (async () => {
      const s = await readStream(proxied, chatBody(`silent-after-first:${ms}`, true)).catch(() => null);
      return s !== null && s.status === 200 && s.events === 3;
    })(),
  ]);
  return { seconds, silentBeforeFirstByte: json, silentAfterFirstChunk: stream };
}

export { median };

export interface LargeAnswer {
  /** What the client read (compressed bytes when it took gzip). */
  bytesRead: number;
  status: number;
  contentEncoding: string | null;
  /** The proxy's RSS before the request, and its peak while the answer passed (sampled every 10 ms). */
  baselineMb: number;
  peakMb: number;
  ms: number;
}

/**
 * One large answer through the proxy (a 50 MB JSON answer, or a gzip bomb that inflates to 200 MB)
 * while the proxy's RSS is sampled: what the answer costs it in memory. The client reads as fast
 * as it can; `acceptEncoding` is what it says it takes.
 */
export async function largeAnswer(proxy: Proxy, model: string, acceptEncoding: string | null, opts = { settleMs: 2_000 }): Promise<LargeAnswer> {
  // Settle first: the figure is the growth the answer causes, not what earlier items left.
  await Bun.sleep(opts.settleMs);
  const baselineMb = proxy.rssMb();
  let peakMb = baselineMb;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peakMb = Math.max(peakMb, proxy.rssMb());
      await Bun.sleep(10);
    }
  })();
  const started = performance.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (acceptEncoding !== null) headers['accept-encoding'] = acceptEncoding;
  const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers, body: chatBody(model), decompress: false });
  let bytesRead = 0;
  for await (const chunk of res.body!) bytesRead += chunk.byteLength;
  const ms = performance.now() - started;
  done = true;
  await sampler;
  return { bytesRead, status: res.status, contentEncoding: res.headers.get('content-encoding'), baselineMb, peakMb, ms };
}
