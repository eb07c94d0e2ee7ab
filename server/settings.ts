/**
 * The only reader of the environment. `loadSettings(env)` validates everything once at start-up and
 * returns a frozen object that is passed down; nothing else looks at `process.env`.
 */
import { isAbsolute, resolve } from 'node:path';
import { TrustedProxies } from './client-ip.ts';
import { parseOrigins } from './cors.ts';
import { parseSecretKey } from './store/secret-box.ts';

export interface Settings {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** MongoDB connection string; null selects the embedded SQLite store. */
  readonly mongodbUri: string | null;
  readonly databaseName: string;
  /** From ADMIN_TOKEN; null means "generate one and keep it in DATA_DIR". */
  readonly adminToken: string | null;
  /** SECRET_KEY: the master key that seals backend keys at rest (else DATA_DIR/secret-key). */
  readonly secretKey: string | null;
  /**
   * CLIENT_AUTH: who may call /v1. `auto`: loopback clients without a key until the first key is
   * made, then a key for everyone; `required`: always a key; `off`: anyone.
   */
  readonly clientAuth: ClientAuth;
  readonly maxBodyBytes: number;
  readonly logBodyBytes: number;
  /** Entries waiting for the store beyond this are dropped (oldest first) and counted. */
  readonly logQueueMax: number;
  /** false: no log entries at all (no capture, no writes); for measuring or for privacy. */
  readonly logRequests: boolean;
  readonly shutdownGraceMs: number;
  /** COOLDOWN_FAILURES, COOLDOWN_BASE_MS, COOLDOWN_MAX_MS. */
  readonly cooldown: Readonly<{ failures: number; baseMs: number; maxMs: number }>;
  /**
   * Bun's cap on concurrent fetches (BUN_CONFIG_MAX_HTTP_REQUESTS, read by Bun itself at start;
   * 256 when unset). Beyond it backend requests queue, so `bun run server` raises it.
   */
  readonly maxUpstreamRequests: number;
  /** Log entries older than this many days are deleted; 0 keeps them forever. */
  readonly logRetentionDays: number;
  /** At most this many log entries are kept (oldest deleted first); null: no cap. */
  readonly logMaxRows: number | null;
  /** Bearer token for GET /metrics; null leaves it open (like most Prometheus targets). */
  readonly metricsToken: string | null;
  /** The longest silence between two chunks of a backend's answer once it has started (STREAM_IDLE_TIMEOUT_MS). */
  readonly streamIdleTimeoutMs: number;
  /** TRUSTED_PROXIES: CIDRs (or addresses) whose X-Forwarded-For names the client; none by default. */
  readonly trustedProxies: readonly string[];
  /** ADMIN_ALLOWED_ORIGINS: origins that may call /graphql from a browser (with credentials); none: same-origin only. */
  readonly adminAllowedOrigins: readonly string[];
  /** CORS_ORIGINS: origins (or `*`) that may call /v1 from a browser, without credentials; none by default. */
  readonly corsOrigins: readonly string[];
  /** SPOOL_MAX_BYTES: the most the log spool (DATA_DIR/spool) may hold; past it the oldest entries go. */
  readonly spoolMaxBytes: number;
}

export const CLIENT_AUTH_MODES = ['auto', 'required', 'off'] as const;
export type ClientAuth = (typeof CLIENT_AUTH_MODES)[number];

export class SettingsError extends Error {
  override name = 'SettingsError';
}

const MiB = 1024 * 1024;
export const BUN_DEFAULT_MAX_HTTP_REQUESTS = 256;
export const DEFAULT_STREAM_IDLE_MS = 600_000;
/** A MongoDB database name Lite Proxy accepts (also in `cli migrate`'s mongodb:// URIs). */
export const DATABASE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,63}$/;

function integer(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new SettingsError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new SettingsError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new SettingsError(`${name} must be true or false, got "${env[name]}"`);
}

