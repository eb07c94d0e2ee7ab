/**
 * The one data path: urql over /graphql, subscriptions over SSE (fetchSubscriptions). A 401 from
 * any operation sends the user back to the login.
 */
import { Client, cacheExchange, fetchExchange, mapExchange } from '@urql/core';
import { logout, token } from './auth.ts';

export const client = new Client({
  url: '/graphql',
  fetchSubscriptions: true,
  // Admin data changes under our feet (other tabs, live traffic): never serve it from a cache.
  requestPolicy: 'network-only',
  exchanges: [
    cacheExchange,
    mapExchange({
      onError(error) {
        if (error.response?.status === 401) logout();
      },
    }),
    fetchExchange,
  ],
  fetchOptions: () => ({ headers: { authorization: `Bearer ${token() ?? ''}` } }),
});

/** A readable message for an operation's error (network, GraphQL or HTTP). */
export function errorMessage(error: { message: string; graphQLErrors?: { message: string }[] } | undefined): string | null {
  if (!error) return null;
  const gql = error.graphQLErrors?.map((e) => e.message).filter(Boolean);
  return gql && gql.length > 0 ? gql.join('; ') : error.message.replace(/^\[Network\] /, '');
}
