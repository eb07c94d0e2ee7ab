/**
 * The respond step: the backend's answer goes to the client, and the exchange learns how it ended.
 * SSE and other streamed bodies pass through at the client's pace (capture.ts); a JSON answer is
 * read whole when it says it fits LOG_BODY_BYTES, and otherwise streams through like the others.
 */
import { ClientClosedError, HttpError, internalError, UpstreamFailedError } from '../errors.ts';
import { type Json, JsonText, type LoggedJson, tryParse } from '../json.ts';
import { errorMessageOf } from '../openai/chunks.ts';
import { openAiErrorBody, openAiErrorResponse } from '../openai/errors.ts';
import { usageOfBody, usageOfTail } from '../openai/usage.ts';
import type { Answer } from './attempts.ts';
import { bodyForLog, captureBytes, captureJson, captureSse, captureText, type PassOptions, type PassThrough } from './capture.ts';
import type { Exchange } from './exchange.ts';
import { accepts, type Coding, codingOf, inflated } from './encoding.ts';
import { responseInit } from './headers.ts';
import { UsageEventDropper } from './usage-event.ts';
import type { HeaderRecord } from '../redact.ts';

export const OVERHEAD_HEADER = 'x-lite-proxy-overhead-ms';
const JSON_HEADERS = { 'content-type': 'application/json' };

export interface RespondOptions {
  exchange: Exchange;
  answer: Answer;
  clientSignal: AbortSignal;
  logBodyBytes: number;
  /** STREAM_IDLE_TIMEOUT_MS: the longest silence between two chunks of a body that has started. */
  idleMs: number;
}

/** How an answer is passed on and logged, by its content type. */
export type BodyKind = 'sse' | 'json' | 'text' | 'binary';

const TEXT_TYPES = /^(text\/|application\/(xml|x-ndjson|jsonl|json-seq|javascript|yaml|x-yaml|x-www-form-urlencoded)\b|application\/[\w.+-]+\+xml\b)/;

/**
 * JSON (and a missing type, which OpenAI-compatible servers use for JSON) is read whole. Other text
 * (plain, HTML, XML, NDJSON streams such as Ollama's) streams through and is logged as text within
 * LOG_BODY_BYTES; anything else (audio, images) streams through and is logged by type and size.
 */
export function bodyKind(contentType: string): BodyKind {
  // The usual answers first, without allocating.
  if (contentType.startsWith('application/json') || contentType === '') return 'json';
  if (contentType.startsWith('text/event-stream')) return 'sse';
  const type = contentType.trim().toLowerCase();
  if (type.includes('text/event-stream')) return 'sse';
  if (type === '' || type.startsWith('application/json') || /^application\/[\w.-]+\+json\b/.test(type)) return 'json';
  return TEXT_TYPES.test(type) ? 'text' : 'binary';
}

export function respond(o: RespondOptions): Promise<Response> | Response {
  const { upstream, headers } = o.answer;
  const kind = bodyKind(upstream.headers.get('content-type') ?? '');
  const coding = codingOf(upstream.headers.get('content-encoding'));
  if (!upstream.body || (kind === 'json' && coding === null && readsWhole(upstream, o.logBodyBytes))) return respondWhole(o);
  headers[OVERHEAD_HEADER] = overhead(o.answer.sentAfterMs);
  let body: ReadableStream<Uint8Array> = upstream.body;
  let pass = passOf(o);
  let clientHeaders = headers;
  if (coding === 'other') {
    // A coding the proxy cannot inflate goes on as it came, logged by its size.
    return new Response(streamBinary(o, body, { ...pass, mask: null }, 'binary'), initOf(upstream, headers));
  }
  // The usage event the proxy asked for is taken out of the bytes: they cannot stay compressed.
  const dropUsage = kind === 'sse' && o.answer.usageAdded;
  if (dropUsage) pass = { ...pass, dropUsage: new UsageEventDropper() };
  if (coding !== null) {
    if (!dropUsage && passesEncoded(o, coding)) {
      // The backend's bytes as they are; the log and the mask read an inflated copy: a stream's to
      // its end (its first event is awaited, its log assembled), JSON's too (its usage is at the
      // end), text's within the log's budget, none of a binary body or of one not logged.
      const inflateLimit = kind === 'sse' ? Infinity : !o.exchange.logging ? 0 : kind === 'json' ? Infinity : kind === 'text' ? o.logBodyBytes : 0;
      if (inflateLimit === 0 && !o.answer.mask) return new Response(streamBinary(o, body, pass, kind), initOf(upstream, headers));
      pass = { ...pass, encoded: { coding, inflateLimit } };
    } else {
      // The client gets it inflated (at its own pace), without the backend's Content-Encoding.
      body = inflated(body, coding);
      const { 'content-encoding': _, ...rest } = headers;
      clientHeaders = rest;
    }
  }
  const init = initOf(upstream, clientHeaders);
  if (kind === 'sse') return respondSse(o, body, init, pass);
  if (kind === 'json' && o.exchange.logging) return new Response(streamJson(o, body, pass), init);
  // With logging off a body goes out only watched for its silences (no copy, no parse), so the
  // exchange ends, for the metrics and the admission, when its answer starts.
  if (!o.exchange.logging) {
    o.exchange.finish();
    return new Response(captureBytes(body, pass).stream, init);
  }
  return new Response(kind === 'text' ? streamText(o, body, pass) : streamBinary(o, body, pass, kind), init);
}