export function loadSettings(env: Record<string, string | undefined>, cwd = process.cwd()): Settings {
  const host = env.HOST?.trim() || '0.0.0.0';
  const port = integer(env, 'PORT', 8000, 0, 65535);
  const dataDirRaw = env.DATA_DIR?.trim() || './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);

  const mongodbUri = env.MONGODB_URI?.trim() || null;
  if (mongodbUri && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    throw new SettingsError('MONGODB_URI must start with mongodb:// or mongodb+srv://');
  }
  const databaseName = env.DATABASE_NAME?.trim() || 'lite_proxy';
  if (!DATABASE_NAME_PATTERN.test(databaseName)) {
    throw new SettingsError('DATABASE_NAME may hold only letters, digits, "_" and "-" (at most 63)');
  }

  const adminToken = env.ADMIN_TOKEN?.trim() || null;
  const secretKey = env.SECRET_KEY?.trim() || null;
  const clientAuth = (env.CLIENT_AUTH?.trim().toLowerCase() || 'auto') as ClientAuth;
  if (!CLIENT_AUTH_MODES.includes(clientAuth)) throw new SettingsError(`CLIENT_AUTH must be one of ${CLIENT_AUTH_MODES.join(', ')}, got "${env.CLIENT_AUTH}"`);
  if (secretKey) {
    try {
      parseSecretKey(secretKey);
    } catch (err) {
      throw new SettingsError((err as Error).message);
    }
  }
  if (adminToken !== null && adminToken.length < 16) {
    throw new SettingsError('ADMIN_TOKEN must be at least 16 characters long');
  }

  const metricsToken = env.METRICS_TOKEN?.trim() || null;
  if (metricsToken !== null && metricsToken.length < 16) {
    throw new SettingsError('METRICS_TOKEN must be at least 16 characters long');
  }
  const logMaxRows = integer(env, 'LOG_MAX_ROWS', 0, 0, Number.MAX_SAFE_INTEGER);
  const trustedProxies = (env.TRUSTED_PROXIES ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  try {
    new TrustedProxies(trustedProxies);
  } catch (err) {
    throw new SettingsError(`TRUSTED_PROXIES: ${(err as Error).message}`);
  }

  const origins = (name: string, wildcard: boolean) => {
    try {
      return Object.freeze(parseOrigins(env[name], { wildcard }));
    } catch (err) {
      throw new SettingsError(`${name}: ${(err as Error).message}`);
    }
  };

  return Object.freeze({
    host,
    port,
    dataDir,
    mongodbUri,
    databaseName,
    adminToken,
    secretKey,
    clientAuth,
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 25 * MiB, 1024, 1024 * MiB),
    // Capped at 4 MiB so that a log document (two bodies, chunks, text) stays under MongoDB's 16 MiB.
    logBodyBytes: integer(env, 'LOG_BODY_BYTES', MiB, 1024, 4 * MiB),
    logQueueMax: integer(env, 'LOG_QUEUE_MAX', 10_000, 100, 1_000_000),
    logRequests: boolean(env, 'LOG_REQUESTS', true),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    maxUpstreamRequests: integer(env, 'BUN_CONFIG_MAX_HTTP_REQUESTS', BUN_DEFAULT_MAX_HTTP_REQUESTS, 1, 65_535),
    logRetentionDays: integer(env, 'LOG_RETENTION_DAYS', 30, 0, 36_500),
    // 0 or unset: no cap.
    logMaxRows: logMaxRows === 0 ? null : logMaxRows,
    metricsToken,
    // Reasoning models pause for a minute or more between events: ten minutes by default.
    streamIdleTimeoutMs: integer(env, 'STREAM_IDLE_TIMEOUT_MS', DEFAULT_STREAM_IDLE_MS, 100, 24 * 3_600_000),
    trustedProxies: Object.freeze(trustedProxies),
    adminAllowedOrigins: origins('ADMIN_ALLOWED_ORIGINS', false),
    corsOrigins: origins('CORS_ORIGINS', true),
    spoolMaxBytes: integer(env, 'SPOOL_MAX_BYTES', 1024 * MiB, MiB, 1024 * 1024 * MiB),
    // The backends' breakers (proxy/breaker.ts): failures in a row before a cooldown, its first length and its cap.
    cooldown: Object.freeze({
      failures: integer(env, 'COOLDOWN_FAILURES', 3, 1, 1_000),
      baseMs: integer(env, 'COOLDOWN_BASE_MS', 5_000, 10, 3_600_000),
      maxMs: integer(env, 'COOLDOWN_MAX_MS', 300_000, 10, 24 * 3_600_000),
    }),
  });
}

/** A loopback host name or address (an IPv4-mapped 127.x too, as a dual-stack socket reports it). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
