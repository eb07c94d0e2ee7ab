/* Generated from schema.graphql by `bun run codegen`; do not edit. */
import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { ConfigRow, ApiKeyRow } from '../store/types.ts';
import type { ModelGroupView } from '../configs/service.ts';
import type { LogEntryParent, HealthParent } from './mappers.ts';
import type { GraphQLContext } from './context.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** The Lite Proxy admin API. Every operation needs `Authorization: Bearer <admin token>`. */
  DateTime: { input: Date; output: Date; }
  JSON: { input: unknown; output: unknown; }
};

/** A client key for /v1 (CLIENT_AUTH). Its secret (sk-lp-<publicId>-…) is shown once, by createApiKey. */
export type ApiKey = {
  __typename?: 'ApiKey';
  /** Proxy model names the key may use (a trailing * matches a prefix); null: every model. */
  allowedModels?: Maybe<Array<Scalars['String']['output']>>;
  /** DAY, WEEK (from Monday) and MONTH start at 00:00 UTC; TOTAL, or none, never renews. */
  budgetPeriod?: Maybe<BudgetPeriod>;
  /** Prompt plus completion tokens per budget period; once used, 429 insufficient_quota until the period ends. */
  budgetTokens?: Maybe<Scalars['Float']['output']>;
  /** US dollars per budget period (from each entry's costUsd); once used, 429 insufficient_quota until the period ends. */
  budgetUsd?: Maybe<Scalars['Float']['output']>;
  createdAt: Scalars['DateTime']['output'];
  /** A disabled key is refused (401) until it is enabled again. */
  enabled: Scalars['Boolean']['output'];
  /** After this the key is refused (401). */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  /** When a request last used it (written back within 5 s). */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Requests in flight at once (a stream counts until its last byte). */
  maxParallel?: Maybe<Scalars['Int']['output']>;
  /** Free JSON: owner, team, … */
  metadata?: Maybe<Scalars['JSON']['output']>;
  /** Unique. */
  name: Scalars['String']['output'];
  /** The part of the secret after sk-lp-: safe to show and share; logs name keys by it. */
  publicId: Scalars['String']['output'];
  /** Set once the key is revoked: it is refused for good. */
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Requests per minute: a token bucket of this size, refilled over 60 s; past it, 429 with retry-after. */
  rpm?: Maybe<Scalars['Int']['output']>;
  /** Tokens per minute, estimated when a request is admitted (prompt plus max_tokens) and settled with its real usage. */
  tpm?: Maybe<Scalars['Int']['output']>;
  updatedAt: Scalars['DateTime']['output'];
  /** Its use in the current budget period (all time without a period), as this server counts it. */
  usage: KeyUsage;
};

export type Attempt = {
  __typename?: 'Attempt';
  backendModel?: Maybe<Scalars['String']['output']>;
  configId?: Maybe<Scalars['ID']['output']>;
  durationMs?: Maybe<Scalars['Float']['output']>;
  error?: Maybe<Scalars['String']['output']>;
  /** The group (proxy model name) of the config tried: another than the entry's model for a fallback. */
  model?: Maybe<Scalars['String']['output']>;
  /** null when no answer came (refused connection, timeout). */
  statusCode?: Maybe<Scalars['Int']['output']>;
  ttftMs?: Maybe<Scalars['Float']['output']>;
  upstreamUrl?: Maybe<Scalars['String']['output']>;
};

/** A config's breaker: 3 failures in a row (COOLDOWN_FAILURES), or one 429, cool it down; then one request probes it. */
export type BackendHealth = {
  __typename?: 'BackendHealth';
  consecutiveFailures: Scalars['Int']['output'];
  /** When a cooling config may be probed. */
  cooldownUntil?: Maybe<Scalars['DateTime']['output']>;
  lastError?: Maybe<Scalars['String']['output']>;
  lastErrorAt?: Maybe<Scalars['DateTime']['output']>;
  state: BackendState;
};

export type BackendState =
  | 'COOLING'
  | 'HALF_OPEN'
  | 'HEALTHY';

export type BudgetPeriod =
  | 'DAY'
  | 'MONTH'
  | 'TOTAL'
  | 'WEEK';

export type ChatEvent = {
  __typename?: 'ChatEvent';
  /** DELTA: the next piece of the answer. */
  content?: Maybe<Scalars['String']['output']>;
  durationMs?: Maybe<Scalars['Float']['output']>;
  /** ERROR: what went wrong, readable. */
  error?: Maybe<Scalars['String']['output']>;
  /** DONE: why the model stopped (stop, length, …). */
  finishReason?: Maybe<Scalars['String']['output']>;
  /** The log entry of this exchange (on every event). */
  logId: Scalars['ID']['output'];
  /** DELTA: the next piece of the model's reasoning, for backends that stream it (reasoning_content). */
  reasoning?: Maybe<Scalars['String']['output']>;
  /** DONE, and ERROR when the backend answered: the HTTP status the backend (or the proxy) answered with. */
  status?: Maybe<Scalars['Int']['output']>;
  /** DONE and ERROR: milliseconds until the first byte of the answer, and in all. */
  ttftMs?: Maybe<Scalars['Float']['output']>;
  type: ChatEventType;
  /** DONE: token usage, when the backend reported it. */
  usage?: Maybe<TokenUsage>;
};

export type ChatEventType =
  | 'DELTA'
  | 'DONE'
  | 'ERROR'
  | 'STARTED';

export type ChatInput = {
  /** Pins one config of the model's group (the Models page's Test button); it must belong to `model`. */
  configId?: InputMaybe<Scalars['ID']['input']>;
  maxTokens?: InputMaybe<Scalars['Int']['input']>;
  messages: Array<ChatMessageInput>;
  /** A proxy model name, as a client would send it. */
  model: Scalars['String']['input'];
  temperature?: InputMaybe<Scalars['Float']['input']>;
};

