/**
 * Embedded store on bun:sqlite, the default. Two files in WAL mode: the main file (configs, rollups;
 * the schema version) and the log file beside it (sqlite-logs.ts: summaries, bodies, endpoints).
 * Writes run on the caller's thread in pieces of a few milliseconds (sqlite-log-writes.ts); every
 * admin read runs in a Worker on its own read-only connection (sqlite-reads.ts), so that no query,
 * however large, holds up the proxy. init() applies the schema steps the file lacks
 * (sqlite-migrations.ts) and starts moving an older file's entries (sqlite-upgrade.ts).
 */
import { Database } from 'bun:sqlite';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MigrateOptions } from './migrations.ts';
import { ROLLUP_FIELDS } from './rollup-fields.ts';
import { LogWrites } from './sqlite-log-writes.ts';
import { hasLegacyLogs, LOGS_SCHEMA, logsFileOf } from './sqlite-logs.ts';
import { migrateSqlite, type SqliteStep } from './sqlite-migrations.ts';
import { LogQueries } from './sqlite-queries.ts';
import { inlineReads, type LogReads, WorkerReads } from './sqlite-reads.ts';
import { configPatchSql, configRows, type Row } from './sqlite-schema.ts';
import { LegacyMove } from './sqlite-upgrade.ts';
import type {
  ConfigChanges, ConfigPatch, ConfigRow, LogCount, LogFilter, LogQuery, LogRow, LogSummary, RollupRow, RollupSize, Store, StoreSize,
} from './types.ts';

const ROLLUP_UPSERT = `INSERT INTO rollups (size, start, model, ${ROLLUP_FIELDS.join(', ')})
  VALUES (?, ?, ?, ${ROLLUP_FIELDS.map(() => '?').join(', ')})
  ON CONFLICT (size, start, model) DO UPDATE SET ${ROLLUP_FIELDS.map((f) => `${f} = ${f} + excluded.${f}`).join(', ')}`;

