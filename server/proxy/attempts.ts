/**
 * The attempt step: sends the request to the route plan's configs until one answers. Another
 * config is tried, at once, only while nothing has reached the client: after a connection error,
 * no first byte within the config's timeoutMs, a status the group retries (its retryOnStatus; by
 * default 408, 429, 500, 502, 503, 504, 529), or a 200 stream whose first event is an error (read
 * here, then passed on). A 400 context_length_exceeded goes to the group's context fallbacks when
 * it has some. Other client errors go back at once. The same config is tried again only when it is
 * the only one, once, after its retry-after (at most 10 s) or 0.5 s (not after a timeout). At most
 * the group's maxAttempts (default 3) in all; each attempt and its outcome are told to the exchange
 * (the log's `attempts`) and to the breakers.
 */
import { ClientClosedError, NoHealthyBackendError, UpstreamTimeoutError, UpstreamUnreachableError } from '../errors.ts';
import type { ProxyMetrics } from '../metrics.ts';
import type { ConfigRow } from '../store/types.ts';
import type { Breakers } from './breaker.ts';
import type { Exchange } from './exchange.ts';
import { downstreamHeaders, upstreamHeaders } from './headers.ts';
import type { HeaderRecord } from '../redact.ts';
import type { ParsedRequest } from './parse.ts';
import { KeyMask, maskHeaders } from './mask.ts';
import { DEFAULT_RETRY_ON_STATUS, type RoutePlan } from './route.ts';
import { sendUpstream, type UpstreamWatch } from './upstream.ts';
import { eventEnd, wantsUsageAdded } from './usage-event.ts';

const decoder = new TextDecoder();
import type { PeekedBody } from './capture.ts';
import { tryParse } from '../json.ts';
import { errorMessageOf, isObj } from '../openai/chunks.ts';

export const DEFAULT_TIMEOUT_MS = 600_000;
/** Statuses that are the backend's trouble, counted by the breaker whether or not the group retries them. */
const BACKEND_TROUBLE: ReadonlySet<number> = new Set(DEFAULT_RETRY_ON_STATUS);
/** How much of a 400's body is read looking for context_length_exceeded or a refused stream_options (errors are small). */
const ERROR_PEEK_BYTES = 64 * 1024;
const MAX_RETRY_AFTER_MS = 10_000;
const SAME_BACKEND_BASE_MS = 500;

export const ATTEMPTS_HEADER = 'x-lite-proxy-attempts';
export const CONFIG_HEADER = 'x-lite-proxy-config';

/** The backend's answer, its headers as they go to the client, and when the request was sent. */
export interface Answer {
  upstream: Response;
  /** The request's deadline, still armed for its body (respond.ts moves and stops it). */
  watch: UpstreamWatch;
  /** Masks the config's key in the answer's body (null when the config has no key). */
  mask: KeyMask | null;
  config: ConfigRow;
  headers: HeaderRecord;
  /** ms from the exchange's start to the request leaving for the backend (the proxy's own time). */
  sentAfterMs: number;
  /** The proxy asked for the stream's usage: the usage-only event is not passed to the client. */
  usageAdded: boolean;
  /**
   * A stream whose first event was read here (to see whether it is an error): the bytes read so
   * far and the reader of the rest. The body's own stream is locked then; capture.ts reads these.
   */
  peeked?: PeekedBody;
}

/** How much of a stream's start is read looking for its first event before it is passed on as it is. */
const PEEK_MAX_BYTES = 64 * 1024;

export interface AttemptRequest {
  exchange: Exchange;
  metrics: ProxyMetrics;
  plan: RoutePlan;
  breakers: Breakers;
  parsed: ParsedRequest;
  /** The path below /v1 and the query string with its "?", or "". */
  subpath: string;
  search: string;
  clientSignal: AbortSignal;
  /** A Lite Proxy client key let the request in: the client's Authorization and x-api-key never go on. */
  byClientKey?: boolean;
  /** The model's group, for the 503 when no config could be tried. */
  model: string;
  /** Set by the first attempt. */
  firstSentAfterMs?: number;
}

