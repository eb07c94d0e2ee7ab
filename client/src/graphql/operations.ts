/**
 * Every GraphQL operation the admin sends. The types of what they read and send are generated from
 * schema.graphql and these documents (`bun run codegen` writes generated.ts); the names below are the
 * ones the pages use.
 */
import { gql } from '@urql/core';
import type {
  BackendHealthFieldsFragment, ConfigHealthQuery, ConfigHealthQueryVariables, ConfigsQuery, ConfigsQueryVariables, CreateConfigMutation, CreateConfigMutationVariables, DeleteConfigMutation,
  DeleteConfigMutationVariables, DeleteLogsMutation, DeleteLogsMutationVariables, ExportConfigsQuery,
  ExportConfigsQueryVariables, ImportConfigsMutation, ImportConfigsMutationVariables, LogQuery, LogQueryVariables,
  LogsQuery, LogsQueryVariables, LogSummaryFieldsFragment, LogTailSubscription, LogTailSubscriptionVariables,
  ModelGroupFieldsFragment, ModelGroupsQuery, ModelGroupsQueryVariables, ProxyConfigFieldsFragment, UpdateConfigMutation,
  UpdateConfigMutationVariables, UpdateModelGroupMutation, UpdateModelGroupMutationVariables,
} from './generated.ts';

export type { CreateConfigInput, LogFilter, ModelGroupInput } from './generated.ts';
export type ProxyConfig = ProxyConfigFieldsFragment;
/** What a config's exchanges are charged at, and where that comes from; null when nothing prices it. */
export type Price = ProxyConfig['price'];
/** A config's breaker as this server sees it. */
export type BackendHealth = BackendHealthFieldsFragment;
export type LogSummary = LogSummaryFieldsFragment;
export type LogDetail = NonNullable<LogQuery['log']>;
/** One backend tried for an entry; the last one is the one whose answer the client got. */
export type Attempt = LogDetail['attempts'][number];
/** A group's routing settings (the configs of one proxy model name): fallback groups, attempts, retried statuses. */
export type ModelGroup = ModelGroupFieldsFragment;
/** What a group has while nothing is set (schema.graphql documents them; a null in ModelGroupInput puts them back). */
export const MODEL_GROUP_DEFAULTS = { maxAttempts: 3, retryOnStatus: [408, 429, 500, 502, 503, 504, 529] } as const;
/** What importConfigs did; the export document itself is opaque JSON here (the server validates it on import). */
export type ImportResult = ImportConfigsMutation['importConfigs'];

// Fragments are interpolated as documents (urql appends their definitions); codegen reads the
// template without the interpolations and finds the fragments among these documents by name.
const BACKEND_HEALTH_FIELDS = gql`
  fragment BackendHealthFields on BackendHealth { state consecutiveFailures lastError lastErrorAt cooldownUntil }
`;

const PROXY_CONFIG_FIELDS = gql`
  fragment ProxyConfigFields on ProxyConfig {
    id proxyModelName baseUrl backendModelName hasApiKey apiKeyPreview ignoreSslVerify enabled timeoutMs updatedAt
    inputPrice cachedInputPrice outputPrice price { source input cachedInput output provider model }
    weight priority injectStreamUsage health { ...BackendHealthFields }
  }
  ${BACKEND_HEALTH_FIELDS}
`;

const LOG_SUMMARY_FIELDS = gql`
  fragment LogSummaryFields on LogEntry {
    id timestamp method path model backendModel statusCode stream durationMs ttftMs promptTokens completionTokens totalTokens error
    apiKeyId apiKeyName costUsd attemptCount
  }
`;

export const CONFIGS = gql<ConfigsQuery, ConfigsQueryVariables>`
  query Configs { configs { ...ProxyConfigFields } }
  ${PROXY_CONFIG_FIELDS}
`;

/** What the Models page polls while it is open: each config's breaker, without re-reading the rest. */
export const CONFIG_HEALTH = gql<ConfigHealthQuery, ConfigHealthQueryVariables>`
  query ConfigHealth { configs { id health { ...BackendHealthFields } } }
  ${BACKEND_HEALTH_FIELDS}
`;

export const CREATE_CONFIG = gql<CreateConfigMutation, CreateConfigMutationVariables>`
  mutation CreateConfig($input: CreateConfigInput!) { createConfig(input: $input) { ...ProxyConfigFields } }
  ${PROXY_CONFIG_FIELDS}
`;

export const UPDATE_CONFIG = gql<UpdateConfigMutation, UpdateConfigMutationVariables>`
  mutation UpdateConfig($id: ID!, $input: UpdateConfigInput!) { updateConfig(id: $id, input: $input) { ...ProxyConfigFields } }
  ${PROXY_CONFIG_FIELDS}
`;

export const DELETE_CONFIG = gql<DeleteConfigMutation, DeleteConfigMutationVariables>`
  mutation DeleteConfig($id: ID!) { deleteConfig(id: $id) }
`;

const MODEL_GROUP_FIELDS = gql`
  fragment ModelGroupFields on ModelGroup { name fallbacks contextFallbacks maxAttempts retryOnStatus updatedAt }
`;

export const MODEL_GROUPS = gql<ModelGroupsQuery, ModelGroupsQueryVariables>`
  query ModelGroups { modelGroups { ...ModelGroupFields } }
  ${MODEL_GROUP_FIELDS}
`;

/** Fields left out of the input keep their values; a null puts the default back. */
export const UPDATE_MODEL_GROUP = gql<UpdateModelGroupMutation, UpdateModelGroupMutationVariables>`
  mutation UpdateModelGroup($name: String!, $input: ModelGroupInput!) { updateModelGroup(name: $name, input: $input) { ...ModelGroupFields } }
  ${MODEL_GROUP_FIELDS}
`;

export const LOGS = gql<LogsQuery, LogsQueryVariables>`
  query Logs($filter: LogFilter, $first: Int, $after: String) {
    logs(filter: $filter, first: $first, after: $after) {
      nodes { ...LogSummaryFields }
      totalCount
      totalCountExact
      pageInfo { endCursor hasNextPage }
    }
  }
  ${LOG_SUMMARY_FIELDS}
`;

export const LOG = gql<LogQuery, LogQueryVariables>`
  query Log($id: ID!) {
    log(id: $id) {
      ...LogSummaryFields
      upstreamUrl clientIp userAgent requestHeaders requestBody responseHeaders responseBody streamContent chunks
      attempts { configId model backendModel upstreamUrl statusCode error ttftMs durationMs }
    }
  }
  ${LOG_SUMMARY_FIELDS}
`;

export const LOG_TAIL = gql<LogTailSubscription, LogTailSubscriptionVariables>`
  subscription LogTail($filter: LogFilter) { logTail(filter: $filter) { ...LogSummaryFields } }
  ${LOG_SUMMARY_FIELDS}
`;

export const EXPORT_CONFIGS = gql<ExportConfigsQuery, ExportConfigsQueryVariables>`
  query ExportConfigs($withKeys: Boolean) { exportConfigs(withKeys: $withKeys) }
`;

export const IMPORT_CONFIGS = gql<ImportConfigsMutation, ImportConfigsMutationVariables>`
  mutation ImportConfigs($document: JSON!, $replace: Boolean) {
    importConfigs(document: $document, replace: $replace) { created updated unchanged deleted }
  }
`;

export const DELETE_LOGS = gql<DeleteLogsMutation, DeleteLogsMutationVariables>`
  mutation DeleteLogs($filter: LogFilter!) { deleteLogs(filter: $filter) }
`;
