/**
 * A query as a Solid resource, the way every page reads its data: it runs when the page opens and
 * again when its source changes or on refetch(); only the latest request's answer is kept; a failure
 * becomes a readable message (a refused token has already signed the user out, lib/urql.ts) and the
 * previous answer stays readable beside it, so a page can keep older figures on screen.
 */
import type { AnyVariables, TypedDocumentNode } from '@urql/core';
import { createResource } from 'solid-js';
import { runQuery } from './urql.ts';

export interface QueryResource<T> {
  /** The latest answer; while a newer request runs, or after it failed, the one before. Undefined until the first. */
  (): T | undefined;
  /** Why the latest request failed; null once one succeeds. */
  readonly error: string | null;
  /** A request is running (the first one or a refetch). */
  readonly loading: boolean;
  /** Runs the query again with the same source (variables are built anew). */
  refetch(): void;
}

type Source<S> = () => S | false | null | undefined;

/** `variables` may be left out only when the query takes none. */
type VariablesOption<Vars, S> = {} extends Vars
  ? { variables?: (source: S) => Vars }
  : { variables: (source: S) => Vars };

export type QueryResourceOptions<Data, Vars extends AnyVariables, T, S> = VariablesOption<Vars, S> & {
  /**
   * What the query depends on: it runs again whenever this changes, and not at all while it is
   * false, null or undefined. Left out, the query runs once (and on refetch).
   */
  source?: Source<S>;
  /** What the page keeps of an answer; it gets the source the request was made for. */
  select: (data: Data, source: S) => T;
};

interface Answer<T> {
  data: T | undefined;
  error: string | null;
}

export function createQueryResource<Data, Vars extends AnyVariables, T, S = true>(
  query: TypedDocumentNode<Data, Vars>,
  options: QueryResourceOptions<Data, Vars, T, S>,
): QueryResource<T> {
  // Built at each request, not once per source: a window that ends "now" must move on refetch.
  const variables = (source: S): Vars => (options.variables ? options.variables(source) : ({} as Vars));
  // A failed answer carries the previous data forward, so the resource itself never errors.
  const fetcher = async (source: S, info: { value: Answer<T> | undefined }): Promise<Answer<T>> => {
    const outcome = await runQuery(query, variables(source));
    if (outcome.error !== null) return { data: info.value?.data, error: outcome.error };
    return { data: options.select(outcome.data, source), error: null };
  };
  const [answer, { refetch }] = options.source
    ? createResource(options.source, fetcher)
    : createResource(() => true as S, fetcher);

  const read = () => answer.latest?.data;
  return Object.defineProperties(read, {
    error: { get: () => answer.latest?.error ?? null },
    loading: { get: () => answer.loading },
    refetch: { value: () => void refetch() },
  }) as QueryResource<T>;
}
