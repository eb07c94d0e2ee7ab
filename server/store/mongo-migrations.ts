/**
 * MongoDB's schema steps and their runner. The version is the `meta` collection's document
 * `{ _id: 'schema', version }`. Several replicas may start at once on one database, and FerretDB 1.x
 * has no transactions, so:
 * - one of them migrates while it holds `{ _id: 'migration-lock', owner, expiresAt }`, inserted with
 *   insertOne (the unique _id decides who gets it) and renewed while it works; the others poll until
 *   the version is current. A lock whose holder stopped renewing it (crashed) is taken over once it
 *   has expired.
 * - every step is idempotent (named indexes; updates guarded by filters), so a step cut short by a
 *   crash, or run again by a replica that took over the lock, does no harm.
 */
import type { Collection, Db } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type MigrateOptions, type MigrationStep, planMigration, SchemaError, stepFailed } from './migrations.ts';
import { DUPLICATE_KEY } from './mongo-docs.ts';
import { indexesAt, indexKey } from './schema.ts';

export type MongoStep = MigrationStep<Db> & { run(db: Db): Promise<void> };

/**
 * One step per schema version, as on SQLite (a version only SQLite needs is still listed here). A
 * version that adds fields needs no document rewrite (a missing field reads as null), only its
 * indexes: `{ version: N, name: 'add logs.x', run: (db) => createIndexes(db, N) }`.
 */
export const MONGO_STEPS: readonly MongoStep[] = [
  { version: 1, name: 'the 0.1.0 indexes', run: (db) => createIndexes(db, 1) },
  // No document changes: a status class and a path substring are answered from fields 0.1.0 already had.
  { version: 2, name: 'an index per Logs-page filter: method, path, stream, model + status', run: (db) => createIndexes(db, 2) },
  {
    // The name and the public id are unique (as on SQLite); explicit names keep a repeated step a no-op.
    version: 3, name: 'client keys, and an index for the Logs page\'s key filter',
    run: async (db) => {
      await db.collection('api_keys').createIndex({ name: 1 }, { name: 'api_keys_name', unique: true });
      await db.collection('api_keys').createIndex({ publicId: 1 }, { name: 'api_keys_public_id', unique: true });
      await createIndexes(db, 3);
    },
  },
  // No document changes: prices, costs and the cost counter read as null (or 0) where they are missing.
  { version: 4, name: 'the client keys\' rollups', run: (db) => createIndexes(db, 4) },
  // Model groups are keyed by name (_id); the fallback counter reads as 0 where it is missing.
  { version: 5, name: 'model group settings', run: (db) => createIndexes(db, 5) },
];

/** The indexes schema.ts adds in `version`. */
async function createIndexes(db: Db, version: number): Promise<void> {
  for (const i of indexesAt(version, 'mongodb').filter((x) => (x.since ?? 1) === version)) {
    // One index per createIndexes call: FerretDB 1.24 panics and drops the connection when one call names two
    // or more indexes that already exist (FerretDB issue #3858). Explicit names make a repeated call a no-op
    // on both servers: same spec, same name.
    await db.collection(i.table).createIndex(Object.fromEntries(i.fields.map(([f, dir]) => [indexKey(i, f, 'mongodb'), dir])), { name: i.name });
  }
}

export interface LockTiming {
  /** How long the lock holds without renewal; the holder renews it every third of this. */
  ttlMs: number;
  /** How often a waiting replica looks again. */
  pollMs: number;
  /** How long a replica waits for another one's upgrade before it gives up. */
  waitMs: number;
}

const DEFAULT_TIMING: LockTiming = { ttlMs: 60_000, pollMs: 1_000, waitMs: 10 * 60_000 };

export interface MongoMigrateOptions extends MigrateOptions {
  databaseName: string;
  /** Tests give their own steps and timing. */
  steps?: readonly MongoStep[];
  lock?: Partial<LockTiming>;
}

export interface MetaDoc {
  _id: string;
  version?: number;
  updatedAt?: Date;
  owner?: string;
  expiresAt?: Date;
}

const SCHEMA_ID = 'schema';
const LOCK_ID = 'migration-lock';

