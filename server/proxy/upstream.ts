/**
 * The only place that calls a backend. Applies the timeouts, the TLS option and the client's abort
 * signal (so that a client that goes away cancels the backend request too), and turns network
 * failures into typed errors. Bun's global fetch pools connections per origin.
 *
 * One deadline guards each backend request from start to end, moved as the answer goes: the
 * response headers and then a stream's first event must come within the config's timeoutMs; after
 * that, no silence between two chunks may last longer than STREAM_IDLE_TIMEOUT_MS (respond.ts moves it).
 */
import { ClientClosedError, UpstreamTimeoutError, UpstreamUnreachableError } from '../errors.ts';

export interface UpstreamRequest {
  url: string;
  method: string;
  headers: HeadersInit;
  body: BodyInit | null;
  clientSignal: AbortSignal;
  /** Time allowed until the backend's response headers (and a stream's first event) arrive. */
  timeoutMs: number;
  ignoreSslVerify: boolean;
}

const INSECURE_TLS = { rejectUnauthorized: false };
const SWEEP_MS = 100;

/** What the deadline of a backend request waits for at the moment. */
export type Wait = 'answer' | 'idle';

/**
 * The deadline of one backend request, until stop(). Past it the request is aborted and
 * `timedOut` says what it was waiting for.
 */
export class UpstreamWatch {
  wait: Wait = 'answer';
  timedOut: Wait | null = null;

  constructor(readonly controller: AbortController, public deadline: number, readonly timeoutMs: number) {}

  /** From now on, waits at most `ms` for the next chunk. */
  idle(ms: number): void {
    this.wait = 'idle';
    this.deadline = Date.now() + ms;
  }

  /** The answer is over (or abandoned): no deadline any more. */
  stop(): void {
    deadlines.remove(this);
  }
}

export interface UpstreamAnswer {
  response: Response;
  /** Still armed: whoever reads the body stops it when the body ends. */
  watch: UpstreamWatch;
}

/**
 * First-byte deadlines of every request waiting for its backend, checked by one timer for all
 * (to within 100 ms). A timer and a combined AbortSignal per request cost a fifth of the
 * proxy's throughput (bench/README.md).
 */
class Deadlines {
  private pending = new Set<UpstreamWatch>();
  private timer: Timer | null = null;

  add(controller: AbortController, timeoutMs: number): UpstreamWatch {
    const entry = new UpstreamWatch(controller, Date.now() + timeoutMs, timeoutMs);
    this.pending.add(entry);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), SWEEP_MS);
      this.timer.unref();
    }
    return entry;
  }

  remove(entry: UpstreamWatch): void {
    this.pending.delete(entry);
    if (this.pending.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) continue;
      entry.timedOut = entry.wait;
      this.remove(entry);
      entry.controller.abort();
    }
  }
}

const deadlines = new Deadlines();

export async function sendUpstream(req: UpstreamRequest): Promise<UpstreamAnswer> {
  // One controller per request: aborted by the client's disconnect (also mid-stream, as the body
  // stays tied to it) or by its deadline.
  const controller = new AbortController();
  const onClientAbort = () => controller.abort();
  req.clientSignal.addEventListener('abort', onClientAbort, { once: true });
  const watch = deadlines.add(controller, req.timeoutMs);
  try {
    const response = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
      redirect: 'manual',
      // Compressed answers come as they are (encoding.ts decides what the client gets).
      decompress: false,
      tls: req.ignoreSslVerify ? INSECURE_TLS : undefined,
    });
    return { response, watch };
  } catch (err) {
    watch.stop();
    req.clientSignal.removeEventListener('abort', onClientAbort);
    if (req.clientSignal.aborted) throw new ClientClosedError();
    if (watch.timedOut) throw new UpstreamTimeoutError(req.timeoutMs);
    throw new UpstreamUnreachableError(describe(err));
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
