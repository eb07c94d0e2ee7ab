/**
 * Every read of the admin (Logs page, detail, downloads, dashboard) as plain synchronous queries on
 * one connection that has the main file as `main` and the log file as `logdb`. The SQLite store runs
 * them in a Worker on a read-only connection of its own (sqlite-reads.ts), so that however long one
 * takes, the proxy's thread goes on serving; `:memory:` stores run them inline.
 */
import type { Database, SQLQueryBindings } from 'bun:sqlite';
import { ROLLUP_FIELDS } from './rollup-fields.ts';
import type { Bodies } from './schema.ts';
import { detailCodec, hasLegacyLogs, legacyCodec, legacySummaryColumns, mergeNewestFirst, type Source, summaryCodec, whereOf, type Where } from './sqlite-logs.ts';
import type { Row } from './sqlite-schema.ts';
import type { LogCount, LogFilter, LogQuery, LogRow, LogSummary, RollupQuery, RollupRow } from './types.ts';

/** Past this many distinct matching paths a path substring is answered by a scan instead. */
const MAX_PATHS = 64;
const LEGACY_MOVED = 'legacy_moved_rowid';

/** One part of a query: a table and the WHERE clause that reads it in page order. */
interface Part {
  source: Source;
  where: Where;
}

export class LogQueries {
  /** Set once the legacy table is seen gone: it never comes back. */
  private legacyGone = false;

  constructor(private readonly db: Database) {}

  queryLogs(q: LogQuery): LogSummary[] {
    if (q.limit === 0) return [];
    const lists = this.parts(q.filter, q.after).map((p) => {
      if (p.source === 'legacy') {
        // The legacy table has the summary fields 0.1.0 had; those added since read as null.
        const rows = this.all(`SELECT ${legacySummaryColumns} FROM main.logs ${p.where.sql} ORDER BY ts DESC, id DESC LIMIT ?`, p.where, q.limit);
        return rows.map((r) => ({ ...summaryCodec.fromRow(r), apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null }));
      }
      const rows = this.all(`SELECT ${summaryCodec.columns} FROM logdb.logs ${p.where.sql} ORDER BY ts DESC, id DESC LIMIT ?`, p.where, q.limit);
      return rows.map((r) => summaryCodec.fromRow(r));
    });
    return mergeNewestFirst(lists, q.limit < 0 ? Number.POSITIVE_INFINITY : q.limit);
  }

  /** Whole entries a page at a time (exports, migration); bodies as stored text when `bodies` is 'text'. */
  queryLogRows(q: LogQuery, bodies: Bodies = 'text'): LogRow[] {
    if (q.limit === 0) return [];
    const lists = this.parts(q.filter, q.after).map((p) => {
      if (p.source === 'legacy') {
        return this.all(`SELECT ${legacyCodec.columns} FROM main.logs ${p.where.sql} ORDER BY ts DESC, id DESC LIMIT ?`, p.where, q.limit)
          .map((r) => legacyCodec.fromRow(r, bodies));
      }
      return this.all(`SELECT ${summaryCodec.columns}, ${detailCodec.columns} FROM logdb.logs LEFT JOIN logdb.log_bodies ON rid = logs.rowid
        ${p.where.sql} ORDER BY ts DESC, id DESC LIMIT ?`, p.where, q.limit).map((r) => fullRow(r, bodies));
    });
    return mergeNewestFirst(lists, q.limit < 0 ? Number.POSITIVE_INFINITY : q.limit);
  }

  getLog(id: string, bodies: Bodies = 'parsed'): LogRow | null {
    const r = this.db.query(`SELECT ${summaryCodec.columns}, ${detailCodec.columns} FROM logdb.logs
      LEFT JOIN logdb.log_bodies ON rid = logs.rowid WHERE id = ?`).get(id) as Row | null;
    if (r) return fullRow(r, bodies);
    if (this.legacyAbove() === null) return null;
    const old = this.db.query(`SELECT ${legacyCodec.columns} FROM main.logs WHERE id = ?`).get(id) as Row | null;
    return old ? legacyCodec.fromRow(old, bodies) : null;
  }

