/**
 * The `/graphql` surface's error renderer. Expected failures are typed errors (errors.ts) thrown by
 * the services; at the resolvers' edge they become GraphQL errors with a code (BAD_USER_INPUT,
 * NOT_FOUND, …), while Yoga's masking keeps every other failure's details on the console.
 */
import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError } from 'graphql-yoga';
import { HttpError, InputError } from '../errors.ts';

/** The code a typed error is shown with. */
function codeOf(err: HttpError): string {
  if (err instanceof InputError) return 'BAD_USER_INPUT';
  if (err.status === 404) return 'NOT_FOUND';
  if (err.status === 401) return 'UNAUTHENTICATED';
  if (err.status === 403) return 'FORBIDDEN';
  if (err.status === 429) return 'TOO_MANY_REQUESTS';
  return err.status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
}

function extensionsOf(err: HttpError): Record<string, unknown> {
  const field = err instanceof InputError ? err.field : null;
  return { code: codeOf(err), ...(field ? { field } : {}) };
}

const toGraphQL = (err: unknown): unknown =>
  err instanceof HttpError ? createGraphQLError(err.message, { extensions: extensionsOf(err) }) : err;

type Fn = (...args: unknown[]) => unknown;

function rendering(fn: Fn): Fn {
  return function (this: unknown, ...args: unknown[]) {
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (err) {
      throw toGraphQL(err);
    }
    return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(toGraphQL(err))) : result;
  };
}

/** The services are called from the root fields; type fields only read what those returned. */
const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * The resolver map with every root resolver (and subscription `subscribe`) turning the typed errors
 * it throws into GraphQL errors. Done here, once, rather than in each resolver; and before Yoga sees
 * them, which would otherwise take an error it did not make for a fault (a logged 500).
 */
export function renderingTypedErrors<T extends object>(resolvers: T): T {
  const out: Record<string, unknown> = {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (!ROOT_TYPES.has(typeName) || typeof fields !== 'object' || fields === null) {
      out[typeName] = fields;
      continue;
    }
    out[typeName] = Object.fromEntries(Object.entries(fields).map(([name, r]) => {
      if (typeof r === 'function') return [name, rendering(r as Fn)];
      const sub = r as { subscribe?: Fn; resolve?: Fn };
      return [name, { ...sub, ...(sub.subscribe ? { subscribe: rendering(sub.subscribe) } : {}), ...(sub.resolve ? { resolve: rendering(sub.resolve) } : {}) }];
    }));
  }
  return out as T;
}

/**
 * Yoga's maskError: typed errors are shown with their code; GraphQL errors that graphql-js raised
 * before any resolver ran (syntax, validation, variables that do not fit the schema: they carry no
 * path, and wrap nothing or another GraphQL error such as a scalar's refusal) are the caller's
 * mistake and get BAD_USER_INPUT; everything else is masked.
 */
/** graphql-armor's refusals (yoga.ts ARMOR): an operation over a limit is answered 400. */
const OVER_A_LIMIT = /\b(Token|Aliases|Directives|Depth|Query Cost) limit of \d+/i;

/** A refusal of the caller's input from below the root resolvers (a LogEntry field, say). */
export const inputError = (message: string) => createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

export function maskAdminError(error: unknown, message: string, isDev?: boolean): Error {
  if (error instanceof GraphQLError && !error.path && (!error.originalError || error.originalError instanceof GraphQLError)) {
    const extensions = error.extensions as Record<string, unknown>;
    extensions.code ??= 'BAD_USER_INPUT';
    if (OVER_A_LIMIT.test(error.message)) extensions.http = { status: 400 };
    return error;
  }
  return maskError(error, message, isDev);
}

/** A refusal before Yoga runs (401): the GraphQL response shape, `{"errors":[…]}`. */
export function graphQLErrorResponse(err: HttpError): Response {
  return Response.json({ errors: [{ message: err.message, extensions: extensionsOf(err) }] }, { status: err.status, headers: err.headers });
}
