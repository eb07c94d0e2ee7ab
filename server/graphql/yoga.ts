/**
 * The admin API: graphql-yoga over schema.graphql. Errors stay masked except GraphQLErrors, which
 * the services throw for expected failures (errors.ts: InputError, MissingError) with a code.
 */
import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga, maskError } from 'graphql-yoga';
import { renderAdminGraphiQL } from '../admin/graphiql.ts';
import { createContext, type GraphQLServices } from './context.ts';
import { resolvers } from './resolvers/index.ts';

const typeDefs = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');

export function createAdminYoga(services: GraphQLServices, graphqlEndpoint = '/graphql') {
  return createYoga({
    schema: createSchema({ typeDefs, resolvers }),
    graphqlEndpoint,
    context: () => createContext(services),
    // Served from the package itself (the default page loads its assets from a CDN and is blank
    // offline), opened with the admin token from the browser's storage in its headers.
    renderGraphiQL: renderAdminGraphiQL,
    graphiql: { title: 'Lite Proxy GraphQL' },
    landingPage: false,
    logging: 'warn',
    maskedErrors: {
      maskError(error, message, isDev) {
        // Variables that do not fit the schema are the caller's mistake: say so with a code.
        if (error instanceof GraphQLError && !error.path && error.message.startsWith('Variable "$')) {
          (error.extensions as Record<string, unknown>).code ??= 'BAD_USER_INPUT';
          return error;
        }
        return maskError(error, message, isDev);
      },
    },
  });
}
