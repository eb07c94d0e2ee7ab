/** The benchmark's own HTTP client: interleaved latency pairs and SSE streams read as they arrive. */
import { median, quantile } from './stats.ts';

const HEADERS = { 'content-type': 'application/json' };

export function chatBody(model: string, stream = false): string {
  return JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello in one short sentence.' }] });
}

async function timedCall(url: string, body: string, headers: Record<string, string> = HEADERS): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - t;
}

export interface AddedLatency {
  directMedianMs: number;
  proxiedMedianMs: number;
  /** Median over rounds of (median proxied − median direct). */
  addedMedianMs: number;
  /** p99 over all pairs of (proxied − direct). */
  addedP99Ms: number;
  pairs: number;
}

/** Concurrency 1: direct and proxied requests alternate (order flipped each pair), in rounds. */
export async function addedLatency(opts: {
  directUrl: string; proxiedUrl: string; body: string; warmup: number; rounds: number; perRound: number;
  /** Extra headers of the proxied calls (a client key). */
  proxiedHeaders?: Record<string, string>;
}): Promise<AddedLatency> {
  const proxiedHeaders = { ...HEADERS, ...opts.proxiedHeaders };
  const call = (url: string) => timedCall(url, opts.body, url === opts.proxiedUrl ? proxiedHeaders : HEADERS);
  for (let i = 0; i < opts.warmup; i++) {
    await call(opts.directUrl);
    await call(opts.proxiedUrl);
  }
  const roundAdded: number[] = [];
  const diffs: number[] = [];
  const allDirect: number[] = [];
  const allProxied: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const d: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < opts.perRound; i++) {
      const directFirst = i % 2 === 0;
      const a = await call(directFirst ? opts.directUrl : opts.proxiedUrl);
      const b = await call(directFirst ? opts.proxiedUrl : opts.directUrl);
      const [dt, pt] = directFirst ? [a, b] : [b, a];
      d.push(dt);
      p.push(pt);
      diffs.push(pt - dt);
    }
    roundAdded.push(median(p) - median(d));
    allDirect.push(...d);
    allProxied.push(...p);
  }
  return {
    directMedianMs: median(allDirect),
    proxiedMedianMs: median(allProxied),
    addedMedianMs: median(roundAdded),
    addedP99Ms: quantile(diffs, 0.99),
    pairs: diffs.length,
  };
}

export interface StreamStats {
  status: number;
  ttftMs: number;
  /** Time between consecutive reads that carried data. */
  gapsMs: number[];
  /** SSE events seen (blank-line boundaries), [DONE] included. */
  events: number;
  /** Reads that carried more than one event: chunks merged on the way. */
  mergedReads: number;
  totalMs: number;
  aborted: boolean;
}

/** Reads one SSE stream chunk by chunk; with `abortAfter`, the client walks away after that many events. */
export async function readStream(url: string, body: string, abortAfter?: number): Promise<StreamStats> {
  const controller = new AbortController();
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body, signal: controller.signal });
  const reader = res.body!.getReader();
  const stats: StreamStats = { status: res.status, ttftMs: NaN, gapsMs: [], events: 0, mergedReads: 0, totalMs: 0, aborted: false };
  let last: number | null = null;
  let prevByte = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const now = performance.now();
      if (last === null) stats.ttftMs = now - t0;
      else stats.gapsMs.push(now - last);
      last = now;
      let boundaries = 0;
      for (let i = 0; i < value.length; i++) {
        if (value[i] === 10 && (i > 0 ? value[i - 1] : prevByte) === 10) boundaries++;
      }
      prevByte = value[value.length - 1] ?? prevByte;
      stats.events += boundaries;
      if (boundaries > 1) stats.mergedReads++;
      if (abortAfter !== undefined && stats.events >= abortAfter) {
        stats.aborted = true;
        controller.abort();
        break;
      }
    }
  } catch (err) {
    if (!stats.aborted) throw err;
  }
  stats.totalMs = performance.now() - t0;
  return stats;
}

export async function concurrentStreams(url: string, body: string, concurrency: number): Promise<StreamStats[]> {
  return Promise.all(Array.from({ length: concurrency }, () => readStream(url, body)));
}
