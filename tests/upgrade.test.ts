/**
 * An upgrade from 0.1.0 keeps every byte: the data 0.1.0's own code wrote (tests/fixtures/upgrade-0.1.0)
 * is opened by today's store, which migrates it, and then reads back exactly what 0.1.0 read: every
 * config, every log entry (streamed ones with their chunks and assembled bodies, body text as stored)
 * and every rollup. New data lands beside the old, and opening it again changes nothing. On both stores.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Database } from 'bun:sqlite';
import { MongoClient } from 'mongodb';
import { JsonText } from '../server/json.ts';
import { matchesFilter } from '../server/logs/filter.ts';
import { MongoStore } from '../server/store/mongo.ts';
import { SCHEMA_VERSION } from '../server/store/migrations.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import { logsFileOf } from '../server/store/sqlite-logs.ts';
import { indexesAt } from '../server/store/schema.ts';
import type { ConfigRow, LogFilter, LogRow, LogSummary, Store } from '../server/store/types.ts';
import { copySqliteFixture, expected, expectedRows, readAll, restoreMongoFixture } from './fixtures/upgrade-0.1.0/fixture.ts';
import { STORE_KINDS, type StoreKind, tempDir } from './helpers/app.ts';

const DETAIL_KEYS = ['requestHeaders', 'requestBody', 'responseHeaders', 'responseBody', 'streamContent', 'chunks', 'attempts'] as const;
const summaryOf = (row: LogRow): LogSummary => {
  const s: Record<string, unknown> = { ...row };
  for (const k of DETAIL_KEYS) delete s[k];
  return s as unknown as LogSummary;
};

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

interface Opened {
  store: Store;
  reopen(): Store;
  /** The migration's messages, from init({ report }). */
  messages: string[];
}

