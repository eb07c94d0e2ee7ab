/**
 * settings -> store -> app -> listen, and a graceful shutdown. The only file that listens.
 */
import { ensureClientBuilt } from './admin/client.ts';
import { loadAdminToken } from './admin/token.ts';
import { join } from 'node:path';
import { createApp, serveLimits } from './app.ts';
import { LogSpool } from './logs/spool.ts';
import { ConfigService } from './configs/service.ts';
import { ConfigSnapshot } from './configs/snapshot.ts';
import { KeyService } from './keys/service.ts';
import { MemoryBreakers } from './proxy/breaker.ts';
import { deferredStore } from './store/deferred.ts';
import { isStoreOutage } from './store/outage.ts';
import { BUN_DEFAULT_MAX_HTTP_REQUESTS, isLoopback, loadSettings, SettingsError } from './settings.ts';
import { createStore, describeStore } from './store/index.ts';
import { loadSecretKey } from './store/secret-box.ts';
import { VERSION } from './version.ts';

// Other writers may edit configs (instances sharing a MongoDB database, `bun run cli import-configs`
// on either store); re-read them this often. On SQLite the read costs microseconds.
const CONFIG_REFRESH_MS = 5_000;
/** How often a store that was unreachable at start is tried again. */
const STORE_RETRY_MS = 5_000;

