/* Generated from schema.graphql and client/src/graphql/*.ts by `bun run codegen`; do not edit. */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type BackendState =
  | 'COOLING'
  | 'HALF_OPEN'
  | 'HEALTHY';

export type BudgetPeriod =
  | 'DAY'
  | 'MONTH'
  | 'TOTAL'
  | 'WEEK';

export type ChatEventType =
  | 'DELTA'
  | 'DONE'
  | 'ERROR'
  | 'STARTED';

export type ChatInput = {
  /** Pins one config of the model's group (the Models page's Test button); it must belong to `model`. */
  configId?: string | number | null | undefined;
  maxTokens?: number | null | undefined;
  messages: Array<ChatMessageInput>;
  /** A proxy model name, as a client would send it. */
  model: string;
  temperature?: number | null | undefined;
};

export type ChatMessageInput = {
  content: string;
  role: ChatRole;
};

export type ChatRole =
  | 'ASSISTANT'
  | 'SYSTEM'
  | 'USER';

export type CreateApiKeyInput = {
  allowedModels?: Array<string> | null | undefined;
  budgetPeriod?: BudgetPeriod | null | undefined;
  budgetTokens?: number | null | undefined;
  budgetUsd?: number | null | undefined;
  enabled?: boolean | null | undefined;
  expiresAt?: string | null | undefined;
  maxParallel?: number | null | undefined;
  metadata?: unknown;
  name: string;
  rpm?: number | null | undefined;
  tpm?: number | null | undefined;
};

export type CreateConfigInput = {
  apiKey?: string | null | undefined;
  backendModelName: string;
  baseUrl: string;
  cachedInputPrice?: number | null | undefined;
  enabled?: boolean | null | undefined;
  ignoreSslVerify?: boolean | null | undefined;
  /** true when not given. */
  injectStreamUsage?: boolean | null | undefined;
  /** US dollars per million tokens (0 or more); none set: the price list's. */
  inputPrice?: number | null | undefined;
  outputPrice?: number | null | undefined;
  /** -1000 to 1000; 0 when not given. Lower is tried first. */
  priority?: number | null | undefined;
  proxyModelName: string;
  timeoutMs?: number | null | undefined;
  /** 0 to 1000; 1 when not given. */
  weight?: number | null | undefined;
};

export type LogFilter = {
  /** Entries of one client key (its id). */
  apiKeyId?: string | number | null | undefined;
  /** Inclusive. */
  from?: string | null | undefined;
  method?: string | null | undefined;
  /** The model as the client requested it. */
  model?: string | null | undefined;
  /** Substring of the path. */
  path?: string | null | undefined;
  /** true: entries that tried more than one backend; false: the others. */
  retried?: boolean | null | undefined;
  /** 2..5 means 2xx..5xx. */
  statusClass?: number | null | undefined;
  statusCode?: number | null | undefined;
  stream?: boolean | null | undefined;
  /** Inclusive. */
  to?: string | null | undefined;
};

export type ModelGroupInput = {
  contextFallbacks?: Array<string> | null | undefined;
  fallbacks?: Array<string> | null | undefined;
  maxAttempts?: number | null | undefined;
  retryOnStatus?: Array<number> | null | undefined;
};

export type PriceSource =
  | 'CONFIG'
  | 'LIST';

export type StatsBucket =
  | 'DAY'
  | 'FIFTEEN_MINUTES'
  | 'FIVE_MINUTES'
  | 'HOUR'
  | 'MINUTE';

export type UpdateApiKeyInput = {
  allowedModels?: Array<string> | null | undefined;
  budgetPeriod?: BudgetPeriod | null | undefined;
  budgetTokens?: number | null | undefined;
  budgetUsd?: number | null | undefined;
  enabled?: boolean | null | undefined;
  expiresAt?: string | null | undefined;
  maxParallel?: number | null | undefined;
  metadata?: unknown;
  name?: string | null | undefined;
  rpm?: number | null | undefined;
  tpm?: number | null | undefined;
};

export type UpdateConfigInput = {
  /** Absent keeps the stored key, null clears it. */
  apiKey?: string | null | undefined;
  backendModelName?: string | null | undefined;
  baseUrl?: string | null | undefined;
  cachedInputPrice?: number | null | undefined;
  enabled?: boolean | null | undefined;
  ignoreSslVerify?: boolean | null | undefined;
  /** null: back to true. */
  injectStreamUsage?: boolean | null | undefined;
  /** Absent keeps a price, null clears it. */
  inputPrice?: number | null | undefined;
  outputPrice?: number | null | undefined;
  /** null: back to 0. */
  priority?: number | null | undefined;
  proxyModelName?: string | null | undefined;
  timeoutMs?: number | null | undefined;
  /** null: back to 1. */
  weight?: number | null | undefined;
};

