/**
 * The admin API: graphql-yoga over schema.graphql. Errors stay masked except the expected ones
 * (bad input, unknown id), which keep their message and carry a code.
 */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { readFileSync } from 'node:fs';
import { createGraphQLError, createSchema, createYoga, maskError } from 'graphql-yoga';
import { InputError, MissingError } from '../errors.ts';
import { createContext, type GraphQLServices } from './context.ts';
import { resolvers } from './resolvers/index.ts';

const typeDefs = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');

export function createAdminYoga(services: GraphQLServices, graphqlEndpoint = '/graphql') {
  return createYoga({
    schema: createSchema({ typeDefs, resolvers }),
    graphqlEndpoint,
    context: () => createContext(services),
    // Served from the package itself: the default page loads its assets from a CDN and is blank offline.
    renderGraphiQL,
    graphiql: { title: 'Lite Proxy GraphQL' },
    landingPage: false,
    logging: 'warn',
    maskedErrors: {
      maskError(error, message, isDev) {
        const original = (error as { originalError?: unknown }).originalError;
        if (original instanceof InputError) {
          return createGraphQLError(original.message, { extensions: { code: 'BAD_USER_INPUT', field: original.field } });
        }
        if (original instanceof MissingError) {
          return createGraphQLError(original.message, { extensions: { code: 'NOT_FOUND' } });
        }
        return maskError(error, message, isDev);
      },
    },
  });
}
