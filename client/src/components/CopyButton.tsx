/**
 * Copies a text when clicked and says so for a moment, or says why not (there is no clipboard over
 * plain http from another host). Used for answers, log bodies, curl commands, and secrets shown once.
 */
import { createSignal, onCleanup } from 'solid-js';
import { t } from '../lib/i18n.ts';
import { ErrorMessage } from './ErrorMessage.tsx';

const COPIED_MS = 1500;

export interface CopyButtonProps {
  /** Read at the click, so a large text is only built when it is copied. */
  text: () => string;
  /** "Copy" unless told. */
  label?: string;
  /** The button's classes: `small secondary` unless told. */
  class?: string;
}

export function CopyButton(props: CopyButtonProps) {
  const [copied, setCopied] = createSignal(false);
  const [failed, setFailed] = createSignal<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));

  const copy = async (event: MouseEvent) => {
    // Inside a <summary>, a click would also fold the block.
    event.preventDefault();
    setFailed(null);
    try {
      await navigator.clipboard.writeText(props.text());
      setCopied(true);
      clearTimeout(timer);
      timer = setTimeout(() => setCopied(false), COPIED_MS);
    } catch (err) {
      setFailed(t('common.copyFailed', { message: err instanceof Error ? err.message : String(err) }));
    }
  };

  return (
    <>
      <button type="button" class={props.class ?? 'small secondary'} onClick={copy}>
        {copied() ? t('common.copied') : (props.label ?? t('common.copy'))}
      </button>
      <ErrorMessage message={failed()} inline />
    </>
  );
}
