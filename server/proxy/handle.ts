/**
 * One `/v1` exchange, step by step as docs/architecture.md draws it:
 * read → parse → admit → route → attempt → respond → finish. Each step lives in the file named for
 * it; the Exchange (exchange.ts) is told what each step learned and writes the log row at the end.
 */
import { BadRequestError, NotFoundError } from '../errors.ts';
import type { LogRecorder } from '../logs/recorder.ts';
import type { ProxyMetrics } from '../metrics.ts';
import type { Settings } from '../settings.ts';
import type { PriceBook } from '../cost/prices.ts';
import type { TokenCounter } from '../cost/tokens.ts';
import type { LogSummary } from '../store/types.ts';
import { admit, admitModel, authenticate, type Caller, type ClientAuthDeps } from './admit.ts';
import { attempt } from './attempts.ts';
import { Exchange } from './exchange.ts';
import { isModelsPath, listModels } from './models.ts';
import { parseRequest } from './parse.ts';
import { readBody } from './read.ts';
import { errorAnswer, respond } from './respond.ts';
import { route, type RouteTable } from './route.ts';

export interface ProxyDeps {
  routes: RouteTable;
  recorder: LogRecorder;
  metrics: ProxyMetrics;
  settings: Pick<Settings, 'maxBodyBytes' | 'logBodyBytes' | 'logRequests' | 'streamIdleTimeoutMs'>;
  /** CLIENT_AUTH and the client keys; absent (tests, 0.1.0 behaviour): every caller is let in. */
  clientAuth?: ClientAuthDeps;
  /** Prices each exchange (its log entry's costUsd); absent: costUsd stays null. */
  prices?: PriceBook;
  /** Counts each client key's exchanges toward its budget. */
  usage?: { record(row: LogSummary): void };
  /** Counts the tokens of answers that came without usage. */
  tokens?: TokenCounter;
}

const OPEN_AUTH: ClientAuthDeps = { mode: 'off', keys: null };

export async function handleProxyRequest(deps: ProxyDeps, request: Request, caller: Caller): Promise<Response> {
  const { pathname, search } = splitUrl(request.url);
  const exchange = Exchange.start(deps, { request, pathname, ip: caller.ip, logId: caller.logId });
  try {
    if (!pathname.startsWith('/v1/')) throw new NotFoundError(`No such endpoint: ${pathname.slice(0, 200)}`);
    if (pathname.includes('%')) refuseEncodedSeparators(pathname);
    const subpath = pathname.slice('/v1'.length);
    // Before the body is read: a client without a valid key costs no more than its headers.
    const client = authenticate(deps.clientAuth ?? OPEN_AUTH, request, caller, (known) => exchange.client(known, false));
    exchange.client(client.key, caller.internal === true);
    if (isModelsPath(request.method, subpath)) return listModels({ exchange, routes: deps.routes, subpath, key: client.key });
    if (request.method !== 'POST') {
      throw new NotFoundError(`Lite Proxy routes requests by their model; ${request.method} ${pathname} carries none`);
    }
    const bytes = await readBody(request, deps.settings.maxBodyBytes);
    caller.keepOpen?.();
    const contentType = request.headers.get('content-type') ?? '';
    const parsing = parseRequest({ exchange, bytes, contentType, logBodyBytes: deps.settings.logBodyBytes });
    const parsed = parsing instanceof Promise ? await parsing : parsing;
    admitModel(client, parsed);
    const plan = route(deps.routes, parsed.model, caller.configId);
    // Held until the exchange finishes, which for a stream is when its last byte went out.
    const admission = admit(client, parsed, deps.clientAuth, plan.first());
    exchange.admitted(admission);
    const answer = await attempt({
      exchange, metrics: deps.metrics, plan, breakers: deps.routes.breakers, parsed, subpath, search, clientSignal: request.signal,
      byClientKey: client.key !== null, model: parsed.model,
    });
    if (admission.headers) Object.assign(answer.headers, admission.headers);
    const response = respond({
      exchange, answer, clientSignal: request.signal, logBodyBytes: deps.settings.logBodyBytes, idleMs: deps.settings.streamIdleTimeoutMs,
    });
    // A stream is answered once its first event came; a JSON answer once read whole. Either may fail.
    return response instanceof Promise ? await response : response;
  } catch (err) {
    return errorAnswer(exchange, err, request.signal);
  }
}

const ENCODED_SEPARATOR = /%(2f|5c)/i;

/**
 * A path that hides a separator behind percent-encoding (`%2F`, `%5C`) is refused, never forwarded:
 * a backend that decodes it would serve a path outside the config's base URL. Dot segments cannot
 * get this far: Bun resolves `..`, `%2E%2E` and `\` before the handler sees the URL, so a path that
 * climbs out of /v1 is a 404 and one that stays inside is forwarded without them.
 */
function refuseEncodedSeparators(pathname: string): void {
  if (ENCODED_SEPARATOR.test(pathname)) {
    throw new BadRequestError('The path holds an encoded separator (%2F or %5C), which Lite Proxy does not forward', 'invalid_path');
  }
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