export type ChatMessageInput = {
  content: Scalars['String']['input'];
  role: ChatRole;
};

export type ChatRole =
  | 'ASSISTANT'
  | 'SYSTEM'
  | 'USER';

export type CreateApiKeyInput = {
  allowedModels?: InputMaybe<Array<Scalars['String']['input']>>;
  budgetPeriod?: InputMaybe<BudgetPeriod>;
  budgetTokens?: InputMaybe<Scalars['Float']['input']>;
  budgetUsd?: InputMaybe<Scalars['Float']['input']>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  maxParallel?: InputMaybe<Scalars['Int']['input']>;
  metadata?: InputMaybe<Scalars['JSON']['input']>;
  name: Scalars['String']['input'];
  rpm?: InputMaybe<Scalars['Int']['input']>;
  tpm?: InputMaybe<Scalars['Int']['input']>;
};

export type CreateConfigInput = {
  apiKey?: InputMaybe<Scalars['String']['input']>;
  backendModelName: Scalars['String']['input'];
  baseUrl: Scalars['String']['input'];
  cachedInputPrice?: InputMaybe<Scalars['Float']['input']>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  ignoreSslVerify?: InputMaybe<Scalars['Boolean']['input']>;
  /** true when not given. */
  injectStreamUsage?: InputMaybe<Scalars['Boolean']['input']>;
  /** US dollars per million tokens (0 or more); none set: the price list's. */
  inputPrice?: InputMaybe<Scalars['Float']['input']>;
  outputPrice?: InputMaybe<Scalars['Float']['input']>;
  /** -1000 to 1000; 0 when not given. Lower is tried first. */
  priority?: InputMaybe<Scalars['Int']['input']>;
  proxyModelName: Scalars['String']['input'];
  timeoutMs?: InputMaybe<Scalars['Int']['input']>;
  /** 0 to 1000; 1 when not given. */
  weight?: InputMaybe<Scalars['Int']['input']>;
};

export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  key: ApiKey;
  /** The secret, shown this once: the server keeps only its SHA-256. */
  secret: Scalars['String']['output'];
};

export type Health = {
  __typename?: 'Health';
  logQueue: LogQueueHealth;
  status: Scalars['String']['output'];
  store: StoreHealth;
  /** The Lite Proxy release that answers (0.2.0, …). */
  version: Scalars['String']['output'];
};

export type ImportResult = {
  __typename?: 'ImportResult';
  created: Scalars['Int']['output'];
  deleted: Scalars['Int']['output'];
  /** Groups whose routing settings the document set (with replace, also those it reset to the defaults). */
  groups: Scalars['Int']['output'];
  unchanged: Scalars['Int']['output'];
  updated: Scalars['Int']['output'];
};

export type KeyStats = {
  __typename?: 'KeyStats';
  apiKeyId: Scalars['ID']['output'];
  /** The key; null once it is gone from the store. */
  key?: Maybe<ApiKey>;
  summary: StatsSummary;
};

/** A key's use in one budget period. Every exchange of the key counts as a request, refusals included. */
export type KeyUsage = {
  __typename?: 'KeyUsage';
  completionTokens: Scalars['Float']['output'];
  costUsd: Scalars['Float']['output'];
  periodEnd?: Maybe<Scalars['DateTime']['output']>;
  /** The period's bounds; null for TOTAL or no period. */
  periodStart?: Maybe<Scalars['DateTime']['output']>;
  promptTokens: Scalars['Float']['output'];
  requests: Scalars['Float']['output'];
};

/** One /v1 exchange. Secret header values are stored as [redacted]. */
export type LogEntry = {
  __typename?: 'LogEntry';
  /** The client key that sent it (null without one). */
  apiKeyId?: Maybe<Scalars['ID']['output']>;
  /** That key's name when the entry was written; "admin" for the admin's chat and Test button. */
  apiKeyName?: Maybe<Scalars['String']['output']>;
  /** How many backends were tried (0: none, refused before routing); null in entries written before 0.2.0. */
  attemptCount?: Maybe<Scalars['Int']['output']>;
  /** Every attempt, in order; the last is the one whose answer the client got (its fields are the entry's own). */
  attempts: Array<Attempt>;
  backendModel?: Maybe<Scalars['String']['output']>;
  /**
   * For a stream: every parsed SSE data event, [DONE] excluded. An event the backend sent as
   * `data: null` is null here; one that is not JSON is its text.
   */
  chunks?: Maybe<Array<Maybe<Scalars['JSON']['output']>>>;
  clientIp?: Maybe<Scalars['String']['output']>;
  completionTokens?: Maybe<Scalars['Int']['output']>;
  configId?: Maybe<Scalars['ID']['output']>;
  /** US dollars, from the config's prices or the price list; null when the usage or the price is unknown. */
  costUsd?: Maybe<Scalars['Float']['output']>;
  durationMs: Scalars['Float']['output'];
  error?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  method: Scalars['String']['output'];
  /** As the client requested it. */
  model?: Maybe<Scalars['String']['output']>;
  path: Scalars['String']['output'];
  promptTokens?: Maybe<Scalars['Int']['output']>;
  requestBody?: Maybe<Scalars['JSON']['output']>;
  requestHeaders?: Maybe<Scalars['JSON']['output']>;
  /** For a stream: the assembled object (chat.completion, text_completion, or the final response). */
  responseBody?: Maybe<Scalars['JSON']['output']>;
  responseHeaders?: Maybe<Scalars['JSON']['output']>;
  statusCode: Scalars['Int']['output'];
  stream: Scalars['Boolean']['output'];
  /** For a stream: the assembled reply text. */
  streamContent?: Maybe<Scalars['String']['output']>;
  timestamp: Scalars['DateTime']['output'];
  totalTokens?: Maybe<Scalars['Int']['output']>;
  /** Until the backend's first byte: the first chunk of a stream, the headers otherwise. */
  ttftMs?: Maybe<Scalars['Float']['output']>;
  upstreamUrl?: Maybe<Scalars['String']['output']>;
  /** The backend reported no usage: the tokens were counted by Lite Proxy (gpt-tokenizer, o200k_base) from the request's and the answer's text. */
  usageEstimated: Scalars['Boolean']['output'];
  userAgent?: Maybe<Scalars['String']['output']>;
};

