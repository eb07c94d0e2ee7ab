/**
 * The admin API: graphql-yoga over schema.graphql. Errors stay masked except the typed errors the
 * services throw for expected failures (errors.ts: InputError, NotFoundError), shown with a code
 * by graphql/errors.ts.
 */
import { readFileSync } from 'node:fs';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createSchema, createYoga, type Plugin, type YogaServerOptions } from 'graphql-yoga';
import { CSRF_HEADER } from '../admin/sessions.ts';
import { createContext, type GraphQLServices } from './context.ts';
import { maskAdminError, renderingTypedErrors } from './errors.ts';
import { resolvers } from './resolvers/index.ts';

/** Exported for tests/graphql-limits.test.ts. */
export const ARMOR = {
  maxTokens: { n: 2_000 },
  maxDepth: { n: 12 },
  maxAliases: { n: 20 },
  maxDirectives: { n: 20 },
  costLimit: { maxCost: 20_000 },
} as const;

/**
 * Yoga's CSRF prevention for the requests a session cookie signs in (admin/sessions.ts): a GET or
 * a "simple" POST must carry CSRF_HEADER, which a page of another origin cannot add without a
 * preflight the admin's CORS refuses. A request with an Authorization header is no CSRF risk (a
 * browser never adds one by itself), so curl and scripts need no extra header.
 */
function csrfForCookies(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      if (payload.request.headers.has('authorization')) return;
      return csrf.onRequestParse!(payload);
    },
  };
}

const typeDefs = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');

export function createAdminYoga(services: GraphQLServices, opts: { graphqlEndpoint: string; cors: YogaServerOptions<object, object>['cors'] }) {
  const { graphqlEndpoint } = opts;
  return createYoga({
    // Same-origin unless ADMIN_ALLOWED_ORIGINS lists origins (cors.ts): Yoga's default echoes any Origin.
    cors: opts.cors,
    schema: createSchema({ typeDefs, resolvers: renderingTypedErrors(resolvers) }),
    graphqlEndpoint,
    context: () => createContext(services),
    // The GraphiQL page is admin/graphiql.ts's (its files served apart, under the CSP); app.ts
    // answers a browser's GET before Yoga sees it.
    graphiql: false,
    // Limits on what one operation may ask (graphql-armor): far above what the admin page sends,
    // low enough that no operation, however built, costs the event loop much. Over one: a 400
    // GraphQL error, checked before anything runs (tokens while parsing, the rest while validating).
    plugins: [csrfForCookies(), EnvelopArmorPlugin(ARMOR)],
    landingPage: false,
    logging: 'warn',
    maskedErrors: { maskError: maskAdminError },
  });
}
