/**
 * The fields of a config and of a log entry, described once: each one's SQLite column, how it is
 * kept on each store, whether a log list reads it, and in which schema version it appeared. The
 * SQLite DDL and statements (sqlite-schema.ts), the MongoDB documents and projection (mongo-docs.ts)
 * and the migration steps are generated from these tables; the checks at the end tie them to the
 * types in types.ts, so a field added to a type and not here (or the other way round) fails to compile.
 *
 * A row that has been released is never edited: a new field gets `since: <the next version>` and a
 * step in sqlite-migrations.ts / mongo-migrations.ts, so that older databases gain it the same way.
 */
import type { Json, LoggedJson } from '../json.ts';
import type { ApiKeyPatch, ApiKeyRow, ConfigPatch, ConfigRow, LogDetail, LogRow, LogSummary, ModelGroupRow } from './types.ts';

/**
 * How a value is kept.          TypeScript   SQLite                 MongoDB
 *   text                        string       TEXT                   string
 *   int · real                  number       INTEGER · REAL         number
 *   bool                        boolean      INTEGER 0/1            boolean
 *   date                        Date         INTEGER ms since 1970  Date
 *   json                        Json         TEXT, JSON text        string, JSON text
 *   body                        LoggedJson   TEXT, JSON text        string, JSON text (read back parsed, or as JsonText for exports)
 *   chunks                      Json[]       TEXT, JSON text        string, JSON text
 * JSON is kept as text on MongoDB too: client bodies are hostile input whose keys ("$where", "a.b")
 * MongoDB rejects or reads as paths, and text keeps a stored body exactly what was logged.
 */
export type Kind = 'text' | 'int' | 'real' | 'bool' | 'date' | 'json' | 'body' | 'chunks';

export interface KindValue {
  text: string;
  int: number;
  real: number;
  bool: boolean;
  date: Date;
  json: Json;
  body: LoggedJson;
  chunks: Json[];
}

export const SQL_TYPE: Record<Kind, 'TEXT' | 'INTEGER' | 'REAL'> = {
  text: 'TEXT', int: 'INTEGER', real: 'REAL', bool: 'INTEGER', date: 'INTEGER', json: 'TEXT', body: 'TEXT', chunks: 'TEXT',
};

export interface FieldSpec {
  /** The SQLite column. */
  readonly column: string;
  readonly kind: Kind;
  /** May be null (no NOT NULL on SQLite; a missing MongoDB field reads as null). */
  readonly nullable?: true;
  /** The primary key: `_id` on MongoDB. */
  readonly key?: true;
  /** Logs: `summary` fields are what a log list reads, `detail` ones are read one entry at a time. */
  readonly part?: 'summary' | 'detail';
  /** Configs: set when the row is made and never patched. */
  readonly fixed?: true;
  /** The schema version that added the field; 1 (the 0.1.0 schema) when absent. */
  readonly since?: number;
}

export type FieldTable = Readonly<Record<string, FieldSpec>>;

/** How `body` fields are read: parsed, or kept as the stored text (JsonText: exports write it without parsing). */
export type Bodies = 'parsed' | 'text';

export const CONFIG_FIELDS = {
  id: { column: 'id', kind: 'text', key: true, fixed: true },
  proxyModelName: { column: 'proxy_model_name', kind: 'text' },
  baseUrl: { column: 'base_url', kind: 'text' },
  backendModelName: { column: 'backend_model_name', kind: 'text' },
  apiKey: { column: 'api_key', kind: 'text', nullable: true },
  ignoreSslVerify: { column: 'ignore_ssl_verify', kind: 'bool' },
  enabled: { column: 'enabled', kind: 'bool' },
  timeoutMs: { column: 'timeout_ms', kind: 'int', nullable: true },
  inputPrice: { column: 'input_price', kind: 'real', nullable: true, since: 4 },
  cachedInputPrice: { column: 'cached_input_price', kind: 'real', nullable: true, since: 4 },
  outputPrice: { column: 'output_price', kind: 'real', nullable: true, since: 4 },
  weight: { column: 'weight', kind: 'int', nullable: true, since: 4 },
  priority: { column: 'priority', kind: 'int', nullable: true, since: 4 },
  injectStreamUsage: { column: 'inject_stream_usage', kind: 'bool', nullable: true, since: 4 },
  createdAt: { column: 'created_at', kind: 'date', fixed: true },
  updatedAt: { column: 'updated_at', kind: 'date' },
} as const satisfies Record<Exclude<keyof ConfigRow, 'apiKeyUnreadable'>, FieldSpec>;

