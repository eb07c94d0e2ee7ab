/**
 * The schema runners with steps of the tests' own, beyond today's one: a step that adds a column or a
 * field, a step that fails (the previous version and the data stay), a database newer than the code
 * (refused), and on MongoDB replicas starting together (one migrates, the others wait) and the
 * migration lock (renewed while held, taken over once expired, waited for with a timeout).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from 'bun:sqlite';
import { type Db, MongoClient } from 'mongodb';
import { MONGO_STEPS, type MongoStep } from '../server/store/mongo-migrations.ts';
import { MongoStore } from '../server/store/mongo.ts';
import { SCHEMA_VERSION, targetVersion } from '../server/store/migrations.ts';
import { SQLITE_STEPS, type SqliteStep } from '../server/store/sqlite-migrations.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import type { LogRow } from '../server/store/types.ts';
import { tempDir } from './helpers/app.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const newPath = () => {
  const dir = tempDir('lp-migrations-');
  dirs.push(dir);
  return join(dir, 'lite-proxy.sqlite');
};

const LOG: LogRow = {
  id: 'log-1', timestamp: new Date(Date.UTC(2026, 0, 1)), method: 'POST', path: '/v1/chat/completions', model: 'm', backendModel: 'b',
  configId: 'cfg-1', upstreamUrl: 'https://u.example/v1/chat/completions', statusCode: 200, stream: true, durationMs: 12.5, ttftMs: 3.25,
  promptTokens: 1, completionTokens: 2, totalTokens: 3, error: null, clientIp: '127.0.0.1', userAgent: 'ua', apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null,
  requestHeaders: { 'content-type': 'application/json' }, requestBody: { model: 'm' }, responseHeaders: {}, responseBody: { id: 'r' },
  streamContent: 'hi', chunks: [{ choices: [{ delta: { content: 'hi' } }] }], attempts: null,
};

const userVersion = (path: string) => {
  const db = new Database(path);
  try {
    return (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
  } finally {
    db.close();
  }
};
const columns = (path: string, table: string) => {
  const db = new Database(path);
  try {
    return (db.query(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  } finally {
    db.close();
  }
};

test('every store has a step for each version up to SCHEMA_VERSION', () => {
  expect(targetVersion(SQLITE_STEPS)).toBe(SCHEMA_VERSION);
  expect(targetVersion(MONGO_STEPS)).toBe(SCHEMA_VERSION);
  expect(() => targetVersion([{ version: 1, name: 'a', run: () => {} }, { version: 3, name: 'c', run: () => {} }])).toThrow(
    'migration steps must be numbered 1, 2, 3…; step 2 says 3',
  );
});

describe('SQLite migrations', () => {
  // The steps after this release's: a next version that adds a column (to configs, in the main file).
  const V = SCHEMA_VERSION;
  const NEXT = V + 1;
  const addNote: SqliteStep = { version: NEXT, name: 'add configs.note', run: (db) => void db.exec('ALTER TABLE configs ADD COLUMN note TEXT') };

  /** A database at SCHEMA_VERSION holding one log entry. */
  async function withData(path = newPath()) {
    const store = new SqliteStore(path);
    await store.init();
    await store.insertLogs([LOG]);
    await store.close();
    return path;
  }

  test('a new database gets every step, no copy and no message', async () => {
    const path = newPath();
    const messages: string[] = [];
    const store = new SqliteStore(path);
    await store.init({ report: (m) => messages.push(m) });
    await store.close();
    expect(userVersion(path)).toBe(SCHEMA_VERSION);
    expect(messages).toEqual([]);
    expect(readdirSync(join(path, '..')).sort()).toEqual(['lite-proxy-logs.sqlite', 'lite-proxy.sqlite']);
  });

  test('a step that adds a column: a copy first, then the column, the version, and the data as it was', async () => {
    const path = await withData();
    const messages: string[] = [];
    const store = new SqliteStore(path);
    await store.init({ steps: [...SQLITE_STEPS, addNote], report: (m) => messages.push(m) });
    expect(messages).toEqual([
      `Upgrading the database schema of ${path} from version ${V} to ${NEXT}; a copy of the database as it was: ${path}.pre-v${NEXT}`,
      `Database schema upgraded to version ${NEXT}.`,
    ]);
    expect(await store.getLog('log-1')).toEqual(LOG);
    await store.insertLogs([{ ...LOG, id: 'log-2' }]);
    expect(await store.countLogs({})).toBe(2);
    await store.close();
    expect(userVersion(path)).toBe(NEXT);
    expect(columns(path, 'configs')).toContain('note');
    expect(userVersion(`${path}.pre-v${NEXT}`)).toBe(V);
    expect(columns(`${path}.pre-v${NEXT}`, 'configs')).not.toContain('note');
    expect(statSync(`${path}.pre-v${NEXT}`).mode & 0o777).toBe(0o600);
  });

  test('a copy never replaces an earlier one', async () => {
    const path = await withData();
    writeFileSync(`${path}.pre-v${NEXT}`, 'an earlier copy');
    const messages: string[] = [];
    const store = new SqliteStore(path);
    await store.init({ steps: [...SQLITE_STEPS, addNote], report: (m) => messages.push(m) });
    await store.close();
    expect(messages[0]).toEndWith(`a copy of the database as it was: ${path}.pre-v${NEXT}-2`);
    expect(userVersion(`${path}.pre-v${NEXT}-2`)).toBe(V);
  });

  test('a failing step leaves the previous version and the data intact, and says which step and where the copy is', async () => {
    const path = await withData();
    const failing: SqliteStep = {
      version: NEXT, name: 'add configs.note and fail',
      run: (db) => {
        db.exec('ALTER TABLE configs ADD COLUMN note TEXT');
        db.exec("UPDATE configs SET note = 'half'");
        throw new Error('disk on fire');
      },
    };
    const store = new SqliteStore(path);
    await expect(store.init({ steps: [...SQLITE_STEPS, failing] })).rejects.toThrow(
      `SQLite schema step ${NEXT} (add configs.note and fail) failed: disk on fire. The database is unchanged by this step and stays at schema version ${V}; the copy from before the upgrade is ${path}.pre-v${NEXT}.`,
    );
    await store.close();
    expect(userVersion(path)).toBe(V);
    expect(columns(path, 'configs')).not.toContain('note');
    const again = new SqliteStore(path);
    await again.init();
    expect(await again.getLog('log-1')).toEqual(LOG);
    await again.close();
  });

  test('a database newer than the code is refused and left alone', async () => {
    const path = await withData();
    const upgraded = new SqliteStore(path);
    await upgraded.init({ steps: [...SQLITE_STEPS, addNote] });
    await upgraded.close();
    const store = new SqliteStore(path);
    await expect(store.init()).rejects.toThrow(
      `SQLite database ${path} has schema version ${NEXT}, but this Lite Proxy knows versions up to ${SCHEMA_VERSION}: a newer release has upgraded it. `
        + `Run that release (or a later one), or restore the copy made before that upgrade (${path}.pre-v${NEXT}, or an older .pre-v file next to it).`,
    );
    await store.close();
    expect(userVersion(path)).toBe(NEXT);
    expect(existsSync(`${path}.pre-v${NEXT + 1}`)).toBe(false);
  });
});

