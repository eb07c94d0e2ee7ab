/**
 * Embedded store on bun:sqlite, the default: WAL mode, prepared statements, one transaction per batch.
 * JSON columns hold JSON text, so a stored body is exactly what was logged.
 */
import { Database, type SQLQueryBindings } from 'bun:sqlite';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROLLUP_FIELDS } from '../stats/rollup.ts';
import { type RollupRow, type RollupSize } from './types.ts';
import { type Json, JsonText, jsonText, type LoggedJson } from '../json.ts';
import { type ConfigChanges, type ConfigPatch, type ConfigRow, type LogCursor, type LogFilter, type LogQuery, type LogRow, type LogSummary, type Store, type StoreSize } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS configs (
  id TEXT PRIMARY KEY,
  proxy_model_name TEXT NOT NULL,
  base_url TEXT NOT NULL,
  backend_model_name TEXT NOT NULL,
  api_key TEXT,
  ignore_ssl_verify INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  timeout_ms INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS configs_name ON configs (proxy_model_name);
CREATE TABLE IF NOT EXISTS logs (
  id TEXT PRIMARY KEY,
  ts INTEGER NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  model TEXT,
  backend_model TEXT,
  config_id TEXT,
  upstream_url TEXT,
  status_code INTEGER NOT NULL,
  stream INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  ttft_ms REAL,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  total_tokens INTEGER,
  error TEXT,
  client_ip TEXT,
  user_agent TEXT,
  request_headers TEXT,
  request_body TEXT,
  response_headers TEXT,
  response_body TEXT,
  stream_content TEXT,
  chunks TEXT
);
CREATE INDEX IF NOT EXISTS logs_time ON logs (ts DESC, id DESC);
CREATE INDEX IF NOT EXISTS logs_model_time ON logs (model, ts DESC, id DESC);
CREATE INDEX IF NOT EXISTS logs_status_time ON logs (status_code, ts DESC, id DESC);
CREATE TABLE IF NOT EXISTS rollups (
  size INTEGER NOT NULL,
  start INTEGER NOT NULL,
  -- '' stands for "no model": NULLs would not be equal in the primary key.
  model TEXT NOT NULL,
  ${ROLLUP_FIELDS.map((f) => `${f} REAL NOT NULL DEFAULT 0`).join(',\n  ')},
  PRIMARY KEY (size, start, model)
) WITHOUT ROWID;
`;

const ROLLUP_UPSERT = `INSERT INTO rollups (size, start, model, ${ROLLUP_FIELDS.join(', ')})
  VALUES (?, ?, ?, ${ROLLUP_FIELDS.map(() => '?').join(', ')})
  ON CONFLICT (size, start, model) DO UPDATE SET ${ROLLUP_FIELDS.map((f) => `${f} = ${f} + excluded.${f}`).join(', ')}`;

const SUMMARY_COLUMNS = `id, ts, method, path, model, backend_model, config_id, upstream_url, status_code, stream,
  duration_ms, ttft_ms, prompt_tokens, completion_tokens, total_tokens, error, client_ip, user_agent`;

type Row = Record<string, string | number | null>;

const fromJsonText = (text: unknown): Json => (typeof text === 'string' ? (JSON.parse(text) as Json) : null);

function configFromRow(r: Row): ConfigRow {
  return {
    id: r.id as string,
    proxyModelName: r.proxy_model_name as string,
    baseUrl: r.base_url as string,
    backendModelName: r.backend_model_name as string,
    apiKey: (r.api_key as string | null) ?? null,
    ignoreSslVerify: r.ignore_ssl_verify === 1,
    enabled: r.enabled === 1,
    timeoutMs: (r.timeout_ms as number | null) ?? null,
    createdAt: new Date(r.created_at as number),
    updatedAt: new Date(r.updated_at as number),
  };
}

function summaryFromRow(r: Row): LogSummary {
  return {
    id: r.id as string,
    timestamp: new Date(r.ts as number),
    method: r.method as string,
    path: r.path as string,
    model: r.model as string | null,
    backendModel: r.backend_model as string | null,
    configId: r.config_id as string | null,
    upstreamUrl: r.upstream_url as string | null,
    statusCode: r.status_code as number,
    stream: r.stream === 1,
    durationMs: r.duration_ms as number,
    ttftMs: r.ttft_ms as number | null,
    promptTokens: r.prompt_tokens as number | null,
    completionTokens: r.completion_tokens as number | null,
    totalTokens: r.total_tokens as number | null,
    error: r.error as string | null,
    clientIp: r.client_ip as string | null,
    userAgent: r.user_agent as string | null,
  };
}

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

/** A whole log row; `body` reads the two body columns (parsed, or kept as text). */
function logFromRow(r: Row, body: (text: unknown) => LoggedJson): LogRow {
  return {
    ...summaryFromRow(r),
    requestHeaders: fromJsonText(r.request_headers),
    requestBody: body(r.request_body),
    responseHeaders: fromJsonText(r.response_headers),
    responseBody: body(r.response_body),
    streamContent: r.stream_content as string | null,
    chunks: fromJsonText(r.chunks) as Json[] | null,
  };
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

  async init(): Promise<void> {
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.db.exec(SCHEMA);
  }

  async ping(): Promise<void> {
    this.db.query('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async listConfigs(): Promise<ConfigRow[]> {
    const rows = this.db.query('SELECT * FROM configs ORDER BY proxy_model_name, created_at, id').all() as Row[];
    return rows.map(configFromRow);
  }

  async getConfig(id: string): Promise<ConfigRow | null> {
    const row = this.db.query('SELECT * FROM configs WHERE id = ?').get(id) as Row | null;
    return row ? configFromRow(row) : null;
  }

  async insertConfig(c: ConfigRow): Promise<void> {
    this.insertConfigSync(c);
  }

  private insertConfigSync(c: ConfigRow): void {
    this.db
      .query(
        `INSERT INTO configs (id, proxy_model_name, base_url, backend_model_name, api_key, ignore_ssl_verify,
           enabled, timeout_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.id, c.proxyModelName, c.baseUrl, c.backendModelName, c.apiKey, c.ignoreSslVerify ? 1 : 0,
        c.enabled ? 1 : 0, c.timeoutMs, c.createdAt.getTime(), c.updatedAt.getTime());
  }

  async updateConfig(id: string, patch: ConfigPatch): Promise<ConfigRow | null> {
    return this.updateConfigSync(id, patch);
  }

  private updateConfigSync(id: string, patch: ConfigPatch): ConfigRow | null {
    const columns: Record<keyof ConfigPatch, string> = {
      proxyModelName: 'proxy_model_name', baseUrl: 'base_url', backendModelName: 'backend_model_name',
      apiKey: 'api_key', ignoreSslVerify: 'ignore_ssl_verify', enabled: 'enabled', timeoutMs: 'timeout_ms',
      updatedAt: 'updated_at',
    };
    const sets: string[] = [];
    const params: SQLQueryBindings[] = [];
    for (const key of Object.keys(columns) as (keyof ConfigPatch)[]) {
      const value = patch[key];
      if (value === undefined) continue;
      sets.push(`${columns[key]} = ?`);
      params.push(value instanceof Date ? value.getTime() : typeof value === 'boolean' ? (value ? 1 : 0) : (value as SQLQueryBindings));
    }
    const row = this.db.query(`UPDATE configs SET ${sets.join(', ')} WHERE id = ? RETURNING *`).get(...params, id) as Row | null;
    return row ? configFromRow(row) : null;
  }

  async deleteConfig(id: string): Promise<boolean> {
    return this.db.query('DELETE FROM configs WHERE id = ?').run(id).changes > 0;
  }

  async insertLogs(rows: LogRow[]): Promise<void> {
    const insert = this.db.query(
      `INSERT OR IGNORE INTO logs (id, ts, method, path, model, backend_model, config_id, upstream_url, status_code,
         stream, duration_ms, ttft_ms, prompt_tokens, completion_tokens, total_tokens, error, client_ip, user_agent,
         request_headers, request_body, response_headers, response_body, stream_content, chunks)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const writeAll = this.db.transaction((batch: LogRow[]) => {
      let added = 0;
      for (const r of batch) {
        added += insert.run(r.id, r.timestamp.getTime(), r.method, r.path, r.model, r.backendModel, r.configId, r.upstreamUrl,
          r.statusCode, r.stream ? 1 : 0, r.durationMs, r.ttftMs, r.promptTokens, r.completionTokens, r.totalTokens,
          r.error, r.clientIp, r.userAgent, jsonText(r.requestHeaders), jsonText(r.requestBody),
          jsonText(r.responseHeaders), jsonText(r.responseBody), r.streamContent, r.chunks ? JSON.stringify(r.chunks) : null).changes;
      }
      return added;
    });
    const added = writeAll(rows);
    if (this.logCount !== null) this.logCount += added;
  }

  async queryLogs(q: LogQuery): Promise<LogSummary[]> {
    const where = whereClause(q.filter, ...afterClause(q.after));
    const rows = this.db
      .query(`SELECT ${SUMMARY_COLUMNS} FROM logs ${where.sql} ORDER BY ts DESC, id DESC LIMIT ?`)
      .all(...where.params, q.limit) as Row[];
    return rows.map(summaryFromRow);
  }

  async countLogs(filter: LogFilter): Promise<number> {
    const where = whereClause(filter);
    const row = this.db.query(`SELECT COUNT(*) AS n FROM logs ${where.sql}`).get(...where.params) as { n: number };
    return row.n;
  }

  async getLog(id: string): Promise<LogRow | null> {
    const r = this.db.query('SELECT * FROM logs WHERE id = ?').get(id) as Row | null;
    return r ? logFromRow(r, fromJsonText) : null;
  }

  async queryLogRows(q: LogQuery): Promise<LogRow[]> {
    const where = whereClause(q.filter, ...afterClause(q.after));
    const rows = this.db.query(`SELECT * FROM logs ${where.sql} ORDER BY ts DESC, id DESC LIMIT ?`).all(...where.params, q.limit) as Row[];
    // Bodies stay the text they were stored as: an export writes them without parsing.
    return rows.map((r) => logFromRow(r, (v) => (typeof v === 'string' ? new JsonText(v) : null)));
  }

  async deleteLogs(filter: LogFilter, limit: number): Promise<number> {
    const where = whereClause(filter);
    const deleted = this.db
      .query(`DELETE FROM logs WHERE rowid IN (SELECT rowid FROM logs ${where.sql} ORDER BY ts, id LIMIT ?)`)
      .run(...where.params, limit).changes;
    if (this.logCount !== null) this.logCount -= deleted;
    return deleted;
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
