/**
 * The drawer that sets a group's routing: its fallback groups and context fallbacks (ordered lists
 * of the other groups), the most attempts of a request and the statuses tried again. Save sends
 * every field; "Reset to defaults" sends nulls at once. The server checks the whole (a fallback
 * cycle, an unknown group) and stores nothing on an error, which then shows in the form.
 */
import { createSignal, For, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { MODEL_GROUP_DEFAULTS, type ModelGroup, type ModelGroupInput, UPDATE_MODEL_GROUP } from '../graphql/operations.ts';
import { t } from '../lib/i18n.ts';
import { runMutation } from '../lib/urql.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';

const MAX_ATTEMPTS = 10;

interface Draft {
  fallbacks: string[];
  contextFallbacks: string[];
  maxAttempts: string;
  retryOnStatus: string;
}

type ChainField = 'fallbacks' | 'contextFallbacks';

const draftOf = (g: ModelGroup): Draft => ({
  fallbacks: [...g.fallbacks],
  contextFallbacks: [...g.contextFallbacks],
  maxAttempts: String(g.maxAttempts),
  retryOnStatus: g.retryOnStatus.join(', '),
});

/** The statuses of a comma-separated list; null when empty (the default), the first bad entry otherwise. */
function statusesOf(text: string): { statuses: number[] | null } | { bad: string } {
  // A stray comma (a trailing one, two in a row) is not worth refusing.
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return { statuses: null };
  const statuses: number[] = [];
  for (const part of parts) {
    const n = Number(part);
    if (!/^\d+$/.test(part) || n < 400 || n > 599) return { bad: part };
    statuses.push(n);
  }
  return { statuses };
}

/** What is sent, or why the draft cannot be sent. */
function inputOf(d: Draft): { input: ModelGroupInput } | { error: string } {
  const attempts = d.maxAttempts.trim();
  if (attempts !== '' && (!/^\d+$/.test(attempts) || Number(attempts) < 1 || Number(attempts) > MAX_ATTEMPTS)) {
    return { error: t('models.group.maxAttemptsInvalid') };
  }
  const statuses = statusesOf(d.retryOnStatus);
  if ('bad' in statuses) return { error: t('models.group.retryOnStatusInvalid', { value: statuses.bad }) };
  return {
    input: {
      // Copies: the store's arrays are proxies.
      fallbacks: [...d.fallbacks], contextFallbacks: [...d.contextFallbacks],
      // Empty fields put the defaults back.
      maxAttempts: attempts === '' ? null : Number(attempts), retryOnStatus: statuses.statuses,
    },
  };
}

/** Every field back to the server's default. */
const RESET: ModelGroupInput = { fallbacks: null, contextFallbacks: null, maxAttempts: null, retryOnStatus: null };

export interface ModelGroupFormProps {
  /** The group's settings as they were when the form opened. */
  group: ModelGroup;
  /** Every group's name (this one's included): what a fallback may name. */
  names: string[];
  onCancel: () => void;
  /** The server stored it. */
  onSaved: () => void;
}

export function ModelGroupForm(props: ModelGroupFormProps) {
  // A copy taken when the form opens: a refetch of the page does not overwrite the user's changes.
  const [draft, setDraft] = createStore<Draft>(draftOf(props.group));
  const [error, setError] = createSignal<string | null>(null);
  const others = () => props.names.filter((n) => n !== props.group.name);

  async function send(input: ModelGroupInput) {
    setError(null);
    const outcome = await runMutation(UPDATE_MODEL_GROUP, { name: props.group.name, input });
    if (outcome.error !== null) return setError(outcome.error);
    props.onSaved();
  }

  function save(event: SubmitEvent) {
    event.preventDefault();
    const checked = inputOf(draft);
    if ('error' in checked) return setError(checked.error);
    void send(checked.input);
  }

  return (
    <Dialog kind="drawer" labelledBy="model-group-title">
      <form class="card model-group-form" onSubmit={save}>
        <h2 id="model-group-title">{t('models.group.title', { name: props.group.name })}</h2>
        <p class="muted group-how">{t('models.group.how', { name: props.group.name })}</p>
        <GroupChain field="fallbacks" label={t('models.group.fallbacks')} hint={t('models.group.fallbacksHint')}
          items={draft.fallbacks} candidates={others()} onChange={(list) => setDraft('fallbacks', list)} />
        <GroupChain field="contextFallbacks" label={t('models.group.contextFallbacks')} hint={t('models.group.contextFallbacksHint')}
          items={draft.contextFallbacks} candidates={others()} onChange={(list) => setDraft('contextFallbacks', list)} />
        <label>
          {t('models.group.maxAttempts')}
          <input name="maxAttempts" inputmode="numeric" placeholder={String(MODEL_GROUP_DEFAULTS.maxAttempts)} value={draft.maxAttempts}
            onInput={(e) => setDraft('maxAttempts', e.currentTarget.value)} />
          <small class="muted">{t('models.group.maxAttemptsHint')}</small>
        </label>
        <label>
          {t('models.group.retryOnStatus')}
          <input name="retryOnStatus" inputmode="numeric" placeholder={MODEL_GROUP_DEFAULTS.retryOnStatus.join(', ')} value={draft.retryOnStatus}
            onInput={(e) => setDraft('retryOnStatus', e.currentTarget.value)} />
          <small class="muted">{t('models.group.retryOnStatusHint', { statuses: MODEL_GROUP_DEFAULTS.retryOnStatus.join(', ') })}</small>
        </label>
        <ErrorMessage message={error()} />
        <div class="row">
          <button type="submit">{t('models.save')}</button>
          <button type="button" class="secondary" onClick={() => props.onCancel()}>{t('models.cancel')}</button>
          <button type="button" class="secondary group-reset" title={t('models.group.resetTitle')} onClick={() => void send(RESET)}>{t('models.group.reset')}</button>
        </div>
      </form>
    </Dialog>
  );
}

interface GroupChainProps {
  field: ChainField;
  label: string;
  hint: string;
  /** The chosen groups, in the order they are tried. */
  items: string[];
  /** Groups that may be chosen (those already in the list are left out of the picker). */
  candidates: string[];
  onChange: (items: string[]) => void;
}

/** An ordered list of groups: move up or down, remove, and add one of the candidates at the end. */
function GroupChain(props: GroupChainProps) {
  const [picked, setPicked] = createSignal('');
  const addable = () => props.candidates.filter((n) => !props.items.includes(n));
  const move = (i: number, by: -1 | 1) => {
    const next = [...props.items];
    [next[i], next[i + by]] = [next[i + by]!, next[i]!];
    props.onChange(next);
  };
  const add = () => {
    if (picked() === '' || props.items.includes(picked())) return;
    props.onChange([...props.items, picked()]);
    setPicked('');
  };
  return (
    <fieldset class="field-group group-chain" data-field={props.field}>
      <legend>{props.label}</legend>
      <Show when={props.items.length > 0} fallback={<p class="muted group-chain-empty">{t('models.group.none')}</p>}>
        <ol class="group-chain-list">
          <For each={props.items}>
            {(name, i) => (
              <li data-item={name}>
                {/* A list styled as flex rows loses its markers: the position is written out. */}
                <span class="group-chain-pos" aria-hidden="true">{i() + 1}.</span>
                <span class="group-chain-name">{name}</span>
                <button type="button" class="small secondary" aria-label={t('models.group.up', { name })} title={t('models.group.up', { name })}
                  disabled={i() === 0} onClick={() => move(i(), -1)}>↑</button>
                <button type="button" class="small secondary" aria-label={t('models.group.down', { name })} title={t('models.group.down', { name })}
                  disabled={i() === props.items.length - 1} onClick={() => move(i(), 1)}>↓</button>
                <button type="button" class="small secondary" aria-label={t('models.group.remove', { name })} title={t('models.group.remove', { name })}
                  onClick={() => props.onChange(props.items.filter((n) => n !== name))}>×</button>
              </li>
            )}
          </For>
        </ol>
      </Show>
      <div class="row group-chain-add">
        <select name={`${props.field}-add`} aria-label={t('models.group.pick', { list: props.label })} value={picked()}
          disabled={addable().length === 0} onChange={(e) => setPicked(e.currentTarget.value)}>
          <option value="">{addable().length === 0 ? t('models.group.noOther') : t('models.group.choose')}</option>
          <For each={addable()}>{(name) => <option value={name}>{name}</option>}</For>
        </select>
        <button type="button" class="small secondary" disabled={picked() === ''} onClick={add}>{t('models.group.add')}</button>
      </div>
      <small class="muted">{props.hint}</small>
    </fieldset>
  );
}