export async function attempt(o: AttemptRequest): Promise<Answer> {
  let lastError: unknown = null;
  /** A refused answer (a status the group retries), kept until another attempt is made: if none is, it goes to the client. */
  let refused: { answer: Answer; startedAt: number; error: string } | null = null;
  let previous: ConfigRow | null = null;
  let triedAgain = false;
  const { maxAttempts, retryOnStatus } = o.plan.settings;
  /** A config to send to again at once (it refused the stream_options the proxy added). */
  let again: ConfigRow | null = null;
  for (let n = 0; n < maxAttempts; n++) {
    let config: ConfigRow | null = again ?? o.plan.next(Date.now());
    again = null;
    if (!config) {
      // Every config was tried: the last one again, once, when it is the only one there is (not
      // after a timeout: the client has waited timeoutMs already).
      if (!previous || triedAgain || o.plan.size > 1 || lastError instanceof UpstreamTimeoutError) break;
      const delay = retryDelay(refused?.answer ?? null);
      if (delay === null) break;
      triedAgain = true;
      try {
        await pause(delay, o.clientSignal);
      } catch (err) {
        // The client left while waiting: the refused answer was the last attempt.
        if (refused) {
          o.exchange.attemptFailed(refused.answer.config, refused.error, refused.answer.upstream.status, refused.startedAt);
          discard(refused.answer);
        }
        throw err;
      }
      // Half-open by now: this request is its probe, unless another one already is.
      const state = o.breakers.availability(previous.id, Date.now());
      if (state === 'probing') break;
      if (state === 'probe') o.breakers.takeProbe(previous.id);
      config = previous;
    }
    if (refused) {
      o.exchange.attemptFailed(refused.answer.config, refused.error, refused.answer.upstream.status, refused.startedAt);
      discard(refused.answer);
      refused = null;
    }
    previous = config;
    const startedAt = o.exchange.elapsed();
    try {
      const answer = await once(o, config, o.firstSentAfterMs === undefined);
      const status = answer.upstream.status;
      const last = n + 1 >= maxAttempts;
      const retried = retryOnStatus.has(status);
      // A status the group retries is the backend's failure; so is one of BACKEND_TROUBLE that it does not.
      if (retried || BACKEND_TROUBLE.has(status)) {
        o.breakers.failed(config.id, { error: `Backend answered ${status}`, status, retryAfterMs: retryAfterOf(answer.upstream) }, Date.now());
        if (!retried) return finalAnswer(o, answer, o.exchange.attemptCount + 1);
        refused = { answer, startedAt, error: `Backend answered ${status}` };
        continue;
      }
      const text = status === 400 && (answer.usageAdded || (!last && o.plan.hasContextFallbacks)) ? await readErrorBody(answer) : null;
      if (text !== null && answer.usageAdded && /stream_options/i.test(text)) {
        // The backend refuses what the proxy added for the usage: asked again at once without it (not
        // one of the group's attempts: the client did not ask for it), and never again.
        if (!refusesStreamOptionsNow(config)) {
          refusesStreamOptions.add(versionOf(config));
          console.warn(`[proxy] the backend of config ${config.id} (${config.proxyModelName}) refuses stream_options: its streams' usage is no longer asked for (set injectStreamUsage: false on it to say so for good)`);
        }
        o.exchange.attemptFailed(config, 'Backend refused stream_options (added for the usage): asked again without it', status, startedAt);
        discard(answer);
        again = config;
        n--;
        continue;
      }
      if (text !== null && !last && o.plan.hasContextFallbacks) {
        // The prompt is too long for this group: its context fallbacks (larger models) instead. Not the
        // backend's failure; kept, so that the client gets it when no fallback can be tried.
        const reason = contextExceeded(text);
        if (reason !== null) {
          o.breakers.succeeded(config.id, Date.now());
          o.plan.switchToContextFallbacks();
          refused = { answer, startedAt, error: reason };
          previous = null;
          continue;
        }
      }
      // A 200 stream that begins with an error is the backend's failure too, and nothing has gone out yet.
      const streamError = isPlainStream(answer.upstream) ? await peekFirstEvent(answer) : null;
      if (streamError === null || last || !o.plan.hasUntried(Date.now())) {
        if (streamError === null) o.breakers.succeeded(config.id, Date.now());
        else o.breakers.failed(config.id, { error: streamError, status, retryAfterMs: null }, Date.now());
        return finalAnswer(o, answer, o.exchange.attemptCount + 1);
      }
      o.breakers.failed(config.id, { error: streamError, status, retryAfterMs: null }, Date.now());
      o.exchange.attemptFailed(config, streamError, status, startedAt);
      discard(answer);
      previous = null;
    } catch (err) {
      if (err instanceof ClientClosedError || o.clientSignal.aborted) throw err instanceof ClientClosedError ? err : new ClientClosedError();
      if (!(err instanceof UpstreamUnreachableError || err instanceof UpstreamTimeoutError)) throw err;
      o.breakers.failed(config.id, { error: err.message, status: null, retryAfterMs: null }, Date.now());
      o.exchange.attemptFailed(config, err.message, null, startedAt);
      lastError = err;
    }
  }
  // Every attempt failed: the last backend's answer as it came, or the last error.
  if (refused) return finalAnswer(o, refused.answer, o.exchange.attemptCount + 1);
  if (lastError) throw lastError;
  throw new NoHealthyBackendError(o.model);
}

