/**
 * createApp(deps) builds the whole HTTP app without listening: /v1 (the proxy), /graphql (admin
 * API), /export (log downloads), /health, /metrics and the admin page. main.ts listens; tests build
 * the same app with their own deps. Errors are rendered per surface, and one app-level handler
 * answers what no route took or what escaped a route, as JSON, never as a framework's plain text.
 */
import { Elysia } from 'elysia';
import { ADMIN_TOKEN_MISSING, bearerGuard } from './admin/auth.ts';
import { adminSessionRoutes } from './admin/session-routes.ts';
import { AdminSessions, withRenewal } from './admin/sessions.ts';
import { runChat } from './admin/chat.ts';
import { adminClient } from './admin/client.ts';
import { logDownloadRoutes } from './admin/downloads.ts';
import type { ConfigService } from './configs/service.ts';
import { HttpError, NotFoundError, PayloadTooLargeError } from './errors.ts';
import type { GraphQLServices } from './graphql/context.ts';
import { graphQLErrorResponse } from './graphql/errors.ts';
import { createLogPubSub } from './graphql/pubsub.ts';
import { createAdminYoga } from './graphql/yoga.ts';
import { assessHealth, type HealthReport, StoreWatch } from './health.ts';
import { asHttpError, jsonErrorResponse } from './http-errors.ts';
import { LogRecorder } from './logs/recorder.ts';
import { Retention, type RetentionOptions } from './logs/retention.ts';
import { ProxyMetrics } from './metrics.ts';
import { openAiErrorResponse } from './openai/errors.ts';
import type { Caller } from './proxy/admit.ts';
import { handleProxyRequest, type ProxyDeps } from './proxy/handle.ts';
import { PriceBook } from './cost/prices.ts';
import { TokenCounter } from './cost/tokens.ts';
import { TrustedProxies } from './client-ip.ts';
import { adminCors, ProxyCors } from './cors.ts';
import { GraphiQLFiles } from './admin/graphiql.ts';
import { LoginThrottle, type ThrottleOptions } from './admin/login-throttle.ts';
import { MemoryLimiter } from './keys/limits.ts';
import type { KeyService } from './keys/service.ts';
import type { LogSpool } from './logs/spool.ts';
import { DEFAULT_STREAM_IDLE_MS, type Settings } from './settings.ts';
import type { Store } from './store/types.ts';

export { STORE_DOWN_UNHEALTHY_MS } from './health.ts';

export interface AppDeps {
  settings: Pick<Settings, 'maxBodyBytes' | 'logBodyBytes' | 'logQueueMax' | 'logRequests' | 'logRetentionDays' | 'logMaxRows' | 'metricsToken'>
    & Partial<Pick<Settings, 'streamIdleTimeoutMs' | 'trustedProxies' | 'adminAllowedOrigins' | 'corsOrigins' | 'clientAuth'>>;
  store: Store;
  configs: ConfigService;
  /** The client keys for /v1 (keys/service.ts); without them (and CLIENT_AUTH) /v1 is open, as in 0.1.0. */
  keys?: KeyService;
  /** Prices exchanges (cost/prices.ts); a new PriceBook when not given. */
  prices?: PriceBook;
  adminToken: string;
  /** Where the built admin client is; defaults to client/dist. */
  clientDir?: string;
  /** Overrides for tests (e.g. a shorter flush delay). */
  recorderOptions?: { flushDelayMs?: number; batchSize?: number };
  retentionOptions?: Partial<Omit<RetentionOptions, 'store' | 'retentionDays' | 'maxRows'>>;
  /** How often the store is pinged (tests shorten it). */
  pingEveryMs?: number;
  /** Where background failures are reported; the console by default. */
  report?: (message: string) => void;
  /** Where log entries wait while the store cannot take them (main.ts: DATA_DIR/spool). */
  spool?: LogSpool;
  /** Failed-login throttling (tests shorten it). */
  loginThrottle?: ThrottleOptions;
  /** How long an admin session lasts after its last use (12 h; tests shorten it). */
  sessionTtlMs?: number;
  /** How long failing writes or pings may last before /health answers 503 (tests shorten it). */
  unhealthyAfterMs?: number;
}

/** The log pipeline and the store's care: recorder (with the live tail), retention, pings and health. */
function createLogPipeline(deps: AppDeps) {
  const { settings, store } = deps;
  const pubsub = createLogPubSub();
  const recorder = new LogRecorder({
    store,
    maxQueue: settings.logQueueMax,
    spool: deps.spool,
    ...deps.recorderOptions,
    onWritten: (rows) => {
      // Most of the time nobody watches the live tail: then publishing would only make garbage.
      if (pubsub.listenerCount() === 0) return;
      for (const row of rows) pubsub.publish('log:written', row);
    },
  });
  const retention = new Retention({
    store, retentionDays: settings.logRetentionDays, maxRows: settings.logMaxRows, report: deps.report, ...deps.retentionOptions,
  });
  const watch = new StoreWatch({ store, everyMs: deps.pingEveryMs, report: deps.report });
  const health = (): HealthReport => assessHealth({
    store, recorder, watch, retention, logQueueMax: settings.logQueueMax,
    retentionDays: settings.logRetentionDays, maxRows: settings.logMaxRows, unhealthyAfterMs: deps.unhealthyAfterMs,
  });
  return { pubsub, recorder, retention, watch, health };
}

