/**
 * The proxy pipeline for one `/v1` exchange: parse just enough to route, rewrite the model, send
 * upstream, pass the answer back as it arrives, and hand a complete log row to the recorder.
 */
import { BadRequestError, ClientClosedError, errorBody, internalError, ModelNotFoundError, NotFoundError, ProxyError } from '../errors.ts';
import type { LogRecorder } from '../logs/recorder.ts';
import type { ProxyMetrics } from '../metrics.ts';
import type { Settings } from '../settings.ts';
import { type Json, JsonText, type LoggedJson } from '../json.ts';
import { type LogRow } from '../store/types.ts';
import { type JsonBody, parseJsonBody, parseMultipart, readBodyLimited, replaceModel, withModel } from './body.ts';
import { bodyForLog, captureBytes, captureSse, tryParse } from './capture.ts';
import { downstreamHeaders, responseInit, upstreamHeaders } from './headers.ts';
import { type HeaderRecord, redactHeaders, redactUrl } from '../redact.ts';
import type { RouteTable } from './route.ts';
import { readUsage } from './sse.ts';
import { sendUpstream } from './upstream.ts';

export interface ProxyDeps {
  routes: RouteTable;
  recorder: LogRecorder;
  metrics: ProxyMetrics;
  settings: Pick<Settings, 'maxBodyBytes' | 'logBodyBytes' | 'logRequests'>;
}

export interface ClientInfo {
  ip: string | null;
  /** Lifts the connection's idle timeout; called once the request body has been read. */
  keepOpen?: () => void;
  /** The log entry's id, when the caller needs to know it up front (the admin's chat). */
  logId?: string;
  /** Send to this config of the requested model's group (the admin's Test button). */
  configId?: string;
}

export const DEFAULT_TIMEOUT_MS = 600_000;
export const OVERHEAD_HEADER = 'x-lite-proxy-overhead-ms';

const decoder = new TextDecoder();

/** Everything known about an exchange so far; becomes a LogRow when it ends. */
interface Exchange {
  row: LogRow;
  startedAt: number;
  /** The client's headers, read once. */
  incoming: HeaderRecord;
  finished: boolean;
  /** Counted in the open-streams gauge until it finishes. */
  streaming: boolean;
}

