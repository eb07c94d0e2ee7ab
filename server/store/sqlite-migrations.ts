/**
 * SQLite's schema steps and their runner. The version is `PRAGMA user_version`. Before an existing
 * database is changed, `VACUUM INTO` writes a copy of it as it is, `<file>.pre-v<N>`, N being the
 * first version the upgrade reaches: the copy is at version N−1, so the name says which releases can
 * open it. Each step runs in one write transaction with its user_version update (SQLite's DDL is
 * transactional), so a failing step leaves the database as the previous step left it.
 */
import type { Database } from 'bun:sqlite';
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { type MigrateOptions, type MigrationStep, planMigration, SchemaError, stepFailed } from './migrations.ts';
import { createLogTablesSql, LOG_COST_COLUMN_SQL, LOG_KEY_COLUMNS_SQL } from './sqlite-logs.ts';
import { addedConfigColumnsSql, API_KEYS_TABLE_SQL, createTablesSql, MODEL_GROUPS_V5_SQL, ROLLUPS_V4_SQL } from './sqlite-schema.ts';

export type SqliteStep = MigrationStep<Database> & {
  run(db: Database): void;
  /** It changes nothing that exists (only adds): a file too large to copy quickly is then upgraded without a copy. */
  keepsData?: true;
};

/**
 * One step per schema version, never edited once released. A version that adds fields to schema.ts
 * (with `since: N`) gets a step that adds them: configs through addedConfigColumnsSql(N), log summaries
 * in the log file (logdb.logs, sqlite-logs.ts), rollup counters in both rollup tables.
 */
export const SQLITE_STEPS: readonly SqliteStep[] = [
  { version: 1, name: 'the 0.1.0 tables and indexes', keepsData: true, run: (db) => void db.exec(createTablesSql(1)) },
  {
    // The log file (logdb) is attached by the store before the steps run. A legacy `logs` table that
    // holds entries stays until sqlite-upgrade.ts has copied them; an empty one goes now.
    version: 2, name: 'log summaries, bodies and endpoints in their own file, an index per filter', keepsData: true,
    run: (db) => {
      db.exec(createLogTablesSql());
      if (db.query('SELECT 1 AS x FROM main.logs LIMIT 1').get() === null) db.exec('DROP TABLE main.logs');
    },
  },
  { version: 3, name: 'client keys, and the key of each log entry', keepsData: true, run: (db) => void db.exec(`${API_KEYS_TABLE_SQL}\n${LOG_KEY_COLUMNS_SQL()}`) },
  {
    version: 4, name: 'prices on configs, the cost of each log entry and rollup, and rollups per client key', keepsData: true,
    run: (db) => void db.exec(`${addedConfigColumnsSql(4)}\n${LOG_COST_COLUMN_SQL()}\n${ROLLUPS_V4_SQL}`),
  },
  { version: 5, name: 'model group settings (fallbacks, attempts, statuses retried), and a fallback counter in the rollups', keepsData: true, run: (db) => void db.exec(MODEL_GROUPS_V5_SQL) },
];

/** Files up to this size are copied before an upgrade; larger ones only when a step changes what exists. */
export const BACKUP_MAX_BYTES = 1024 ** 3;

export interface SqliteMigrateOptions extends MigrateOptions {
  /** The database file, for the backup and for messages; ':memory:' gets no backup. */
  path: string;
  /** Tests give their own steps; SQLITE_STEPS otherwise. */
  steps?: readonly SqliteStep[];
  /** BACKUP_MAX_BYTES unless a test says otherwise. */
  backupMaxBytes?: number;
}

const userVersion = (db: Database) => (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;

/** Applies the steps the database lacks; returns the version it is at. */
export function migrateSqlite(db: Database, opts: SqliteMigrateOptions): number {
  const report = opts.report ?? (() => {});
  const steps = opts.steps ?? SQLITE_STEPS;
  const plan = planMigration({
    steps,
    current: userVersion(db),
    what: `SQLite database ${opts.path}`,
    // The copy made on the way past this code's version is the newest one it can open.
    restore: `restore the copy made before that upgrade (${opts.path}.pre-v${steps.length + 1}, or an older .pre-v file next to it)`,
  });
  if (plan.pending.length === 0) return plan.from;
  const isNew = (db.query('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n === 0;
  let backup: string | null = null;
  const upgrading = `Upgrading the database schema of ${opts.path} from version ${plan.from} to ${plan.to}`;
  if (!isNew && opts.path !== ':memory:') {
    const bytes = statSync(opts.path).size;
    if (bytes > (opts.backupMaxBytes ?? BACKUP_MAX_BYTES) && (plan.pending as SqliteStep[]).every((s) => s.keepsData)) {
      // A copy of many GB would keep the server from starting for minutes, and these steps only add.
      report(`${upgrading}; no copy first (${(bytes / 1024 ** 3).toFixed(1)} GiB, and the steps only add: old entries are copied to the new log file and removed from this one once copied)`);
    } else {
      backup = backupBefore(db, opts.path, plan.from + 1);
      report(`${upgrading}; a copy of the database as it was: ${backup}`);
    }
  }
  for (const step of plan.pending) {
    try {
      // IMMEDIATE takes the write lock first: a second process opening the file at the same time
      // waits here (busy_timeout), then finds the step applied and skips it.
      db.transaction(() => {
        if (userVersion(db) >= step.version) return;
        step.run(db);
        db.exec(`PRAGMA user_version = ${step.version}`);
      }).immediate();
    } catch (err) {
      throw stepFailed({
        store: 'SQLite', step, cause: err,
        after: `The database is unchanged by this step and stays at schema version ${userVersion(db)}`
          + (backup ? `; the copy from before the upgrade is ${backup}.` : '.'),
      });
    }
  }
  if (!isNew && opts.path !== ':memory:') report(`Database schema upgraded to version ${plan.to}.`);
  return plan.to;
}

/**
 * Writes a consistent copy (VACUUM INTO reads one snapshot, the WAL included) to a file that did not
 * exist before, made first with mode 0600: the copy holds backend keys and logged bodies too.
 */
function backupBefore(db: Database, path: string, version: number): string {
  for (let n = 1; ; n++) {
    const file = `${path}.pre-v${version}${n === 1 ? '' : `-${n}`}`;
    if (existsSync(file)) continue;
    try {
      closeSync(openSync(file, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw copyFailed(file, err);
    }
    try {
      db.query('VACUUM INTO ?').run(file);
    } catch (err) {
      rmSync(file, { force: true });
      throw copyFailed(file, err);
    }
    return file;
  }
}

const copyFailed = (file: string, err: unknown) =>
  new SchemaError(`cannot write a copy of the database to ${file} before upgrading its schema: ${(err as Error).message}; nothing was changed`);