/** The 0.1.0 data in a fresh place, opened (and so migrated) by today's store. */
async function openFixture(kind: StoreKind): Promise<Opened & { path?: string; database?: string }> {
  const messages: string[] = [];
  if (kind === 'sqlite') {
    const dir = tempDir('lp-upgrade-');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = copySqliteFixture(dir);
    const store = new SqliteStore(path);
    await store.init({ report: (m) => messages.push(m) });
    return { store, messages, path, reopen: () => new SqliteStore(path) };
  }
  const uri = process.env.MONGODB_URI!;
  const database = `lp_upgrade_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  cleanup.push(async () => {
    const client = new MongoClient(uri);
    await client.db(database).dropDatabase().catch(() => {});
    await client.close();
  });
  await restoreMongoFixture(uri, database);
  const store = new MongoStore(uri, database);
  await store.init({ report: (m) => messages.push(m) });
  return { store, messages, database, reopen: () => new MongoStore(uri, database) };
}

const sqliteVersion = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
  } finally {
    db.close();
  }
};

/** Every table's rows, as SQLite gives them: for comparing two files value by value. */
function sqliteTables(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, db.query(`SELECT * FROM ${name} ORDER BY 1, 2`).all()]));
  } finally {
    db.close();
  }
}

/** Columns and indexes of every table, as SQLite describes them. */
function sqliteShape(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => {
      const indexes = (db.query(`PRAGMA index_list(${name})`).all() as { name: string }[]).sort((a, b) => (a.name < b.name ? -1 : 1));
      return [name, {
        columns: db.query(`PRAGMA table_xinfo(${name})`).all(),
        indexes: indexes.map((i) => ({ ...i, columns: db.query(`PRAGMA index_xinfo(${i.name})`).all() })),
      }];
    }));
  } finally {
    db.close();
  }
}

for (const kind of STORE_KINDS) {
  describe(`upgrade from 0.1.0: ${kind}`, () => {
    const want = expected(kind);

    test('the fixture holds what it claims: streams with chunks and assembled bodies, errors, multipart, rollups', () => {
      const streamed = want.logs.filter((l) => l.stream && (l.chunks?.length ?? 0) > 2 && l.responseBody);
      expect(streamed.length).toBe(7);
      // Tool calls have no text; the long streams' chunks were cut at LOG_BODY_BYTES.
      expect(streamed.filter((l) => l.streamContent).length).toBe(5);
      expect(streamed.filter((l) => JSON.stringify(l.chunks!.at(-1)).includes('_truncated')).length).toBeGreaterThan(0);
      expect(want.logs.some((l) => l.statusCode >= 500 && l.error)).toBe(true);
      expect(want.logs.some((l) => l.configId === null)).toBe(true);
      expect(want.logs.some((l) => l.path === '/v1/audio/transcriptions')).toBe(true);
      expect(want.configs.some((c) => c.apiKey && !c.enabled)).toBe(false);
      expect(want.configs.filter((c) => !c.enabled).length).toBe(1);
      expect(want.configs.filter((c) => c.timeoutMs !== null).length).toBe(1);
      expect(want.configs.filter((c) => c.apiKey !== null).length).toBe(2);
      expect(want.rollups.minute.length).toBeGreaterThan(5);
      expect(want.rollups.hour.some((r) => r.model === null)).toBe(true);
    });

    test('opening migrates it, and everything 0.1.0 wrote reads back as 0.1.0 read it', async () => {
      const { store, messages, path, database } = await openFixture(kind);
      try {
        if (path) {
          const backup = `${path}.pre-v1`;
          expect(messages).toEqual([
            `Upgrading the database schema of ${path} from version 0 to ${SCHEMA_VERSION}; a copy of the database as it was: ${backup}`,
            `Database schema upgraded to version ${SCHEMA_VERSION}.`,
          ]);
          expect(sqliteVersion(path)).toBe(SCHEMA_VERSION);
          // The copy is the 0.1.0 file: no version, the same rows in every table, owner-only.
          expect(sqliteVersion(backup)).toBe(0);
          // (Compared with a copy: opening the fixture itself, even read-only, would leave -shm and -wal files beside it.)
          expect(sqliteTables(backup)).toEqual(sqliteTables(copySqliteFixture(dirname(path), 'pristine.sqlite')));
          expect(statSync(backup).mode & 0o777).toBe(0o600);
        } else {
          expect(messages).toEqual([
            `Upgrading the schema of MongoDB database ${database} from version 0 to ${SCHEMA_VERSION}`,
            `Database schema upgraded to version ${SCHEMA_VERSION}.`,
          ]);
        }
        const now = await readAll(store);
        expect(now.configs).toEqual(want.configs);
        expect(now.logs).toEqual(want.logs);
        // The body text is what 0.1.0 stored, to the byte.
        expect(now.logBodies).toEqual(want.logBodies);
        expect(now.rollups).toEqual(want.rollups);
        expect(await store.queryLogRows({ filter: {}, limit: 1000 })).toEqual(expectedRows(want));
        expect(await store.queryLogs({ filter: {}, limit: 1000 })).toEqual(want.logs.map(summaryOf));
        expect(await store.countLogs({ stream: true })).toBe(want.logs.filter((l) => l.stream).length);
        const model = want.logs.find((l) => l.stream)!.model!;
        expect(await store.queryLogs({ filter: { model }, limit: 10 })).toEqual(want.logs.filter((l) => l.model === model).map(summaryOf));
        if (database) {
          // MongoDB's step 2 adds indexes only: 0.1.0's documents answer the filters they serve as they are
          // (a status class as an $in of its codes, a path substring as an $in of the stored paths).
          const filters: LogFilter[] = [
            { statusClass: 2 }, { statusClass: 5 }, { path: 'audio' }, { path: 'completions' }, { method: 'get' }, { stream: false },
            { model, statusClass: 2 }, { model, statusCode: want.logs.find((l) => l.model === model)!.statusCode },
          ];
          for (const filter of filters) {
            const matching = want.logs.filter((l) => matchesFilter(l, filter));
            expect(matching.length).toBeGreaterThan(0);
            expect(await store.queryLogs({ filter, limit: 1000 })).toEqual(matching.map(summaryOf));
            expect(await store.countLogsUpTo(filter, 1000)).toEqual({ count: matching.length, exact: true });
          }
        }
      } finally {
        await store.close();
      }
    });

    test('an upgraded database has the tables, columns and indexes of a new one', async () => {
      const { store, path, database } = await openFixture(kind);
      // SQLite moves 0.1.0's entries to the log file in the background; its shape is final after that.
      await store.awaitUpgrade();
      expect(store.upgradePendingRows()).toBe(0);
      await store.close();
      const fresh = kind === 'sqlite' ? join(dirname(path!), 'fresh.sqlite') : `${database}_fresh`;
      const other = kind === 'sqlite' ? new SqliteStore(fresh) : new MongoStore(process.env.MONGODB_URI!, fresh);
      await other.init();
      await other.close();
      if (kind === 'sqlite') {
        expect(sqliteShape(path!)).toEqual(sqliteShape(fresh));
        expect(Object.keys(sqliteShape(fresh))).toEqual(['api_keys', 'configs', 'key_rollups', 'model_groups', 'rollups']);
        expect(sqliteShape(logsFileOf(path!))).toEqual(sqliteShape(logsFileOf(fresh)));
        expect(Object.keys(sqliteShape(logsFileOf(fresh)))).toEqual(['endpoints', 'log_bodies', 'logs', 'upgrade']);
      } else {
        const client = new MongoClient(process.env.MONGODB_URI!);
        cleanup.push(async () => {
          await client.db(fresh).dropDatabase().catch(() => {});
          await client.close();
        });
        const shape = async (db: string) => {
          const out: Record<string, unknown> = {};
          for (const name of ['configs', 'api_keys', 'logs', 'rollups', 'key_rollups', 'meta']) {
            const indexes = await client.db(db).collection(name).listIndexes().toArray();
            out[name] = indexes.map((i) => ({ name: i.name, key: i.key })).sort((a, b) => (a.name < b.name ? -1 : 1));
          }
          return out;
        };
        expect(await shape(database!)).toEqual(await shape(fresh));
        // Step 2 created the Logs-page indexes 0.1.0 lacked: the logs collection has exactly schema.ts's.
        const declared = indexesAt(SCHEMA_VERSION, 'mongodb').filter((i) => i.table === 'logs').map((i) => i.name);
        expect(declared).toEqual(expect.arrayContaining(['logs_method_time', 'logs_path_time', 'logs_stream_time', 'logs_model_status_time']));
        expect(((await shape(database!)).logs as { name: string }[]).map((i) => i.name)).toEqual(['_id_', ...declared].sort());
      }
    });

    test('new configs, log entries and rollups are written beside the old ones and read back; reopening changes nothing', async () => {
      const opened = await openFixture(kind);
      let store = opened.store;
      try {
        const later = new Date(Math.max(...want.logs.map((l) => l.timestamp.getTime())) + 60_000);
        const config: ConfigRow = {
          id: 'cfg-after-upgrade', proxyModelName: 'after', baseUrl: 'https://after.example/v1', backendModelName: 'm2',
          apiKey: 'sk-after', ignoreSslVerify: false, enabled: true, timeoutMs: 5_000, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: later, updatedAt: later,
        };
        await store.insertConfig(config);
        const old = want.configs.find((c) => !c.enabled)!;
        const patched = await store.updateConfig(old.id, { enabled: true, apiKey: 'sk-new', updatedAt: later });
        expect(patched).toEqual({ ...old, enabled: true, apiKey: 'sk-new', updatedAt: later });

        const template = want.logs.find((l) => l.stream)!;
        const entry: LogRow = {
          ...template, id: 'log-after-upgrade', timestamp: later,
          requestBody: new JsonText('{"model":"after","messages":[{"role":"user","content":"é 世界"}]}'),
          responseBody: { id: 'r-after', choices: [] }, chunks: [{ choices: [{ delta: { content: 'é' } }] }], streamContent: 'é',
        };
        await store.insertLogs([entry]);
        const existing = want.rollups.hour.find((r) => r.model !== null)!;
        await store.addRollups([
          { size: 3600, start: existing.start, model: existing.model, counts: { n: 1, s2: 1 } },
          { size: 60, start: later, model: 'after', counts: { n: 1, s2: 1, dsum: 12.5 } },
        ]);

        const check = async (s: Store) => {
          const now = await readAll(s);
          expect(now.configs).toEqual([...want.configs.map((c) => (c.id === old.id ? patched! : c)), config].sort(
            (a, b) => (a.proxyModelName < b.proxyModelName ? -1 : a.proxyModelName > b.proxyModelName ? 1 : a.createdAt.getTime() - b.createdAt.getTime()),
          ));
          expect(now.logs).toEqual([{ ...entry, requestBody: { model: 'after', messages: [{ role: 'user', content: 'é 世界' }] } }, ...want.logs]);
          expect(now.logBodies[0]!.requestBody).toBe('{"model":"after","messages":[{"role":"user","content":"é 世界"}]}');
          expect(now.logBodies.slice(1)).toEqual(want.logBodies);
          const plusOne = (c: Record<string, number>) => ({ ...c, n: c.n! + 1, s2: (c.s2 ?? 0) + 1 });
          expect(now.rollups.hour).toEqual(want.rollups.hour.map((r) => (r === existing ? { ...r, counts: plusOne(r.counts) } : r)));
          expect(now.rollups.minute).toEqual([...want.rollups.minute, { size: 60, start: later, model: 'after', counts: { n: 1, s2: 1, dsum: 12.5 } }]);
        };
        await check(store);
        await store.close();

        store = opened.reopen();
        const messages: string[] = [];
        await store.init({ report: (m) => messages.push(m) });
        expect(messages).toEqual([]);
        await check(store);
        if (opened.path) {
          expect(sqliteVersion(opened.path)).toBe(SCHEMA_VERSION);
          expect(readdirSync(dirname(opened.path)).filter((f) => f.includes('.pre-v'))).toEqual([`${basename(opened.path)}.pre-v1`]);
        } else {
          const client = new MongoClient(process.env.MONGODB_URI!);
          try {
            const meta = await client.db(opened.database).collection('meta').find().toArray();
            expect(meta).toEqual([{ _id: 'schema' as never, version: SCHEMA_VERSION, updatedAt: expect.any(Date) }]);
          } finally {
            await client.close();
          }
        }
      } finally {
        await store.close();
      }
    });
  });
}