export type LogFilter = {
  /** Entries of one client key (its id). */
  apiKeyId?: InputMaybe<Scalars['ID']['input']>;
  /** Inclusive. */
  from?: InputMaybe<Scalars['DateTime']['input']>;
  method?: InputMaybe<Scalars['String']['input']>;
  /** The model as the client requested it. */
  model?: InputMaybe<Scalars['String']['input']>;
  /** Substring of the path. */
  path?: InputMaybe<Scalars['String']['input']>;
  /** true: entries that tried more than one backend; false: the others. */
  retried?: InputMaybe<Scalars['Boolean']['input']>;
  /** 2..5 means 2xx..5xx. */
  statusClass?: InputMaybe<Scalars['Int']['input']>;
  statusCode?: InputMaybe<Scalars['Int']['input']>;
  stream?: InputMaybe<Scalars['Boolean']['input']>;
  /** Inclusive. */
  to?: InputMaybe<Scalars['DateTime']['input']>;
};

export type LogPage = {
  __typename?: 'LogPage';
  nodes: Array<LogEntry>;
  pageInfo: PageInfo;
  /** Entries matching the filter, over all pages: exact when totalCountExact, else a lower bound (the page shows 10,000+). */
  totalCount: Scalars['Int']['output'];
  /** False when counting stopped at its cap (10,000) rather than read further: there are more. */
  totalCountExact: Scalars['Boolean']['output'];
};

export type LogQueueHealth = {
  __typename?: 'LogQueueHealth';
  depth: Scalars['Int']['output'];
  dropped: Scalars['Int']['output'];
  spoolBytes: Scalars['Float']['output'];
  /** Entries the spool dropped when it was full (SPOOL_MAX_BYTES), or when its disk refused it for longer than LOG_QUEUE_MAX entries. */
  spoolDropped: Scalars['Int']['output'];
  /** Set while the spool's disk refuses writes (full, failing): the error. Its entries then wait in memory, and /health answers 503. */
  spoolFailing?: Maybe<Scalars['String']['output']>;
  /** Entries in the spool on disk (DATA_DIR/spool), waiting for the store; replayed when it answers. */
  spooled: Scalars['Int']['output'];
  writeFailures: Scalars['Int']['output'];
  written: Scalars['Int']['output'];
};

/**
 * The configs that share a proxy model name, and how requests for it are routed: tiers by priority,
 * weights inside a tier, then the fallback groups in order (theirs in turn).
 */
export type ModelGroup = {
  __typename?: 'ModelGroup';
  /** Every config of the group, disabled ones included. */
  configs: Array<ProxyConfig>;
  /** Groups a 400 context_length_exceeded goes to instead of back to the client (say, larger-context models). */
  contextFallbacks: Array<Scalars['String']['output']>;
  /** Groups tried, in order, once this group's own configs are exhausted. */
  fallbacks: Array<Scalars['String']['output']>;
  /** Attempts of one request at most, the first included (default 3). */
  maxAttempts: Scalars['Int']['output'];
  /** The proxy model name. */
  name: Scalars['String']['output'];
  /** Statuses tried again on another config (default 408, 429, 500, 502, 503, 504, 529). */
  retryOnStatus: Array<Scalars['Int']['output']>;
  /** When its settings were last changed; null while it has the defaults. */
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
};

export type ModelGroupInput = {
  contextFallbacks?: InputMaybe<Array<Scalars['String']['input']>>;
  fallbacks?: InputMaybe<Array<Scalars['String']['input']>>;
  maxAttempts?: InputMaybe<Scalars['Int']['input']>;
  retryOnStatus?: InputMaybe<Array<Scalars['Int']['input']>>;
};

export type ModelStats = {
  __typename?: 'ModelStats';
  model?: Maybe<Scalars['String']['output']>;
  summary: StatsSummary;
};