export type ChatSubscriptionVariables = Exact<{
  input: ChatInput;
}>;


export type ChatSubscription = { chat: { type: ChatEventType, logId: string, content: string | null, reasoning: string | null, status: number | null, finishReason: string | null, ttftMs: number | null, durationMs: number | null, error: string | null, usage: { promptTokens: number | null, completionTokens: number | null, totalTokens: number | null } | null } };

export type StatsSummaryFieldsFragment = { requests: number, errors: number, clientErrors: number, serverErrors: number, errorRate: number, promptTokens: number, completionTokens: number, costUsd: number, attempts: number, retried: number, fallbacks: number, avgDurationMs: number | null, durationP50Ms: number | null, durationP95Ms: number | null, ttftP50Ms: number | null, ttftP95Ms: number | null };

export type DashboardStatsQueryVariables = Exact<{
  from: string;
  to: string;
  bucket?: StatsBucket | null | undefined;
}>;


export type DashboardStatsQuery = { stats: { from: string, to: string, bucketSeconds: number, total: { requests: number, errors: number, clientErrors: number, serverErrors: number, errorRate: number, promptTokens: number, completionTokens: number, costUsd: number, attempts: number, retried: number, fallbacks: number, avgDurationMs: number | null, durationP50Ms: number | null, durationP95Ms: number | null, ttftP50Ms: number | null, ttftP95Ms: number | null }, models: Array<{ model: string | null, summary: { requests: number, errors: number, clientErrors: number, serverErrors: number, errorRate: number, promptTokens: number, completionTokens: number, costUsd: number, attempts: number, retried: number, fallbacks: number, avgDurationMs: number | null, durationP50Ms: number | null, durationP95Ms: number | null, ttftP50Ms: number | null, ttftP95Ms: number | null } }>, keys: Array<{ apiKeyId: string, key: { id: string, name: string, publicId: string } | null, summary: { requests: number, errors: number, clientErrors: number, serverErrors: number, errorRate: number, promptTokens: number, completionTokens: number, costUsd: number, attempts: number, retried: number, fallbacks: number, avgDurationMs: number | null, durationP50Ms: number | null, durationP95Ms: number | null, ttftP50Ms: number | null, ttftP95Ms: number | null } }>, series: Array<{ time: string, requests: number, errors: number }> } };

export type DashboardTickSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DashboardTickSubscription = { logTail: { id: string } };

export type DashboardHealthQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardHealthQuery = { health: { status: string, store: { kind: string, ok: boolean, lastError: string | null, downSince: string | null, logRows: number | null, bytes: number | null, sizeCheckedAt: string | null, retentionDays: number, maxRows: number | null, retentionDeleted: number }, logQueue: { depth: number, written: number, dropped: number, writeFailures: number, spooled: number, spoolDropped: number, spoolFailing: string | null } } };

export type ApiKeyFieldsFragment = { id: string, name: string, publicId: string, allowedModels: Array<string> | null, rpm: number | null, tpm: number | null, maxParallel: number | null, budgetTokens: number | null, budgetUsd: number | null, budgetPeriod: BudgetPeriod | null, expiresAt: string | null, enabled: boolean, revokedAt: string | null, metadata: unknown, createdAt: string, lastUsedAt: string | null, usage: { periodStart: string | null, periodEnd: string | null, requests: number, promptTokens: number, completionTokens: number, costUsd: number } };

export type ApiKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type ApiKeysQuery = { apiKeys: Array<{ id: string, name: string, publicId: string, allowedModels: Array<string> | null, rpm: number | null, tpm: number | null, maxParallel: number | null, budgetTokens: number | null, budgetUsd: number | null, budgetPeriod: BudgetPeriod | null, expiresAt: string | null, enabled: boolean, revokedAt: string | null, metadata: unknown, createdAt: string, lastUsedAt: string | null, usage: { periodStart: string | null, periodEnd: string | null, requests: number, promptTokens: number, completionTokens: number, costUsd: number } }> };

export type KeyNamesQueryVariables = Exact<{ [key: string]: never; }>;


export type KeyNamesQuery = { apiKeys: Array<{ id: string, name: string, revokedAt: string | null }> };

