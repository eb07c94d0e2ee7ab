/**
 * `bun run cli migrate` across releases: a store written by 0.1.0 is the source, both ends are brought
 * to today's schema on the way (the SQLite source after a copy, reported on stdout), and what arrives
 * reads back as 0.1.0 read its own data. Into a fresh SQLite file always; into MongoDB, and from
 * 0.1.0's MongoDB data, when MONGODB_URI is set.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from 'bun:sqlite';
import { MongoClient } from 'mongodb';
import { SCHEMA_VERSION } from '../server/store/migrations.ts';
import { MongoStore } from '../server/store/mongo.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import type { Store } from '../server/store/types.ts';
import { copySqliteFixture, expected, readAll, restoreMongoFixture } from './fixtures/upgrade-0.1.0/fixture.ts';
import { tempDir } from './helpers/app.ts';
import { REPO_ROOT } from './helpers/server-process.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});
const dir = () => {
  const d = tempDir('lp-upgrade-migrate-');
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

async function migrate(from: string, to: string) {
  const proc = Bun.spawn([process.execPath, 'run', '--silent', 'cli', 'migrate', '--from', from, '--to', to], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' },
    stdin: 'ignore', stdout: 'pipe', stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout: stdout.trimEnd().split('\n'), stderr };
}

async function contents(store: Store) {
  try {
    await store.init();
    return await readAll(store);
  } finally {
    await store.close();
  }
}

const want = expected('sqlite');
const done = `done: ${want.logs.length} log entries and ${want.configs.length} configs on both sides`;

/** The lines a migrate run from the 0.1.0 SQLite file at `source` prints first: its own upgrade. */
const sourceUpgrade = (source: string) => [
  `Upgrading the database schema of ${source} from version 0 to ${SCHEMA_VERSION}; a copy of the database as it was: ${source}.pre-v1`,
  `Database schema upgraded to version ${SCHEMA_VERSION}.`,
  `Moving up to ${want.logs.length} log entries of ${source} to the new log file in the background`,
  expect.stringMatching(new RegExp(`^Moved ${want.logs.length} log entries in [\\d.]+ s; old table dropped in \\d+ ms, ${source} compacted in \\d+ ms$`)),
];

function sqliteVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
  } finally {
    db.close();
  }
}

describe('cli migrate from 0.1.0 data', () => {
  test('0.1.0 SQLite into a fresh SQLite file: everything arrives as 0.1.0 read it', async () => {
    const work = dir();
    const source = copySqliteFixture(work, 'old.sqlite');
    const target = join(work, 'new.sqlite');
    const run = await migrate(`sqlite:${source}`, `sqlite:${target}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.slice(0, 5)).toEqual([...sourceUpgrade(source), `migrating sqlite:${source} → sqlite:${target}`]);
    expect(run.stdout.at(-1)).toBe(done);
    expect(sqliteVersion(source)).toBe(SCHEMA_VERSION);
    expect(sqliteVersion(target)).toBe(SCHEMA_VERSION);
    expect(await contents(new SqliteStore(target))).toEqual(want);
  }, 60_000);

  const mongoUri = process.env.MONGODB_URI;
  const newDatabase = () => {
    const name = `lp_upgrade_migrate_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    cleanup.push(async () => {
      const client = new MongoClient(mongoUri!);
      await client.db(name).dropDatabase().catch(() => {});
      await client.close();
    });
    return name;
  };

  test.skipIf(!mongoUri)('0.1.0 SQLite into MongoDB: everything arrives as 0.1.0 read it', async () => {
    const source = copySqliteFixture(dir());
    const database = newDatabase();
    const to = `${mongoUri!.replace(/\/+$/, '')}/${database}`;
    const run = await migrate(`sqlite:${source}`, to);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.slice(0, 4)).toEqual(sourceUpgrade(source));
    // A new MongoDB database is brought to the current schema too.
    expect(run.stdout).toContain(`Upgrading the schema of MongoDB database ${database} from version 0 to ${SCHEMA_VERSION}`);
    expect(run.stdout.at(-1)).toBe(done);
    expect(await contents(new MongoStore(mongoUri!, database))).toEqual(want);
  }, 60_000);

  test.skipIf(!mongoUri)('0.1.0 MongoDB into a fresh SQLite file: everything arrives as 0.1.0 read it', async () => {
    const database = newDatabase();
    await restoreMongoFixture(mongoUri!, database);
    const target = join(dir(), 'from-mongo.sqlite');
    const run = await migrate(`${mongoUri!.replace(/\/+$/, '')}/${database}`, `sqlite:${target}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toBe(`Upgrading the schema of MongoDB database ${database} from version 0 to ${SCHEMA_VERSION}`);
    const fromMongo = expected('mongodb');
    expect(run.stdout.at(-1)).toBe(`done: ${fromMongo.logs.length} log entries and ${fromMongo.configs.length} configs on both sides`);
    expect(await contents(new SqliteStore(target))).toEqual(fromMongo);
  }, 60_000);
});
