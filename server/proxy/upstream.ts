/**
 * The only place that calls a backend. Applies the first-byte timeout, the TLS option and the
 * client's abort signal (so that a client that goes away cancels the backend request too), and
 * turns network failures into typed errors. Bun's global fetch pools connections per origin.
 */
import { ClientClosedError, UpstreamTimeoutError, UpstreamUnreachableError } from '../errors.ts';

export interface UpstreamRequest {
  url: string;
  method: string;
  headers: Headers;
  body: BodyInit | null;
  clientSignal: AbortSignal;
  /** Time allowed until the backend's response headers arrive. */
  timeoutMs: number;
  ignoreSslVerify: boolean;
}

const INSECURE_TLS = { rejectUnauthorized: false };

export async function sendUpstream(req: UpstreamRequest): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), req.timeoutMs);
  try {
    return await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      // The combined signal stays linked to the client after the timer is cleared, so the body
      // stream is cancelled when the client disconnects mid-stream.
      signal: AbortSignal.any([req.clientSignal, timeout.signal]),
      redirect: 'manual',
      tls: req.ignoreSslVerify ? INSECURE_TLS : undefined,
    });
  } catch (err) {
    if (req.clientSignal.aborted) throw new ClientClosedError();
    if (timeout.signal.aborted) throw new UpstreamTimeoutError(req.timeoutMs);
    throw new UpstreamUnreachableError(describe(err));
  } finally {
    clearTimeout(timer);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