  countLogs(filter: LogFilter): number {
    return this.parts(filter).reduce((n, p) => n + this.count(p, null), 0);
  }

  countLogsUpTo(filter: LogFilter, cap: number): LogCount {
    let n = 0;
    for (const p of this.parts(filter)) {
      n += this.count(p, cap + 1 - n);
      if (n > cap) return { count: cap, exact: false };
    }
    return { count: n, exact: true };
  }

  readRollups(q: RollupQuery): RollupRow[] {
    const [table, column] = q.byKey ? ['key_rollups', 'api_key_id'] : ['rollups', 'model'];
    const rows = this.db.query(`SELECT start, ${column} AS who, ${ROLLUP_FIELDS.join(', ')} FROM main.${table} WHERE size = ? AND start >= ? AND start < ?`)
      .all(q.size, q.from.getTime(), q.to.getTime()) as Row[];
    return rows.map((r) => {
      const counts: Record<string, number> = {};
      for (const f of ROLLUP_FIELDS) if (r[f] !== 0) counts[f] = r[f] as number;
      const start = new Date(r.start as number);
      if (q.byKey) return { size: q.size, start, model: null, apiKeyId: r.who as string, counts };
      return { size: q.size, start, model: r.who === '' ? null : (r.who as string), counts };
    });
  }

  /** The legacy table's last moved rowid while an upgrade moves it; null once it is gone (or never was). */
  legacyAbove(): number | null {
    if (this.legacyGone) return null;
    if (!hasLegacyLogs(this.db)) {
      this.legacyGone = true;
      return null;
    }
    const moved = this.db.query('SELECT value FROM logdb.upgrade WHERE key = ?').get(LEGACY_MOVED) as { value: number } | null;
    return moved?.value ?? 0;
  }

  /**
   * The parts that together hold the entries matching a filter: the v2 table (once per matching
   * path, so that each part is read in time order from its index), and what is left of a legacy table.
   */
  private parts(filter: LogFilter, after?: LogQuery['after']): Part[] {
    const parts: Part[] = [];
    const paths = filter.path ? this.pathsContaining(filter.path) : null;
    if (paths === null) parts.push({ source: 'current', where: whereOf(filter, { source: 'current', after }) });
    else for (const path of paths) parts.push({ source: 'current', where: whereOf(filter, { source: 'current', after, path }) });
    const above = this.legacyAbove();
    if (above !== null) parts.push({ source: 'legacy', where: whereOf(filter, { source: 'legacy', after, legacyAbove: above }) });
    return parts;
  }

  /** The stored paths holding `text`; null when there are too many to query one by one. */
  private pathsContaining(text: string): string[] | null {
    const rows = this.db.query('SELECT path FROM logdb.endpoints WHERE instr(path, ?) > 0 LIMIT ?').all(text, MAX_PATHS + 1) as { path: string }[];
    return rows.length > MAX_PATHS ? null : rows.map((r) => r.path);
  }

  private count(p: Part, limit: number | null): number {
    const table = p.source === 'current' ? 'logdb.logs' : 'main.logs';
    const sql = limit === null
      ? `SELECT COUNT(*) AS n FROM ${table} ${p.where.sql}`
      : `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${table} ${p.where.sql} LIMIT ${Math.max(0, Math.floor(limit))})`;
    return (this.db.query(sql).get(...p.where.params) as { n: number }).n;
  }

  private all(sql: string, where: Where, limit: number): Row[] {
    return this.db.query(sql).all(...where.params, limit as SQLQueryBindings) as Row[];
  }
}

function fullRow(r: Row, bodies: Bodies): LogRow {
  return { ...summaryCodec.fromRow(r), ...detailCodec.fromRow(r, bodies) } as LogRow;
}
