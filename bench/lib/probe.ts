/**
 * A proxied request every 10 ms (a small non-streamed chat completion through the mock), running in
 * its own thread (probe-worker.ts) while the logs scenario does admin work: `during(fn)` runs fn and
 * gives the latencies of the requests sent meanwhile; `idle(ms)` gives them with nothing else going on.
 */
import { chatBody } from './client.ts';
import { quantile } from './stats.ts';

export interface ProbeStats {
  /** Requests sent in the window, and those that failed (not 200, or no answer within 30 s). */
  count: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface Sample { sentAt: number; ms: number; ok: boolean }

export function probeStats(samples: Sample[]): ProbeStats {
  const ms = samples.map((s) => s.ms);
  return {
    count: samples.length,
    failed: samples.filter((s) => !s.ok).length,
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    maxMs: ms.length ? Math.max(...ms) : NaN,
  };
}

export class Probe {
  private readonly worker = new Worker(new URL('./probe-worker.ts', import.meta.url).href);
  private asked = 0;
  private readonly waiting = new Map<number, (samples: Sample[]) => void>();
  private stopped: ((total: { sent: number; failed: number }) => void) | null = null;

  constructor(url: string, model: string, intervalMs = 10) {
    this.worker.onmessage = (event: MessageEvent) => {
      const data = event.data as { id?: number; samples?: Sample[]; stopped?: boolean; sent: number; failed: number };
      if (data.stopped) this.stopped?.({ sent: data.sent, failed: data.failed });
      else this.waiting.get(data.id!)?.(data.samples!);
    };
    this.worker.postMessage({ type: 'start', url: `${url}/v1/chat/completions`, body: chatBody(model), intervalMs });
  }

  /** The requests sent between two times (Date.now()), once each has answered. */
  take(from: number, to: number): Promise<ProbeStats> {
    const id = this.asked++;
    return new Promise((resolve) => {
      this.waiting.set(id, (samples) => {
        this.waiting.delete(id);
        resolve(probeStats(samples));
      });
      this.worker.postMessage({ type: 'take', id, from, to });
    });
  }

  async idle(ms: number): Promise<ProbeStats> {
    const from = Date.now();
    await Bun.sleep(ms);
    return this.take(from, Date.now());
  }

  /** Runs fn; its result, how long it took (ms) and the probe's latencies meanwhile. */
  async during<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number; probe: ProbeStats }> {
    const from = Date.now();
    const t = performance.now();
    const result = await fn();
    const ms = performance.now() - t;
    return { result, ms, probe: await this.take(from, Date.now()) };
  }

  /** Stops sending; every request it sent, and those that failed. */
  async stop(): Promise<{ sent: number; failed: number }> {
    if (this.stopped) return { sent: 0, failed: 0 };
    const done = new Promise<{ sent: number; failed: number }>((resolve) => (this.stopped = resolve));
    this.worker.postMessage({ type: 'stop' });
    const total = await done;
    this.worker.terminate();
    return total;
  }
}
