/**
 * The model configs: a table with each config's effective price and where it comes from, its tier
 * (priority) and weight, its breaker's state (HealthBadge, read again every few seconds while the page
 * is open), an enable switch, Test, Edit and Delete per row; Add and Edit open ModelForm; Import reads
 * a file into ModelImportDialog; Export saves the server's export document. The server lists configs
 * by proxy model name, so a group's members are next to each other: each group gets a header row with
 * its routing (fallbacks, attempts, statuses) where it differs from the defaults, and a Routing button
 * that opens ModelGroupForm.
 */
import { createSignal, For, onCleanup, Show } from 'solid-js';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { HealthBadge } from '../components/HealthBadge.tsx';
import { ModelForm } from '../components/ModelForm.tsx';
import { ModelGroupForm } from '../components/ModelGroupForm.tsx';
import { ModelGroupHead } from '../components/ModelGroupHead.tsx';
import { type ImportFile, ModelImportDialog, readImportFile } from '../components/ModelImportDialog.tsx';
import { createModelTests, type ModelTests, ModelTestResult } from '../components/ModelTest.tsx';
import { QueryState } from '../components/QueryState.tsx';
import {
  type BackendHealth, CONFIG_HEALTH, CONFIGS, DELETE_CONFIG, EXPORT_CONFIGS, type ImportResult, MODEL_GROUPS, type ModelGroup,
  type Price, type ProxyConfig, UPDATE_CONFIG,
} from '../graphql/operations.ts';
import { fileDate, saveBlob } from '../lib/download.ts';
import { formatPercent, formatUsd, intlLocale } from '../lib/format.ts';
import { locale, t } from '../lib/i18n.ts';
import { createQueryResource } from '../lib/resource.ts';
import { runMutation, runQuery } from '../lib/urql.ts';

/** How often the breakers are read again while the page is open (a first cooldown lasts 5 s by default, COOLDOWN_BASE_MS). */
const HEALTH_EVERY_MS = 5_000;

