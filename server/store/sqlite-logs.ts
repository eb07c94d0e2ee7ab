/**
 * The log tables of schema version 2, in a file of their own (`<name>-logs.sqlite`, attached as
 * `logdb`, with auto_vacuum = INCREMENTAL so that deletes give the disk back):
 *   logs        the summary fields (what a list shows and filters on), one index per Logs-page filter
 *   log_bodies  the detail fields, keyed by the summary row's rowid, read one entry at a time
 *   endpoints   every path seen, so that a path substring is answered over the few distinct paths
 *   upgrade     how far the background move of an older file's entries has come
 * The columns come from schema.ts. Entries of a 0.1.0 or 0.2.0 file (`main.logs`, the legacy table)
 * are read beside these until sqlite-upgrade.ts has moved them all.
 */
import type { Database, SQLQueryBindings } from 'bun:sqlite';
import { fieldsOf, LOG_FIELDS, SQL_TYPE } from './schema.ts';
import type { Bodies } from './schema.ts';
import { codec, type Row } from './sqlite-schema.ts';
import type { LogCursor, LogFilter, LogRow, LogSummary } from './types.ts';

export const LOGS_SCHEMA = 'logdb';

/** Whether the main file still has the log table of 0.1.0 and 0.2.0's first layout (until sqlite-upgrade.ts has moved it). */
export function hasLegacyLogs(db: Database): boolean {
  return db.query("SELECT 1 AS x FROM main.sqlite_master WHERE type = 'table' AND name = 'logs'").get() !== null;
}

/** The file the log tables live in, beside the main file. */
export function logsFileOf(path: string): string {
  return path === ':memory:' ? ':memory:' : `${path.replace(/\.sqlite$/, '')}-logs.sqlite`;
}

const summaryFields = (version?: number) => fieldsOf(LOG_FIELDS, version).filter(([, f]) => f.part === 'summary');
const detailFields = (version?: number) => fieldsOf(LOG_FIELDS, version).filter(([, f]) => f.part === 'detail');
const columnDefs = (fields: ReturnType<typeof summaryFields>) =>
  fields.map(([, f]) => `${f.column} ${SQL_TYPE[f.kind]}${f.key ? ' NOT NULL UNIQUE' : f.nullable ? '' : ' NOT NULL'}`).join(',\n  ');

/** The status class as an indexed expression: a range on status_code could not be read in time order. */
export const STATUS_CLASS = '(status_code / 100)';

/** One index per Logs-page filter, each ending in the page order, and model with status class (the usual pair). */
export const LOG_INDEXES: readonly [name: string, columns: string][] = [
  ['logs_time', 'ts DESC, id DESC'],
  ['logs_model_time', 'model, ts DESC, id DESC'],
  ['logs_class_time', `${STATUS_CLASS}, ts DESC, id DESC`],
  ['logs_model_class_time', `model, ${STATUS_CLASS}, ts DESC, id DESC`],
  ['logs_status_time', 'status_code, ts DESC, id DESC'],
  ['logs_stream_time', 'stream, ts DESC, id DESC'],
  ['logs_path_time', 'path, ts DESC, id DESC'],
  ['logs_method_time', 'method, ts DESC, id DESC'],
];

/** Version 3: the client key of each entry, and its filter's index. */
export const LOG_KEY_COLUMNS_SQL = (s = LOGS_SCHEMA) => [
  ...summaryFields().filter(([, f]) => f.since === 3).map(([, f]) => `ALTER TABLE ${s}.logs ADD COLUMN ${f.column} ${SQL_TYPE[f.kind]};`),
  `CREATE INDEX IF NOT EXISTS ${s}.logs_key_time ON logs (api_key_id, ts DESC, id DESC);`,
].join('\n');

/** Version 4: what each entry cost, its attempts, and the "retried" filter's index. */
export const LOG_COST_COLUMN_SQL = (s = LOGS_SCHEMA) => [
  ...summaryFields().filter(([, f]) => f.since === 4).map(([, f]) => `ALTER TABLE ${s}.logs ADD COLUMN ${f.column} ${SQL_TYPE[f.kind]};`),
  ...detailFields().filter(([, f]) => f.since === 4).map(([, f]) => `ALTER TABLE ${s}.log_bodies ADD COLUMN ${f.column} ${SQL_TYPE[f.kind]};`),
  `CREATE INDEX IF NOT EXISTS ${s}.logs_attempts_time ON logs (attempt_count, ts DESC, id DESC);`,
].join('\n');