async function once(o: AttemptRequest, config: ConfigRow, first: boolean): Promise<Answer> {
  // The subpath starts with "/" (handle.ts admits only /v1/… paths), so the request stays below the
  // config's base URL, and its key with it.
  const url = `${config.baseUrl}${o.subpath}${o.search}`;
  o.exchange.routed(config, url);
  // Replayed from memory for each attempt: the parsed body, rewritten to this config's model (and
  // asking for a stream's usage, unless the config says its backend refuses stream_options).
  const usageAdded = config.injectStreamUsage !== false && wantsUsageAdded(o.subpath, o.parsed.json) && !refusesStreamOptionsNow(config);
  const body = o.parsed.rewrite(config.backendModelName, usageAdded);
  const sentAfterMs = o.exchange.elapsed();
  // The proxy's own time is the first attempt's: later ones wait for the backends before them.
  if (first) {
    o.metrics.sent(sentAfterMs);
    o.firstSentAfterMs = sentAfterMs;
  }
  const { response: upstream, watch } = await sendUpstream({
    url,
    method: 'POST',
    headers: upstreamHeaders(o.exchange.incoming, config, o.parsed.multipart, o.byClientKey ?? false),
    body,
    clientSignal: o.clientSignal,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ignoreSslVerify: config.ignoreSslVerify,
  });
  const forwarded = downstreamHeaders(upstream.headers.toJSON());
  const headers = config.apiKey ? maskHeaders(forwarded, config.apiKey) : forwarded;
  return { upstream, watch, mask: config.apiKey ? new KeyMask(config.apiKey) : null, config, headers, sentAfterMs, usageAdded };
}

/** The answer that goes to the client: its head told to the exchange, with which config and after how many attempts. */
function finalAnswer(o: AttemptRequest, answer: Answer, attempts: number): Answer {
  // x-lite-proxy-overhead-ms is the proxy's own time: until the first attempt left.
  if (o.firstSentAfterMs !== undefined) answer.sentAfterMs = o.firstSentAfterMs;
  o.exchange.routed(answer.config, `${answer.config.baseUrl}${o.subpath}${o.search}`);
  o.exchange.responseHead(answer.upstream.status, answer.headers);
  answer.headers[ATTEMPTS_HEADER] = String(attempts);
  answer.headers[CONFIG_HEADER] = answer.config.id;
  return answer;
}

/** A refused answer that will not be passed on: its deadline stopped and its body let go. */
function discard(answer: Answer): void {
  answer.watch.stop();
  if (answer.peeked) answer.peeked.reader.cancel().catch(() => {});
  else answer.upstream.body?.cancel().catch(() => {});
}

/** An SSE answer the proxy can read as it is (not compressed). */
function isPlainStream(upstream: Response): boolean {
  return upstream.body !== null && (upstream.headers.get('content-type') ?? '').includes('text/event-stream') && !upstream.headers.get('content-encoding');
}

/**
 * Reads the stream's start until its first event (within PEEK_MAX_BYTES, and the config's
 * timeoutMs, which the answer's deadline still guards); returns that event's error message when
 * it is an error (`event: error`, or data with an `error` member), else null. What was read
 * stays in `answer.peeked` for the client.
 */
