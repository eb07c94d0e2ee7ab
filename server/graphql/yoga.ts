/**
 * The admin API: graphql-yoga over schema.graphql. Errors stay masked except the typed errors the
 * services throw for expected failures (errors.ts: InputError, NotFoundError), shown with a code
 * by graphql/errors.ts.
 */
import { readFileSync } from 'node:fs';
import { createSchema, createYoga } from 'graphql-yoga';
import { renderAdminGraphiQL } from '../admin/graphiql.ts';
import { createContext, type GraphQLServices } from './context.ts';
import { maskAdminError, renderingTypedErrors } from './errors.ts';
import { resolvers } from './resolvers/index.ts';

const typeDefs = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');

export function createAdminYoga(services: GraphQLServices, graphqlEndpoint = '/graphql') {
  return createYoga({
    schema: createSchema({ typeDefs, resolvers: renderingTypedErrors(resolvers) }),
    graphqlEndpoint,
    context: () => createContext(services),
    // Served from the package itself (the default page loads its assets from a CDN and is blank
    // offline), opened with the admin token from the browser's storage in its headers.
    renderGraphiQL: renderAdminGraphiQL,
    graphiql: { title: 'Lite Proxy GraphQL' },
    landingPage: false,
    logging: 'warn',
    maskedErrors: { maskError: maskAdminError },
  });
}
