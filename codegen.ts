import type { CodegenConfig } from '@graphql-codegen/cli';

// Resolver types come from schema.graphql; mappers tie GraphQL types to the store's rows.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'server/graphql/generated.ts': {
      plugins: [{ add: { content: '/* Generated from schema.graphql by `bun run codegen`; do not edit. */' } }, 'typescript', 'typescript-resolvers'],
      config: {
        useIndexSignature: true,
        useTypeImports: true,
        contextType: './context.ts#GraphQLContext',
        mappers: {
          ProxyConfig: '../store/types.ts#ConfigRow',
          LogEntry: './mappers.ts#LogEntryParent',
          Health: './mappers.ts#HealthParent',
        },
        scalars: { DateTime: 'Date', JSON: 'unknown' },
        enumsAsTypes: true,
      },
    },
  },
};
export default config;
