/**
 * A dialog over the page: a side panel (`drawer`: a form, a detail) or a centred box (`modal`: a
 * confirmation, a secret to copy). With onClose, Escape closes it; with closeOnBackdrop, so does a
 * click beside it.
 */
import { type JSX, onCleanup, onMount } from 'solid-js';

export interface DialogProps {
  kind: 'drawer' | 'modal';
  /** The accessible name, or the id of the element that holds it. */
  label?: string;
  labelledBy?: string;
  onClose?: () => void;
  closeOnBackdrop?: boolean;
  children: JSX.Element;
}

export function Dialog(props: DialogProps) {
  onMount(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose?.();
    };
    document.addEventListener('keydown', onKey);
    onCleanup(() => document.removeEventListener('keydown', onKey));
  });
  const onClick = (e: MouseEvent) => {
    if (props.closeOnBackdrop && e.target === e.currentTarget) props.onClose?.();
  };
  return (
    <div class={props.kind} role="dialog" aria-modal="true" aria-label={props.label} aria-labelledby={props.labelledBy} onClick={onClick}>
      {props.children}
    </div>
  );
}
