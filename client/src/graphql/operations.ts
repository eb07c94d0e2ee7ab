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
