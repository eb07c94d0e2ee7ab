/**
 * The one data path: urql over /graphql, subscriptions over SSE (fetchSubscriptions). A 401 from
 * any operation sends the user back to the login. Pages and components go through the helpers
 * below (and lib/resource.ts for what a page shows), so every failure arrives as a readable message.
 */
import {
  type AnyVariables, Client, cacheExchange, createRequest, fetchExchange, mapExchange, type OperationResult,
  type TypedDocumentNode,
} from '@urql/core';
import { CSRF_HEADERS, sessionEnded } from './auth.ts';
import { t } from './i18n.ts';

export const client = new Client({
  url: '/graphql',
  fetchSubscriptions: true,
  // Admin data changes under our feet (other tabs, live traffic): never serve it from a cache.
  requestPolicy: 'network-only',
  exchanges: [
    cacheExchange,
    mapExchange({
      onError(error) {
        if (error.response?.status === 401) sessionEnded();
      },
    }),
    fetchExchange,
  ],
  // The session cookie goes along (same origin); the header is what the server's CSRF check asks of it.
  fetchOptions: () => ({ credentials: 'same-origin', headers: CSRF_HEADERS }),
});

/** A readable message for an operation's error (network, GraphQL or HTTP). */
export function errorMessage(error: { message: string; graphQLErrors?: { message: string }[] } | undefined): string | null {
  if (!error) return null;
  const gql = error.graphQLErrors?.map((e) => e.message).filter(Boolean);
  return gql && gql.length > 0 ? gql.join('; ') : error.message.replace(/^\[Network\] /, '');
}

/** What a query or mutation gave: its data, or why not as a message to show. */
export type Outcome<Data> = { data: Data; error: null } | { data: null; error: string };

function outcomeOf<Data>(result: OperationResult<Data, AnyVariables>): Outcome<Data> {
  if (result.error || result.data === undefined || result.data === null) {
    return { data: null, error: errorMessage(result.error) ?? t('common.noData') };
  }
  return { data: result.data, error: null };
}

/** One query, sent now (never from a cache). */
export async function runQuery<Data, Vars extends AnyVariables>(query: TypedDocumentNode<Data, Vars>, variables: Vars): Promise<Outcome<Data>> {
  return outcomeOf(await client.query(query, variables).toPromise());
}

export async function runMutation<Data, Vars extends AnyVariables>(mutation: TypedDocumentNode<Data, Vars>, variables: Vars): Promise<Outcome<Data>> {
  return outcomeOf(await client.mutation(mutation, variables).toPromise());
}

export interface SubscriptionHandlers<Data> {
  /** Each event, in order. */
  next(data: Data): void;
  /** The subscription was refused or broke (network, GraphQL). */
  fail(message: string): void;
  /** The stream ended without an error (the server closed it, or it completed). */
  end?(): void;
}

// Above any key urql derives from a query and its variables (32-bit hashes).
let nextKey = 2 ** 40;

/**
 * Subscribes; returns a function that stops it (and makes the server stop too). urql shares an
 * operation between callers with the same key (query and variables); two chats with the same
 * messages are still two requests, so every subscription gets its own key.
 */
export function subscribe<Data, Vars extends AnyVariables>(
  query: TypedDocumentNode<Data, Vars>,
  variables: Vars,
  on: SubscriptionHandlers<Data>,
): () => void {
  const request = { ...createRequest(query, variables), key: nextKey++ };
  let last: unknown = null;
  const subscription = client.executeSubscription<Data, Vars>(request).subscribe((result) => {
    if (result.error) return on.fail(errorMessage(result.error) ?? result.error.message);
    // When the stream ends, urql repeats the last result with hasNext: false.
    if (result.data !== undefined && result.data !== null && result.data !== last) {
      last = result.data;
      on.next(result.data);
    }
    if (result.hasNext === false) on.end?.();
  });
  return () => subscription.unsubscribe();
}