/**
 * Model group settings (schema version 5). A group is the configs that share a proxy model name; a
 * row exists only for a group whose settings were edited (the others use the defaults). Keyed by the
 * group's name, so it outlives its configs being replaced.
 */
export const MODEL_GROUP_FIELDS = {
  name: { column: 'name', kind: 'text', key: true, fixed: true, since: 5 },
  /** Group names, tried in order once the group's own configs are exhausted. */
  fallbacks: { column: 'fallbacks', kind: 'json', since: 5 },
  /** Group names a context_length_exceeded 400 goes to instead of the client. */
  contextFallbacks: { column: 'context_fallbacks', kind: 'json', since: 5 },
  /** null: the default (3). */
  maxAttempts: { column: 'max_attempts', kind: 'int', nullable: true, since: 5 },
  /** null: the default list (408, 429, 500, 502, 503, 504, 529). */
  retryOnStatus: { column: 'retry_on_status', kind: 'json', nullable: true, since: 5 },
  updatedAt: { column: 'updated_at', kind: 'date', since: 5 },
} as const satisfies Record<keyof ModelGroupRow, FieldSpec>;

/** Client keys: a table of their own since schema version 3 (sqlite-migrations.ts, mongo-migrations.ts). */
export const API_KEY_FIELDS = {
  id: { column: 'id', kind: 'text', key: true, fixed: true, since: 3 },
  name: { column: 'name', kind: 'text', since: 3 },
  publicId: { column: 'public_id', kind: 'text', fixed: true, since: 3 },
  secretHash: { column: 'secret_hash', kind: 'text', fixed: true, since: 3 },
  allowedModels: { column: 'allowed_models', kind: 'json', nullable: true, since: 3 },
  rpm: { column: 'rpm', kind: 'int', nullable: true, since: 3 },
  tpm: { column: 'tpm', kind: 'int', nullable: true, since: 3 },
  maxParallel: { column: 'max_parallel', kind: 'int', nullable: true, since: 3 },
  budgetTokens: { column: 'budget_tokens', kind: 'real', nullable: true, since: 3 },
  budgetUsd: { column: 'budget_usd', kind: 'real', nullable: true, since: 3 },
  budgetPeriod: { column: 'budget_period', kind: 'text', nullable: true, since: 3 },
  expiresAt: { column: 'expires_at', kind: 'date', nullable: true, since: 3 },
  enabled: { column: 'enabled', kind: 'bool', since: 3 },
  revokedAt: { column: 'revoked_at', kind: 'date', nullable: true, since: 3 },
  metadata: { column: 'metadata', kind: 'json', nullable: true, since: 3 },
  createdAt: { column: 'created_at', kind: 'date', fixed: true, since: 3 },
  updatedAt: { column: 'updated_at', kind: 'date', since: 3 },
  lastUsedAt: { column: 'last_used_at', kind: 'date', nullable: true, since: 3 },
} as const satisfies Record<keyof ApiKeyRow, FieldSpec>;