export function Models() {
  const configs = createQueryResource(CONFIGS, { select: (data) => data.configs });
  // Only the breakers are polled: re-reading the whole list would rebuild every row under the user's pointer.
  const health = createQueryResource(CONFIG_HEALTH, { select: (data) => new Map(data.configs.map((c) => [c.id, c.health])) });
  const poll = setInterval(() => {
    if (!document.hidden) health.refetch();
  }, HEALTH_EVERY_MS);
  onCleanup(() => clearInterval(poll));
  const healthOf = (c: ProxyConfig) => health()?.get(c.id) ?? c.health;
  // A group's settings outlive its configs and come with an import, so they are read again with the configs.
  const groups = createQueryResource(MODEL_GROUPS, { select: (data) => new Map(data.modelGroups.map((g) => [g.name, g])) });
  const refresh = () => {
    configs.refetch();
    health.refetch();
    groups.refetch();
  };
  const tests = createModelTests();
  /** The form's config: null adds one; undefined, no form. */
  const [editing, setEditing] = createSignal<{ config: ProxyConfig | null }>();
  /** The group whose routing form is open. */
  const [routing, setRouting] = createSignal<ModelGroup>();
  const [importing, setImporting] = createSignal<ImportFile>();
  const [imported, setImported] = createSignal<ImportResult | null>(null);
  const [pageError, setPageError] = createSignal<string | null>(null);
  let fileInput: HTMLInputElement | undefined;

  /** The export document, as the server builds it, saved as a file: no key leaves the server unless asked for. */
  async function exportModels(withKeys: boolean) {
    if (withKeys && !confirm(t('models.export.confirmKeys'))) return;
    setPageError(null);
    const outcome = await runQuery(EXPORT_CONFIGS, { withKeys });
    if (outcome.error !== null) return setPageError(t('models.export.failed', { message: outcome.error }));
    const text = `${JSON.stringify(outcome.data.exportConfigs, null, 2)}\n`;
    saveBlob(new Blob([text], { type: 'application/json' }), `lite-proxy-models-${fileDate()}.json`);
  }

  async function pickImportFile(input: HTMLInputElement) {
    const file = input.files?.[0];
    // Cleared so that picking the same file again (after fixing it) fires another change.
    input.value = '';
    if (!file) return;
    setPageError(null);
    setImported(null);
    const outcome = await readImportFile(file);
    if (outcome.error !== null) setPageError(outcome.error);
    else setImporting(outcome.data);
  }

  async function change(mutation: Promise<{ error: string | null }>) {
    setPageError((await mutation).error);
    refresh();
  }
  const toggle = (c: ProxyConfig) => void change(runMutation(UPDATE_CONFIG, { id: c.id, input: { enabled: !c.enabled } }));
  const remove = (c: ProxyConfig) => {
    if (confirm(t('models.confirmDelete', { name: c.proxyModelName }))) void change(runMutation(DELETE_CONFIG, { id: c.id }));
  };

  return (
    <section>
      <header class="page-head">
        <h1>{t('models.title')}</h1>
        <div class="page-actions">
          <button type="button" class="secondary" onClick={() => fileInput?.click()}>{t('models.import')}</button>
          <input ref={fileInput} type="file" accept=".json,application/json" hidden data-testid="import-file"
            onChange={(e) => void pickImportFile(e.currentTarget)} />
          <button type="button" class="secondary" onClick={() => void exportModels(false)} title={t('models.export.title')}>{t('models.export')}</button>
          <button type="button" class="secondary" onClick={() => void exportModels(true)} title={t('models.exportKeys.title')}>{t('models.exportKeys')}</button>
          <button type="button" onClick={() => setEditing({ config: null })}>{t('models.add')}</button>
        </div>
      </header>
      <ErrorMessage message={pageError()} />
      <Show when={imported()}>
        {(r) => (
          <p class="notice import-result" role="status">
            {t('models.import.result', { created: r().created, updated: r().updated, unchanged: r().unchanged, deleted: r().deleted })}
          </p>
        )}
      </Show>
      <ErrorMessage message={configs() !== undefined && health.error && t('models.health.readFailed', { message: health.error })} />
      <ErrorMessage message={configs() !== undefined && groups.error && t('models.group.readFailed', { message: groups.error })} />
      <QueryState of={configs} empty={<p class="muted">{t('models.empty')}</p>}>
        {(list) => (
          <ModelTable configs={list()} health={healthOf} group={(name) => groups()?.get(name)} tests={tests} onToggle={toggle}
            onEdit={(c) => setEditing({ config: c })} onRemove={remove} onRouting={setRouting} />
        )}
      </QueryState>

      <Show when={editing()} keyed>
        {(target) => (
          <ModelForm config={target.config} onCancel={() => setEditing()} onSaved={() => { setEditing(); refresh(); }} />
        )}
      </Show>
      <Show when={routing()} keyed>
        {(group) => (
          <ModelGroupForm group={group} names={[...new Set((configs() ?? []).map((c) => c.proxyModelName))]}
            onCancel={() => setRouting()} onSaved={() => { setRouting(); refresh(); }} />
        )}
      </Show>
      <Show when={importing()} keyed>
        {(file) => (
          <ModelImportDialog file={file} onCancel={() => setImporting()}
            onImported={(result) => { setImporting(); setImported(result); refresh(); }} />
        )}
      </Show>
    </section>
  );
}

interface ModelTableProps {
  configs: ProxyConfig[];
  /** Its breaker, as last read. */
  health: (c: ProxyConfig) => BackendHealth;
  /** A group's routing settings, once read. */
  group: (name: string) => ModelGroup | undefined;
  tests: ModelTests;
  onToggle: (c: ProxyConfig) => void;
  onEdit: (c: ProxyConfig) => void;
  onRemove: (c: ProxyConfig) => void;
  onRouting: (g: ModelGroup) => void;
}

/** The columns of the table head below: a group's header cell spans them all. */
const COLUMNS = 13;

/** The configs by proxy model name, in the order the server listed them (a group's members are next to each other). */
function byGroup(configs: ProxyConfig[]): { name: string; configs: ProxyConfig[] }[] {
  const groups = new Map<string, ProxyConfig[]>();
  for (const c of configs) {
    let list = groups.get(c.proxyModelName);
    if (!list) groups.set(c.proxyModelName, (list = []));
    list.push(c);
  }
  return [...groups].map(([name, members]) => ({ name, configs: members }));
}