/** Applies the steps the database lacks, or waits for the replica that is applying them; returns the version. */
export async function migrateMongo(db: Db, opts: MongoMigrateOptions): Promise<number> {
  const report = opts.report ?? (() => {});
  const timing = { ...DEFAULT_TIMING, ...opts.lock };
  const meta = db.collection<MetaDoc>('meta');
  const what = `MongoDB database ${opts.databaseName}`;
  const plan = async () => planMigration({
    steps: opts.steps ?? MONGO_STEPS,
    current: (await meta.findOne({ _id: SCHEMA_ID }))?.version ?? 0,
    what,
    restore: 'restore a backup taken before that upgrade (mongodump, mongorestore)',
  });

  let p = await plan();
  if (p.pending.length === 0) return p.from;
  const owner = `${hostname()} pid ${process.pid} (${randomBytes(3).toString('hex')})`;
  const deadline = Date.now() + timing.waitMs;
  let waitingFor: string | undefined;
  const take = () => acquire(meta, owner, timing.ttlMs, (m) => report(`${what}: ${m}`));
  for (let held = await take(); held; held = await take()) {
    if (held.owner !== waitingFor) report(`${what}: waiting for ${(waitingFor = held.owner)} to finish upgrading the schema`);
    if (Date.now() >= deadline) {
      throw new SchemaError(
        `${what}: gave up after ${Math.round(timing.waitMs / 1000)} s waiting for ${held.owner} to upgrade the schema to version ${p.to} `
          + `(its lock is renewed until ${held.expiresAt?.toISOString()}); start again later: a lock its holder stops renewing expires by itself`,
      );
    }
    await Bun.sleep(timing.pollMs);
    p = await plan();
    if (p.pending.length === 0) return p.from;
  }

  const lock = new HeldLock(meta, owner, timing.ttlMs);
  try {
    // The replica that held the lock before may have finished just now.
    p = await plan();
    if (p.pending.length === 0) return p.from;
    report(`Upgrading the schema of ${what} from version ${p.from} to ${p.to}`);
    for (const step of p.pending) {
      try {
        lock.check();
        await step.run(db);
        lock.check();
        // $max: never lowers the version, should a replica that took the lock over be further on.
        await meta.updateOne({ _id: SCHEMA_ID }, { $max: { version: step.version }, $set: { updatedAt: new Date() } }, { upsert: true });
      } catch (err) {
        throw stepFailed({
          store: 'MongoDB', step, cause: err,
          after: `The database stays at schema version ${step.version - 1}; every step is safe to repeat, so start again once the cause is fixed.`,
        });
      }
    }
    report(`Database schema upgraded to version ${p.to}.`);
    return p.to;
  } finally {
    await lock.release();
  }
}

/** Takes the lock (returns null), or returns the lock someone else holds. */
async function acquire(meta: Collection<MetaDoc>, owner: string, ttlMs: number, report: (m: string) => void): Promise<MetaDoc | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await meta.insertOne({ _id: LOCK_ID, owner, expiresAt: new Date(Date.now() + ttlMs) });
      return null;
    } catch (err) {
      if ((err as { code?: unknown }).code !== DUPLICATE_KEY) throw err;
    }
    const held = await meta.findOne({ _id: LOCK_ID });
    if (!held) continue; // released just now
    if (held.expiresAt && held.expiresAt.getTime() > Date.now()) return held;
    // Its holder stopped renewing it. Delete exactly that lock (not one a faster replica has taken
    // meanwhile), then compete for a new one by insert again: the unique _id lets one replica win.
    await meta.deleteOne({ _id: LOCK_ID, owner: held.owner, expiresAt: held.expiresAt });
    report(`the schema upgrade lock of ${held.owner} expired at ${held.expiresAt?.toISOString()}; taking it over`);
  }
  return (await meta.findOne({ _id: LOCK_ID })) ?? { _id: LOCK_ID, owner: 'another replica' };
}

/** The lock while this replica holds it: renewed every third of its lifetime until released. */
class HeldLock {
  private lost = false;
  private readonly timer: Timer;

  constructor(private readonly meta: Collection<MetaDoc>, private readonly owner: string, private readonly ttlMs: number) {
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(ttlMs / 3)));
  }

  private async renew(): Promise<void> {
    try {
      const r = await this.meta.updateOne({ _id: LOCK_ID, owner: this.owner }, { $set: { expiresAt: new Date(Date.now() + this.ttlMs) } });
      if (r.matchedCount === 0) this.lost = true;
    } catch {
      // Unreachable for a moment: the next renewal tries again (and a step run twice does no harm).
    }
  }

  /** Throws once another replica has taken the lock over (this one stopped renewing it for too long). */
  check(): void {
    if (this.lost) throw new Error('another replica took the schema upgrade lock over (this one could not renew it in time)');
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.meta.deleteOne({ _id: LOCK_ID, owner: this.owner }).catch(() => {});
  }
}
