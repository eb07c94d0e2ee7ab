/** Every GraphQL operation the admin sends, next to the types of what it reads. */
import { gql } from '@urql/core';

export interface ProxyConfig {
  id: string;
  proxyModelName: string;
  baseUrl: string;
  backendModelName: string;
  hasApiKey: boolean;
  apiKeyPreview: string | null;
  ignoreSslVerify: boolean;
  enabled: boolean;
  timeoutMs: number | null;
  updatedAt: string;
}

const CONFIG_FIELDS = `id proxyModelName baseUrl backendModelName hasApiKey apiKeyPreview ignoreSslVerify enabled timeoutMs updatedAt`;

export const CONFIGS = gql<{ configs: ProxyConfig[] }>(`query Configs { configs { ${CONFIG_FIELDS} } }`);

export const CREATE_CONFIG = gql<{ createConfig: ProxyConfig }>(
  `mutation CreateConfig($input: CreateConfigInput!) { createConfig(input: $input) { ${CONFIG_FIELDS} } }`,
);

export const UPDATE_CONFIG = gql<{ updateConfig: ProxyConfig }>(
  `mutation UpdateConfig($id: ID!, $input: UpdateConfigInput!) { updateConfig(id: $id, input: $input) { ${CONFIG_FIELDS} } }`,
);

export const DELETE_CONFIG = gql<{ deleteConfig: boolean }>(`mutation DeleteConfig($id: ID!) { deleteConfig(id: $id) }`);

export interface LogSummary {
  id: string;
  timestamp: string;
  method: string;
  path: string;
  model: string | null;
  backendModel: string | null;
  statusCode: number;
  stream: boolean;
  durationMs: number;
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  error: string | null;
}

export interface LogDetail extends LogSummary {
  upstreamUrl: string | null;
  clientIp: string | null;
  userAgent: string | null;
  requestHeaders: Record<string, unknown> | null;
  requestBody: unknown;
  responseHeaders: Record<string, unknown> | null;
  responseBody: unknown;
  streamContent: string | null;
  chunks: unknown[] | null;
}

export interface LogFilter {
  from?: string;
  to?: string;
  method?: string;
  statusClass?: number;
  path?: string;
  model?: string;
  stream?: boolean;
}

const LOG_FIELDS = `id timestamp method path model backendModel statusCode stream durationMs ttftMs promptTokens completionTokens totalTokens error`;

export const LOGS = gql<{ logs: { nodes: LogSummary[]; totalCount: number; pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(
  `query Logs($filter: LogFilter, $first: Int, $after: String) { logs(filter: $filter, first: $first, after: $after) { nodes { ${LOG_FIELDS} } totalCount pageInfo { endCursor hasNextPage } } }`,
);

export const LOG = gql<{ log: LogDetail | null }>(
  `query Log($id: ID!) { log(id: $id) { ${LOG_FIELDS} upstreamUrl clientIp userAgent requestHeaders requestBody responseHeaders responseBody streamContent chunks } }`,
);

export const LOG_TAIL = gql<{ logTail: LogSummary }>(`subscription LogTail($filter: LogFilter) { logTail(filter: $filter) { ${LOG_FIELDS} } }`);

/** What importConfigs did; the export document itself is opaque JSON here (the server validates it on import). */
export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export const EXPORT_CONFIGS = gql<{ exportConfigs: unknown }, { withKeys: boolean }>(
  `query ExportConfigs($withKeys: Boolean) { exportConfigs(withKeys: $withKeys) }`,
);

export const IMPORT_CONFIGS = gql<{ importConfigs: ImportResult }, { document: unknown; replace: boolean }>(
  `mutation ImportConfigs($document: JSON!, $replace: Boolean) { importConfigs(document: $document, replace: $replace) { created updated unchanged deleted } }`,
);

export const DELETE_LOGS = gql<{ deleteLogs: number }, { filter: LogFilter }>(
  `mutation DeleteLogs($filter: LogFilter!) { deleteLogs(filter: $filter) }`,
);