export type Mutation = {
  __typename?: 'Mutation';
  /** A new client key; its secret is in the answer, and never again. */
  createApiKey: CreatedApiKey;
  createConfig: ProxyConfig;
  /** False when no config has this id. */
  deleteConfig: Scalars['Boolean']['output'];
  /** Deletes the log entries matching the filter (in batches); returns how many were deleted. */
  deleteLogs: Scalars['Int']['output'];
  /**
   * Imports an export document: a config with the same proxy model name and backend URL as a stored
   * one updates it, others are created; with `replace`, stored configs not in the document are
   * deleted. A malformed document is refused whole, naming the bad entry; nothing is half-imported.
   */
  importConfigs: ImportResult;
  /** Revokes the key for good: every replica refuses it within 5 s. Revoking a revoked key changes nothing. */
  revokeApiKey: ApiKey;
  /** Fields left out keep their value; null clears a limit. */
  updateApiKey: ApiKey;
  /** Fields left out keep their value; `apiKey: null` clears the stored key. */
  updateConfig: ProxyConfig;
  /**
   * Changes a group's routing settings. Fields left out keep their value; null resets one to its
   * default. A fallback cycle, an unknown group, maxAttempts outside 1-10 or a status outside
   * 400-599 is refused, and nothing is stored.
   */
  updateModelGroup: ModelGroup;
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationCreateConfigArgs = {
  input: CreateConfigInput;
};


export type MutationDeleteConfigArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteLogsArgs = {
  filter: LogFilter;
};


export type MutationImportConfigsArgs = {
  document: Scalars['JSON']['input'];
  replace?: InputMaybe<Scalars['Boolean']['input']>;
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationUpdateApiKeyArgs = {
  id: Scalars['ID']['input'];
  input: UpdateApiKeyInput;
};


export type MutationUpdateConfigArgs = {
  id: Scalars['ID']['input'];
  input: UpdateConfigInput;
};


export type MutationUpdateModelGroupArgs = {
  input: ModelGroupInput;
  name: Scalars['String']['input'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

/** US dollars per million tokens. */
export type Price = {
  __typename?: 'Price';
  cachedInput: Scalars['Float']['output'];
  input: Scalars['Float']['output'];
  model?: Maybe<Scalars['String']['output']>;
  output: Scalars['Float']['output'];
  /** The price list's provider and model, when it priced the config. */
  provider?: Maybe<Scalars['String']['output']>;
  /** CONFIG: the config's own prices; LIST: the price list (@pydantic/genai-prices) by the backend model. */
  source: PriceSource;
};

export type PriceSource =
  | 'CONFIG'
  | 'LIST';

/**
 * Maps a client-visible model name to a backend. Configs that share a proxyModelName form a group;
 * requests rotate between its enabled members.
 */
export type ProxyConfig = {
  __typename?: 'ProxyConfig';
  /** A short hint such as `sk-…9c`. */
  apiKeyPreview?: Maybe<Scalars['String']['output']>;
  /** Set when the stored key cannot be read with this server's SECRET_KEY (sealed under another one): the config serves nothing until the right key is given, or a new apiKey is set. */
  apiKeyUnreadable?: Maybe<Scalars['String']['output']>;
  backendModelName: Scalars['String']['output'];
  /** The backend's API root, version segment included, e.g. https://api.openai.com/v1. */
  baseUrl: Scalars['String']['output'];
  /** US dollars per million cached input tokens; null: the input price. */
  cachedInputPrice?: Maybe<Scalars['Float']['output']>;
  createdAt: Scalars['DateTime']['output'];
  enabled: Scalars['Boolean']['output'];
  /** The key itself is write-only. */
  hasApiKey: Scalars['Boolean']['output'];
  /** Its breaker, as this server sees it. */
  health: BackendHealth;
  id: Scalars['ID']['output'];
  ignoreSslVerify: Scalars['Boolean']['output'];
  /** Ask the backend for a stream's usage (stream_options.include_usage) when the client did not, and keep that usage event from the client; false for backends that refuse stream_options. */
  injectStreamUsage: Scalars['Boolean']['output'];
  /** US dollars per million input tokens. With none of the three prices set, the price list prices the backend model (see price). */
  inputPrice?: Maybe<Scalars['Float']['output']>;
  /** US dollars per million output tokens. */
  outputPrice?: Maybe<Scalars['Float']['output']>;
  /** What this config's exchanges are charged at, and where that comes from; null: nothing prices it (its entries cost null). */
  price?: Maybe<Price>;
  /** Its tier: the lowest tier with a config that can take a request serves it; the next tier when all of it failed. */
  priority: Scalars['Int']['output'];
  proxyModelName: Scalars['String']['output'];
  /** Time allowed until the backend's first byte; null means the default (600000). */
  timeoutMs?: Maybe<Scalars['Int']['output']>;
  updatedAt: Scalars['DateTime']['output'];
  /** Its share of its tier's requests (smooth weighted round-robin); 0: only when nothing else in the tier can serve. */
  weight: Scalars['Int']['output'];
};

export type Query = {
  __typename?: 'Query';
  apiKey?: Maybe<ApiKey>;
  /** The client keys for /v1, oldest first, revoked ones included. Secrets are never returned. */
  apiKeys: Array<ApiKey>;
  config?: Maybe<ProxyConfig>;
  /** All model configs, grouped by proxy model name. */
  configs: Array<ProxyConfig>;
  /**
   * Every config as an export document (the format `bun run cli export-configs` writes and
   * importConfigs reads). Keys are left out unless `withKeys` is true.
   */
  exportConfigs: Scalars['JSON']['output'];
  /** Server and store state, as /health reports it. */
  health: Health;
  log?: Maybe<LogEntry>;
  /** Log entries, newest first. `after` is the `endCursor` of the previous page. */
  logs: LogPage;
  modelGroup?: Maybe<ModelGroup>;
  /** Every group (the configs of one proxy model name), by name, with its routing settings. */
  modelGroups: Array<ModelGroup>;
  /**
   * Traffic between `from` and `to`, read from per-minute, per-model rollups that the log writer keeps
   * (so it costs the same whatever the number of log entries, and survives log retention). The window
   * is widened to whole buckets. At most 2,000 buckets.
   */
  stats: Stats;
};


export type QueryApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type QueryConfigArgs = {
  id: Scalars['ID']['input'];
};


export type QueryExportConfigsArgs = {
  withKeys?: InputMaybe<Scalars['Boolean']['input']>;
};


export type QueryLogArgs = {
  id: Scalars['ID']['input'];
};


export type QueryLogsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<LogFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryModelGroupArgs = {
  name: Scalars['String']['input'];
};


export type QueryStatsArgs = {
  bucket?: InputMaybe<StatsBucket>;
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
};

export type Stats = {
  __typename?: 'Stats';
  bucketSeconds: Scalars['Int']['output'];
  /** The window actually covered, aligned to buckets. */
  from: Scalars['DateTime']['output'];
  /** One row per client key with traffic in the window (refusals included), most requests first. */
  keys: Array<KeyStats>;
  /** One row per proxy model with traffic in the window, most requests first. `model` is null for requests no config routed (unknown models, /v1/models). */
  models: Array<ModelStats>;
  /** One point per bucket, oldest first, empty buckets included. */
  series: Array<StatsPoint>;
  to: Scalars['DateTime']['output'];
  total: StatsSummary;
};

export type StatsBucket =
  | 'DAY'
  | 'FIFTEEN_MINUTES'
  | 'FIVE_MINUTES'
  | 'HOUR'
  | 'MINUTE';

export type StatsPoint = {
  __typename?: 'StatsPoint';
  completionTokens: Scalars['Float']['output'];
  costUsd: Scalars['Float']['output'];
  durationP95Ms?: Maybe<Scalars['Float']['output']>;
  errors: Scalars['Float']['output'];
  promptTokens: Scalars['Float']['output'];
  requests: Scalars['Float']['output'];
  time: Scalars['DateTime']['output'];
};

export type StatsSummary = {
  __typename?: 'StatsSummary';
  /** Backend attempts: more than the requests when some were tried again on another config (entries from before 0.2.0 count none). */
  attempts: Scalars['Float']['output'];
  /** Mean over all requests. */
  avgDurationMs?: Maybe<Scalars['Float']['output']>;
  clientErrors: Scalars['Float']['output'];
  completionTokens: Scalars['Float']['output'];
  /** US dollars: the sum of the entries' costUsd (entries of unpriced models add nothing). */
  costUsd: Scalars['Float']['output'];
  /** Percentiles are read from fixed histograms (bins 2^½ apart, up to about 17 minutes): within about 19 % of the true value; longer times count as about 17 minutes. */
  durationP50Ms?: Maybe<Scalars['Float']['output']>;
  durationP95Ms?: Maybe<Scalars['Float']['output']>;
  /** errors / requests; 0 without requests. */
  errorRate: Scalars['Float']['output'];
  /** Answers with status 4xx or 5xx (499, a client that left, included). */
  errors: Scalars['Float']['output'];
  /** Requests answered by a config of a fallback group (context fallbacks included). */
  fallbacks: Scalars['Float']['output'];
  promptTokens: Scalars['Float']['output'];
  requests: Scalars['Float']['output'];
  /** Requests that tried more than one backend. */
  retried: Scalars['Float']['output'];
  serverErrors: Scalars['Float']['output'];
  ttftP50Ms?: Maybe<Scalars['Float']['output']>;
  ttftP95Ms?: Maybe<Scalars['Float']['output']>;
};

export type StoreHealth = {
  __typename?: 'StoreHealth';
  /** Bytes on disk (SQLite: file and WAL; MongoDB: storage size), when the store can tell. */
  bytes?: Maybe<Scalars['Float']['output']>;
  /** Since when the store has been failing; null while it works. */
  downSince?: Maybe<Scalars['DateTime']['output']>;
  kind: Scalars['String']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  lastErrorAt?: Maybe<Scalars['DateTime']['output']>;
  /** Log entries stored, as of the last size check (about once a minute). */
  logRows?: Maybe<Scalars['Float']['output']>;
  maxRows?: Maybe<Scalars['Float']['output']>;
  ok: Scalars['Boolean']['output'];
  /** Retention: LOG_RETENTION_DAYS (0 keeps forever) and LOG_MAX_ROWS (null: no cap). */
  retentionDays: Scalars['Int']['output'];
  /** Entries deleted by retention since the server started. */
  retentionDeleted: Scalars['Float']['output'];
  sizeCheckedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Log entries an upgrade still moves to this release's layout, in the background while the server serves; 0 when none. */
  upgradePendingRows: Scalars['Float']['output'];
};

export type Subscription = {
  __typename?: 'Subscription';
  /**
   * Sends a chat through the same pipeline as POST /v1/chat/completions (routed, streamed and logged
   * like client traffic). Events: one STARTED carrying the log id, then DELTA events as the backend
   * streams, then DONE or ERROR. Ending the subscription cancels the request to the backend.
   */
  chat: ChatEvent;
  /** Each new log entry once it is stored, filtered server-side. */
  logTail: LogEntry;
};


export type SubscriptionChatArgs = {
  input: ChatInput;
};


export type SubscriptionLogTailArgs = {
  filter?: InputMaybe<LogFilter>;
};

export type TokenUsage = {
  __typename?: 'TokenUsage';
  completionTokens?: Maybe<Scalars['Int']['output']>;
  promptTokens?: Maybe<Scalars['Int']['output']>;
  totalTokens?: Maybe<Scalars['Int']['output']>;
};

export type UpdateApiKeyInput = {
  allowedModels?: InputMaybe<Array<Scalars['String']['input']>>;
  budgetPeriod?: InputMaybe<BudgetPeriod>;
  budgetTokens?: InputMaybe<Scalars['Float']['input']>;
  budgetUsd?: InputMaybe<Scalars['Float']['input']>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  maxParallel?: InputMaybe<Scalars['Int']['input']>;
  metadata?: InputMaybe<Scalars['JSON']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  rpm?: InputMaybe<Scalars['Int']['input']>;
  tpm?: InputMaybe<Scalars['Int']['input']>;
};

export type UpdateConfigInput = {
  /** Absent keeps the stored key, null clears it. */
  apiKey?: InputMaybe<Scalars['String']['input']>;
  backendModelName?: InputMaybe<Scalars['String']['input']>;
  baseUrl?: InputMaybe<Scalars['String']['input']>;
  cachedInputPrice?: InputMaybe<Scalars['Float']['input']>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  ignoreSslVerify?: InputMaybe<Scalars['Boolean']['input']>;
  /** null: back to true. */
  injectStreamUsage?: InputMaybe<Scalars['Boolean']['input']>;
  /** Absent keeps a price, null clears it. */
  inputPrice?: InputMaybe<Scalars['Float']['input']>;
  outputPrice?: InputMaybe<Scalars['Float']['input']>;
  /** null: back to 0. */
  priority?: InputMaybe<Scalars['Int']['input']>;
  proxyModelName?: InputMaybe<Scalars['String']['input']>;
  timeoutMs?: InputMaybe<Scalars['Int']['input']>;
  /** null: back to 1. */
  weight?: InputMaybe<Scalars['Int']['input']>;
};

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  ApiKey: ResolverTypeWrapper<ApiKeyRow>;
  Attempt: ResolverTypeWrapper<Attempt>;
  BackendHealth: ResolverTypeWrapper<BackendHealth>;
  BackendState: BackendState;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  BudgetPeriod: BudgetPeriod;
  ChatEvent: ResolverTypeWrapper<ChatEvent>;
  ChatEventType: ChatEventType;
  ChatInput: ChatInput;
  ChatMessageInput: ChatMessageInput;
  ChatRole: ChatRole;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateConfigInput: CreateConfigInput;
  CreatedApiKey: ResolverTypeWrapper<Omit<CreatedApiKey, 'key'> & { key: ResolversTypes['ApiKey'] }>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  Health: ResolverTypeWrapper<HealthParent>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  ImportResult: ResolverTypeWrapper<ImportResult>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  KeyStats: ResolverTypeWrapper<Omit<KeyStats, 'key'> & { key?: Maybe<ResolversTypes['ApiKey']> }>;
  KeyUsage: ResolverTypeWrapper<KeyUsage>;
  LogEntry: ResolverTypeWrapper<LogEntryParent>;
  LogFilter: LogFilter;
  LogPage: ResolverTypeWrapper<Omit<LogPage, 'nodes'> & { nodes: Array<ResolversTypes['LogEntry']> }>;
  LogQueueHealth: ResolverTypeWrapper<LogQueueHealth>;
  ModelGroup: ResolverTypeWrapper<ModelGroupView>;
  ModelGroupInput: ModelGroupInput;
  ModelStats: ResolverTypeWrapper<ModelStats>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Price: ResolverTypeWrapper<Price>;
  PriceSource: PriceSource;
  ProxyConfig: ResolverTypeWrapper<ConfigRow>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Stats: ResolverTypeWrapper<Omit<Stats, 'keys'> & { keys: Array<ResolversTypes['KeyStats']> }>;
  StatsBucket: StatsBucket;
  StatsPoint: ResolverTypeWrapper<StatsPoint>;
  StatsSummary: ResolverTypeWrapper<StatsSummary>;
  StoreHealth: ResolverTypeWrapper<StoreHealth>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  TokenUsage: ResolverTypeWrapper<TokenUsage>;
  UpdateApiKeyInput: UpdateApiKeyInput;
  UpdateConfigInput: UpdateConfigInput;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  ApiKey: ApiKeyRow;
  Attempt: Attempt;
  BackendHealth: BackendHealth;
  Boolean: Scalars['Boolean']['output'];
  ChatEvent: ChatEvent;
  ChatInput: ChatInput;
  ChatMessageInput: ChatMessageInput;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateConfigInput: CreateConfigInput;
  CreatedApiKey: Omit<CreatedApiKey, 'key'> & { key: ResolversParentTypes['ApiKey'] };
  DateTime: Scalars['DateTime']['output'];
  Float: Scalars['Float']['output'];
  Health: HealthParent;
  ID: Scalars['ID']['output'];
  ImportResult: ImportResult;
  Int: Scalars['Int']['output'];
  JSON: Scalars['JSON']['output'];
  KeyStats: Omit<KeyStats, 'key'> & { key?: Maybe<ResolversParentTypes['ApiKey']> };
  KeyUsage: KeyUsage;
  LogEntry: LogEntryParent;
  LogFilter: LogFilter;
  LogPage: Omit<LogPage, 'nodes'> & { nodes: Array<ResolversParentTypes['LogEntry']> };
  LogQueueHealth: LogQueueHealth;
  ModelGroup: ModelGroupView;
  ModelGroupInput: ModelGroupInput;
  ModelStats: ModelStats;
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Price: Price;
  ProxyConfig: ConfigRow;
  Query: Record<PropertyKey, never>;
  Stats: Omit<Stats, 'keys'> & { keys: Array<ResolversParentTypes['KeyStats']> };
  StatsPoint: StatsPoint;
  StatsSummary: StatsSummary;
  StoreHealth: StoreHealth;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  TokenUsage: TokenUsage;
  UpdateApiKeyInput: UpdateApiKeyInput;
  UpdateConfigInput: UpdateConfigInput;
}>;

export type ApiKeyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ApiKey'] = ResolversParentTypes['ApiKey']> = ResolversObject<{
  allowedModels?: Resolver<Maybe<Array<ResolversTypes['String']>>, ParentType, ContextType>;
  budgetPeriod?: Resolver<Maybe<ResolversTypes['BudgetPeriod']>, ParentType, ContextType>;
  budgetTokens?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  budgetUsd?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  enabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  maxParallel?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  metadata?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  publicId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  rpm?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  tpm?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  usage?: Resolver<ResolversTypes['KeyUsage'], ParentType, ContextType>;
}>;

export type AttemptResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Attempt'] = ResolversParentTypes['Attempt']> = ResolversObject<{
  backendModel?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  configId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  durationMs?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  error?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  model?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  statusCode?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  ttftMs?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  upstreamUrl?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type BackendHealthResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['BackendHealth'] = ResolversParentTypes['BackendHealth']> = ResolversObject<{
  consecutiveFailures?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  cooldownUntil?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastErrorAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  state?: Resolver<ResolversTypes['BackendState'], ParentType, ContextType>;
}>;

export type ChatEventResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ChatEvent'] = ResolversParentTypes['ChatEvent']> = ResolversObject<{
  content?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  durationMs?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  error?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  finishReason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  logId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  reasoning?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  ttftMs?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['ChatEventType'], ParentType, ContextType>;
  usage?: Resolver<Maybe<ResolversTypes['TokenUsage']>, ParentType, ContextType>;
}>;

export type CreatedApiKeyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['CreatedApiKey'] = ResolversParentTypes['CreatedApiKey']> = ResolversObject<{
  key?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
  secret?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type HealthResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Health'] = ResolversParentTypes['Health']> = ResolversObject<{
  logQueue?: Resolver<ResolversTypes['LogQueueHealth'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  store?: Resolver<ResolversTypes['StoreHealth'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type ImportResultResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ImportResult'] = ResolversParentTypes['ImportResult']> = ResolversObject<{
  created?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  deleted?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  groups?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  unchanged?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  updated?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export interface JsonScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSON'], any> {
  name: 'JSON';
}

export type KeyStatsResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['KeyStats'] = ResolversParentTypes['KeyStats']> = ResolversObject<{
  apiKeyId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  key?: Resolver<Maybe<ResolversTypes['ApiKey']>, ParentType, ContextType>;
  summary?: Resolver<ResolversTypes['StatsSummary'], ParentType, ContextType>;
}>;

export type KeyUsageResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['KeyUsage'] = ResolversParentTypes['KeyUsage']> = ResolversObject<{
  completionTokens?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  costUsd?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  periodEnd?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  periodStart?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  promptTokens?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  requests?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
}>;

export type LogEntryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['LogEntry'] = ResolversParentTypes['LogEntry']> = ResolversObject<{
  apiKeyId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  apiKeyName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  attemptCount?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  attempts?: Resolver<Array<ResolversTypes['Attempt']>, ParentType, ContextType>;
  backendModel?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  chunks?: Resolver<Maybe<Array<Maybe<ResolversTypes['JSON']>>>, ParentType, ContextType>;
  clientIp?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  completionTokens?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  configId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  costUsd?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  durationMs?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  error?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  method?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  model?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  path?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  promptTokens?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  requestBody?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  requestHeaders?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  responseBody?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  responseHeaders?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  statusCode?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  stream?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  streamContent?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  totalTokens?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  ttftMs?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  upstreamUrl?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  usageEstimated?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  userAgent?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type LogPageResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['LogPage'] = ResolversParentTypes['LogPage']> = ResolversObject<{
  nodes?: Resolver<Array<ResolversTypes['LogEntry']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  totalCountExact?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type LogQueueHealthResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['LogQueueHealth'] = ResolversParentTypes['LogQueueHealth']> = ResolversObject<{
  depth?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  dropped?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  spoolBytes?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  spoolDropped?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  spoolFailing?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  spooled?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  writeFailures?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  written?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type ModelGroupResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ModelGroup'] = ResolversParentTypes['ModelGroup']> = ResolversObject<{
  configs?: Resolver<Array<ResolversTypes['ProxyConfig']>, ParentType, ContextType>;
  contextFallbacks?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  fallbacks?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  maxAttempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  retryOnStatus?: Resolver<Array<ResolversTypes['Int']>, ParentType, ContextType>;
  updatedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
}>;

export type ModelStatsResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ModelStats'] = ResolversParentTypes['ModelStats']> = ResolversObject<{
  model?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  summary?: Resolver<ResolversTypes['StatsSummary'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  createApiKey?: Resolver<ResolversTypes['CreatedApiKey'], ParentType, ContextType, RequireFields<MutationCreateApiKeyArgs, 'input'>>;
  createConfig?: Resolver<ResolversTypes['ProxyConfig'], ParentType, ContextType, RequireFields<MutationCreateConfigArgs, 'input'>>;
  deleteConfig?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationDeleteConfigArgs, 'id'>>;
  deleteLogs?: Resolver<ResolversTypes['Int'], ParentType, ContextType, RequireFields<MutationDeleteLogsArgs, 'filter'>>;
  importConfigs?: Resolver<ResolversTypes['ImportResult'], ParentType, ContextType, RequireFields<MutationImportConfigsArgs, 'document' | 'replace'>>;
  revokeApiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType, RequireFields<MutationRevokeApiKeyArgs, 'id'>>;
  updateApiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType, RequireFields<MutationUpdateApiKeyArgs, 'id' | 'input'>>;
  updateConfig?: Resolver<ResolversTypes['ProxyConfig'], ParentType, ContextType, RequireFields<MutationUpdateConfigArgs, 'id' | 'input'>>;
  updateModelGroup?: Resolver<ResolversTypes['ModelGroup'], ParentType, ContextType, RequireFields<MutationUpdateModelGroupArgs, 'input' | 'name'>>;
}>;

export type PageInfoResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type PriceResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Price'] = ResolversParentTypes['Price']> = ResolversObject<{
  cachedInput?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  input?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  model?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  output?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  provider?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  source?: Resolver<ResolversTypes['PriceSource'], ParentType, ContextType>;
}>;

export type ProxyConfigResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ProxyConfig'] = ResolversParentTypes['ProxyConfig']> = ResolversObject<{
  apiKeyPreview?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  apiKeyUnreadable?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  backendModelName?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  baseUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  cachedInputPrice?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  enabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasApiKey?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  health?: Resolver<ResolversTypes['BackendHealth'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  ignoreSslVerify?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  injectStreamUsage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  inputPrice?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  outputPrice?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  price?: Resolver<Maybe<ResolversTypes['Price']>, ParentType, ContextType>;
  priority?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  proxyModelName?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  timeoutMs?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  weight?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  apiKey?: Resolver<Maybe<ResolversTypes['ApiKey']>, ParentType, ContextType, RequireFields<QueryApiKeyArgs, 'id'>>;
  apiKeys?: Resolver<Array<ResolversTypes['ApiKey']>, ParentType, ContextType>;
  config?: Resolver<Maybe<ResolversTypes['ProxyConfig']>, ParentType, ContextType, RequireFields<QueryConfigArgs, 'id'>>;
  configs?: Resolver<Array<ResolversTypes['ProxyConfig']>, ParentType, ContextType>;
  exportConfigs?: Resolver<ResolversTypes['JSON'], ParentType, ContextType, RequireFields<QueryExportConfigsArgs, 'withKeys'>>;
  health?: Resolver<ResolversTypes['Health'], ParentType, ContextType>;
  log?: Resolver<Maybe<ResolversTypes['LogEntry']>, ParentType, ContextType, RequireFields<QueryLogArgs, 'id'>>;
  logs?: Resolver<ResolversTypes['LogPage'], ParentType, ContextType, RequireFields<QueryLogsArgs, 'first'>>;
  modelGroup?: Resolver<Maybe<ResolversTypes['ModelGroup']>, ParentType, ContextType, RequireFields<QueryModelGroupArgs, 'name'>>;
  modelGroups?: Resolver<Array<ResolversTypes['ModelGroup']>, ParentType, ContextType>;
  stats?: Resolver<ResolversTypes['Stats'], ParentType, ContextType, RequireFields<QueryStatsArgs, 'bucket' | 'from' | 'to'>>;
}>;

export type StatsResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Stats'] = ResolversParentTypes['Stats']> = ResolversObject<{
  bucketSeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  from?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  keys?: Resolver<Array<ResolversTypes['KeyStats']>, ParentType, ContextType>;
  models?: Resolver<Array<ResolversTypes['ModelStats']>, ParentType, ContextType>;
  series?: Resolver<Array<ResolversTypes['StatsPoint']>, ParentType, ContextType>;
  to?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  total?: Resolver<ResolversTypes['StatsSummary'], ParentType, ContextType>;
}>;

export type StatsPointResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['StatsPoint'] = ResolversParentTypes['StatsPoint']> = ResolversObject<{
  completionTokens?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  costUsd?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  durationP95Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  errors?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  promptTokens?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  requests?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  time?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
}>;

export type StatsSummaryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['StatsSummary'] = ResolversParentTypes['StatsSummary']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  avgDurationMs?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  clientErrors?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  completionTokens?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  costUsd?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  durationP50Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  durationP95Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  errorRate?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  errors?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  fallbacks?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  promptTokens?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  requests?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  retried?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  serverErrors?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  ttftP50Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  ttftP95Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
}>;

export type StoreHealthResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['StoreHealth'] = ResolversParentTypes['StoreHealth']> = ResolversObject<{
  bytes?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  downSince?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastErrorAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  logRows?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  maxRows?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  ok?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  retentionDays?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  retentionDeleted?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  sizeCheckedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  upgradePendingRows?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
}>;

export type SubscriptionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = ResolversObject<{
  chat?: SubscriptionResolver<ResolversTypes['ChatEvent'], "chat", ParentType, ContextType, RequireFields<SubscriptionChatArgs, 'input'>>;
  logTail?: SubscriptionResolver<ResolversTypes['LogEntry'], "logTail", ParentType, ContextType, Partial<SubscriptionLogTailArgs>>;
}>;

export type TokenUsageResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TokenUsage'] = ResolversParentTypes['TokenUsage']> = ResolversObject<{
  completionTokens?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  promptTokens?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  totalTokens?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
}>;

export type Resolvers<ContextType = GraphQLContext> = ResolversObject<{
  ApiKey?: ApiKeyResolvers<ContextType>;
  Attempt?: AttemptResolvers<ContextType>;
  BackendHealth?: BackendHealthResolvers<ContextType>;
  ChatEvent?: ChatEventResolvers<ContextType>;
  CreatedApiKey?: CreatedApiKeyResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Health?: HealthResolvers<ContextType>;
  ImportResult?: ImportResultResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  KeyStats?: KeyStatsResolvers<ContextType>;
  KeyUsage?: KeyUsageResolvers<ContextType>;
  LogEntry?: LogEntryResolvers<ContextType>;
  LogPage?: LogPageResolvers<ContextType>;
  LogQueueHealth?: LogQueueHealthResolvers<ContextType>;
  ModelGroup?: ModelGroupResolvers<ContextType>;
  ModelStats?: ModelStatsResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Price?: PriceResolvers<ContextType>;
  ProxyConfig?: ProxyConfigResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Stats?: StatsResolvers<ContextType>;
  StatsPoint?: StatsPointResolvers<ContextType>;
  StatsSummary?: StatsSummaryResolvers<ContextType>;
  StoreHealth?: StoreHealthResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  TokenUsage?: TokenUsageResolvers<ContextType>;
}>;