const initOf = (upstream: Response, headers: HeaderRecord): ResponseInit => ({ status: upstream.status, statusText: upstream.statusText, headers: responseInit(headers) });

/**
 * A compressed answer passes as it came when the client accepts its coding. A backend's error
 * (4xx, 5xx) is inflated for the client instead: it is small, and it is where a backend echoes a
 * key, which then can be masked rather than cut.
 */
function passesEncoded(o: RespondOptions, coding: Coding): boolean {
  return o.answer.upstream.status < 400 && accepts(o.exchange.incoming['accept-encoding'], coding);
}

const passOf = (o: RespondOptions): PassOptions => ({ startedAt: o.exchange.startedAt, watch: o.answer.watch, idleMs: o.idleMs, mask: o.answer.mask, peeked: o.answer.peeked });

/**
 * A JSON answer is read whole (the usual case, and the fastest) when it says it fits the log's
 * budget; a larger one, or one of unknown size, streams through with a bounded copy, so that a
 * 50 MB answer costs the proxy no more memory than a small one.
 */
function readsWhole(upstream: Response, budget: number): boolean {
  const length = upstream.headers.get('content-length');
  return length !== null && Number(length) <= budget;
}

function streamJson(o: RespondOptions, body: ReadableStream<Uint8Array>, pass: PassOptions): ReadableStream<Uint8Array> {
  const capture = captureJson(body, { ...pass, budgetBytes: o.logBodyBytes });
  return endWhenDone(o.exchange, capture, (c) => {
    const parsed = c.tail === null ? tryParse(c.text) : undefined;
    o.exchange.finish({
      durationMs: c.endedAt,
      responseBody: bodyForLog(c.text, c.bytes, o.logBodyBytes, parsed !== undefined),
      error: c.error ?? backendError(o.answer.upstream, parsed ?? null),
      usage: parsed !== undefined ? usageOfBody(parsed) : usageOfTail(c.tail),
    });
  });
}

/** Passes a capture's stream on; when it is done, `end` tells the exchange, which ends even if that fails. */
function endWhenDone<T>(exchange: Exchange, capture: PassThrough<T>, end: (outcome: T) => void): ReadableStream<Uint8Array> {
  capture.done.then(end).catch((err) => {
    console.error('[proxy] logging the answer failed:', err);
    exchange.finish();
  });
  return capture.stream;
}

const encoder = new TextEncoder();
/** The event that ends a stream that broke after its start: OpenAI's error shape, as its SDKs read it. */
const finalErrorEvent = (err: HttpError) => encoder.encode(`data: ${openAiErrorBody(err)}\n\n`);

/**
 * A stream goes to the client once its first event has come (within the config's timeoutMs, or
 * the client gets the 504 a silent backend gets), and then as it arrives.
 */
async function respondSse(o: RespondOptions, body: ReadableStream<Uint8Array>, init: ResponseInit, pass: PassOptions): Promise<Response> {
  const { exchange, logBodyBytes } = o;
  const capture = await captureSse(body, {
    ...pass, finalEvent: finalErrorEvent,
    chunkBudgetBytes: logBodyBytes, assemble: exchange.logging,
  });
  if (!exchange.logging) {
    exchange.finish();
    return new Response(capture.stream, init);
  }
  exchange.streamStarted();
  return new Response(endWhenDone(exchange, capture, (c) => exchange.streamEnded({
    ttftMs: c.firstChunkAt,
    durationMs: c.endedAt,
    text: c.result.text === null ? null : truncateText(c.result.text, logBodyBytes),
    chunks: c.result.chunksTruncated ? [...c.result.chunks, { _truncated: true, bytes: c.bytes }] : c.result.chunks,
    body: withinBudget(c.result.body, logBodyBytes),
    usage: c.result.usage,
    error: c.error ?? c.result.error ?? backendError(o.answer.upstream, c.result.body),
  })), init);
}