async function peekFirstEvent(answer: Answer): Promise<string | null> {
  const reader = answer.upstream.body!.getReader();
  const head: Uint8Array[] = [];
  answer.peeked = { head, reader };
  let seen: Uint8Array = new Uint8Array(0);
  let end = -1;
  try {
    while (end < 0 && seen.byteLength < PEEK_MAX_BYTES) {
      const chunk = await reader.read();
      if (chunk.done) break;
      // A copy: Bun may reuse a body chunk's memory once the next one is read.
      const copy = chunk.value.slice();
      head.push(copy);
      seen = head.length === 1 ? copy : Buffer.concat(head);
      end = eventEnd(seen, 0);
    }
  } catch {
    // A break or the deadline: the respond step meets it on the next read and says so, as for any stream.
    return null;
  }
  if (end < 0) return null;
  // Most first events are content: an error says so early (`event: error`, or `"error"` in its data).
  const event = decoder.decode(seen.subarray(0, end));
  if (!event.includes('error')) return null;
  let name: string | null = null;
  const data: string[] = [];
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
  }
  const text = data.join('\n');
  const parsed = tryParse(text);
  if (name !== 'error' && !(isObj(parsed) && parsed.error !== undefined && parsed.error !== null)) return null;
  const message = errorMessageOf(parsed) ?? (text.length > 200 ? `${text.slice(0, 200)}…` : text);
  return `Backend stream began with an error: ${message}`;
}

/**
 * Reads a plain JSON error's body (within ERROR_PEEK_BYTES): its text, or null when it is larger,
 * compressed or not JSON. The answer keeps its body either way (what was read goes first), so that
 * it can still go to the client.
 */
async function readErrorBody(answer: Answer): Promise<string | null> {
  const { upstream } = answer;
  if (!upstream.body || upstream.headers.get('content-encoding') || !(upstream.headers.get('content-type') ?? 'application/json').includes('json')) return null;
  const reader = upstream.body.getReader();
  const head: Uint8Array[] = [];
  let size = 0;
  let done = false;
  try {
    while (size < ERROR_PEEK_BYTES) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        break;
      }
      head.push(chunk.value.slice());
      size += chunk.value.byteLength;
    }
  } catch {
    // A break: the client gets what there was, as the respond step would have told it.
    done = true;
  }
  const rest = done ? null : reader;
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const next = head.shift();
      if (next) return controller.enqueue(next);
      if (!rest) return controller.close();
      try {
        const chunk = await rest.read();
        if (chunk.done) controller.close();
        else controller.enqueue(chunk.value);
      } catch (err) {
        controller.error(err);
      }
    },
    cancel: (reason) => rest?.cancel(reason),
  });
  const text = done ? decoder.decode(head.length === 1 ? head[0]! : Buffer.concat(head)) : null;
  answer.upstream = new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers });
  return text;
}

/**
 * Whether an error body is OpenAI's context_length_exceeded (the code, or a message about the
 * context length, as vLLM and others word it): the reason for the log, else null.
 */
function contextExceeded(text: string): string | null {
  const parsed = tryParse(text);
  const error = isObj(parsed) && isObj(parsed.error) ? parsed.error : null;
  if (!error) return null;
  const message = typeof error.message === 'string' ? error.message : '';
  if (error.code !== 'context_length_exceeded' && error.type !== 'context_length_exceeded' && !/context[ _-]?(length|window)/i.test(message)) return null;
  return `Backend answered 400 context_length_exceeded${message ? `: ${message.length > 200 ? `${message.slice(0, 200)}…` : message}` : ''}`;
}

/**
 * Configs whose backend refused the stream_options the proxy added (by id and version: an edited
 * config is asked again). Usage is not asked of them again until the server restarts.
 */
const refusesStreamOptions = new Set<string>();
const versionOf = (c: ConfigRow) => `${c.id}:${c.updatedAt.getTime()}`;
/** Asked only of streams that would get usage added; no key is built while no backend has refused. */
const refusesStreamOptionsNow = (c: ConfigRow) => refusesStreamOptions.size > 0 && refusesStreamOptions.has(versionOf(c));

function retryAfterOf(upstream: Response): number | null {
  const value = upstream.headers.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/**
 * Before the one config there is is tried again: its retry-after, or 0.5 s; null (not again) when
 * the backend asks for more than 10 s: the client (whose SDK retries too) is better told at once.
 */
function retryDelay(last: Answer | null): number | null {
  const after = last ? retryAfterOf(last.upstream) : null;
  if (after === null) return SAME_BACKEND_BASE_MS;
  return after <= MAX_RETRY_AFTER_MS ? after : null;
}

/** Waits, unless the client goes away first (then the exchange ends as a client that left). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new ClientClosedError());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ClientClosedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
