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
import { LogRecorder } from './logs/recorder.ts';
import { runChat } from './proxy/chat.ts';
import { createProxyHandler } from './proxy/handler.ts';
import type { Settings } from './settings.ts';
import type { Store } from './store/types.ts';

export interface AppDeps {
  settings: Pick<Settings, 'maxBodyBytes' | 'logBodyBytes' | 'logQueueMax' | 'logRequests'>;
  store: Store;
  configs: ConfigService;
  adminToken: string;
  /** Where the built admin client is; defaults to client/dist. */
  clientDir?: string;
  /** Overrides for tests (e.g. a shorter flush delay). */
  recorderOptions?: { flushDelayMs?: number; batchSize?: number };
}

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
  const health = (): HealthParent => {
    const status = recorder.status();
    return { status: status.storeOk ? 'ok' : 'degraded', storeKind: deps.store.kind, recorder: status };
  };
  const closing = new AbortController();
  const proxy = createProxyHandler({ routes: deps.configs.routes, recorder, settings: deps.settings });
  const services: GraphQLServices = {
    configs: deps.configs, store: deps.store, recorder, pubsub, health, closing: closing.signal,
    chat: (input) => runChat(proxy, input, closing.signal),
  };
  const yoga = createAdminYoga(services, '/graphql');

  // Elysia by default skips the first 11 characters of a URL to find its path, which misroutes
  // every request to a short host name such as http://llm/ (a Compose service name).
  const app = new Elysia({ handler: { standardHostname: false } })
    .use(adminClient(deps.clientDir))
    .get('/health', () => {
      const h = health();
      // Public: no error text here (it may name hosts); the admin API's `health` query has it.
      return Response.json({
        status: h.status,
        store: { kind: h.storeKind, ok: h.recorder.storeOk, lastErrorAt: h.recorder.lastErrorAt },
        logQueue: { depth: h.recorder.queueDepth, written: h.recorder.written, dropped: h.recorder.dropped, writeFailures: h.recorder.writeFailures },
      });
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

  return { app, recorder, pubsub, yoga, closeLiveStreams };
}

export type App = ReturnType<typeof createApp>;