export function createApp(deps: AppDeps) {
  const { settings, store } = deps;
  const { pubsub, recorder, retention, watch, health } = createLogPipeline(deps);
  const closing = new AbortController();
  const metrics = new ProxyMetrics({ health, backends: () => deps.configs.routes.backendStates(Date.now()) });
  const prices = deps.prices ?? new PriceBook();
  // Counts the tokens of answers that come without usage (its Worker starts on the first such answer).
  const tokens = new TokenCounter();
  const proxyDeps: ProxyDeps = {
    routes: deps.configs.routes, recorder, metrics, settings: { ...settings, streamIdleTimeoutMs: settings.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_MS },
    clientAuth: deps.keys ? { mode: settings.clientAuth ?? 'auto', keys: deps.keys, limiter: new MemoryLimiter(), prices } : undefined,
    prices, usage: deps.keys?.budgets, tokens,
  };
  const proxy = (request: Request, caller: Caller) => handleProxyRequest(proxyDeps, request, caller);
  const trustedProxies = new TrustedProxies(settings.trustedProxies ?? []);
  const services: GraphQLServices = {
    configs: deps.configs, keys: deps.keys ?? null, prices, store, recorder, pubsub, health, closing: closing.signal,
    chat: (input) => runChat(proxy, input, closing.signal),
  };
  const yoga = createAdminYoga(services, { graphqlEndpoint: '/graphql', cors: adminCors(settings.adminAllowedOrigins ?? []) });
  const proxyCors = new ProxyCors(settings.corsOrigins ?? []);
  const graphiql = new GraphiQLFiles({ title: 'Lite Proxy GraphQL', endpoint: '/graphql' });
  // The listening server, once app.listen() made it (main.ts, tests): it knows each request's peer.
  const serverOf = (): BunServer => (app as unknown as { server: BunServer }).server ?? null;
  const loginThrottle = { limiter: new LoginThrottle({ report: deps.report, ...deps.loginThrottle }), ipOf: (request: Request): string | null => clientIpOf(request, serverOf(), trustedProxies) };
  // The admin page's sessions (admin/sessions.ts): the cookie is Secure when the page came over HTTPS,
  // directly or through a trusted proxy that says so.
  const sessions = new AdminSessions({
    ttlMs: deps.sessionTtlMs,
    isHttps: (request) => new URL(request.url).protocol === 'https:'
      || (request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https' && trustedProxies.trusts(serverOf()?.requestIP(request)?.address ?? null)),
  });
  const adminGuard = (render: (err: HttpError) => Response, csrf: 'header' | 'yoga' = 'header') =>
    bearerGuard({ token: deps.adminToken, message: ADMIN_TOKEN_MISSING, render, throttle: loginThrottle, sessions, csrf });
  const graphqlGuard = adminGuard(graphQLErrorResponse, 'yoga');
  const metricsGuard = bearerGuard({
    token: settings.metricsToken, message: 'Missing or wrong metrics token: send Authorization: Bearer <METRICS_TOKEN>', render: jsonErrorResponse,
    throttle: loginThrottle,
  });

  // Elysia by default skips the first 11 characters of a URL to find its path, which misroutes
  // every request to a short host name such as http://llm/ (a Compose service name).
  const app = new Elysia({ handler: { standardHostname: false } })
    .onError({ as: 'global' }, ({ code, error, request }) => renderUnhandled(code, error, request))
    .use(adminClient(deps.clientDir))
    .use(adminSessionRoutes({ token: deps.adminToken, sessions, throttle: loginThrottle }))
    .use(logDownloadRoutes({ store, guard: adminGuard(jsonErrorResponse) }))
    .get('/graphiql/:name', async ({ request, params }) => (await graphiql.answer(request, params.name)) ?? jsonErrorResponse(new NotFoundError("No such file")))
    .get('/health', () => healthResponse(health(), deps.configs.source))
    .get('/metrics', async ({ request }) => {
      const refused = await metricsGuard.check(request);
      if (refused) return refused;
      return new Response(await metrics.render(), { headers: { 'content-type': metrics.registry.contentType } });
    })
    // The proxy reads the body itself (size limit, byte-exact forwarding).
    // Without CORS_ORIGINS (the default) the handler adds nothing to the proxy's own path.
    .all('/v1/*', ({ request, server }) => (proxyCors.none
      ? proxy(request, callerOf(request, server, trustedProxies))
      : proxyCors.preflight(request) ?? proxy(request, callerOf(request, server, trustedProxies)).then((res) => proxyCors.decorate(request, res))), { parse: 'none' })
    .all(
      '/graphql',
      async ({ request, server }) => {
        // The GraphiQL page itself is public; every operation needs the token.
        const wantsPage = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
        // A CORS preflight carries no token by design: Yoga answers it (for ADMIN_ALLOWED_ORIGINS only).
        const preflight = request.method === 'OPTIONS';
        const refused = wantsPage || preflight ? null : ((await graphqlGuard.check(request)) ?? adminBodyRefused(request, settings.maxBodyBytes));
        if (refused) return refused;
        if (wantsPage) return graphiql.answer(request, 'page');
        // Subscriptions are long-lived SSE responses.
        server?.timeout(request, 0);
        // A session's cookie is renewed now and then while it is used (its expiry slides).
        return withRenewal(sessions, request, await yoga.fetch(request));
      },
      // Without this a body-reading hook locks the request stream and Yoga cannot read it.
      { parse: 'none' },
    );

  /** Completes every live subscription; called at shutdown before waiting for requests in flight. */
  const closeLiveStreams = () => closing.abort();
  /** Starts the background work: store pings and the retention sweep. */
  const startUpkeep = () => {
    watch.start();
    retention.start();
  };
  const stopUpkeep = async () => {
    watch.stop();
    await retention.stop();
  };

  return { app, recorder, pubsub, yoga, retention, watch, health, sessions, tokens, startUpkeep, stopUpkeep, closeLiveStreams };
}

export type App = ReturnType<typeof createApp>;

type BunServer = { requestIP(request: Request): { address: string } | null; timeout(request: Request, seconds: number): void } | null;

/**
 * Options for Bun.serve that belong to the app rather than to where it listens (main.ts and the
 * tests both use them).
 */
export function serveLimits(): { maxRequestBodySize: number } {
  // No transport limit: /v1 answers 413 in OpenAI's shape at any size (read.ts stops reading at
  // MAX_BODY_BYTES), and /graphql refuses what it will not read (adminBodyRefused).
  return { maxRequestBodySize: Number.MAX_SAFE_INTEGER };
}

/** A GraphQL body must declare its length, within MAX_BODY_BYTES: Yoga would read any body whole. */
function adminBodyRefused(request: Request, limit: number): Response | null {
  if (request.method !== 'POST' || !request.body) return null;
  const declared = request.headers.get('content-length');
  if (declared === null) return graphQLErrorResponse(new HttpError('A GraphQL request must send Content-Length', 411, 'length_required'));
  return Number(declared) > limit ? graphQLErrorResponse(new PayloadTooLargeError(limit)) : null;
}

/** The client's address: the socket's peer, or the forwarded one behind TRUSTED_PROXIES. */
function clientIpOf(request: Request, server: BunServer, proxies: TrustedProxies): string | null {
  const peer = server?.requestIP(request)?.address ?? null;
  return proxies.none ? peer : proxies.clientIp(peer, request.headers.get('x-forwarded-for'));
}

/** A `/v1` caller as the transport knows it. */
function callerOf(request: Request, server: BunServer, proxies: TrustedProxies): Caller {
  return {
    ip: clientIpOf(request, server, proxies),
    // Called once the body is read: a backend may think for minutes before its first byte or
    // between chunks, and the exchange must not be cut for idling then, but a client that stalls
    // its upload is still timed out.
    keepOpen: () => server?.timeout(request, 0),
  };
}

/** Public: no error text here (it may name hosts); the admin API's `health` query has it. */
function healthResponse(h: HealthReport, configs: 'store' | 'snapshot'): Response {
  return Response.json({
    status: h.status,
    version: h.version,
    // 'last-known' while the store is unreachable since start: routing uses the configs kept in DATA_DIR.
    configs: configs === 'store' ? 'store' : 'last-known',
    store: {
      kind: h.storeKind, ok: h.storeOk, lastErrorAt: h.recorder.lastErrorAt,
      downSince: h.ping.downSince ?? h.recorder.failingSince, logRows: h.retention.size?.logRows ?? null, bytes: h.retention.size?.bytes ?? null,
    },
    logQueue: {
      depth: h.recorder.queueDepth, written: h.recorder.written, dropped: h.recorder.dropped, writeFailures: h.recorder.writeFailures,
      spooled: h.recorder.spooled, spoolBytes: h.recorder.spoolBytes, spoolDropped: h.recorder.spoolDropped,
      spoolFailing: h.recorder.spoolFailing,
    },
  }, { status: h.status === 'unavailable' ? 503 : 200 });
}

/** What no route answered, or what escaped one, in the shape of the surface it was meant for. */
function renderUnhandled(code: unknown, error: unknown, request: Request): Response {
  const path = new URL(request.url).pathname;
  const err = code === 'NOT_FOUND'
    ? new NotFoundError(`No such path: ${request.method} ${path.slice(0, 200)}`)
    : code === 'PARSE' || code === 'VALIDATION'
      ? new HttpError('The request could not be read', 400, 'invalid_request')
      : asHttpError(error, 'http');
  if (path === '/v1' || path.startsWith('/v1/')) return openAiErrorResponse(err);
  if (path === '/graphql') return graphQLErrorResponse(err);
  return jsonErrorResponse(err);
}
