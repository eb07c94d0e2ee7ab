/**
 * The Keys page's operations (client keys for /v1), and the key names the Logs page filters by. The
 * secret is only ever in createApiKey's answer; nothing else reads it. updateApiKey takes the same
 * fields as createApiKey: one left out keeps its value, null clears it.
 */
import { gql } from '@urql/core';
import type {
  ApiKeyFieldsFragment, ApiKeysQuery, ApiKeysQueryVariables, CreateApiKeyMutation, CreateApiKeyMutationVariables,
  KeyNamesQuery, KeyNamesQueryVariables, RevokeApiKeyMutation, RevokeApiKeyMutationVariables, UpdateApiKeyMutation,
  UpdateApiKeyMutationVariables,
} from './generated.ts';

export type { BudgetPeriod, CreateApiKeyInput } from './generated.ts';
export type ApiKey = ApiKeyFieldsFragment;
/** Its use in the current budget period (all time without a period). */
export type KeyUsage = ApiKey['usage'];
export type KeyName = KeyNamesQuery['apiKeys'][number];

const API_KEY_FIELDS = gql`
  fragment ApiKeyFields on ApiKey {
    id name publicId allowedModels rpm tpm maxParallel budgetTokens budgetUsd budgetPeriod expiresAt enabled revokedAt metadata createdAt lastUsedAt
    usage { periodStart periodEnd requests promptTokens completionTokens costUsd }
  }
`;

export const API_KEYS = gql<ApiKeysQuery, ApiKeysQueryVariables>`
  query ApiKeys { apiKeys { ...ApiKeyFields } }
  ${API_KEY_FIELDS}
`;

/** What the Logs page's key filter lists: every key, revoked ones included (their entries stay). */
export const KEY_NAMES = gql<KeyNamesQuery, KeyNamesQueryVariables>`
  query KeyNames { apiKeys { id name revokedAt } }
`;

export const CREATE_API_KEY = gql<CreateApiKeyMutation, CreateApiKeyMutationVariables>`
  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret key { ...ApiKeyFields } } }
  ${API_KEY_FIELDS}
`;

export const UPDATE_API_KEY = gql<UpdateApiKeyMutation, UpdateApiKeyMutationVariables>`
  mutation UpdateApiKey($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { ...ApiKeyFields } }
  ${API_KEY_FIELDS}
`;

export const REVOKE_API_KEY = gql<RevokeApiKeyMutation, RevokeApiKeyMutationVariables>`
  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { ...ApiKeyFields } }
  ${API_KEY_FIELDS}
`;
