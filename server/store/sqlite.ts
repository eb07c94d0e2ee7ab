/**
 * Embedded store on bun:sqlite, the default. Two files in WAL mode: the main file (configs, rollups;
 * the schema version) and the log file beside it (sqlite-logs.ts: summaries, bodies, endpoints).
 * The proxy's thread neither writes nor runs a log query: every write after init() runs in the
 * writer Worker (sqlite-writes.ts: commits, checkpoints, paced deletes, vacuum, the upgrade's move)
 * and every admin read in the reader Worker (sqlite-reads.ts), so that no admin action, however
 * large, holds up the proxy. The thread keeps its own connection for init() (the schema steps the
 * file lacks, sqlite-migrations.ts) and for reading configs, a small table.
 */
import { Database } from 'bun:sqlite';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MigrateOptions } from './migrations.ts';
import { LOGS_SCHEMA, logsFileOf } from './sqlite-logs.ts';
import { migrateSqlite, type SqliteStep } from './sqlite-migrations.ts';
import { LogQueries } from './sqlite-queries.ts';
import { inlineReads, type LogReads, WorkerReads } from './sqlite-reads.ts';
import { apiKeyRows, configRows, modelGroupRows, type Row } from './sqlite-schema.ts';
import { encodeLogs } from './sqlite-log-writes.ts';
import { inlineWrites, type StoreWrites, WorkerWrites } from './sqlite-writes.ts';
import type {
  ApiKeyPatch, ApiKeyRow, ConfigChanges, ConfigPatch, ConfigRow, ExportPage, LogCount, LogExportFormat, LogFilter, LogQuery, LogRow, LogSummary, ModelGroupRow, RollupQuery, RollupRow, RollupSize, Store, StoreSize,
} from './types.ts';

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

  /**
   * The Workers, once init() has opened them. Held in an object made by the constructor, so that a
   * wrapper made with Object.create(store) (tests do) shares them with the store it wraps.
   */
  private readonly workers: { reads: LogReads | null; writes: StoreWrites | null } = { reads: null, writes: null };
  /** Log entries stored, once size() has counted them (shared with wrappers too). */
  private readonly stored: { logs: number | null } = { logs: null };
  readonly logsPath: string;

  constructor(readonly path: string) {
    this.logsPath = logsFileOf(path);
    privateFile(path);
    privateFile(this.logsPath);
    this.db = new Database(path, { create: true, strict: true });
  }

  /**
   * Applies the schema steps the file lacks (tests may give their own steps), then opens the reader
   * and the writer (`inline` keeps both on this connection: for ':memory:' and tests).
   */
  async init(options: MigrateOptions & { steps?: readonly SqliteStep[]; backupMaxBytes?: number; inline?: boolean } = {}): Promise<void> {
    // auto_vacuum takes effect only on a file without tables yet (a new one): pages freed by deletes
    // can then be given back (compact()). An older file keeps its setting until sqlite-upgrade.ts vacuums it.
    this.db.exec('PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    if (!this.attached()) {
      this.db.query(`ATTACH DATABASE ? AS ${LOGS_SCHEMA}`).run(this.logsPath);
      // Before its first table, so that deletes in the log file can give pages back (compact()).
      this.db.exec(`PRAGMA ${LOGS_SCHEMA}.auto_vacuum = INCREMENTAL; PRAGMA ${LOGS_SCHEMA}.journal_mode = WAL; PRAGMA ${LOGS_SCHEMA}.synchronous = NORMAL;`);
    }
    migrateSqlite(this.db, { path: this.path, ...options });
    const inline = this.path === ':memory:' || options.inline === true;
    const report = options.report ?? (() => {});
    const w = this.workers;
    w.reads ??= inline ? inlineReads(new LogQueries(this.db)) : new WorkerReads({ main: this.path, logs: this.logsPath });
    w.writes ??= inline ? inlineWrites(this.db, { path: this.path, report }) : await WorkerWrites.open({ main: this.path, logs: this.logsPath }, report);
  }

  private attached(): boolean {
    return (this.db.query('PRAGMA database_list').all() as { name: string }[]).some((d) => d.name === LOGS_SCHEMA);
  }

  private get reader(): LogReads {
    if (!this.workers.reads) throw new Error('the SQLite store is not open: call init() first');
    return this.workers.reads;
  }

  private get writer(): StoreWrites {
    if (!this.workers.writes) throw new Error('the SQLite store is not open: call init() first');
    return this.workers.writes;
  }

  /** Through the writer: a store whose writer is stuck or gone does not count as reachable. */
  async ping(): Promise<void> {
    await this.writer.ping();
  }

  async close(): Promise<void> {
    await this.workers.writes?.close();
    await this.workers.reads?.close();
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

  insertConfig(c: ConfigRow): Promise<void> {
    return this.writer.insertConfig(c);
  }

  updateConfig(id: string, patch: ConfigPatch): Promise<ConfigRow | null> {
    return this.writer.updateConfig(id, patch);
  }

  deleteConfig(id: string): Promise<boolean> {
    return this.writer.deleteConfig(id);
  }

  async listApiKeys(): Promise<ApiKeyRow[]> {
    const rows = this.db.query(`SELECT ${apiKeyRows.columns} FROM api_keys ORDER BY created_at, id`).all() as Row[];
    return rows.map((r) => apiKeyRows.fromRow(r));
  }

  insertApiKey(k: ApiKeyRow): Promise<void> {
    return this.writer.insertApiKey(k);
  }

  updateApiKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRow | null> {
    return this.writer.updateApiKey(id, patch);
  }

  async listModelGroups(): Promise<ModelGroupRow[]> {
    const rows = this.db.query(`SELECT ${modelGroupRows.columns} FROM model_groups ORDER BY name`).all() as Row[];
    return rows.map((r) => modelGroupRows.fromRow(r));
  }

  putModelGroup(g: ModelGroupRow): Promise<void> {
    return this.writer.putModelGroup(g);
  }

  async insertLogs(rows: LogRow[]): Promise<void> {
    const added = await this.writer.insertLogs(encodeLogs(rows));
    if (this.stored.logs !== null) this.stored.logs += added;
  }

  queryLogs(q: LogQuery): Promise<LogSummary[]> {
    return this.reader.queryLogs(q);
  }

  countLogs(filter: LogFilter): Promise<number> {
    return this.reader.countLogs(filter);
  }

  async countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount> {
    const empty = Object.values(filter).every((v) => v === null || v === undefined || v === '');
    if (empty && this.stored.logs !== null) return { count: this.stored.logs, exact: true };
    return this.reader.countLogsUpTo(filter, cap);
  }

  getLog(id: string): Promise<LogRow | null> {
    return this.reader.getLog(id);
  }

  queryLogRows(q: LogQuery): Promise<LogRow[]> {
    return this.reader.queryLogRows(q);
  }

  exportPage(q: LogQuery, format: LogExportFormat): Promise<ExportPage> {
    return this.reader.exportPage(q, format);
  }

  async deleteLogs(filter: LogFilter, limit: number): Promise<number> {
    const deleted = await this.writer.deleteLogs(filter, limit);
    if (this.stored.logs !== null) this.stored.logs -= deleted;
    return deleted;
  }

  /** Gives the pages that deletes freed back to the disk, a few at a time; refreshes planner statistics. */
  compact(): Promise<void> {
    return this.writer.compact();
  }

  upgradePendingRows(): number {
    return this.workers.writes?.pending ?? 0;
  }

  awaitUpgrade(): Promise<void> {
    return this.writer.awaitUpgrade();
  }

  async size(): Promise<StoreSize> {
    // Counted once (a full index scan, about 30 ms per million entries: in the reader), then kept up to
    // date by this store's own writes and deletes.
    this.stored.logs ??= await this.reader.countLogs({});
    const n = this.stored.logs;
    if (this.path === ':memory:') return { logRows: n, bytes: null };
    const file = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    const bytes = [this.path, this.logsPath].reduce((sum, p) => sum + file(p) + file(`${p}-wal`), 0);
    return { logRows: n, bytes };
  }

  applyConfigChanges(changes: ConfigChanges): Promise<void> {
    return this.writer.applyConfigChanges(changes);
  }

  addRollups(rows: RollupRow[]): Promise<void> {
    return this.writer.addRollups(rows);
  }

  deleteRollups(q: { size: RollupSize; before: Date }): Promise<number> {
    return this.writer.deleteRollups(q);
  }

  putRollups(rows: RollupRow[]): Promise<void> {
    return this.writer.putRollups(rows);
  }

  readRollups(q: RollupQuery): Promise<RollupRow[]> {
    return this.reader.readRollups(q);
  }
}