export function createProxyHandler(deps: ProxyDeps) {
  const { routes, recorder, metrics, settings } = deps;

  /** Ends an exchange exactly once: metrics always, the log entry when logging is on. */
  function finish(ex: Exchange, fields: Partial<LogRow>): void {
    if (ex.finished) return;
    ex.finished = true;
    Object.assign(ex.row, fields);
    if (ex.row.durationMs === 0) ex.row.durationMs = round(performance.now() - ex.startedAt);
    if (ex.streaming) metrics.streamClosed();
    metrics.ended(ex.row);
    if (settings.logRequests) recorder.record(ex.row);
  }

  function fail(ex: Exchange, err: unknown, request: Request): Response {
    // A client that gave up (mid-upload, say) is not a fault of ours.
    const proxyErr = err instanceof ProxyError ? err : request.signal.aborted ? new ClientClosedError() : internalError();
    if (!(err instanceof ProxyError) && !request.signal.aborted) console.error('[proxy] unexpected error:', err);
    const body = errorBody(proxyErr);
    finish(ex, { statusCode: proxyErr.status, error: proxyErr.message, responseBody: new JsonText(body) });
    return new Response(body, { status: proxyErr.status, headers: { 'content-type': 'application/json' } });
  }

  function json(ex: Exchange, status: number, value: Json): Response {
    const body = JSON.stringify(value);
    finish(ex, { statusCode: status, responseBody: value, responseHeaders: { 'content-type': 'application/json' } });
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  }

  function listModels(ex: Exchange, subpath: string): Response {
    const models = routes.models().map((m) => ({
      id: m.id, object: 'model', created: Math.floor(m.created.getTime() / 1000), owned_by: 'lite-proxy',
    }));
    if (subpath === '/models') return json(ex, 200, { object: 'list', data: models });
    let id: string;
    try {
      id = decodeURIComponent(subpath.slice('/models/'.length));
    } catch {
      throw new BadRequestError('The model id in the path is not validly percent-encoded', 'invalid_model');
    }
    ex.row.model = id;
    const model = models.find((m) => m.id === id);
    if (!model) throw new ModelNotFoundError(id, 'unknown');
    return json(ex, 200, model);
  }

  return async function handle(request: Request, client: ClientInfo): Promise<Response> {
    const startedAt = performance.now();
    const url = splitUrl(request.url);
    const incoming = request.headers.toJSON();
    const ex: Exchange = {
      startedAt, incoming, finished: false, streaming: false,
      row: newRow({ request, url, client, incoming, logging: settings.logRequests }),
    };
    metrics.started();
    try {
      if (!url.pathname.startsWith('/v1/')) throw new NotFoundError(`No such endpoint: ${url.pathname.slice(0, 200)}`);
      const subpath = url.pathname.slice('/v1'.length);
      if (request.method === 'GET' && (subpath === '/models' || subpath.startsWith('/models/'))) {
        return listModels(ex, subpath);
      }
      if (request.method !== 'POST') {
        throw new NotFoundError(`Lite Proxy routes requests by their model; ${request.method} ${url.pathname} carries none`);
      }
      return await forward(ex, request, url, subpath, client);
    } catch (err) {
      return fail(ex, err, request);
    }
  };

  async function forward(ex: Exchange, request: Request, url: RequestPath, subpath: string, client: ClientInfo): Promise<Response> {
    const contentType = request.headers.get('content-type') ?? '';
    const bytes = await readBodyLimited(request, settings.maxBodyBytes);
    client.keepOpen?.();
    const multipart = contentType.startsWith('multipart/form-data');

    let model: string;
    let rewrite: (backendModel: string) => BodyInit;
    if (multipart) {
      const parsed = await parseMultipart(bytes, contentType, settings.logBodyBytes);
      ex.row.requestBody = parsed.summary;
      model = parsed.model;
      rewrite = (m) => withModel(parsed.form, m);
    } else {
      if (bytes.byteLength === 0) throw new BadRequestError('Request body is empty; send a JSON object with a model', 'missing_model', 'model');
      const text = decoder.decode(bytes);
      let parsed: JsonBody;
      try {
        parsed = parseJsonBody(text);
      } catch (err) {
        // The refused body is what a user debugging the 400 needs to see.
        ex.row.requestBody = bodyForLog(text, bytes.byteLength, settings.logBodyBytes, false);
        throw err;
      }
      ex.row.requestBody = bodyForLog(text, bytes.byteLength, settings.logBodyBytes, true);
      model = parsed.model;
      rewrite = (m) => replaceModel(parsed, m);
    }
    ex.row.model = model;

    const resolution = client.configId ? routes.resolvePinned(model, client.configId) : routes.resolve(model);
    if ('missing' in resolution) throw new ModelNotFoundError(model, resolution.missing);
    const config = resolution.config;
    // handle() admits only /v1/… paths, so subpath starts with "/" and the request stays below the
    // config's base URL (and its key with it).
    const upstreamUrl = `${config.baseUrl}${subpath}${url.search}`;
    Object.assign(ex.row, { configId: config.id, backendModel: config.backendModelName, upstreamUrl: redactUrl(upstreamUrl) });

    const body = rewrite(config.backendModelName);
    const sentAt = performance.now();
    metrics.sent(sentAt - ex.startedAt);
    const upstream = await sendUpstream({
      url: upstreamUrl,
      method: 'POST',
      headers: upstreamHeaders(ex.incoming, config, multipart),
      body,
      clientSignal: request.signal,
      timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ignoreSslVerify: config.ignoreSslVerify,
    });
    const headersAt = performance.now();
    const headers = downstreamHeaders(upstream.headers.toJSON());
    ex.row.statusCode = upstream.status;
    if (settings.logRequests) ex.row.responseHeaders = redactHeaders(headers);
    ex.row.ttftMs = round(headersAt - ex.startedAt);
    const upstreamType = upstream.headers.get('content-type') ?? '';

    if (upstream.body && upstreamType.includes('text/event-stream')) {
      return streamSse(ex, upstream, headers, sentAt - ex.startedAt);
    }
    if (upstream.body && !isTextual(upstreamType)) {
      return streamBinary(ex, upstream, headers, sentAt - ex.startedAt);
    }
    // JSON and text answers are small next to their generation time: read whole, then answer.
    const answer = await readAnswer(upstream, request);
    const doneAt = performance.now();
    if (!settings.logRequests) finish(ex, { durationMs: round(doneAt - ex.startedAt) });
    else {
      const text = decoder.decode(answer);
      // Parsed for the usage and the error message; stored as the text it came as.
      const parsed = tryParse(text);
      const usage = readUsage((parsed as { usage?: unknown } | undefined)?.usage);
      finish(ex, {
        responseBody: bodyForLog(text, answer.byteLength, settings.logBodyBytes, parsed !== undefined),
        error: backendError(upstream, parsed ?? null),
        durationMs: round(doneAt - ex.startedAt),
        promptTokens: usage?.promptTokens ?? null,
        completionTokens: usage?.completionTokens ?? null,
        totalTokens: usage?.totalTokens ?? null,
      });
    }
    headers[OVERHEAD_HEADER] = overhead(sentAt - ex.startedAt + (performance.now() - doneAt));
    return new Response(answer, { status: upstream.status, statusText: upstream.statusText, headers: responseInit(headers) });
  }

  function streamSse(ex: Exchange, upstream: Response, headers: HeaderRecord, beforeSend: number): Response {
    headers[OVERHEAD_HEADER] = overhead(beforeSend);
    const init = { status: upstream.status, statusText: upstream.statusText, headers: responseInit(headers) };
    if (!settings.logRequests) return passUntracked(ex, upstream, init);
    ex.row.stream = true;
    ex.streaming = true;
    metrics.streamOpened();
    const capture = captureSse(upstream.body!, { startedAt: ex.startedAt, chunkBudgetBytes: settings.logBodyBytes });
    capture.done
      .then((c) => {
        const usage = c.result.usage;
        finish(ex, {
          ttftMs: c.firstChunkAt === null ? ex.row.ttftMs : round(c.firstChunkAt),
          durationMs: round(c.endedAt),
          streamContent: c.result.text === null ? null : truncateText(c.result.text, settings.logBodyBytes),
          chunks: c.result.chunksTruncated ? [...c.result.chunks, { _truncated: true, bytes: c.bytes }] : c.result.chunks,
          responseBody: withinBudget(c.result.body, settings.logBodyBytes),
          promptTokens: usage?.promptTokens ?? null,
          completionTokens: usage?.completionTokens ?? null,
          totalTokens: usage?.totalTokens ?? null,
          error: c.error ?? c.result.error ?? backendError(upstream, c.result.body),
        });
      })
      .catch((err) => {
        console.error('[proxy] stream log failed:', err);
        finish(ex, {});
      });
    return new Response(capture.stream, init);
  }

  function streamBinary(ex: Exchange, upstream: Response, headers: HeaderRecord, beforeSend: number): Response {
    headers[OVERHEAD_HEADER] = overhead(beforeSend);
    const init = { status: upstream.status, statusText: upstream.statusText, headers: responseInit(headers) };
    if (!settings.logRequests) return passUntracked(ex, upstream, init);
    const type = upstream.headers.get('content-type');
    const capture = captureBytes(upstream.body!, { startedAt: ex.startedAt });
    capture.done
      .then((c) => finish(ex, {
        durationMs: round(c.endedAt),
        responseBody: { _binary: true, type, bytes: c.bytes },
        error: c.error ?? backendError(upstream, null),
      }))
      .catch((err) => {
        console.error('[proxy] body log failed:', err);
        finish(ex, {});
      });
    return new Response(capture.stream, init);
  }

  /**
   * With logging off a streamed body goes out untouched (no capture at all), so the exchange ends,
   * for the metrics, when its answer starts.
   */
  function passUntracked(ex: Exchange, upstream: Response, init: ResponseInit): Response {
    finish(ex, {});
    return new Response(upstream.body, init);
  }
}