/** Opens or creates a file readable by its owner only: it holds backend keys and every logged body. */
function privateFile(path: string): void {
  if (path === ':memory:') return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private db: Database;
  /** Log entries stored, once size() has counted them. */
  private logCount: number | null = null;

  private writes: LogWrites;
  private reads: LogReads | null = null;
  private move: LegacyMove | null = null;
  readonly logsPath: string;

  constructor(readonly path: string) {
    this.logsPath = logsFileOf(path);
    privateFile(path);
    privateFile(this.logsPath);
    this.db = new Database(path, { create: true, strict: true });
    this.writes = new LogWrites(this.db);
  }

  /** Applies the schema steps the file lacks (tests may give their own steps), then opens the reader. */
  async init(options: MigrateOptions & { steps?: readonly SqliteStep[]; backupMaxBytes?: number; inlineReads?: boolean } = {}): Promise<void> {
    // auto_vacuum takes effect only on a file without tables yet (a new one): pages freed by deletes
    // can then be given back (compact()). An older file keeps its setting until sqlite-upgrade.ts vacuums it.
    this.db.exec('PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    if (!this.attached()) {
      this.db.query(`ATTACH DATABASE ? AS ${LOGS_SCHEMA}`).run(this.logsPath);
      // Before its first table, so that deletes in the log file can give pages back (compact()).
      this.db.exec(`PRAGMA ${LOGS_SCHEMA}.auto_vacuum = INCREMENTAL; PRAGMA ${LOGS_SCHEMA}.journal_mode = WAL; PRAGMA ${LOGS_SCHEMA}.synchronous = NORMAL;`);
    }
    migrateSqlite(this.db, { path: this.path, ...options });
    const queries = new LogQueries(this.db);
    this.reads ??= this.path === ':memory:' || options.inlineReads ? inlineReads(queries) : new WorkerReads({ main: this.path, logs: this.logsPath });
    this.move ??= new LegacyMove(this.db, { path: this.path, report: options.report ?? (() => {}) });
  }

  private attached(): boolean {
    return (this.db.query('PRAGMA database_list').all() as { name: string }[]).some((d) => d.name === LOGS_SCHEMA);
  }

  private get reader(): LogReads {
    if (!this.reads) throw new Error('the SQLite store is not open: call init() first');
    return this.reads;
  }

  async ping(): Promise<void> {
    this.db.query('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.move?.stop();
    await this.reads?.close();
    this.db.close();
  }

  async listConfigs(): Promise<ConfigRow[]> {
    const rows = this.db.query(`SELECT ${configRows.columns} FROM configs ORDER BY proxy_model_name, created_at, id`).all() as Row[];
    return rows.map((r) => configRows.fromRow(r));
  }

  async getConfig(id: string): Promise<ConfigRow | null> {
    const row = this.db.query(`SELECT ${configRows.columns} FROM configs WHERE id = ?`).get(id) as Row | null;
    return row ? configRows.fromRow(row) : null;
  }

  async insertConfig(c: ConfigRow): Promise<void> {
    this.insertConfigSync(c);
  }

  private insertConfigSync(c: ConfigRow): void {
    this.db.query(`INSERT INTO configs (${configRows.columns}) VALUES (${configRows.placeholders})`).run(...configRows.values(c));
  }

  async updateConfig(id: string, patch: ConfigPatch): Promise<ConfigRow | null> {
    return this.updateConfigSync(id, patch);
  }

  private updateConfigSync(id: string, patch: ConfigPatch): ConfigRow | null {
    const { sets, params } = configPatchSql(patch);
    const row = this.db.query(`UPDATE configs SET ${sets.join(', ')} WHERE id = ? RETURNING ${configRows.columns}`).get(...params, id) as Row | null;
    return row ? configRows.fromRow(row) : null;
  }

  async deleteConfig(id: string): Promise<boolean> {
    return this.db.query('DELETE FROM configs WHERE id = ?').run(id).changes > 0;
  }

  async insertLogs(rows: LogRow[]): Promise<void> {
    const added = await this.writes.insert(rows);
    if (this.logCount !== null) this.logCount += added;
  }

  queryLogs(q: LogQuery): Promise<LogSummary[]> {
    return this.reader.queryLogs(q);
  }

  countLogs(filter: LogFilter): Promise<number> {
    return this.reader.countLogs(filter);
  }

  async countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount> {
    const empty = Object.values(filter).every((v) => v === null || v === undefined || v === '');
    if (empty && this.logCount !== null) return { count: this.logCount, exact: true };
    return this.reader.countLogsUpTo(filter, cap);
  }

  getLog(id: string): Promise<LogRow | null> {
    return this.reader.getLog(id);
  }

  queryLogRows(q: LogQuery): Promise<LogRow[]> {
    return this.reader.queryLogRows(q);
  }

  async deleteLogs(filter: LogFilter, limit: number): Promise<number> {
    const deleted = await this.writes.delete(filter, limit, hasLegacyLogs(this.db));
    if (this.logCount !== null) this.logCount -= deleted;
    return deleted;
  }

  /** Gives the pages that deletes freed in the log file back to the disk, a few at a time; refreshes planner statistics. */
  async compact(): Promise<void> {
    await this.writes.compact();
    // The main file's free pages (rollups pruned): few, given back at once.
    this.db.exec('PRAGMA main.incremental_vacuum; PRAGMA analysis_limit = 1000; PRAGMA optimize;');
  }

  upgradePendingRows(): number {
    return this.move?.pending ?? 0;
  }

  async awaitUpgrade(): Promise<void> {
    await this.move?.done;
  }

  async size(): Promise<StoreSize> {
    // Counted once (a full index scan, about 30 ms per million entries: in the reader), then kept up to
    // date by this store's own writes and deletes.
    this.logCount ??= await this.reader.countLogs({});
    const n = this.logCount;
    if (this.path === ':memory:') return { logRows: n, bytes: null };
    const file = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    const bytes = [this.path, this.logsPath].reduce((sum, p) => sum + file(p) + file(`${p}-wal`), 0);
    return { logRows: n, bytes };
  }

  async applyConfigChanges(changes: ConfigChanges): Promise<void> {
    this.db.transaction(() => {
      for (const c of changes.insert) this.insertConfigSync(c);
      for (const u of changes.update) {
        if (!this.updateConfigSync(u.id, u.patch)) throw new Error(`config ${u.id} no longer exists`);
      }
      for (const id of changes.remove) this.db.query('DELETE FROM configs WHERE id = ?').run(id);
    })();
  }

  async addRollups(rows: RollupRow[]): Promise<void> {
    const upsert = this.db.query(ROLLUP_UPSERT);
    this.db.transaction((batch: RollupRow[]) => {
      for (const r of batch) {
        upsert.run(r.size, r.start.getTime(), r.model ?? '', ...ROLLUP_FIELDS.map((f) => r.counts[f] ?? 0));
      }
    })(rows);
  }

  async deleteRollups(q: { size: RollupSize; before: Date }): Promise<number> {
    return this.db.query('DELETE FROM rollups WHERE size = ? AND start < ?').run(q.size, q.before.getTime()).changes;
  }

  async putRollups(rows: RollupRow[]): Promise<void> {
    const put = this.db.query(`INSERT OR REPLACE INTO rollups (size, start, model, ${ROLLUP_FIELDS.join(', ')})
      VALUES (?, ?, ?, ${ROLLUP_FIELDS.map(() => '?').join(', ')})`);
    this.db.transaction(() => {
      for (const r of rows) put.run(r.size, r.start.getTime(), r.model ?? '', ...ROLLUP_FIELDS.map((f) => r.counts[f] ?? 0));
    })();
  }

  readRollups(q: { size: RollupSize; from: Date; to: Date }): Promise<RollupRow[]> {
    return this.reader.readRollups(q);
  }
}
