/** loadSettings: the defaults, every variable, and the message each invalid value gives. */
import { describe, expect, test } from 'bun:test';
import { isLoopback, loadSettings, SettingsError, type Settings } from '../server/settings.ts';

const MiB = 1024 * 1024;
const CWD = '/srv/lite-proxy';

const DEFAULTS: Settings = {
  host: '0.0.0.0',
  port: 8000,
  dataDir: '/srv/lite-proxy/data',
  mongodbUri: null,
  databaseName: 'lite_proxy',
  adminToken: null,
  secretKey: null,
  clientAuth: "auto",
  maxBodyBytes: 25 * MiB,
  logBodyBytes: MiB,
  logQueueMax: 10_000,
  logRequests: true,
  shutdownGraceMs: 10_000,
  maxUpstreamRequests: 256,
  logRetentionDays: 30,
  logMaxRows: null,
  metricsToken: null,
  streamIdleTimeoutMs: 600_000,
  trustedProxies: [],
  adminAllowedOrigins: [],
  corsOrigins: [],
  spoolMaxBytes: 1024 * 1024 * 1024,
  cooldown: { failures: 3, baseMs: 5_000, maxMs: 300_000 },
};

describe('loadSettings', () => {
  test('an empty environment gives the defaults, frozen', () => {
    const s = loadSettings({}, CWD);
    expect(s).toEqual(DEFAULTS);
    expect(Object.isFrozen(s)).toBe(true);
  });

  test('blank values count as unset', () => {
    const blank = Object.fromEntries(
      ['HOST', 'PORT', 'DATA_DIR', 'MONGODB_URI', 'DATABASE_NAME', 'ADMIN_TOKEN', 'MAX_BODY_BYTES', 'LOG_BODY_BYTES', 'LOG_QUEUE_MAX', 'LOG_REQUESTS', 'SHUTDOWN_GRACE_MS',
        'LOG_RETENTION_DAYS', 'LOG_MAX_ROWS', 'METRICS_TOKEN']
        .map((name) => [name, '  ']),
    );
    expect(loadSettings(blank, CWD)).toEqual(DEFAULTS);
  });

  test('reads only the object it is given, not process.env', () => {
    const saved = process.env.PORT;
    process.env.PORT = '1234';
    try {
      expect(loadSettings({}, CWD).port).toBe(8000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  test.each<[string, Record<string, string>, Partial<Settings>]>([
    ['HOST', { HOST: ' 127.0.0.1 ' }, { host: '127.0.0.1' }],
    ['HOST (IPv6)', { HOST: '::1' }, { host: '::1' }],
    ['PORT', { PORT: '8080' }, { port: 8080 }],
    ['PORT 0 (any free port)', { PORT: '0' }, { port: 0 }],
    ['PORT 65535', { PORT: ' 65535 ' }, { port: 65535 }],
    ['DATA_DIR absolute', { DATA_DIR: '/var/lib/lp' }, { dataDir: '/var/lib/lp' }],
    ['DATA_DIR relative to the working directory', { DATA_DIR: 'state/lp' }, { dataDir: '/srv/lite-proxy/state/lp' }],
    ['DATA_DIR with ..', { DATA_DIR: '../shared' }, { dataDir: '/srv/shared' }],
    ['MONGODB_URI', { MONGODB_URI: 'mongodb://db:27017' }, { mongodbUri: 'mongodb://db:27017' }],
    ['MONGODB_URI (srv)', { MONGODB_URI: ' mongodb+srv://u:p@cluster.example/x ' }, { mongodbUri: 'mongodb+srv://u:p@cluster.example/x' }],
    ['DATABASE_NAME', { DATABASE_NAME: 'proxy-2_prod' }, { databaseName: 'proxy-2_prod' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: ' 0123456789abcdef ' }, { adminToken: '0123456789abcdef' }],
    ['MAX_BODY_BYTES', { MAX_BODY_BYTES: '1024' }, { maxBodyBytes: 1024 }],
    ['MAX_BODY_BYTES at its maximum', { MAX_BODY_BYTES: String(1024 * MiB) }, { maxBodyBytes: 1024 * MiB }],
    ['LOG_BODY_BYTES', { LOG_BODY_BYTES: String(4 * MiB) }, { logBodyBytes: 4 * MiB }],
    ['LOG_QUEUE_MAX', { LOG_QUEUE_MAX: '100' }, { logQueueMax: 100 }],
    ['BUN_CONFIG_MAX_HTTP_REQUESTS', { BUN_CONFIG_MAX_HTTP_REQUESTS: '16384' }, { maxUpstreamRequests: 16384 }],
    ['LOG_REQUESTS off', { LOG_REQUESTS: 'false' }, { logRequests: false }],
    ['LOG_REQUESTS as 0', { LOG_REQUESTS: '0' }, { logRequests: false }],
    ['LOG_REQUESTS on', { LOG_REQUESTS: 'TRUE' }, { logRequests: true }],
    ['SHUTDOWN_GRACE_MS', { SHUTDOWN_GRACE_MS: '0' }, { shutdownGraceMs: 0 }],
    ['SHUTDOWN_GRACE_MS at its maximum', { SHUTDOWN_GRACE_MS: '600000' }, { shutdownGraceMs: 600_000 }],
    ['LOG_RETENTION_DAYS', { LOG_RETENTION_DAYS: '7' }, { logRetentionDays: 7 }],
    ['LOG_RETENTION_DAYS 0 keeps forever', { LOG_RETENTION_DAYS: '0' }, { logRetentionDays: 0 }],
    ['LOG_MAX_ROWS', { LOG_MAX_ROWS: '1000000' }, { logMaxRows: 1_000_000 }],
    ['LOG_MAX_ROWS 0 is no cap', { LOG_MAX_ROWS: '0' }, { logMaxRows: null }],
    ['METRICS_TOKEN', { METRICS_TOKEN: ' metrics-token-0123456 ' }, { metricsToken: 'metrics-token-0123456' }],
  ])('%s', (_, env, changed) => {
    expect(loadSettings(env, CWD)).toEqual({ ...DEFAULTS, ...changed });
  });

  test.each<[string, Record<string, string>, string]>([
    ['PORT not a number', { PORT: 'abc' }, 'PORT must be a whole number, got "abc"'],
    ['PORT negative', { PORT: '-1' }, 'PORT must be a whole number, got "-1"'],
    ['PORT fractional', { PORT: '80.5' }, 'PORT must be a whole number, got "80.5"'],
    ['PORT in hex', { PORT: '0x50' }, 'PORT must be a whole number, got "0x50"'],
    ['PORT too large', { PORT: '65536' }, 'PORT must be between 0 and 65535, got 65536'],
    ['MONGODB_URI not mongodb', { MONGODB_URI: 'http://x' }, 'MONGODB_URI must start with mongodb:// or mongodb+srv://'],
    ['MONGODB_URI without a scheme', { MONGODB_URI: 'db:27017' }, 'MONGODB_URI must start with mongodb:// or mongodb+srv://'],
    ['DATABASE_NAME with a dot', { DATABASE_NAME: 'lite.proxy' }, 'DATABASE_NAME may hold only letters, digits, "_" and "-" (at most 63)'],
    ['DATABASE_NAME too long', { DATABASE_NAME: 'x'.repeat(64) }, 'DATABASE_NAME may hold only letters, digits, "_" and "-" (at most 63)'],
    ['ADMIN_TOKEN too short', { ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN must be at least 16 characters long'],
    ['ADMIN_TOKEN 15 characters', { ADMIN_TOKEN: '0123456789abcde' }, 'ADMIN_TOKEN must be at least 16 characters long'],
    ['MAX_BODY_BYTES too small', { MAX_BODY_BYTES: '1023' }, `MAX_BODY_BYTES must be between 1024 and ${1024 * MiB}, got 1023`],
    ['MAX_BODY_BYTES too large', { MAX_BODY_BYTES: String(1024 * MiB + 1) }, `MAX_BODY_BYTES must be between 1024 and ${1024 * MiB}, got ${1024 * MiB + 1}`],
    ['MAX_BODY_BYTES with a unit', { MAX_BODY_BYTES: '25MB' }, 'MAX_BODY_BYTES must be a whole number, got "25MB"'],
    ['LOG_BODY_BYTES too large', { LOG_BODY_BYTES: String(4 * MiB + 1) }, `LOG_BODY_BYTES must be between 1024 and ${4 * MiB}, got ${4 * MiB + 1}`],
    ['LOG_BODY_BYTES too small', { LOG_BODY_BYTES: '10' }, `LOG_BODY_BYTES must be between 1024 and ${4 * MiB}, got 10`],
    ['LOG_REQUESTS not a boolean', { LOG_REQUESTS: 'maybe' }, 'LOG_REQUESTS must be true or false, got "maybe"'],
    ['LOG_QUEUE_MAX too small', { LOG_QUEUE_MAX: '99' }, 'LOG_QUEUE_MAX must be between 100 and 1000000, got 99'],
    ['LOG_QUEUE_MAX in exponent form', { LOG_QUEUE_MAX: '1e4' }, 'LOG_QUEUE_MAX must be a whole number, got "1e4"'],
    ['SHUTDOWN_GRACE_MS too large', { SHUTDOWN_GRACE_MS: '600001' }, 'SHUTDOWN_GRACE_MS must be between 0 and 600000, got 600001'],
    ['SHUTDOWN_GRACE_MS negative', { SHUTDOWN_GRACE_MS: '-5' }, 'SHUTDOWN_GRACE_MS must be a whole number, got "-5"'],
    ['LOG_RETENTION_DAYS negative', { LOG_RETENTION_DAYS: '-1' }, 'LOG_RETENTION_DAYS must be a whole number, got "-1"'],
    ['LOG_RETENTION_DAYS in days and hours', { LOG_RETENTION_DAYS: '7d' }, 'LOG_RETENTION_DAYS must be a whole number, got "7d"'],
    ['LOG_MAX_ROWS not a number', { LOG_MAX_ROWS: 'lots' }, 'LOG_MAX_ROWS must be a whole number, got "lots"'],
    ['METRICS_TOKEN too short', { METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 characters long'],
  ])('%s is refused with a clear message', (_, env, message) => {
    let thrown: unknown;
    try {
      loadSettings(env, CWD);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SettingsError);
    expect((thrown as Error).message).toBe(message);
  });
});

describe('isLoopback', () => {
  test.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', false],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
  ])('%s → %p', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});
