/**
 * The GraphQL names issues 12 (client keys) and 13 (routing) promise clients (their "GraphQL
 * contract"): every type, field, argument and enum value below exists in schema.graphql with
 * exactly this type. The schema may have more; it may not have less or different.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, type GraphQLField, type GraphQLInputField, isEnumType, isInputObjectType, isObjectType } from 'graphql';

const CONTRACT = `
scalar DateTime
scalar JSON
type Query { apiKeys: [ApiKey!]!  apiKey(id: ID!): ApiKey }
type Mutation { createApiKey(input: CreateApiKeyInput!): CreatedApiKey!
  updateApiKey(id: ID!, input: UpdateApiKeyInput!): ApiKey!  revokeApiKey(id: ID!): ApiKey! }
type CreatedApiKey { key: ApiKey!  secret: String! }
type ApiKey { id: ID! name: String! publicId: String! allowedModels: [String!] rpm: Int tpm: Int maxParallel: Int
  budgetTokens: Float budgetUsd: Float budgetPeriod: BudgetPeriod expiresAt: DateTime enabled: Boolean!
  revokedAt: DateTime metadata: JSON createdAt: DateTime! lastUsedAt: DateTime usage: KeyUsage! }
type KeyUsage { periodStart: DateTime periodEnd: DateTime requests: Float! promptTokens: Float! completionTokens: Float! costUsd: Float! }
enum BudgetPeriod { DAY WEEK MONTH TOTAL }
input CreateApiKeyInput { name: String! allowedModels: [String!] rpm: Int tpm: Int maxParallel: Int budgetTokens: Float budgetUsd: Float
  budgetPeriod: BudgetPeriod expiresAt: DateTime enabled: Boolean metadata: JSON }
input UpdateApiKeyInput { name: String allowedModels: [String!] rpm: Int tpm: Int maxParallel: Int budgetTokens: Float budgetUsd: Float
  budgetPeriod: BudgetPeriod expiresAt: DateTime enabled: Boolean metadata: JSON }
type LogEntry { apiKeyId: ID apiKeyName: String costUsd: Float }
input LogFilter { apiKeyId: ID }
type Stats { keys: [KeyStats!]! }
type KeyStats { key: ApiKey summary: StatsSummary! }
type StatsSummary { costUsd: Float! }
`;

const ROUTING_CONTRACT = `
scalar DateTime
type ModelGroup { name: String!  configs: [ProxyConfig!]!  fallbacks: [String!]!  contextFallbacks: [String!]!
  maxAttempts: Int!  retryOnStatus: [Int!]! }
input ModelGroupInput { fallbacks: [String!] contextFallbacks: [String!] maxAttempts: Int retryOnStatus: [Int!] }
type Query { modelGroups: [ModelGroup!]! }
type Mutation { updateModelGroup(name: String!, input: ModelGroupInput!): ModelGroup! }
type ProxyConfig { weight: Int! priority: Int! injectStreamUsage: Boolean! health: BackendHealth! }
input CreateConfigInput { weight: Int priority: Int injectStreamUsage: Boolean }
input UpdateConfigInput { weight: Int priority: Int injectStreamUsage: Boolean }
type BackendHealth { state: BackendState! consecutiveFailures: Int! lastError: String lastErrorAt: DateTime cooldownUntil: DateTime }
enum BackendState { HEALTHY COOLING HALF_OPEN }
type Attempt { configId: ID backendModel: String upstreamUrl: String statusCode: Int error: String ttftMs: Float durationMs: Float }
type LogEntry { attempts: [Attempt!]! usageEstimated: Boolean! }
input LogFilter { retried: Boolean }
type StatsSummary { attempts: Float! retried: Float! fallbacks: Float! }
`;

const ours = buildSchema(readFileSync(join(import.meta.dir, '../schema.graphql'), 'utf8'));
const contracts = { 'client keys (issue 12)': buildSchema(CONTRACT), 'routing (issue 13)': buildSchema(ROUTING_CONTRACT) };

const signature = (f: GraphQLField<unknown, unknown> | GraphQLInputField) =>
  'args' in f ? `${f.args.map((a) => `${a.name}: ${a.type}`).join(', ')} → ${f.type}` : String(f.type);

for (const [what, promised] of Object.entries(contracts)) test(`${what}: every type, field, argument and enum value of the contract is in schema.graphql, with its type`, () => {
  const missing: string[] = [];
  for (const type of Object.values(promised.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const mine = ours.getType(type.name);
    if (!mine) {
      missing.push(`type ${type.name}`);
      continue;
    }
    if (isEnumType(type)) {
      const values = isEnumType(mine) ? mine.getValues().map((v) => v.name) : [];
      for (const v of type.getValues()) if (!values.includes(v.name)) missing.push(`${type.name}.${v.name}`);
    } else if (isObjectType(type) || isInputObjectType(type)) {
      if (!(isObjectType(mine) || isInputObjectType(mine))) {
        missing.push(`${type.name} is not an object type`);
        continue;
      }
      const fields = mine.getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>;
      for (const f of Object.values(type.getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>)) {
        const have = fields[f.name];
        if (!have) missing.push(`${type.name}.${f.name}`);
        else if (signature(have) !== signature(f)) missing.push(`${type.name}.${f.name}: ${signature(have)}, promised ${signature(f)}`);
      }
    }
  }
  expect(missing).toEqual([]);
});