export const LOG_FIELDS = {
  id: { column: 'id', kind: 'text', key: true, part: 'summary' },
  timestamp: { column: 'ts', kind: 'date', part: 'summary' },
  method: { column: 'method', kind: 'text', part: 'summary' },
  path: { column: 'path', kind: 'text', part: 'summary' },
  model: { column: 'model', kind: 'text', nullable: true, part: 'summary' },
  backendModel: { column: 'backend_model', kind: 'text', nullable: true, part: 'summary' },
  configId: { column: 'config_id', kind: 'text', nullable: true, part: 'summary' },
  upstreamUrl: { column: 'upstream_url', kind: 'text', nullable: true, part: 'summary' },
  statusCode: { column: 'status_code', kind: 'int', part: 'summary' },
  stream: { column: 'stream', kind: 'bool', part: 'summary' },
  durationMs: { column: 'duration_ms', kind: 'real', part: 'summary' },
  ttftMs: { column: 'ttft_ms', kind: 'real', nullable: true, part: 'summary' },
  promptTokens: { column: 'prompt_tokens', kind: 'int', nullable: true, part: 'summary' },
  completionTokens: { column: 'completion_tokens', kind: 'int', nullable: true, part: 'summary' },
  totalTokens: { column: 'total_tokens', kind: 'int', nullable: true, part: 'summary' },
  error: { column: 'error', kind: 'text', nullable: true, part: 'summary' },
  clientIp: { column: 'client_ip', kind: 'text', nullable: true, part: 'summary' },
  userAgent: { column: 'user_agent', kind: 'text', nullable: true, part: 'summary' },
  apiKeyId: { column: 'api_key_id', kind: 'text', nullable: true, part: 'summary', since: 3 },
  apiKeyName: { column: 'api_key_name', kind: 'text', nullable: true, part: 'summary', since: 3 },
  costUsd: { column: 'cost_usd', kind: 'real', nullable: true, part: 'summary', since: 4 },
  attemptCount: { column: 'attempt_count', kind: 'int', nullable: true, part: 'summary', since: 4 },
  usageEstimated: { column: 'usage_estimated', kind: 'bool', nullable: true, part: 'summary', since: 4 },
  requestHeaders: { column: 'request_headers', kind: 'json', nullable: true, part: 'detail' },
  requestBody: { column: 'request_body', kind: 'body', nullable: true, part: 'detail' },
  responseHeaders: { column: 'response_headers', kind: 'json', nullable: true, part: 'detail' },
  responseBody: { column: 'response_body', kind: 'body', nullable: true, part: 'detail' },
  streamContent: { column: 'stream_content', kind: 'text', nullable: true, part: 'detail' },
  chunks: { column: 'chunks', kind: 'chunks', nullable: true, part: 'detail' },
  attempts: { column: 'attempts', kind: 'json', nullable: true, part: 'detail', since: 4 },
} as const satisfies Record<keyof LogRow, FieldSpec>;

export type TableName = 'configs' | 'logs' | 'rollups' | 'key_rollups';

export interface IndexSpec {
  readonly name: string;
  readonly table: TableName;
  /** Field names as in the table above (rollups: size, start), with their direction. */
  readonly fields: readonly (readonly [string, 1 | -1])[];
  /** Only on this store (SQLite's rollups primary key already serves the MongoDB rollups index). */
  readonly only?: 'sqlite' | 'mongodb';
  readonly since?: number;
}

export const INDEXES: readonly IndexSpec[] = [
  { name: 'configs_name', table: 'configs', fields: [['proxyModelName', 1]] },
  { name: 'logs_time', table: 'logs', fields: [['timestamp', -1], ['id', -1]] },
  { name: 'logs_model_time', table: 'logs', fields: [['model', 1], ['timestamp', -1], ['id', -1]] },
  { name: 'logs_status_time', table: 'logs', fields: [['statusCode', 1], ['timestamp', -1], ['id', -1]] },
  { name: 'rollups_time', table: 'rollups', fields: [['size', 1], ['start', 1]], only: 'mongodb' },
  // MongoDB, version 2: one index per Logs-page filter, each ending in the page order (timestamp, id) so
  // that a first page and every later one read about a page of entries. A status class is an $in of its
  // 100 codes (mongo-docs.ts), which MongoDB answers from logs_status_time as 100 ordered scans merged;
  // a path substring is an $in of the matching distinct paths, read from logs_path_time.
  { name: 'logs_method_time', table: 'logs', fields: [['method', 1], ['timestamp', -1], ['id', -1]], only: 'mongodb', since: 2 },
  { name: 'logs_path_time', table: 'logs', fields: [['path', 1], ['timestamp', -1], ['id', -1]], only: 'mongodb', since: 2 },
  { name: 'logs_stream_time', table: 'logs', fields: [['stream', 1], ['timestamp', -1], ['id', -1]], only: 'mongodb', since: 2 },
  {
    name: 'logs_model_status_time', table: 'logs', fields: [['model', 1], ['statusCode', 1], ['timestamp', -1], ['id', -1]],
    only: 'mongodb', since: 2,
  },
  // Version 3: the Logs page's key filter.
  { name: 'logs_key_time', table: 'logs', fields: [['apiKeyId', 1], ['timestamp', -1], ['id', -1]], only: 'mongodb', since: 3 },
  // Version 4: the client keys' rollups (SQLite's primary key serves them there).
  { name: 'key_rollups_time', table: 'key_rollups', fields: [['size', 1], ['start', 1]], only: 'mongodb', since: 4 },
  // Version 4: the Logs page's "retried" filter (retried entries are few: the index finds them, then they are sorted).
  { name: 'logs_attempts_time', table: 'logs', fields: [['attemptCount', 1], ['timestamp', -1], ['id', -1]], only: 'mongodb', since: 4 },
];