/** The v2 log tables, each created only when missing, with the columns of version 2 (step 3 adds its own). */
export function createLogTablesSql(s = LOGS_SCHEMA): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.logs (\n  ${columnDefs(summaryFields(2))}\n);`,
    `CREATE TABLE IF NOT EXISTS ${s}.log_bodies (\n  rid INTEGER PRIMARY KEY,\n  ${columnDefs(detailFields(2))}\n);`,
    `CREATE TABLE IF NOT EXISTS ${s}.endpoints (path TEXT PRIMARY KEY) WITHOUT ROWID;`,
    `CREATE TABLE IF NOT EXISTS ${s}.upgrade (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;`,
    // An entry's bodies go with it, whoever deletes it.
    `CREATE TRIGGER IF NOT EXISTS ${s}.logs_bodies_go AFTER DELETE ON logs BEGIN DELETE FROM log_bodies WHERE rid = old.rowid; END;`,
    ...LOG_INDEXES.map(([name, columns]) => `CREATE INDEX IF NOT EXISTS ${s}.${name} ON logs (${columns});`),
  ].join('\n');
}

export const summaryCodec = codec<LogSummary>(LOG_FIELDS, (f) => f.part === 'summary');
export const detailCodec = codec<Partial<LogRow>>(LOG_FIELDS, (f) => f.part === 'detail');
/** The whole entry in the 0.1.0 layout (the legacy table holds every field in one row, and none added since). */
const legacyFields = codec<LogRow>(LOG_FIELDS, (f) => (f.since ?? 1) === 1);
export const legacyCodec = {
  ...legacyFields,
  fromRow: (r: Row, bodies?: Bodies): LogRow => ({ ...legacyFields.fromRow(r, bodies), apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null, attempts: null }),
};
/** The summary columns the legacy table has (the background move copies these). */
export const legacySummaryColumns = fieldsOf(LOG_FIELDS, 1).filter(([, f]) => f.part === 'summary').map(([, f]) => f.column).join(', ');
/** The detail columns the legacy table has (those added since read as null). */
export const legacyDetailColumns = fieldsOf(LOG_FIELDS, 1).filter(([, f]) => f.part === 'detail').map(([, f]) => f.column);

/** Where a query reads: the v2 tables, or the legacy table of an older file (which has no status-class index). */
export type Source = 'current' | 'legacy';

export interface Where {
  sql: string;
  params: SQLQueryBindings[];
}

/** The WHERE clause of a filter; values are always bound, never spliced. `paths` replaces the substring by exact paths. */
export function whereOf(filter: LogFilter, o: { source: Source; after?: LogCursor | null; path?: string; legacyAbove?: number }): Where {
  const parts: string[] = [];
  const params: SQLQueryBindings[] = [];
  const add = (sql: string, ...values: SQLQueryBindings[]) => {
    parts.push(sql);
    params.push(...values);
  };
  // Written with a plain `ts <= ?` first, so that the index seeks to the cursor rather than scanning up to it.
  if (o.after) add('ts <= ? AND (ts < ? OR id < ?)', o.after.timestamp.getTime(), o.after.timestamp.getTime(), o.after.id);
  if (filter.from) add('ts >= ?', filter.from.getTime());
  if (filter.to) add('ts <= ?', filter.to.getTime());
  if (filter.method) add('method = ?', filter.method.toUpperCase());
  if (filter.statusCode != null) add('status_code = ?', filter.statusCode);
  if (filter.statusClass != null) {
    if (o.source === 'current') add(`${STATUS_CLASS} = ?`, filter.statusClass);
    else add('status_code >= ? AND status_code < ?', filter.statusClass * 100, filter.statusClass * 100 + 100);
  }
  if (o.path !== undefined) add('path = ?', o.path);
  else if (filter.path) add('instr(path, ?) > 0', filter.path);
  if (filter.model) add('model = ?', filter.model);
  if (filter.stream != null) add('stream = ?', filter.stream ? 1 : 0);
  // The legacy table (0.1.0) has no key column: none of its entries came with a key.
  if (filter.apiKeyId) {
    if (o.source === 'current') add('api_key_id = ?', filter.apiKeyId);
    else add('0');
  }
  // Entries from before version 4 (and the legacy table's) tried one backend.
  if (filter.retried === true) add(o.source === 'current' ? 'attempt_count > 1' : '0');
  else if (filter.retried === false && o.source === 'current') add('(attempt_count IS NULL OR attempt_count <= 1)');
  if (o.legacyAbove !== undefined) add('rowid > ?', o.legacyAbove);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** Newest first: timestamp, then id, both descending (the order of every page). */
export function newerFirst(a: Pick<LogSummary, 'timestamp' | 'id'>, b: Pick<LogSummary, 'timestamp' | 'id'>): number {
  const dt = b.timestamp.getTime() - a.timestamp.getTime();
  return dt !== 0 ? dt : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The first `limit` of several lists that are each newest first. */
export function mergeNewestFirst<T extends Pick<LogSummary, 'timestamp' | 'id'>>(lists: T[][], limit: number): T[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return (nonEmpty[0] ?? []).slice(0, limit);
  return nonEmpty.flat().sort(newerFirst).slice(0, limit);
}