export type CreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type CreateApiKeyMutation = { createApiKey: { secret: string, key: { id: string, name: string, publicId: string, allowedModels: Array<string> | null, rpm: number | null, tpm: number | null, maxParallel: number | null, budgetTokens: number | null, budgetUsd: number | null, budgetPeriod: BudgetPeriod | null, expiresAt: string | null, enabled: boolean, revokedAt: string | null, metadata: unknown, createdAt: string, lastUsedAt: string | null, usage: { periodStart: string | null, periodEnd: string | null, requests: number, promptTokens: number, completionTokens: number, costUsd: number } } } };

export type UpdateApiKeyMutationVariables = Exact<{
  id: string | number;
  input: UpdateApiKeyInput;
}>;


export type UpdateApiKeyMutation = { updateApiKey: { id: string, name: string, publicId: string, allowedModels: Array<string> | null, rpm: number | null, tpm: number | null, maxParallel: number | null, budgetTokens: number | null, budgetUsd: number | null, budgetPeriod: BudgetPeriod | null, expiresAt: string | null, enabled: boolean, revokedAt: string | null, metadata: unknown, createdAt: string, lastUsedAt: string | null, usage: { periodStart: string | null, periodEnd: string | null, requests: number, promptTokens: number, completionTokens: number, costUsd: number } } };

export type RevokeApiKeyMutationVariables = Exact<{
  id: string | number;
}>;


export type RevokeApiKeyMutation = { revokeApiKey: { id: string, name: string, publicId: string, allowedModels: Array<string> | null, rpm: number | null, tpm: number | null, maxParallel: number | null, budgetTokens: number | null, budgetUsd: number | null, budgetPeriod: BudgetPeriod | null, expiresAt: string | null, enabled: boolean, revokedAt: string | null, metadata: unknown, createdAt: string, lastUsedAt: string | null, usage: { periodStart: string | null, periodEnd: string | null, requests: number, promptTokens: number, completionTokens: number, costUsd: number } } };

export type BackendHealthFieldsFragment = { state: BackendState, consecutiveFailures: number, lastError: string | null, lastErrorAt: string | null, cooldownUntil: string | null };

export type ProxyConfigFieldsFragment = { id: string, proxyModelName: string, baseUrl: string, backendModelName: string, hasApiKey: boolean, apiKeyPreview: string | null, ignoreSslVerify: boolean, enabled: boolean, timeoutMs: number | null, updatedAt: string, inputPrice: number | null, cachedInputPrice: number | null, outputPrice: number | null, weight: number, priority: number, injectStreamUsage: boolean, price: { source: PriceSource, input: number, cachedInput: number, output: number, provider: string | null, model: string | null } | null, health: { state: BackendState, consecutiveFailures: number, lastError: string | null, lastErrorAt: string | null, cooldownUntil: string | null } };

export type LogSummaryFieldsFragment = { id: string, timestamp: string, method: string, path: string, model: string | null, backendModel: string | null, statusCode: number, stream: boolean, durationMs: number, ttftMs: number | null, promptTokens: number | null, completionTokens: number | null, totalTokens: number | null, error: string | null, apiKeyId: string | null, apiKeyName: string | null, costUsd: number | null, attemptCount: number | null };

export type ConfigsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConfigsQuery = { configs: Array<{ id: string, proxyModelName: string, baseUrl: string, backendModelName: string, hasApiKey: boolean, apiKeyPreview: string | null, ignoreSslVerify: boolean, enabled: boolean, timeoutMs: number | null, updatedAt: string, inputPrice: number | null, cachedInputPrice: number | null, outputPrice: number | null, weight: number, priority: number, injectStreamUsage: boolean, price: { source: PriceSource, input: number, cachedInput: number, output: number, provider: string | null, model: string | null } | null, health: { state: BackendState, consecutiveFailures: number, lastError: string | null, lastErrorAt: string | null, cooldownUntil: string | null } }> };

export type ConfigHealthQueryVariables = Exact<{ [key: string]: never; }>;


export type ConfigHealthQuery = { configs: Array<{ id: string, health: { state: BackendState, consecutiveFailures: number, lastError: string | null, lastErrorAt: string | null, cooldownUntil: string | null } }> };

export type CreateConfigMutationVariables = Exact<{
  input: CreateConfigInput;
}>;


export type CreateConfigMutation = { createConfig: { id: string, proxyModelName: string, baseUrl: string, backendModelName: string, hasApiKey: boolean, apiKeyPreview: string | null, ignoreSslVerify: boolean, enabled: boolean, timeoutMs: number | null, updatedAt: string, inputPrice: number | null, cachedInputPrice: number | null, outputPrice: number | null, weight: number, priority: number, injectStreamUsage: boolean, price: { source: PriceSource, input: number, cachedInput: number, output: number, provider: string | null, model: string | null } | null, health: { state: BackendState, consecutiveFailures: number, lastError: string | null, lastErrorAt: string | null, cooldownUntil: string | null } } };

