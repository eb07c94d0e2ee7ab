/**
 * createApp(deps) builds the whole HTTP app without listening: /v1 (the proxy), /graphql (admin
 * API), /health. main.ts listens; tests build the same app with their own deps.
 */
import { Elysia } from 'elysia';
import { adminClient } from './admin/client.ts';
import { isAuthorized } from './admin/token.ts';
import type { ConfigService } from './configs/service.ts';
import type { GraphQLServices } from './graphql/context.ts';
import type { HealthParent } from './graphql/mappers.ts';
import { createLogPubSub } from './graphql/pubsub.ts';
import { createAdminYoga } from './graphql/yoga.ts';
import { logDownloadRoutes } from './logs/export.ts';
import { LogRecorder } from './logs/recorder.ts';
import { runChat } from './proxy/chat.ts';
import { createProxyHandler } from './proxy/handler.ts';
import { ProxyMetrics } from './metrics.ts';
import type { Settings } from './settings.ts';
import type { Store } from './store/types.ts';
import { StoreUpkeep, type UpkeepOptions } from './store/upkeep.ts';

export interface AppDeps {
  settings: Pick<Settings, 'maxBodyBytes' | 'logBodyBytes' | 'logQueueMax' | 'logRequests' | 'logRetentionDays' | 'logMaxRows' | 'metricsToken'>;
  store: Store;
  configs: ConfigService;
  adminToken: string;
  /** Where the built admin client is; defaults to client/dist. */
  clientDir?: string;
  /** Overrides for tests (e.g. a shorter flush delay). */
  recorderOptions?: { flushDelayMs?: number; batchSize?: number };
  upkeepOptions?: Partial<Omit<UpkeepOptions, 'store' | 'retentionDays' | 'maxRows'>>;
  /** How long failing writes or pings may last before /health answers 503 (tests shorten it). */
  unhealthyAfterMs?: number;
}

/** Writes failing this long, or a queue this full, put logs at risk: /health answers 503. */
export const STORE_DOWN_UNHEALTHY_MS = 30_000;
const QUEUE_AT_RISK = 0.8;

const UNAUTHORIZED = JSON.stringify({
  errors: [{ message: 'Missing or wrong admin token: send Authorization: Bearer <token>', extensions: { code: 'UNAUTHENTICATED' } }],
});

export function createApp(deps: AppDeps) {
  const pubsub = createLogPubSub();
  const recorder = new LogRecorder({
    store: deps.store,
    maxQueue: deps.settings.logQueueMax,
    ...deps.recorderOptions,
    onWritten: (rows) => {
      // Most of the time nobody watches the live tail: then publishing would only make garbage.
      if (pubsub.listenerCount() === 0) return;
      for (const row of rows) pubsub.publish('log:written', row);
    },
  });
  const upkeep = new StoreUpkeep({
    store: deps.store, retentionDays: deps.settings.logRetentionDays, maxRows: deps.settings.logMaxRows, ...deps.upkeepOptions,
  });
  const health = (): HealthParent => {
    const rec = recorder.status();
    const care = upkeep.status();
    // Unreachable (pings fail) or refusing writes while it answers pings (disk full, read-only).
    const since = [care.downSince, rec.failingSince].filter((d): d is Date => d !== null);
    const failingSince = since.length > 0 ? Math.min(...since.map((d) => d.getTime())) : null;
    const atRisk = (failingSince !== null && Date.now() - failingSince >= (deps.unhealthyAfterMs ?? STORE_DOWN_UNHEALTHY_MS))
      || rec.queueDepth >= QUEUE_AT_RISK * deps.settings.logQueueMax;
    const status = atRisk ? 'unavailable' : rec.storeOk && care.reachable ? 'ok' : 'degraded';
    return {
      status, storeKind: deps.store.kind, recorder: rec, upkeep: care,
      retentionDays: deps.settings.logRetentionDays, maxRows: deps.settings.logMaxRows,
    };
  };
  const closing = new AbortController();
  const metrics = new ProxyMetrics({ recorder: () => recorder.status(), upkeep: () => upkeep.status(), storeKind: deps.store.kind });
  const proxy = createProxyHandler({ routes: deps.configs.routes, recorder, metrics, settings: deps.settings });
  const services: GraphQLServices = {
    configs: deps.configs, store: deps.store, recorder, pubsub, health, closing: closing.signal,
    chat: (input) => runChat(proxy, input, closing.signal),
  };
  const yoga = createAdminYoga(services, '/graphql');

  // Elysia by default skips the first 11 characters of a URL to find its path, which misroutes
  // every request to a short host name such as http://llm/ (a Compose service name).
  const app = new Elysia({ handler: { standardHostname: false } })
    .use(adminClient(deps.clientDir))
    .use(logDownloadRoutes({ store: deps.store, adminToken: deps.adminToken }))
    .get('/health', () => {
      const h = health();
      // Public: no error text here (it may name hosts); the admin API's `health` query has it.
      return Response.json({
        status: h.status,
        store: {
          kind: h.storeKind, ok: h.recorder.storeOk && h.upkeep.reachable, lastErrorAt: h.recorder.lastErrorAt,
          downSince: h.upkeep.downSince ?? h.recorder.failingSince, logRows: h.upkeep.size?.logRows ?? null, bytes: h.upkeep.size?.bytes ?? null,
        },
        logQueue: { depth: h.recorder.queueDepth, written: h.recorder.written, dropped: h.recorder.dropped, writeFailures: h.recorder.writeFailures },
      }, { status: h.status === 'unavailable' ? 503 : 200 });
    })
    .get('/metrics', async ({ request }) => {
      const token = deps.settings.metricsToken;
      if (token !== null && !isAuthorized(request.headers.get('authorization'), token)) {
        return new Response('Missing or wrong metrics token: send Authorization: Bearer <METRICS_TOKEN>\n', {
          status: 401, headers: { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' },
        });
      }
      return new Response(await metrics.render(), { headers: { 'content-type': metrics.registry.contentType } });
    })
    .all(
      '/v1/*',
      ({ request, server }) =>
        proxy(request, {
          ip: server?.requestIP(request)?.address ?? null,
          // Called once the body is read: a backend may think for minutes before its first byte or
          // between chunks, and the exchange must not be cut for idling then, but a client that
          // stalls its upload is still timed out.
          keepOpen: () => server?.timeout(request, 0),
        }),
      // The proxy reads the body itself (size limit, byte-exact forwarding).
      { parse: 'none' },
    )
    .all(
      '/graphql',
      ({ request, server }) => {
        // The GraphiQL page itself is public; every operation needs the token.
        const wantsPage = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
        if (!wantsPage && !isAuthorized(request.headers.get('authorization'), deps.adminToken)) {
          return new Response(UNAUTHORIZED, { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } });
        }
        // Subscriptions are long-lived SSE responses.
        server?.timeout(request, 0);
        return yoga.fetch(request);
      },
      // Without this a body-reading hook locks the request stream and Yoga cannot read it.
      { parse: 'none' },
    );

  /** Completes every live subscription; called at shutdown before waiting for requests in flight. */
  const closeLiveStreams = () => closing.abort();

  return { app, recorder, pubsub, yoga, upkeep, closeLiveStreams };
}

export type App = ReturnType<typeof createApp>;