function streamText(o: RespondOptions, body: ReadableStream<Uint8Array>, pass: PassOptions): ReadableStream<Uint8Array> {
  const capture = captureText(body, { ...pass, budgetBytes: o.logBodyBytes });
  return endWhenDone(o.exchange, capture, (c) => o.exchange.finish({
    durationMs: c.endedAt,
    responseBody: bodyForLog(c.text, c.bytes, o.logBodyBytes, false),
    error: c.error ?? backendError(o.answer.upstream, tryParse(c.text) ?? null),
  }));
}

/**
 * A body logged by its type and size only: binary, or one whose coding is not inflated for the log
 * (then `encoding` names it and `bytes` counts it compressed).
 */
function streamBinary(o: RespondOptions, body: ReadableStream<Uint8Array>, pass: PassOptions, kind: BodyKind): ReadableStream<Uint8Array> {
  const type = o.answer.upstream.headers.get('content-type');
  const encoding = pass.encoded ? null : o.answer.upstream.headers.get('content-encoding');
  const capture = captureBytes(body, pass);
  if (!o.exchange.logging) {
    o.exchange.finish();
    return capture.stream;
  }
  return endWhenDone(o.exchange, capture, (c) => o.exchange.finish({
    durationMs: c.endedAt,
    responseBody: encoding === null ? { _binary: true, type, bytes: c.bytes } : { _encoded: true, type, encoding, kind, bytes: c.bytes },
    error: c.error ?? backendError(o.answer.upstream, null),
  }));
}

const decoder = new TextDecoder();

async function respondWhole(o: RespondOptions): Promise<Response> {
  const { exchange, answer } = o;
  // The whole body within the idle limit.
  answer.watch.idle(o.idleMs);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readWhole(answer.upstream, o.clientSignal);
  } finally {
    answer.watch.stop();
  }
  if (answer.mask) bytes = answer.mask.all(bytes) as Uint8Array<ArrayBuffer>;
  const doneAt = exchange.elapsed();
  if (!exchange.logging) exchange.finish({ durationMs: doneAt });
  else {
    const text = decoder.decode(bytes);
    // Parsed for the usage and the error message; stored as the text it came as.
    const parsed = tryParse(text);
    exchange.finish({
      responseBody: bodyForLog(text, bytes.byteLength, o.logBodyBytes, parsed !== undefined),
      error: backendError(answer.upstream, parsed ?? null),
      durationMs: doneAt,
      usage: usageOfBody(parsed),
    });
  }
  answer.headers[OVERHEAD_HEADER] = overhead(answer.sentAfterMs + (exchange.elapsed() - doneAt));
  const { status, statusText } = answer.upstream;
  return new Response(bytes, { status, statusText, headers: responseInit(answer.headers) });
}

async function readWhole(upstream: Response, clientSignal: AbortSignal): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await upstream.bytes();
  } catch (err) {
    if (clientSignal.aborted) throw new ClientClosedError();
    throw new UpstreamFailedError((err as Error).message);
  }
}

/** An answer the proxy makes itself (GET /v1/models). */
export function jsonAnswer(exchange: Exchange, status: number, value: Json): Response {
  exchange.finish({ statusCode: status, responseBody: value, responseHeaders: JSON_HEADERS });
  return new Response(JSON.stringify(value), { status, headers: JSON_HEADERS });
}

/** Ends the exchange with an error of the proxy's, rendered in OpenAI's shape. */
export function errorAnswer(exchange: Exchange, err: unknown, clientSignal: AbortSignal): Response {
  // A client that gave up (mid-upload, say) is not a fault of ours.
  const known = err instanceof HttpError ? err : clientSignal.aborted ? new ClientClosedError() : null;
  if (!known) console.error('[proxy] unexpected error:', err);
  const error = known ?? internalError();
  const body = openAiErrorBody(error);
  exchange.refused(error.code);
  exchange.finish({ statusCode: error.status, error: error.message, responseBody: new JsonText(body) });
  return openAiErrorResponse(error, body);
}

/** A backend's 4xx/5xx answer: its own error message when it sent one. */
function backendError(upstream: Response, body: Json): string | null {
  if (upstream.status < 400) return null;
  const message = errorMessageOf(body);
  return message !== null ? `Backend answered ${upstream.status}: ${message}` : `Backend answered ${upstream.status} ${upstream.statusText}`.trim();
}

/** An assembled body over the budget is stored as a marker with its start, like any other body. */
function withinBudget(body: Json, budget: number): LoggedJson {
  if (body === null) return null;
  const text = JSON.stringify(body);
  return text.length > budget ? { _truncated: true, bytes: text.length, preview: text.slice(0, budget) } : new JsonText(text);
}

function truncateText(text: string, budget: number): string {
  return text.length > budget ? `${text.slice(0, budget)}…[truncated ${text.length - budget} characters]` : text;
}

const overhead = (ms: number) => ms.toFixed(3);