export type UpdateConfigMutationVariables = Exact<{
  id: string | number;
  input: UpdateConfigInput;
}>;


export type UpdateConfigMutation = { updateConfig: { id: string, proxyModelName: string, baseUrl: string, backendModelName: string, hasApiKey: boolean, apiKeyPreview: string | null, ignoreSslVerify: boolean, enabled: boolean, timeoutMs: number | null, updatedAt: string, inputPrice: number | null, cachedInputPrice: number | null, outputPrice: number | null, weight: number, priority: number, injectStreamUsage: boolean, price: { source: PriceSource, input: number, cachedInput: number, output: number, provider: string | null, model: string | null } | null, health: { state: BackendState, consecutiveFailures: number, lastError: string | null, lastErrorAt: string | null, cooldownUntil: string | null } } };

export type DeleteConfigMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteConfigMutation = { deleteConfig: boolean };

export type ModelGroupFieldsFragment = { name: string, fallbacks: Array<string>, contextFallbacks: Array<string>, maxAttempts: number, retryOnStatus: Array<number>, updatedAt: string | null };

export type ModelGroupsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelGroupsQuery = { modelGroups: Array<{ name: string, fallbacks: Array<string>, contextFallbacks: Array<string>, maxAttempts: number, retryOnStatus: Array<number>, updatedAt: string | null }> };

export type UpdateModelGroupMutationVariables = Exact<{
  name: string;
  input: ModelGroupInput;
}>;


export type UpdateModelGroupMutation = { updateModelGroup: { name: string, fallbacks: Array<string>, contextFallbacks: Array<string>, maxAttempts: number, retryOnStatus: Array<number>, updatedAt: string | null } };

export type LogsQueryVariables = Exact<{
  filter?: LogFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type LogsQuery = { logs: { totalCount: number, totalCountExact: boolean, nodes: Array<{ id: string, timestamp: string, method: string, path: string, model: string | null, backendModel: string | null, statusCode: number, stream: boolean, durationMs: number, ttftMs: number | null, promptTokens: number | null, completionTokens: number | null, totalTokens: number | null, error: string | null, apiKeyId: string | null, apiKeyName: string | null, costUsd: number | null, attemptCount: number | null }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } } };

export type LogQueryVariables = Exact<{
  id: string | number;
}>;


export type LogQuery = { log: { upstreamUrl: string | null, clientIp: string | null, userAgent: string | null, requestHeaders: unknown, requestBody: unknown, responseHeaders: unknown, responseBody: unknown, streamContent: string | null, chunks: Array<unknown> | null, id: string, timestamp: string, method: string, path: string, model: string | null, backendModel: string | null, statusCode: number, stream: boolean, durationMs: number, ttftMs: number | null, promptTokens: number | null, completionTokens: number | null, totalTokens: number | null, error: string | null, apiKeyId: string | null, apiKeyName: string | null, costUsd: number | null, attemptCount: number | null, attempts: Array<{ configId: string | null, model: string | null, backendModel: string | null, upstreamUrl: string | null, statusCode: number | null, error: string | null, ttftMs: number | null, durationMs: number | null }> } | null };

export type LogTailSubscriptionVariables = Exact<{
  filter?: LogFilter | null | undefined;
}>;


export type LogTailSubscription = { logTail: { id: string, timestamp: string, method: string, path: string, model: string | null, backendModel: string | null, statusCode: number, stream: boolean, durationMs: number, ttftMs: number | null, promptTokens: number | null, completionTokens: number | null, totalTokens: number | null, error: string | null, apiKeyId: string | null, apiKeyName: string | null, costUsd: number | null, attemptCount: number | null } };

export type ExportConfigsQueryVariables = Exact<{
  withKeys?: boolean | null | undefined;
}>;


export type ExportConfigsQuery = { exportConfigs: unknown };

export type ImportConfigsMutationVariables = Exact<{
  document: unknown;
  replace?: boolean | null | undefined;
}>;


export type ImportConfigsMutation = { importConfigs: { created: number, updated: number, unchanged: number, deleted: number } };

export type DeleteLogsMutationVariables = Exact<{
  filter: LogFilter;
}>;


export type DeleteLogsMutation = { deleteLogs: number };
