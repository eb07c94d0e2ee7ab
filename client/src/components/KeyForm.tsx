/**
 * The drawer that makes a client key: its name, models, per-minute limits, budget and expiry. What
 * does not parse is said in the form before anything is sent; the server's refusal (a taken name)
 * shows there too. The caller shows the secret of the key made.
 */
import { createSignal, For } from 'solid-js';
import { createStore } from 'solid-js/store';
import { type BudgetPeriod, CREATE_API_KEY } from '../graphql/keys.ts';
import { t } from '../lib/i18n.ts';
import { runMutation } from '../lib/urql.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';

const PERIODS: BudgetPeriod[] = ['DAY', 'WEEK', 'MONTH', 'TOTAL'];

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

export interface KeyFormProps {
  onCancel: () => void;
  /** The server made the key: its name and its secret (shown this once). */
  onCreated: (name: string, secret: string) => void;
}

export function KeyForm(props: KeyFormProps) {
  const [draft, setDraft] = createStore({
    name: '', models: '', rpm: '', tpm: '', maxParallel: '', budgetTokens: '', budgetUsd: '', budgetPeriod: 'MONTH' as BudgetPeriod, expiresAt: '',
  });
  const [error, setError] = createSignal<string | null>(null);

  async function save(event: SubmitEvent) {
    event.preventDefault();
    setError(null);
    const rpm = limit(draft.rpm);
    const tpm = limit(draft.tpm);
    const maxParallel = limit(draft.maxParallel);
    if (rpm === undefined || tpm === undefined || maxParallel === undefined) return setError(t('keys.limitInvalid'));
    const budgetTokens = tokenBudget(draft.budgetTokens);
    if (budgetTokens === undefined) return setError(t('keys.budgetTokensInvalid'));
    const budgetUsd = dollarBudget(draft.budgetUsd);
    if (budgetUsd === undefined) return setError(t('keys.budgetUsdInvalid'));
    const models = draft.models.split(',').map((m) => m.trim()).filter((m) => m !== '');
    const outcome = await runMutation(CREATE_API_KEY, {
      input: {
        name: draft.name.trim(), allowedModels: models.length > 0 ? models : null, rpm, tpm, maxParallel,
        // A period without a budget would count nothing.
        budgetTokens, budgetUsd, budgetPeriod: budgetTokens !== null || budgetUsd !== null ? draft.budgetPeriod : null,
        expiresAt: draft.expiresAt ? new Date(draft.expiresAt).toISOString() : null,
      },
    });
    if (outcome.error !== null) return setError(outcome.error);
    props.onCreated(outcome.data.createApiKey.key.name, outcome.data.createApiKey.secret);
  }

  return (
    <Dialog kind="drawer" label={t('keys.add')} onClose={() => props.onCancel()}>
      <form class="card" onSubmit={save}>
        <h2>{t('keys.add')}</h2>
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
              <For each={PERIODS}>{(p) => <option value={p}>{t(`keys.periodOption.${p}`)}</option>}</For>
            </select>
          </label>
          <small class="muted">{t('keys.budgetHint')}</small>
        </fieldset>
        <label>{t('keys.expiresAt')}<input name="expiresAt" type="datetime-local" value={draft.expiresAt} onInput={(e) => setDraft('expiresAt', e.currentTarget.value)} /></label>
        <ErrorMessage message={error()} />
        <div class="row">
          <button type="submit">{t('keys.create')}</button>
          <button type="button" class="secondary" onClick={() => props.onCancel()}>{t('keys.cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
