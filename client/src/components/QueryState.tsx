/**
 * A query's answer where a page shows it: the failure (ErrorMessage), "Loading…" until the first
 * answer, the page's own words when the answer is empty, or the children with the data.
 */
import { type Accessor, type JSX, Match, Switch } from 'solid-js';
import { t } from '../lib/i18n.ts';
import type { QueryResource } from '../lib/resource.ts';
import { ErrorMessage } from './ErrorMessage.tsx';

export interface QueryStateProps<T> {
  of: QueryResource<T>;
  /** Shown for an empty answer: an empty list, or null (nothing of that id). */
  empty?: JSX.Element;
  /** Inside a line or a label: spans, not paragraphs. */
  inline?: boolean;
  children: (data: Accessor<NonNullable<T>>) => JSX.Element;
}

const isEmpty = (value: unknown) => value === null || (Array.isArray(value) && value.length === 0);

export function QueryState<T>(props: QueryStateProps<T>) {
  const loading = () => (props.inline ? <span class="muted">{t('common.loading')}</span> : <p class="muted">{t('common.loading')}</p>);
  return (
    <Switch fallback={loading()}>
      <Match when={props.of.error}>{(message) => <ErrorMessage message={message()} inline={props.inline} />}</Match>
      <Match when={props.of() !== undefined && isEmpty(props.of())}>{props.empty}</Match>
      <Match when={props.of()}>{(data) => props.children(data)}</Match>
    </Switch>
  );
}
