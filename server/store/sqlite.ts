/**
 * Embedded store on bun:sqlite, the default: WAL mode, prepared statements, one transaction per batch.
 * Columns, statements and row mapping come from schema.ts (sqlite-schema.ts); init() applies the
 * schema steps the file lacks (sqlite-migrations.ts).
 */
import { Database, type SQLQueryBindings } from 'bun:sqlite';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROLLUP_FIELDS } from './rollup-fields.ts';
import type { MigrateOptions } from './migrations.ts';
import { migrateSqlite, type SqliteStep } from './sqlite-migrations.ts';
import { configPatchSql, configRows, logRows, type Row, summaryRows } from './sqlite-schema.ts';
import type {
  ConfigChanges, ConfigPatch, ConfigRow, LogCount, LogCursor, LogFilter, LogQuery, LogRow, LogSummary, RollupRow, RollupSize, Store, StoreSize,
} from './types.ts';

const ROLLUP_UPSERT = `INSERT INTO rollups (size, start, model, ${ROLLUP_FIELDS.join(', ')})
  VALUES (?, ?, ?, ${ROLLUP_FIELDS.map(() => '?').join(', ')})
  ON CONFLICT (size, start, model) DO UPDATE SET ${ROLLUP_FIELDS.map((f) => `${f} = ${f} + excluded.${f}`).join(', ')}`;

/** Builds the WHERE clause for a filter; values are always bound, never spliced. */
function whereClause(filter: LogFilter, extra: string[] = [], extraParams: SQLQueryBindings[] = []) {
  const parts = [...extra];
  const params: SQLQueryBindings[] = [...extraParams];
  if (filter.from) (parts.push('ts >= ?'), params.push(filter.from.getTime()));
  if (filter.to) (parts.push('ts <= ?'), params.push(filter.to.getTime()));
  if (filter.method) (parts.push('method = ?'), params.push(filter.method.toUpperCase()));
  if (filter.statusCode != null) (parts.push('status_code = ?'), params.push(filter.statusCode));
  if (filter.statusClass != null) {
    parts.push('status_code >= ? AND status_code < ?');
    params.push(filter.statusClass * 100, filter.statusClass * 100 + 100);
  }
  if (filter.path) (parts.push('instr(path, ?) > 0'), params.push(filter.path));
  if (filter.model) (parts.push('model = ?'), params.push(filter.model));
  if (filter.stream != null) (parts.push('stream = ?'), params.push(filter.stream ? 1 : 0));
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

function afterClause(after: LogCursor | null | undefined): [string[], SQLQueryBindings[]] {
  if (!after) return [[], []];
  const ts = after.timestamp.getTime();
  return [['(ts < ? OR (ts = ? AND id < ?))'], [ts, ts, after.id]];
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private db: Database;
  /** Log entries stored, once size() has counted them. */
  private logCount: number | null = null;

  constructor(readonly path: string) {
    // It holds backend keys and every logged body: readable by its owner only.
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path, { create: true, strict: true });
    if (path !== ':memory:') chmodSync(path, 0o600);
  }

  /** Applies the schema steps the file lacks (tests may give their own steps). */
  async init(options: MigrateOptions & { steps?: readonly SqliteStep[] } = {}): Promise<void> {
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    migrateSqlite(this.db, { path: this.path, ...options });
  }

  async ping(): Promise<void> {
    this.db.query('SELECT 1').get();
  }

  async close(): Promise<void> {
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
    const insert = this.db.query(`INSERT OR IGNORE INTO logs (${logRows.columns}) VALUES (${logRows.placeholders})`);
    const writeAll = this.db.transaction((batch: LogRow[]) => {
      let added = 0;
      for (const r of batch) added += insert.run(...logRows.values(r)).changes;
      return added;
    });
    const added = writeAll(rows);
    if (this.logCount !== null) this.logCount += added;
  }

  async queryLogs(q: LogQuery): Promise<LogSummary[]> {
    const where = whereClause(q.filter, ...afterClause(q.after));
    const rows = this.db
      .query(`SELECT ${summaryRows.columns} FROM logs ${where.sql} ORDER BY ts DESC, id DESC LIMIT ?`)
      .all(...where.params, q.limit) as Row[];
    return rows.map((r) => summaryRows.fromRow(r));
  }

  async countLogs(filter: LogFilter): Promise<number> {
    const where = whereClause(filter);
    const row = this.db.query(`SELECT COUNT(*) AS n FROM logs ${where.sql}`).get(...where.params) as { n: number };
    return row.n;
  }

  async countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount> {
    const where = whereClause(filter);
    if (where.sql === '' && this.logCount !== null) return { count: this.logCount, exact: true };
    const row = this.db.query(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM logs ${where.sql} LIMIT ?)`).get(...where.params, cap + 1) as { n: number };
    return row.n > cap ? { count: cap, exact: false } : { count: row.n, exact: true };
  }

  async getLog(id: string): Promise<LogRow | null> {
    const r = this.db.query(`SELECT ${logRows.columns} FROM logs WHERE id = ?`).get(id) as Row | null;
    return r ? logRows.fromRow(r) : null;
  }

  async queryLogRows(q: LogQuery): Promise<LogRow[]> {
    const where = whereClause(q.filter, ...afterClause(q.after));
    const rows = this.db.query(`SELECT ${logRows.columns} FROM logs ${where.sql} ORDER BY ts DESC, id DESC LIMIT ?`).all(...where.params, q.limit) as Row[];
    // Bodies stay the text they were stored as: an export writes them without parsing.
    return rows.map((r) => logRows.fromRow(r, 'text'));
  }

  async deleteLogs(filter: LogFilter, limit: number): Promise<number> {
    const where = whereClause(filter);
    const deleted = this.db
      .query(`DELETE FROM logs WHERE rowid IN (SELECT rowid FROM logs ${where.sql} ORDER BY ts, id LIMIT ?)`)
      .run(...where.params, limit).changes;
    if (this.logCount !== null) this.logCount -= deleted;
    return deleted;
  }

  upgradePendingRows(): number {
    return 0;
  }

  async size(): Promise<StoreSize> {
    // Counted once (a full index scan: about 30 ms per million entries, too slow to repeat every
    // minute on the event loop), then kept up to date by this store's own writes and deletes.
    this.logCount ??= (this.db.query('SELECT COUNT(*) AS n FROM logs').get() as { n: number }).n;
    const n = this.logCount;
    if (this.path === ':memory:') return { logRows: n, bytes: null };
    const file = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    return { logRows: n, bytes: file(this.path) + file(`${this.path}-wal`) };
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

  async readRollups(q: { size: RollupSize; from: Date; to: Date }): Promise<RollupRow[]> {
    const rows = this.db
      .query('SELECT * FROM rollups WHERE size = ? AND start >= ? AND start < ?')
      .all(q.size, q.from.getTime(), q.to.getTime()) as Row[];
    return rows.map((r) => {
      const counts: Record<string, number> = {};
      for (const f of ROLLUP_FIELDS) if (r[f] !== 0) counts[f] = r[f] as number;
      return { size: q.size, start: new Date(r.start as number), model: r.model === '' ? null : (r.model as string), counts };
    });
  }
}