const TABLE_FIELDS: Record<'configs' | 'logs', FieldTable> = { configs: CONFIG_FIELDS, logs: LOG_FIELDS };

/** What an index names on a store: the SQLite column, or the document field (`_id` for the key). */
export function indexKey(index: IndexSpec, field: string, store: 'sqlite' | 'mongodb'): string {
  // Rollup columns are named after their fields on both stores (stats/rollup.ts).
  if (index.table === 'rollups' || index.table === 'key_rollups') return field;
  const spec = TABLE_FIELDS[index.table][field];
  if (!spec) throw new Error(`index ${index.name}: schema.ts has no field ${field} in ${index.table}`);
  return store === 'sqlite' ? spec.column : spec.key ? '_id' : field;
}

/** The fields of a table as [name, spec] pairs, in table order; with a version, only those it had. */
export function fieldsOf<T extends FieldTable>(table: T, version = Infinity): [keyof T & string, FieldSpec][] {
  return (Object.entries(table) as [keyof T & string, FieldSpec][]).filter(([, f]) => (f.since ?? 1) <= version);
}

export const indexesAt = (version: number, store: 'sqlite' | 'mongodb') =>
  INDEXES.filter((i) => (i.since ?? 1) <= version && (!i.only || i.only === store));

export const LOG_DETAIL_FIELDS = fieldsOf(LOG_FIELDS).filter(([, f]) => f.part === 'detail').map(([name]) => name) as (keyof LogDetail)[];

type NullableLogField = FieldsWhere<typeof LOG_FIELDS, { nullable: true }>;

/** Every nullable log field set to null: the start of a new log row (proxy/exchange.ts), made once. */
export const NULL_LOG_FIELDS: Readonly<{ [K in NullableLogField]: null }> = Object.freeze(
  Object.fromEntries(fieldsOf(LOG_FIELDS).filter(([, f]) => 'nullable' in f && f.nullable).map(([name]) => [name, null])),
) as { [K in NullableLogField]: null };

// ---- Compile-time ties to types.ts. A failure names the field: "Type 'true' is not assignable to type '"ttftMs"'".

type ValueOf<F extends FieldSpec> = KindValue[F['kind']] | (F extends { nullable: true } ? null : never);
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The fields whose kind and nullability do not give exactly the type's value. */
type Mismatched<T extends Record<string, FieldSpec>, Row> = {
  [K in keyof Row & keyof T]: Same<ValueOf<T[K]>, Row[K]> extends true ? never : K;
}[keyof Row & keyof T];
type FieldsWhere<T, Cond> = { [K in keyof T]: T[K] extends Cond ? K : never }[keyof T];
type Check<Bad> = [Bad] extends [never] ? true : Bad;

const configValuesMatch: Check<Mismatched<typeof CONFIG_FIELDS, ConfigRow>> = true;
const apiKeyValuesMatch: Check<Mismatched<typeof API_KEY_FIELDS, ApiKeyRow>> = true;
const groupValuesMatch: Check<Mismatched<typeof MODEL_GROUP_FIELDS, ModelGroupRow>> = true;
type KeyPatchable = Exclude<keyof typeof API_KEY_FIELDS, FieldsWhere<typeof API_KEY_FIELDS, { fixed: true }>>;
const keyPatchMatches: Check<Exclude<KeyPatchable, keyof ApiKeyPatch> | Exclude<keyof ApiKeyPatch, KeyPatchable>> = true;
const logValuesMatch: Check<Mismatched<typeof LOG_FIELDS, LogRow>> = true;
/** The summary fields are exactly LogSummary's (so the rest are LogDetail's). */
const summaryMatches: Check<Exclude<FieldsWhere<typeof LOG_FIELDS, { part: 'summary' }>, keyof LogSummary> | Exclude<keyof LogSummary, FieldsWhere<typeof LOG_FIELDS, { part: 'summary' }>>> = true;
/** The patchable fields are exactly ConfigPatch's. */
type Patchable = Exclude<keyof typeof CONFIG_FIELDS, FieldsWhere<typeof CONFIG_FIELDS, { fixed: true }>>;
const patchMatches: Check<Exclude<Patchable, keyof ConfigPatch> | Exclude<keyof ConfigPatch, Patchable>> = true;
void [configValuesMatch, apiKeyValuesMatch, groupValuesMatch, keyPatchMatches, logValuesMatch, summaryMatches, patchMatches];
