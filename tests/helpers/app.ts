/**
 * Starts the real app on port 0 with a store of the chosen kind, as main.ts does but without
 * reading the environment (except MONGODB_URI, which selects the test MongoDB server).
 */
import { MemoryBreakers } from '../../server/proxy/breaker.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ThrottleOptions } from '../../server/admin/login-throttle.ts';
import type { LogSpool } from '../../server/logs/spool.ts';
import { createApp, serveLimits } from '../../server/app.ts';
import { ConfigService } from '../../server/configs/service.ts';
import { KeyService } from '../../server/keys/service.ts';
import type { ClientAuth } from '../../server/settings.ts';
import { MongoStore } from '../../server/store/mongo.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import type { Store } from '../../server/store/types.ts';

export type StoreKind = 'sqlite' | 'mongodb';

/** SQLite always; MongoDB too when MONGODB_URI points at a test server. */
export const STORE_KINDS: StoreKind[] = process.env.MONGODB_URI ? ['sqlite', 'mongodb'] : ['sqlite'];

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export function tempDir(prefix = 'lite-proxy-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface StoreHandle {
  store: Store;
  /** Removes the files or drops the database. */
  destroy(): Promise<void>;
  /** Opens a second handle on the same data (a restart). */
  reopen(): Store;
}

export function makeStore(kind: StoreKind, dir = tempDir()): StoreHandle {
  if (kind === 'sqlite') {
    const path = join(dir, 'test.sqlite');
    return {
      store: new SqliteStore(path),
      reopen: () => new SqliteStore(path),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const uri = process.env.MONGODB_URI!;
  const db = `lp_test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  return {
    store: new MongoStore(uri, db),
    reopen: () => new MongoStore(uri, db),
    destroy: async () => {
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(uri);
      await client.db(db).dropDatabase().catch(() => {});
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestAppOptions {
  kind?: StoreKind;
  store?: Store;
  maxBodyBytes?: number;
  logBodyBytes?: number;
  streamIdleTimeoutMs?: number;
  trustedProxies?: string[];
  loginThrottle?: ThrottleOptions;
  /** How long an admin session lasts after its last use (12 h by default). */
  sessionTtlMs?: number;
  /** With it, the app has client keys (keys/service.ts) and /v1 asks for them as CLIENT_AUTH says. */
  clientAuth?: ClientAuth;
  /** The log spool (main.ts always has one, in DATA_DIR/spool). */
  spool?: LogSpool;
  /** Console messages of the app (the default drops them). */
  report?: (message: string) => void;
  adminAllowedOrigins?: string[];
  corsOrigins?: string[];
  logQueueMax?: number;
  logRequests?: boolean;
  /** Seconds an idle connection may stay open (Bun's idleTimeout); main.ts uses 30. */
  idleTimeout?: number;
  /** Where the built admin client is (client/dist by default). */
  clientDir?: string;
  logRetentionDays?: number;
  logMaxRows?: number | null;
  metricsToken?: string | null;
  unhealthyAfterMs?: number;
  /** Starts the store's background upkeep (pings, size, retention); tests call `upkeep.sweep()` otherwise. */
  upkeep?: { pingEveryMs?: number; sweepEveryMs?: number; batchSize?: number; pauseMs?: number };
  /** The backends' breakers (COOLDOWN_*): tests shorten them. */
  cooldown?: { failures: number; baseMs: number; maxMs: number };
}

export async function startApp(opts: TestAppOptions = {}) {
  const handle = opts.store ? null : makeStore(opts.kind ?? 'sqlite');
  const store = opts.store ?? handle!.store;
  await store.init();
  const configs = new ConfigService(store, null, { breakers: new MemoryBreakers(opts.cooldown) });
  await configs.start();
  const keys = opts.clientAuth ? new KeyService(store) : undefined;
  await keys?.start(60_000);
  const built = createApp({
    settings: {
      maxBodyBytes: opts.maxBodyBytes ?? 25 * 1024 * 1024,
      logBodyBytes: opts.logBodyBytes ?? 1024 * 1024,
      streamIdleTimeoutMs: opts.streamIdleTimeoutMs,
      trustedProxies: opts.trustedProxies,
      adminAllowedOrigins: opts.adminAllowedOrigins,
      corsOrigins: opts.corsOrigins,
      logQueueMax: opts.logQueueMax ?? 10_000,
      logRequests: opts.logRequests ?? true,
      logRetentionDays: opts.logRetentionDays ?? 30,
      logMaxRows: opts.logMaxRows ?? null,
      metricsToken: opts.metricsToken ?? null,
      clientAuth: opts.clientAuth,
    },
    store,
    configs,
    keys,
    adminToken: ADMIN_TOKEN,
    clientDir: opts.clientDir,
    recorderOptions: { flushDelayMs: 5 },
    unhealthyAfterMs: opts.unhealthyAfterMs,
    retentionOptions: { batchSize: opts.upkeep?.batchSize, pauseMs: opts.upkeep?.pauseMs ?? 0, sweepEveryMs: opts.upkeep?.sweepEveryMs },
    pingEveryMs: opts.upkeep?.pingEveryMs,
    report: opts.report ?? (() => {}),
    spool: opts.spool,
    // Suites that send wrong tokens on purpose share one address: only the throttle's own test throttles.
    loginThrottle: opts.loginThrottle ?? { failures: 1_000_000 },
    sessionTtlMs: opts.sessionTtlMs,
  });
  if (opts.upkeep) built.startUpkeep();
  built.app.listen({ port: 0, hostname: '127.0.0.1', reusePort: false, idleTimeout: opts.idleTimeout ?? 30, ...serveLimits() });
  const port = built.app.server!.port;
  const url = `http://127.0.0.1:${port}`;

  async function gql<T = any>(query: string, variables?: Record<string, unknown>, token = ADMIN_TOKEN) {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }) };
  }

  async function addConfig(input: Record<string, unknown>): Promise<{ id: string }> {
    const r = await gql<{ createConfig: { id: string } }>(
      'mutation($input: CreateConfigInput!) { createConfig(input: $input) { id } }',
      { input },
    );
    if (r.errors) throw new Error(`createConfig failed: ${JSON.stringify(r.errors)}`);
    return r.data!.createConfig;
  }

  return {
    url,
    baseUrl: `${url}/v1`,
    store,
    configs,
    recorder: built.recorder,
    pubsub: built.pubsub,
    /** The store's background care: the retention sweep and the ping behind /health. */
    upkeep: { sweep: () => built.retention.sweep(), ping: () => built.watch.ping() },
    gql,
    addConfig,
    /** Counts the tokens of answers without usage (tests await its ready()). */
    tokens: built.tokens,
    /** Waits until every finished exchange is in the store. */
    async drain() {
      // A stream's log entry is recorded a few turns after its last byte.
      await Bun.sleep(20);
      await built.recorder.drain();
    },
    async stop() {
      built.tokens.close();
      await built.app.stop(true);
      await built.stopUpkeep();
      await built.recorder.drain();
      configs.stop();
      await keys?.stop();
      await store.close();
      await handle?.destroy();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof startApp>>;