async function readAnswer(upstream: Response, request: Request): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await upstream.bytes();
  } catch (err) {
    if (request.signal.aborted) throw new ClientClosedError();
    throw new ProxyError(`Backend failed while sending its answer: ${(err as Error).message}`, 502, 'api_error', 'upstream_failed');
  }
}

/** A backend's 4xx/5xx answer: its own error message when it sent one in OpenAI's shape. */
function backendError(upstream: Response, body: Json): string | null {
  if (upstream.status < 400) return null;
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? `Backend answered ${upstream.status}: ${message}` : `Backend answered ${upstream.status} ${upstream.statusText}`.trim();
}

function newRow(o: { request: Request; url: RequestPath; client: ClientInfo; incoming: HeaderRecord; logging: boolean }): LogRow {
  const { request, url, client, incoming } = o;
  return {
    id: client.logId ?? Bun.randomUUIDv7(),
    timestamp: new Date(),
    method: request.method,
    path: url.pathname,
    model: null,
    backendModel: null,
    configId: null,
    upstreamUrl: null,
    statusCode: 0,
    stream: false,
    durationMs: 0,
    ttftMs: null,
    promptTokens: null,
    completionTokens: null,
    totalTokens: null,
    error: null,
    clientIp: client.ip,
    userAgent: (incoming['user-agent'] as string | undefined) ?? null,
    // Redacted only when it will be stored.
    requestHeaders: o.logging ? redactHeaders(incoming) : null,
    requestBody: null,
    responseHeaders: null,
    responseBody: null,
    streamContent: null,
    chunks: null,
  };
}

interface RequestPath {
  pathname: string;
  /** The query string with its "?", or "". */
  search: string;
}

/**
 * Path and query of a request URL without a URL object (this runs on every request). Bun hands
 * handlers an absolute URL whose dot segments are already resolved, so nothing can climb out of /v1.
 */
function splitUrl(url: string): RequestPath {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  const q = url.indexOf('?', pathStart);
  return q < 0 ? { pathname: url.slice(pathStart), search: '' } : { pathname: url.slice(pathStart, q), search: url.slice(q) };
}

/**
 * Answers read whole before they are passed on: JSON (small next to its generation time, and its
 * usage is wanted). Everything else (audio, NDJSON, plain text streams) goes out as it arrives.
 */
function isTextual(contentType: string): boolean {
  return contentType === '' || contentType.startsWith('application/json');
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

const round = (ms: number) => Math.round(ms * 100) / 100;
const overhead = (ms: number) => ms.toFixed(3);