const mongoUri = process.env.MONGODB_URI;

describe.skipIf(!mongoUri)('MongoDB migrations', () => {
  const client = new MongoClient(mongoUri ?? 'mongodb://unused', { serverSelectionTimeoutMS: 5000 });
  const databases: string[] = [];
  afterAll(async () => {
    for (const name of databases) await client.db(name).dropDatabase().catch(() => {});
    await client.close();
  });
  const newDatabase = () => {
    const name = `lp_migrations_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    databases.push(name);
    return name;
  };
  type MetaDoc = { _id: string; [field: string]: unknown };
  const metaCollection = (database: string) => client.db(database).collection<MetaDoc>('meta');
  const meta = (database: string): Promise<MetaDoc[]> => metaCollection(database).find().sort({ _id: 1 }).toArray();
  const open = async (database: string, options: Parameters<MongoStore['init']>[0] = {}) => {
    const store = new MongoStore(mongoUri!, database);
    try {
      await store.init(options);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  };
  /** The version after this release's: a field on every log document, set only where missing (idempotent); counts its runs. */
  const V = SCHEMA_VERSION;
  const NEXT = V + 1;
  const addNote = (runs: { n: number }, waitMs = 0): MongoStep => ({
    version: NEXT, name: 'add logs.note',
    run: async (db: Db) => {
      runs.n++;
      await Bun.sleep(waitMs);
      await db.collection('logs').updateMany({ note: { $exists: false } }, { $set: { note: null } });
    },
  });

  test('a new database gets every step; the version is in meta and no lock is left', async () => {
    const database = newDatabase();
    const messages: string[] = [];
    const store = await open(database, { report: (m) => messages.push(m) });
    await store.close();
    expect(await meta(database)).toEqual([{ _id: 'schema', version: SCHEMA_VERSION, updatedAt: expect.any(Date) }]);
    expect(messages).toEqual([`Upgrading the schema of MongoDB database ${database} from version 0 to ${SCHEMA_VERSION}`, `Database schema upgraded to version ${SCHEMA_VERSION}.`]);
  });

  test('a step that adds a field; the data stays as it was, and a repeated init runs nothing', async () => {
    const database = newDatabase();
    const store = await open(database);
    await store.insertLogs([LOG]);
    await store.close();
    const runs = { n: 0 };
    const upgraded = await open(database, { steps: [...MONGO_STEPS, addNote(runs)] });
    expect(await upgraded.getLog('log-1')).toEqual(LOG);
    await upgraded.close();
    expect(await client.db(database).collection('logs').findOne({ _id: 'log-1' as never })).toHaveProperty('note', null);
    expect((await meta(database))[0]).toMatchObject({ version: NEXT });
    await (await open(database, { steps: [...MONGO_STEPS, addNote(runs)] })).close();
    expect(runs.n).toBe(1);
  });

  test('a failing step leaves the previous version and releases the lock', async () => {
    const database = newDatabase();
    await (await open(database)).close();
    const failing: MongoStep = { version: NEXT, name: 'break', run: async () => Promise.reject(new Error('no space left')) };
    await expect(open(database, { steps: [...MONGO_STEPS, failing] })).rejects.toThrow(
      `MongoDB schema step ${NEXT} (break) failed: no space left. The database stays at schema version ${V}; every step is safe to repeat, so start again once the cause is fixed.`,
    );
    expect(await meta(database)).toEqual([{ _id: 'schema', version: V, updatedAt: expect.any(Date) }]);
  });

  test('a database newer than the code is refused', async () => {
    const database = newDatabase();
    await metaCollection(database).insertOne({ _id: 'schema', version: 9 });
    await expect(open(database)).rejects.toThrow(
      `MongoDB database ${database} has schema version 9, but this Lite Proxy knows versions up to ${SCHEMA_VERSION}: a newer release has upgraded it. `
        + 'Run that release (or a later one), or restore a backup taken before that upgrade (mongodump, mongorestore).',
    );
    expect(await meta(database)).toEqual([{ _id: 'schema', version: 9 }]);
  });

  test('two replicas starting at once: the steps run once, the other waits, both end up ready', async () => {
    const database = newDatabase();
    const runs = { n: 0 };
    // The step outlasts the lock's lifetime several times: only renewal keeps the waiter from taking over.
    const steps = [...MONGO_STEPS, addNote(runs, 600)];
    const lock = { ttlMs: 150, pollMs: 20 };
    const messages: string[][] = [[], []];
    const stores = await Promise.all(messages.map((m) => open(database, { steps, lock, report: (line) => m.push(line) })));
    expect(runs.n).toBe(1);
    for (const store of stores) {
      await store.insertConfig({ id: `cfg-${stores.indexOf(store)}`, proxyModelName: 'm', baseUrl: 'https://u.example/v1', backendModelName: 'b', apiKey: null, ignoreSslVerify: false, enabled: true, timeoutMs: null, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: new Date(0), updatedAt: new Date(0) });
    }
    expect((await stores[0]!.listConfigs()).map((c) => c.id)).toEqual(['cfg-0', 'cfg-1']);
    await Promise.all(stores.map((s) => s.close()));
    expect(await meta(database)).toEqual([{ _id: 'schema', version: NEXT, updatedAt: expect.any(Date) }]);
    const [migrated, waited] = messages[0]!.some((m) => m.startsWith('Upgrading')) ? messages : [messages[1]!, messages[0]!];
    expect(migrated).toEqual([`Upgrading the schema of MongoDB database ${database} from version 0 to ${NEXT}`, `Database schema upgraded to version ${NEXT}.`]);
    expect(waited).toEqual([expect.stringMatching(new RegExp(`^MongoDB database ${database}: waiting for .+ pid \\d+ .* to finish upgrading the schema$`))]);
  });

  test('a lock whose holder stopped renewing it is taken over once it has expired', async () => {
    const database = newDatabase();
    const expiresAt = new Date(Date.now() - 1_000);
    await metaCollection(database).insertOne({ _id: 'migration-lock', owner: 'crashed-replica', expiresAt });
    const messages: string[] = [];
    await (await open(database, { report: (m) => messages.push(m) })).close();
    expect(messages[0]).toBe(`MongoDB database ${database}: the schema upgrade lock of crashed-replica expired at ${expiresAt.toISOString()}; taking it over`);
    expect(await meta(database)).toEqual([{ _id: 'schema', version: SCHEMA_VERSION, updatedAt: expect.any(Date) }]);
  });

  test('a lock held by a live replica is waited for, up to a limit', async () => {
    const database = newDatabase();
    const expiresAt = new Date(Date.now() + 60_000);
    await metaCollection(database).insertOne({ _id: 'migration-lock', owner: 'busy-replica', expiresAt });
    await expect(open(database, { lock: { waitMs: 200, pollMs: 20 } })).rejects.toThrow(
      `MongoDB database ${database}: gave up after 0 s waiting for busy-replica to upgrade the schema to version ${SCHEMA_VERSION} (its lock is renewed until ${expiresAt.toISOString()}); start again later: a lock its holder stops renewing expires by itself`,
    );
    expect((await meta(database)).map((d) => d._id)).toEqual(['migration-lock']);
  });
});