/**
 * The share of its tier's requests a config gets by its weight: among the enabled configs of its
 * group with the same priority. Null when it gets none that way (disabled, or weight 0).
 */
function tierShare(c: ProxyConfig, all: ProxyConfig[]): number | null {
  if (!c.enabled || c.weight === 0) return null;
  const tier = all.filter((o) => o.enabled && o.proxyModelName === c.proxyModelName && o.priority === c.priority);
  return c.weight / tier.reduce((sum, o) => sum + o.weight, 0);
}

function ModelTable(props: ModelTableProps) {
  const weightTitle = (c: ProxyConfig) => {
    if (c.weight === 0) return t('models.weightZeroTitle');
    const share = tierShare(c, props.configs);
    return share === null ? undefined : t('models.weightShare', { share: formatPercent(share, intlLocale(locale(), navigator.language)) });
  };
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{t('models.name')}</th><th>{t('models.baseUrl')}</th><th>{t('models.backendModel')}</th>
            <th>{t('models.key')}</th><th>{t('models.price')}</th><th title={t('models.priorityTitle')}>{t('models.priority')}</th>
            <th title={t('models.weightTitle')}>{t('models.weight')}</th><th>{t('models.health')}</th><th>{t('models.tlsColumn')}</th><th>{t('models.enabled')}</th>
            <th>{t('models.timeout')}</th><th>{t('models.updated')}</th><th>{t('models.actions')}</th>
          </tr>
        </thead>
        <For each={byGroup(props.configs)}>
          {(g) => (
            <tbody data-group={g.name}>
              <ModelGroupHead columns={COLUMNS} name={g.name} group={props.group(g.name)} onRouting={props.onRouting} />
              <For each={g.configs}>
                {(c) => (
                  <tr data-config={c.id}>
                    <td>{c.proxyModelName}</td>
                    <td class="mono">{c.baseUrl}</td>
                    <td>{c.backendModelName}</td>
                    <td class="mono">{c.apiKeyPreview ?? t('models.noKey')}</td>
                    <td data-col="price"><PriceCell price={c.price} /></td>
                    <td data-col="priority">{c.priority}</td>
                    <td data-col="weight" title={weightTitle(c)}>{c.weight === 0 ? t('models.weightZero') : c.weight}</td>
                    <td data-col="health"><HealthBadge health={props.health(c)} /></td>
                    <td>{c.ignoreSslVerify ? t('models.tlsSkipped') : t('models.tlsVerified')}</td>
                    <td><input type="checkbox" checked={c.enabled} onChange={() => props.onToggle(c)} aria-label={t('models.enabled')} /></td>
                    <td>{c.timeoutMs ?? t('common.default')}</td>
                    <td>{new Date(c.updatedAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}</td>
                    <td class="actions">
                      <button type="button" class="small" onClick={() => props.tests.run(c)}>{t('models.test')}</button>
                      <button type="button" class="small" onClick={() => props.onEdit(c)}>{t('models.edit')}</button>
                      <button type="button" class="small danger" onClick={() => props.onRemove(c)}>{t('models.delete')}</button>
                      <ModelTestResult line={props.tests.line(c.id)} />
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          )}
        </For>
      </table>
    </div>
  );
}

/** A config's prices per million tokens and their source: its own, the price list's (which entry), or none. */
function PriceCell(props: { price: Price }) {
  const usd = (n: number) => formatUsd(n, intlLocale(locale(), navigator.language));
  return (
    <Show when={props.price} fallback={<span class="muted" title={t('models.notPricedTitle')}>{t('models.notPriced')}</span>}>
      {(p) => (
        <div class="model-price">
          <span>{t('models.priceFigures', { input: usd(p().input), cachedInput: usd(p().cachedInput), output: usd(p().output) })}</span>
          <span class="muted" data-source={p().source}>
            {p().source === 'CONFIG' ? t('models.priceSource.CONFIG') : t('models.priceSource.LIST', { provider: p().provider ?? '', model: p().model ?? '' })}
          </span>
        </div>
      )}
    </Show>
  );
}
