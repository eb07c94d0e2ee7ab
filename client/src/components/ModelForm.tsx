/**
 * The drawer that adds a model config or edits one. The key is write-only: left empty it keeps the
 * stored key, "clear" removes it. Prices left empty come from the price list; weight and priority
 * left empty are the defaults (1 and 0). The server's refusal (a bad URL, a duplicate) shows in the form.
 */
import { createSignal, For, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { CREATE_CONFIG, type CreateConfigInput, type ProxyConfig, UPDATE_CONFIG } from '../graphql/operations.ts';
import { t } from '../lib/i18n.ts';
import { runMutation } from '../lib/urql.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';

interface Draft {
  id: string | null;
  proxyModelName: string;
  baseUrl: string;
  backendModelName: string;
  apiKey: string;
  clearKey: boolean;
  ignoreSslVerify: boolean;
  enabled: boolean;
  timeoutMs: string;
  inputPrice: string;
  cachedInputPrice: string;
  outputPrice: string;
  weight: string;
  priority: string;
  injectStreamUsage: boolean;
}

const PRICES = ['inputPrice', 'cachedInputPrice', 'outputPrice'] as const;
type PriceField = (typeof PRICES)[number];

const priceText = (v: number | null) => (v === null ? '' : String(v));

const MAX_WEIGHT = 1000;
const MAX_PRIORITY = 1000;

/** A whole number from min to max; null when empty (the server's default), undefined when it does not parse. */
function wholeIn(text: string, min: number, max: number): number | null | undefined {
  const v = text.trim();
  if (v === '') return null;
  if (!/^[-+]?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
}

/** USD per million tokens, 0 or more (a leading $ allowed); null when empty, undefined when it does not parse. */
function priceOf(text: string): number | null | undefined {
  const amount = text.trim().replace(/^\$\s*/, '');
  if (amount === '') return null;
  const n = Number(amount);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function draftOf(c: ProxyConfig | null): Draft {
  if (!c) {
    return {
      id: null, proxyModelName: '', baseUrl: '', backendModelName: '', apiKey: '', clearKey: false,
      ignoreSslVerify: false, enabled: true, timeoutMs: '', inputPrice: '', cachedInputPrice: '', outputPrice: '',
      weight: '', priority: '', injectStreamUsage: true,
    };
  }
  return {
    id: c.id, proxyModelName: c.proxyModelName, baseUrl: c.baseUrl, backendModelName: c.backendModelName,
    apiKey: '', clearKey: false, ignoreSslVerify: c.ignoreSslVerify, enabled: c.enabled,
    timeoutMs: c.timeoutMs === null ? '' : String(c.timeoutMs),
    inputPrice: priceText(c.inputPrice), cachedInputPrice: priceText(c.cachedInputPrice), outputPrice: priceText(c.outputPrice),
    weight: String(c.weight), priority: String(c.priority), injectStreamUsage: c.injectStreamUsage,
  };
}

/** What is sent, or why the draft cannot be sent. */
function inputOf(d: Draft): { input: CreateConfigInput } | { error: string } {
  const timeout = d.timeoutMs.trim();
  if (timeout !== '' && !/^\d+$/.test(timeout)) return { error: t('models.timeoutInvalid') };
  const prices: Partial<Record<PriceField, number | null>> = {};
  for (const field of PRICES) {
    const price = priceOf(d[field]);
    if (price === undefined) return { error: t('models.priceInvalid', { field: t(`models.${field}`) }) };
    prices[field] = price;
  }
  const weight = wholeIn(d.weight, 0, MAX_WEIGHT);
  if (weight === undefined) return { error: t('models.weightInvalid') };
  const priority = wholeIn(d.priority, -MAX_PRIORITY, MAX_PRIORITY);
  if (priority === undefined) return { error: t('models.priorityInvalid') };
  // It holds every field create needs, so it serves update as well (where an absent apiKey keeps the key).
  const input: CreateConfigInput = {
    proxyModelName: d.proxyModelName, baseUrl: d.baseUrl, backendModelName: d.backendModelName,
    ignoreSslVerify: d.ignoreSslVerify, enabled: d.enabled, timeoutMs: timeout === '' ? null : Number(timeout),
    // Null clears a price on update: empty fields go back to the price list.
    ...prices,
    // Null is the default on create and puts it back on update (weight 1, priority 0).
    weight, priority, injectStreamUsage: d.injectStreamUsage,
  };
  // The key is write-only: empty keeps the stored one, "clear" removes it.
  if (d.clearKey) input.apiKey = null;
  else if (d.apiKey !== '') input.apiKey = d.apiKey;
  return { input };
}

export interface ModelFormProps {
  /** The config to edit, as it was when the form opened; null adds one. */
  config: ProxyConfig | null;
  onCancel: () => void;
  /** The server stored it. */
  onSaved: () => void;
}

export function ModelForm(props: ModelFormProps) {
  // The form edits a copy taken when it opens: a refetch of the list does not overwrite the typing.
  const [draft, setDraft] = createStore<Draft>(draftOf(props.config));
  const [error, setError] = createSignal<string | null>(null);

  async function save(event: SubmitEvent) {
    event.preventDefault();
    const checked = inputOf(draft);
    if ('error' in checked) return setError(checked.error);
    const outcome = draft.id
      ? await runMutation(UPDATE_CONFIG, { id: draft.id, input: checked.input })
      : await runMutation(CREATE_CONFIG, { input: checked.input });
    if (outcome.error !== null) return setError(outcome.error);
    props.onSaved();
  }

  return (
    <Dialog kind="drawer" label={draft.id ? t('models.edit') : t('models.add')}>
      <form class="card" onSubmit={save}>
        <h2>{draft.id ? t('models.edit') : t('models.add')}</h2>
        <label>{t('models.name')}<input required value={draft.proxyModelName} onInput={(e) => setDraft('proxyModelName', e.currentTarget.value)} /></label>
        <label>{t('models.baseUrl')}<input required placeholder="https://api.openai.com/v1" value={draft.baseUrl} onInput={(e) => setDraft('baseUrl', e.currentTarget.value)} /></label>
        <label>{t('models.backendModel')}<input required value={draft.backendModelName} onInput={(e) => setDraft('backendModelName', e.currentTarget.value)} /></label>
        <label>
          {t('models.key')}
          <input type="password" autocomplete="off" placeholder={draft.id ? t('models.keyPlaceholderKeep') : ''} disabled={draft.clearKey}
            value={draft.apiKey} onInput={(e) => setDraft('apiKey', e.currentTarget.value)} />
        </label>
        <Show when={draft.id}>
          <label class="check"><input type="checkbox" checked={draft.clearKey} onChange={(e) => setDraft('clearKey', e.currentTarget.checked)} />{t('models.keyClear')}</label>
        </Show>
        <label>{t('models.timeout')}<input inputmode="numeric" placeholder="600000" value={draft.timeoutMs} onInput={(e) => setDraft('timeoutMs', e.currentTarget.value)} /></label>
        <fieldset class="field-group routing-fields">
          <legend>{t('models.routing')}</legend>
          <div class="row">
            <label>{t('models.priority')}<input name="priority" inputmode="numeric" placeholder="0" value={draft.priority} onInput={(e) => setDraft('priority', e.currentTarget.value)} /></label>
            <label>{t('models.weight')}<input name="weight" inputmode="numeric" placeholder="1" value={draft.weight} onInput={(e) => setDraft('weight', e.currentTarget.value)} /></label>
          </div>
          <small class="muted">{t('models.routingHint')}</small>
        </fieldset>
        <fieldset class="field-group price-fields">
          <legend>{t('models.prices')}</legend>
          <div class="row">
            <For each={PRICES}>
              {(field) => (
                <label>
                  {t(`models.${field}`)}
                  <input name={field} inputmode="decimal" placeholder="–" value={draft[field]} onInput={(e) => setDraft(field, e.currentTarget.value)} />
                </label>
              )}
            </For>
          </div>
          <small class="muted">{t('models.pricesHint')}</small>
        </fieldset>
        <label class="check"><input type="checkbox" checked={draft.ignoreSslVerify} onChange={(e) => setDraft('ignoreSslVerify', e.currentTarget.checked)} />{t('models.tls')}</label>
        <label class="check">
          <input type="checkbox" name="injectStreamUsage" checked={draft.injectStreamUsage} onChange={(e) => setDraft('injectStreamUsage', e.currentTarget.checked)} />
          {t('models.injectStreamUsage')}
        </label>
        <small class="muted check-hint">{t('models.injectStreamUsageHint')}</small>
        <label class="check"><input type="checkbox" checked={draft.enabled} onChange={(e) => setDraft('enabled', e.currentTarget.checked)} />{t('models.enabled')}</label>
        <ErrorMessage message={error()} />
        <div class="row">
          <button type="submit">{t('models.save')}</button>
          <button type="button" class="secondary" onClick={() => props.onCancel()}>{t('models.cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