async function main() {
  const settings = loadSettings(process.env);
  const token = loadAdminToken({ fromEnv: settings.adminToken, dataDir: settings.dataDir });
  // Backend keys are sealed at rest under this key (store/secret-box.ts), in the store and in the snapshot.
  const secret = loadSecretKey({ fromEnv: settings.secretKey, dataDir: settings.dataDir });
  let store = await createStore(settings, secret.box, { sealPlaintext: true });
  const snapshot = new ConfigSnapshot(join(settings.dataDir, 'configs-last-known.json'), secret.box);
  let configs: ConfigService;
  let unreachableAtStart = false;
  try {
    // Upgrades an older schema first, saying so (and, on SQLite, where the copy from before it is).
    await store.init({ report: (m) => console.log(m) });
  } catch (err) {
    // MongoDB out at start: serve from the last known configs, logging to the spool, and keep trying.
    // A SQLite file that does not open (or any non-outage failure) still stops the server.
    if (!settings.mongodbUri || !isStoreOutage(err)) throw new Error(`cannot open the store (${describeStore(settings)}): ${(err as Error).message}`);
    const kept = snapshot.load();
    console.warn(`WARNING: ${describeStore(settings)} is unreachable (${(err as Error).message}).`);
    console.warn(kept
      ? `  Serving the ${kept.configs.length} configs last seen (${kept.savedAt}, kept in ${snapshot.path}); log entries wait in the spool until the store answers.`
      : '  No configs were seen before: serving none until the store answers; log entries wait in the spool.');
    unreachableAtStart = true;
    store = deferredStore(store, {
      retryMs: STORE_RETRY_MS, report: (m) => console.log(m),
      onReady: () => void configs.reload().catch((e) => console.error(`[configs] reload failed: ${String(e)}`)),
    });
  }
  configs = new ConfigService(store, snapshot, { breakers: new MemoryBreakers(settings.cooldown) });
  await configs.start(CONFIG_REFRESH_MS, { fromSnapshot: unreachableAtStart });
  if (!ensureClientBuilt()) console.warn('WARNING: the admin client could not be built; the API works, the admin page does not.');
  const spool = new LogSpool({ dir: join(settings.dataDir, 'spool'), maxBytes: settings.spoolMaxBytes, maxMemoryRows: settings.logQueueMax, report: (m) => console.error(m) });
  if (!spool.empty) console.log(`  log spool:       ${spool.status().rows} entries from an earlier run, replayed once the store answers`);
  const keys = new KeyService(store);
  await keys.start(CONFIG_REFRESH_MS);
  const { app, recorder, startUpkeep, stopUpkeep, closeLiveStreams } = createApp({ settings, store, configs, keys, adminToken: token.token, spool });

  app.listen({
    hostname: settings.host,
    port: settings.port,
    // Elysia defaults to reusePort, which lets a second server start silently on the same port.
    reusePort: false,
    // Idle keep-alive connections close after 30 s; proxied exchanges switch this off per request.
    idleTimeout: 30,
    ...serveLimits(),
  });
  const server = app.server!;
  startUpkeep();
  const shown = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  console.log(`Lite Proxy ${VERSION}`);
  console.log(`Lite Proxy listening on http://${shown}:${server.port}`);
  console.log(`  OpenAI base URL: http://${isLoopback(settings.host) ? shown : 'localhost'}:${server.port}/v1`);
  console.log(`  admin:           http://localhost:${server.port}/  (API and GraphiQL at /graphql)`);
  console.log(`  store:           ${describeStore(settings)}`);
  if (token.source.kind === 'env') console.log('  admin token:     from ADMIN_TOKEN');
  else if (token.source.created) {
    console.log(`  admin token:     ${token.token}`);
    console.log(`                   (generated now and saved to ${token.source.path}; it is not shown again)`);
  } else console.log(`  admin token:     in ${token.source.path}`);
  console.log(`  backend keys:    sealed at rest (AES-256-GCM) under ${secret.source.kind === 'env' ? 'SECRET_KEY' : `${secret.source.path}${secret.source.created ? ' (generated now: back it up with the database)' : ''}`}, id ${secret.box.keyId}`);
  console.log(`  backend requests: up to ${settings.maxUpstreamRequests} at once`);
  const retention = settings.logRetentionDays > 0 ? `${settings.logRetentionDays} days` : 'forever';
  console.log(`  logs kept:       ${retention}${settings.logMaxRows ? `, at most ${settings.logMaxRows} entries` : ''}`);
  if (settings.maxUpstreamRequests <= BUN_DEFAULT_MAX_HTTP_REQUESTS) {
    console.warn(
      `WARNING: Bun lets only ${settings.maxUpstreamRequests} backend requests run at once; more wait in a queue, ` +
        'long streams included. Start with `bun run server`, or set BUN_CONFIG_MAX_HTTP_REQUESTS (up to 65535).',
    );
  }
  const keyCount = keys.list().length;
  if (settings.clientAuth === 'off') {
    console.warn(`WARNING: CLIENT_AUTH=off: /v1 is open to anyone who can reach port ${server.port}, without a client key.`);
  } else if (settings.clientAuth === 'required' || keyCount > 0) {
    console.log(`  client keys:     required on every /v1 request (CLIENT_AUTH=${settings.clientAuth}; ${keyCount} key${keyCount === 1 ? '' : 's'})`);
  } else {
    console.log('  client keys:     none yet (CLIENT_AUTH=auto): only clients on this machine are served without one;');
    console.log('                   create one in the admin (Keys) to serve others, then every client needs a key');
    if (!isLoopback(settings.host)) console.log('                   (in a container, clients are not on loopback: create a key first)');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: no new connections; waiting up to ${settings.shutdownGraceMs} ms for requests in flight`);
    closeLiveStreams();
    // A step that takes long is named, so that an operator (or a test) sees where a stop waits.
    const timed = async (what: string, work: () => unknown) => {
      const from = performance.now();
      await work();
      const ms = performance.now() - from;
      if (ms >= 1_000) console.log(`  shutdown: ${what} took ${(ms / 1000).toFixed(1)} s`);
    };
    await timed('requests in flight', async () => {
      const finished = server.stop(false);
      const timedOut = await Promise.race([finished.then(() => false), Bun.sleep(settings.shutdownGraceMs).then(() => true)]);
      if (timedOut) {
        console.log('grace period over: closing the remaining connections');
        await server.stop(true);
      }
    });
    configs.stop();
    // A retention sweep or a key's last-use write against a store that is out would wait for it
    // (MongoDB: 5 s per operation): a shutdown waits for them only so long; each write is whole or not done.
    await timed('background upkeep', () => Promise.race([stopUpkeep(), Bun.sleep(STORE_CLOSE_MS)]));
    await timed('client keys', () => Promise.race([keys.stop(), Bun.sleep(STORE_CLOSE_MS)]));
    // Streams cut just now record their log entry on the next turns of the event loop.
    await Bun.sleep(50);
    await timed('the log queue', () => recorder.drain(settings.shutdownGraceMs));
    await timed('the log spool', () => spool.close());
    // A MongoDB close waits for operations still trying an unreachable server: not past this.
    // (SQLite closes at once; what it holds is durable in its WAL either way.)
    await timed('closing the store', () => Promise.race([store.close(), Bun.sleep(STORE_CLOSE_MS)]));
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** How long a shutdown waits for the store to close, and for background work on it to end. */
const STORE_CLOSE_MS = 3_000;

main().catch((err) => {
  console.error(err instanceof SettingsError ? `Invalid setting: ${err.message}` : `Lite Proxy failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
