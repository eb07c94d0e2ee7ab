/**
 * The Keys page's operations (client keys for /v1). The secret is only ever in createApiKey's
 * answer; nothing else reads it.
 */
import { gql } from '@urql/core';
import type {
  ApiKeyFieldsFragment, ApiKeysQuery, ApiKeysQueryVariables, CreateApiKeyMutation, CreateApiKeyMutationVariables,
  RevokeApiKeyMutation, RevokeApiKeyMutationVariables, UpdateApiKeyMutation, UpdateApiKeyMutationVariables,
} from './generated.ts';

export type ApiKey = ApiKeyFieldsFragment;

const API_KEY_FIELDS = gql`
  fragment ApiKeyFields on ApiKey {
    id name publicId allowedModels rpm tpm maxParallel budgetTokens budgetUsd budgetPeriod expiresAt enabled revokedAt createdAt lastUsedAt
  }
`;

export const API_KEYS = gql<ApiKeysQuery, ApiKeysQueryVariables>`
  query ApiKeys { apiKeys { ...ApiKeyFields } }
  ${API_KEY_FIELDS}
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
