/**
 * The only place that calls a backend. Applies the first-byte timeout, the TLS option and the
 * client's abort signal (so that a client that goes away cancels the backend request too), and
 * turns network failures into typed errors. Bun's global fetch pools connections per origin.
 */
import { ClientClosedError, UpstreamTimeoutError, UpstreamUnreachableError } from '../errors.ts';

export interface UpstreamRequest {
  url: string;
  method: string;
  headers: HeadersInit;
  body: BodyInit | null;
  clientSignal: AbortSignal;
  /** Time allowed until the backend's response headers arrive. */
  timeoutMs: number;
  ignoreSslVerify: boolean;
}

const INSECURE_TLS = { rejectUnauthorized: false };
const SWEEP_MS = 100;

interface Pending {
  controller: AbortController;
  deadline: number;
  timedOut: boolean;
}

/**
 * First-byte deadlines of every request waiting for its backend, checked by one timer for all
 * (to within 100 ms). A timer and a combined AbortSignal per request cost a fifth of the
 * proxy's throughput (bench/README.md).
 */
class Deadlines {
  private pending = new Set<Pending>();
  private timer: Timer | null = null;

  add(controller: AbortController, timeoutMs: number): Pending {
    const entry = { controller, deadline: Date.now() + timeoutMs, timedOut: false };
    this.pending.add(entry);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), SWEEP_MS);
      this.timer.unref();
    }
    return entry;
  }

  remove(entry: Pending): void {
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
      entry.timedOut = true;
      this.remove(entry);
      entry.controller.abort();
    }
  }
}

const deadlines = new Deadlines();

export async function sendUpstream(req: UpstreamRequest): Promise<Response> {
  // One controller per request: aborted by the client's disconnect (also mid-stream, as the body
  // stays tied to it) or by its deadline.
  const controller = new AbortController();
  const onClientAbort = () => controller.abort();
  req.clientSignal.addEventListener('abort', onClientAbort, { once: true });
  const pending = deadlines.add(controller, req.timeoutMs);
  try {
    return await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
      redirect: 'manual',
      tls: req.ignoreSslVerify ? INSECURE_TLS : undefined,
    });
  } catch (err) {
    req.clientSignal.removeEventListener('abort', onClientAbort);
    if (req.clientSignal.aborted) throw new ClientClosedError();
    if (pending.timedOut) throw new UpstreamTimeoutError(req.timeoutMs);
    throw new UpstreamUnreachableError(describe(err));
  } finally {
    deadlines.remove(pending);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
