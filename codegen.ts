import type { CodegenConfig } from '@graphql-codegen/cli';

// Both outputs come from schema.graphql and are committed; tests/codegen.test.ts fails when either is stale.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    // Resolver types; mappers tie GraphQL types to the store's rows.
    'server/graphql/generated.ts': {
      plugins: [{ add: { content: '/* Generated from schema.graphql by `bun run codegen`; do not edit. */' } }, 'typescript', 'typescript-resolvers'],
      config: {
        useIndexSignature: true,
        useTypeImports: true,
        contextType: './context.ts#GraphQLContext',
        mappers: {
          ProxyConfig: '../store/types.ts#ConfigRow',
          ApiKey: '../store/types.ts#ApiKeyRow',
          ModelGroup: '../configs/service.ts#ModelGroupView',
          LogEntry: './mappers.ts#LogEntryParent',
          Health: './mappers.ts#HealthParent',
        },
        scalars: { DateTime: 'Date', JSON: 'unknown' },
        enumsAsTypes: true,
      },
    },
    // The admin client's operation types, read from the gql`` documents in client/src/graphql.
    // typescript-operations 6 is standalone: it emits the enums and inputs the operations use, so the
    // `typescript` plugin is not added here (with it, every used enum and input is declared twice).
    'client/src/graphql/generated.ts': {
      documents: ['client/src/graphql/*.ts', '!client/src/graphql/generated.ts'],
      plugins: [
        { add: { content: '/* Generated from schema.graphql and client/src/graphql/*.ts by `bun run codegen`; do not edit. */' } },
        'typescript-operations',
      ],
      config: {
        useTypeImports: true,
        // Enums as string unions (what `enumsAsTypes` does for the `typescript` plugin).
        enumType: 'string-literal',
        skipTypename: true,
        // The server serialises DateTime as an ISO string; JSON is whatever was stored. (Result fields are
        // never optional in typescript-operations 6, so `avoidOptionals` would change nothing.)
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};
export default config;
