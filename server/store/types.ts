/**
 * The Store interface: everything the rest of the server may ask of persistence. Two implementations
 * (SQLite, MongoDB) pass the same contract suite in tests/store-contract. The service layer makes
 * ids and timestamps; adapters store what they are given.
 */
import type { Json, LoggedJson } from '../json.ts';
import type { MigrateOptions } from './migrations.ts';

export interface ConfigRow {
  id: string;
  proxyModelName: string;
  baseUrl: string;
  backendModelName: string;
  apiKey: string | null;
  ignoreSslVerify: boolean;
  enabled: boolean;
  timeoutMs: number | null;
  /** USD per million input, cached input and output tokens (schema version 4); null: from the price list. */
  inputPrice: number | null;
  cachedInputPrice: number | null;
  outputPrice: number | null;
  /** Smooth weighted round-robin weight in its tier (schema version 4); null: 1. 0: only when nothing else in the tier can serve. */
  weight: number | null;
  /** Its tier: lower is tried first (schema version 4); null: 0. */
  priority: number | null;
  /** Ask a stream's usage of the backend for clients that did not (schema version 4); null: true. */
  injectStreamUsage: boolean | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * Set (by sealed.ts) when the stored backend key cannot be opened with this server's secret key:
   * then `apiKey` is null and the config serves nothing until the right SECRET_KEY is given.
   */
  apiKeyUnreadable?: string;
}

export type ConfigPatch = Partial<Omit<ConfigRow, 'id' | 'createdAt' | 'updatedAt' | 'apiKeyUnreadable'>> & { updatedAt: Date };

export type BudgetPeriod = 'DAY' | 'WEEK' | 'MONTH' | 'TOTAL';

/**
 * A client key for /v1 (keys/service.ts). The secret itself is never stored: only its SHA-256
 * (`secretHash`, hex), looked up by `publicId`, the part of the secret shown in the admin and logs.
 */
export interface ApiKeyRow {
  id: string;
  name: string;
  publicId: string;
  secretHash: string;
  /** Proxy model names (a trailing `*` matches a prefix); null: every model. */
  allowedModels: Json | null;
  rpm: number | null;
  tpm: number | null;
  maxParallel: number | null;
  budgetTokens: number | null;
  budgetUsd: number | null;
  budgetPeriod: string | null;
  expiresAt: Date | null;
  enabled: boolean;
  revokedAt: Date | null;
  metadata: Json | null;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
}

export type ApiKeyPatch = Partial<Omit<ApiKeyRow, 'id' | 'publicId' | 'secretHash' | 'createdAt' | 'updatedAt'>> & { updatedAt?: Date };

/**
 * A model group's settings (schema version 5): the group is the configs of one proxy model name.
 * The lists are JSON arrays (group names; statuses).
 */
export interface ModelGroupRow {
  name: string;
  fallbacks: Json;
  contextFallbacks: Json;
  maxAttempts: number | null;
  retryOnStatus: Json | null;
  updatedAt: Date;
}

/** The columns a log list shows; cheap to read in bulk. */
export interface LogSummary {
  id: string;
  timestamp: Date;
  method: string;
  path: string;
  model: string | null;
  backendModel: string | null;
  configId: string | null;
  upstreamUrl: string | null;
  statusCode: number;
  stream: boolean;
  durationMs: number;
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  error: string | null;
  clientIp: string | null;
  userAgent: string | null;
  /** The client key that sent it (schema version 3); null without one. */
  apiKeyId: string | null;
  /** That key's name when the entry was written ("admin" for the admin's chat and Test button). */
  apiKeyName: string | null;
  /** What the exchange cost in USD (schema version 4): null when its usage or its price is unknown. */
  costUsd: number | null;
  /** How many backends were tried (schema version 4): 0 when none, null in entries written before. */
  attemptCount: number | null;
  /** The backend reported no usage: the token counts were counted here (cost/tokens.ts); schema version 4. */
  usageEstimated: boolean | null;
}

/** The heavy part of a log entry, read one entry at a time. */
export interface LogDetail {
  requestHeaders: Json;
  requestBody: LoggedJson;
  responseHeaders: Json;
  responseBody: LoggedJson;
  streamContent: string | null;
  chunks: Json[] | null;
  /** Every attempt when there was more than one (schema version 4): the last is the one that answered. */
  attempts: Json | null;
}

export type LogRow = LogSummary & LogDetail;

export interface LogFilter {
  from?: Date | null;
  to?: Date | null;
  method?: string | null;
  statusCode?: number | null;
  /** 2..5 means 2xx..5xx. */
  statusClass?: number | null;
  /** Substring of the path. */
  path?: string | null;
  model?: string | null;
  stream?: boolean | null;
  /** Entries of one client key. */
  apiKeyId?: string | null;
  /** true: entries that tried more than one backend; false: the others. */
  retried?: boolean | null;
}

/** How many entries match a filter: `count` exactly when `exact`, else more than `count`. */
export interface LogCount {
  count: number;
  exact: boolean;
}

/** Position in the newest-first order: entries strictly after it (older) come next. */
export interface LogCursor {
  timestamp: Date;
  id: string;
}

export interface LogQuery {
  filter: LogFilter;
  limit: number;
  after?: LogCursor | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'mongodb';
  /**
   * Brings the schema to this code's version (migrations.ts): a new store gets its tables and indexes,
   * an older one the steps it lacks, a newer one is refused. Safe to call on a current store.
   */
  init(options?: MigrateOptions): Promise<void>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

