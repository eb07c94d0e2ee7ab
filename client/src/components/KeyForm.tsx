/**
 * The drawer that makes a client key or edits one: its name, models, per-minute limits, budget,
 * expiry, whether it is enabled, and its metadata. What does not parse is said in the form before
 * anything is sent; the server's refusal (a taken name, an expiry in the past) shows there too. The
 * caller shows the secret of a key made; an edited key keeps its secret.
 */
import { createSignal, For, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { type ApiKey, type BudgetPeriod, CREATE_API_KEY, type CreateApiKeyInput, UPDATE_API_KEY } from '../graphql/keys.ts';
import { dateTimeInputValue } from '../lib/format.ts';
import { t } from '../lib/i18n.ts';
import { runMutation } from '../lib/urql.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';

const PERIODS: BudgetPeriod[] = ['DAY', 'WEEK', 'MONTH', 'TOTAL'];

interface Draft {
  name: string;
  models: string;
  rpm: string;
  tpm: string;
  maxParallel: string;
  budgetTokens: string;
  budgetUsd: string;
  budgetPeriod: BudgetPeriod;
  expiresAt: string;
  enabled: boolean;
  metadata: string;
}

/** A per-minute limit: a whole number from 1; null for none, undefined when it does not parse. */
function limit(text: string): number | null | undefined {
  if (text.trim() === '') return null;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** A token budget: a whole number from 0 (thousands separators allowed); null for none, undefined when it does not parse. */
function tokenBudget(text: string): number | null | undefined {
  const digits = text.trim().replace(/[\s,_]/g, '');
  if (digits === '') return null;
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

/** A dollar budget such as 5, 12.50 or $0.75; null for none, undefined when it does not parse. */
function dollarBudget(text: string): number | null | undefined {
  const amount = text.trim().replace(/^\$\s*/, '');
  if (amount === '') return null;
  return /^(\d+(\.\d*)?|\.\d+)$/.test(amount) ? Number(amount) : undefined;
}

/** Metadata: a JSON object; null when empty, undefined when it is not one. */
function metadataOf(text: string): Record<string, unknown> | null | undefined {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const text = (v: number | null) => (v === null ? '' : String(v));

function draftOf(k: ApiKey | null): Draft {
  if (!k) {
    return {
      name: '', models: '', rpm: '', tpm: '', maxParallel: '', budgetTokens: '', budgetUsd: '', budgetPeriod: 'MONTH', expiresAt: '',
      enabled: true, metadata: '',
    };
  }
  const hasBudget = k.budgetTokens !== null || k.budgetUsd !== null;
  return {
    name: k.name, models: k.allowedModels?.join(', ') ?? '', rpm: text(k.rpm), tpm: text(k.tpm), maxParallel: text(k.maxParallel),
    budgetTokens: text(k.budgetTokens), budgetUsd: text(k.budgetUsd),
    // A budget without a period never renews, which is what TOTAL says.
    budgetPeriod: k.budgetPeriod ?? (hasBudget ? 'TOTAL' : 'MONTH'),
    expiresAt: k.expiresAt === null ? '' : dateTimeInputValue(k.expiresAt),
    enabled: k.enabled,
    metadata: k.metadata === null || k.metadata === undefined ? '' : JSON.stringify(k.metadata, null, 2),
  };
}

/**
 * What is sent, or why the draft cannot be sent. Every field goes, an emptied one as null (which
 * clears it on update), except the expiry when it was not touched: the field holds it to the minute,
 * and the server refuses an expiry in the past, so resending it would cut its seconds or refuse
 * every other change to an expired key.
 */
function inputOf(d: Draft, opened: Draft): { input: CreateApiKeyInput } | { error: string } {
  const rpm = limit(d.rpm);
  const tpm = limit(d.tpm);
  const maxParallel = limit(d.maxParallel);
  if (rpm === undefined || tpm === undefined || maxParallel === undefined) return { error: t('keys.limitInvalid') };
  const budgetTokens = tokenBudget(d.budgetTokens);
  if (budgetTokens === undefined) return { error: t('keys.budgetTokensInvalid') };
  const budgetUsd = dollarBudget(d.budgetUsd);
  if (budgetUsd === undefined) return { error: t('keys.budgetUsdInvalid') };
  const metadata = metadataOf(d.metadata);
  if (metadata === undefined) return { error: t('keys.metadataInvalid') };
  const models = d.models.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const input: CreateApiKeyInput = {
    name: d.name.trim(), allowedModels: models.length > 0 ? models : null, rpm, tpm, maxParallel,
    // A period without a budget would count nothing.
    budgetTokens, budgetUsd, budgetPeriod: budgetTokens !== null || budgetUsd !== null ? d.budgetPeriod : null,
    enabled: d.enabled, metadata,
  };
  if (d.expiresAt !== opened.expiresAt) input.expiresAt = d.expiresAt ? new Date(d.expiresAt).toISOString() : null;
  return { input };
}

export interface KeyFormProps {
  /** The key to edit, as it was when the form opened; null makes one. */
  apiKey: ApiKey | null;
  onCancel: () => void;
  /** The server made the key: its name and its secret (shown this once). */
  onCreated: (name: string, secret: string) => void;
  /** The server stored the edited key. */
  onSaved: () => void;
}

export function KeyForm(props: KeyFormProps) {
  // The form edits a copy taken when it opens; the copy as opened tells what was touched.
  const opened = draftOf(props.apiKey);
  const [draft, setDraft] = createStore<Draft>({ ...opened });
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const title = () => (props.apiKey ? t('keys.editTitle', { name: props.apiKey.name }) : t('keys.add'));

  async function save(event: SubmitEvent) {
    event.preventDefault();
    setError(null);
    const checked = inputOf(draft, opened);
    if ('error' in checked) return setError(checked.error);
    setBusy(true);
    const editing = props.apiKey;
    if (editing) {
      const outcome = await runMutation(UPDATE_API_KEY, { id: editing.id, input: checked.input });
      setBusy(false);
      if (outcome.error !== null) return setError(outcome.error);
      return props.onSaved();
    }
    const outcome = await runMutation(CREATE_API_KEY, { input: checked.input });
    setBusy(false);
    if (outcome.error !== null) return setError(outcome.error);
    props.onCreated(outcome.data.createApiKey.key.name, outcome.data.createApiKey.secret);
  }

  return (
    <Dialog kind="drawer" label={title()} onClose={() => props.onCancel()}>
      <form class="card" onSubmit={save}>
        <h2>{title()}</h2>
        <label>{t('keys.name')}<input required name="name" value={draft.name} onInput={(e) => setDraft('name', e.currentTarget.value)} /></label>
        <label>
          {t('keys.models')}
          <input name="models" placeholder="gpt-4o, local-*" value={draft.models} onInput={(e) => setDraft('models', e.currentTarget.value)} />
          <small class="muted">{t('keys.modelsHint')}</small>
        </label>
        <label>{t('keys.rpm')}<input name="rpm" inputmode="numeric" value={draft.rpm} onInput={(e) => setDraft('rpm', e.currentTarget.value)} /></label>
        <label>{t('keys.tpm')}<input name="tpm" inputmode="numeric" value={draft.tpm} onInput={(e) => setDraft('tpm', e.currentTarget.value)} /></label>
        <label>{t('keys.maxParallel')}<input name="maxParallel" inputmode="numeric" value={draft.maxParallel} onInput={(e) => setDraft('maxParallel', e.currentTarget.value)} /></label>
        <fieldset class="field-group">
          <legend>{t('keys.budget')}</legend>
          <label>{t('keys.budgetTokens')}<input name="budgetTokens" inputmode="numeric" placeholder="1000000" value={draft.budgetTokens} onInput={(e) => setDraft('budgetTokens', e.currentTarget.value)} /></label>
          <label>{t('keys.budgetUsd')}<input name="budgetUsd" inputmode="decimal" placeholder="5.00" value={draft.budgetUsd} onInput={(e) => setDraft('budgetUsd', e.currentTarget.value)} /></label>
          <label>
            {t('keys.budgetPeriod')}
            <select name="budgetPeriod" value={draft.budgetPeriod} onChange={(e) => setDraft('budgetPeriod', e.currentTarget.value as BudgetPeriod)}>
              <For each={PERIODS}>{(p) => <option value={p} selected={draft.budgetPeriod === p}>{t(`keys.periodOption.${p}`)}</option>}</For>
            </select>
          </label>
          <small class="muted">{t('keys.budgetHint')}</small>
        </fieldset>
        <label>{t('keys.expiresAt')}<input name="expiresAt" type="datetime-local" value={draft.expiresAt} onInput={(e) => setDraft('expiresAt', e.currentTarget.value)} /></label>
        <label>
          {t('keys.metadata')}
          <textarea name="metadata" rows={3} spellcheck={false} placeholder='{"team": "search"}' value={draft.metadata}
            onInput={(e) => setDraft('metadata', e.currentTarget.value)} />
          <small class="muted">{t('keys.metadataHint')}</small>
        </label>
        <label class="check"><input type="checkbox" name="enabled" checked={draft.enabled} onChange={(e) => setDraft('enabled', e.currentTarget.checked)} />{t('keys.enabled')}</label>
        <ErrorMessage message={error()} />
        <div class="row">
          <button type="submit" disabled={busy()}>{props.apiKey ? t('keys.save') : t('keys.create')}</button>
          <button type="button" class="secondary" onClick={() => props.onCancel()}>{t('keys.cancel')}</button>
        </div>
        <Show when={props.apiKey}><p class="muted">{t('keys.editSecretKept')}</p></Show>
      </form>
    </Dialog>
  );
}
