/**
 * What went wrong, as every page shows it: in the danger colour and announced (role=alert). Nothing
 * is rendered while there is no message, so it can stand where an error may appear.
 */
import { Show } from 'solid-js';
import { Dynamic } from 'solid-js/web';

export interface ErrorMessageProps {
  message: string | null | undefined | false;
  /** Inside a line or a label: a span, not a paragraph. */
  inline?: boolean;
  /** Classes beside `error`, for a place that lays it out its own way. */
  class?: string;
}

export function ErrorMessage(props: ErrorMessageProps) {
  return (
    <Show when={props.message}>
      {(message) => (
        <Dynamic component={props.inline ? 'span' : 'p'} class={props.class ? `error ${props.class}` : 'error'} role="alert">
          {message()}
        </Dynamic>
      )}
    </Show>
  );
}