  listConfigs(): Promise<ConfigRow[]>;
  getConfig(id: string): Promise<ConfigRow | null>;
  insertConfig(row: ConfigRow): Promise<void>;
  /** Returns the updated row, or null when no config has this id. */
  updateConfig(id: string, patch: ConfigPatch): Promise<ConfigRow | null>;
  deleteConfig(id: string): Promise<boolean>;

  /** Client keys (schema version 3), oldest first. */
  listApiKeys(): Promise<ApiKeyRow[]>;
  /** Fails when the name or the public id is taken (unique on both stores). */
  insertApiKey(row: ApiKeyRow): Promise<void>;
  /** Returns the updated row, or null when no key has this id. */
  updateApiKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRow | null>;

  /** Model group settings (schema version 5), by name. */
  listModelGroups(): Promise<ModelGroupRow[]>;
  /** Writes the group's settings whole (inserted, or replacing the stored ones). */
  putModelGroup(row: ModelGroupRow): Promise<void>;

  /** Idempotent by id: writing a row that is already stored is not an error and changes nothing. */
  insertLogs(rows: LogRow[]): Promise<void>;
  /** Newest first (timestamp, then id, both descending). */
  queryLogs(query: LogQuery): Promise<LogSummary[]>;
  /** Exact; may read every matching entry (retention, migration, tests). */
  countLogs(filter: LogFilter): Promise<number>;
  /**
   * Counts at most `cap` matching entries and says whether the count is exact, so that a count
   * for a page costs at most `cap` index entries (or nothing, where the store knows the total).
   */
  countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount>;
  getLog(id: string): Promise<LogRow | null>;
  /** Like queryLogs, with every field: for export and migration, one page at a time. */
  queryLogRows(query: LogQuery): Promise<LogRow[]>;
  /** One page of a download, as the format's bytes (log-lines.ts): CSV reads summaries, JSONL whole entries. */
  exportPage(query: LogQuery, format: LogExportFormat): Promise<ExportPage>;
  /** Deletes at most `limit` matching entries, oldest first; returns how many it deleted. */
  deleteLogs(filter: LogFilter, limit: number): Promise<number>;
  /**
   * Log entries written by an older release that the store still moves to its current layout, in
   * the background after init() (0 when none: the store is upgraded).
   */
  upgradePendingRows(): number;
  /** Resolves once that background work is over (tests, and the CLI before it copies a store). */
  awaitUpgrade(): Promise<void>;
  /**
   * Upkeep after deletes, in small steps: gives freed pages back to the disk and refreshes query
   * statistics where the store has them (SQLite); nothing to do on MongoDB.
   */
  compact(): Promise<void>;
  /** How big the store is: log entries, and bytes on disk where the store can tell. */
  size(): Promise<StoreSize>;

  /**
   * Applies config changes together: on SQLite in one transaction; on MongoDB (no transactions on
   * every server) in order, undoing what was done when a step fails.
   */
  applyConfigChanges(changes: ConfigChanges): Promise<void>;

  /**
   * Adds each row's counts to the stored rollup of the same size, start and model (creating it),
   * with atomic increments: concurrent writers and readers never see a row half-added.
   */
  addRollups(rows: RollupRow[]): Promise<void>;
  /** Rollups of one size whose start lies in [from, to): per model, or with `byKey` the client keys' rollups. */
  readRollups(query: RollupQuery): Promise<RollupRow[]>;
  /** Deletes rollups of one size that start before `before` (per model and per key); returns how many. */
  deleteRollups(query: { size: RollupSize; before: Date }): Promise<number>;
  /** Stores rollups as given, replacing any of the same key (for migration: a rerun counts nothing twice). */
  putRollups(rows: RollupRow[]): Promise<void>;
}

export const LOG_EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type LogExportFormat = (typeof LOG_EXPORT_FORMATS)[number];

export interface ExportPage {
  bytes: Uint8Array;
  /** Entries on the page, and the last one's cursor (null on an empty page). */
  rows: number;
  last: LogCursor | null;
}

export interface StoreSize {
  logRows: number;
  /** Bytes on disk (SQLite: the file and its WAL; MongoDB: storage size); null when unknown. */
  bytes: number | null;
}

export interface ConfigChanges {
  insert: ConfigRow[];
  update: { id: string; patch: ConfigPatch }[];
  remove: string[];
}

/**
 * Rollup sizes in seconds: minutes for short windows, hours for long ones (stats/rollup.ts); 0 is
 * all time (one rollup per client key, start 1970: a TOTAL budget's use is one read).
 */
export type RollupSize = 0 | 60 | 3600;
/** Counter name (n, s2, d7, … in stats/rollup.ts) to value. */
export type RollupCounts = Record<string, number>;

export interface RollupQuery {
  size: RollupSize;
  from: Date;
  to: Date;
  /** The client keys' rollups instead of the models' (only these have size 0). */
  byKey?: boolean;
}

export interface RollupRow {
  size: RollupSize;
  /** Start of the minute or hour. */
  start: Date;
  /** The proxy model; null for requests that no config routed (unknown models, /v1/models), and in key rollups. */
  model: string | null;
  /** Set in a client key's rollup (schema version 4): the key's entries, every model together. */
  apiKeyId?: string;
  /** Only the fields that are not zero need to be present. */
  counts: RollupCounts;
}

/**
 * Thrown by a store's addRollups when some rollups went in and others did not: only `failed` may be
 * added again, or the others would count twice.
 */
export class PartialRollupWrite extends Error {
  constructor(message: string, readonly failed: RollupRow[]) {
    super(message);
  }
}
