import { createResource, createSignal, For, Show } from 'solid-js';
import { streamChat } from '../graphql/chat.ts';
import {
  CONFIGS, CREATE_CONFIG, type CreateConfigInput, DELETE_CONFIG, EXPORT_CONFIGS, IMPORT_CONFIGS, type ImportResult, type ProxyConfig,
  UPDATE_CONFIG,
} from '../graphql/operations.ts';
import { fileDate, saveBlob } from '../lib/download.ts';
import { t } from '../lib/i18n.ts';
import { client, errorMessage } from '../lib/urql.ts';

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
}

/** A file read and parsed, waiting for the user's confirmation. */
interface PendingImport {
  fileName: string;
  document: unknown;
  /** Entries in the file, when it has a configs list (the server checks the rest). */
  count: number | null;
  replace: boolean;
  busy: boolean;
  error: string | null;
}

// Sent to the model, never shown: the same in every language of the admin.
const TEST_PROMPT = 'Say hello in five words.';

const emptyDraft = (): Draft => ({
  id: null, proxyModelName: '', baseUrl: '', backendModelName: '', apiKey: '', clearKey: false,
  ignoreSslVerify: false, enabled: true, timeoutMs: '',
});

async function loadConfigs(): Promise<ProxyConfig[]> {
  const result = await client.query(CONFIGS, {}).toPromise();
  if (result.error) throw new Error(errorMessage(result.error) ?? 'error');
  return result.data?.configs ?? [];
}

export function Models() {
  const [configs, { refetch }] = createResource(loadConfigs);
  const [draft, setDraft] = createSignal<Draft | null>(null);
  const [formError, setFormError] = createSignal<string | null>(null);
  const [pageError, setPageError] = createSignal<string | null>(null);
  const [tests, setTests] = createSignal<Record<string, string>>({});
  const [pending, setPending] = createSignal<PendingImport | null>(null);
  const [imported, setImported] = createSignal<ImportResult | null>(null);
  let fileInput: HTMLInputElement | undefined;

  /** The export document, as the server builds it, saved as a file: no key leaves the server unless asked for. */
  async function exportModels(withKeys: boolean) {
    if (withKeys && !confirm(t('models.export.confirmKeys'))) return;
    setPageError(null);
    const result = await client.query(EXPORT_CONFIGS, { withKeys }).toPromise();
    if (result.error || !result.data) {
      return setPageError(t('models.export.failed', { message: errorMessage(result.error) ?? t('models.noData') }));
    }
    const text = `${JSON.stringify(result.data.exportConfigs, null, 2)}\n`;
    saveBlob(new Blob([text], { type: 'application/json' }), `lite-proxy-models-${fileDate()}.json`);
  }

  async function readImportFile(input: HTMLInputElement) {
    const file = input.files?.[0];
    // Cleared so that picking the same file again (after fixing it) fires another change.
    input.value = '';
    if (!file) return;
    setPageError(null);
    setImported(null);
    let text: string;
    try {
      text = await file.text();
    } catch (err) {
      return setPageError(t('models.import.readFailed', { name: file.name, message: (err as Error).message }));
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (err) {
      return setPageError(t('models.import.notJson', { name: file.name, message: (err as Error).message }));
    }
    const list = (document as { configs?: unknown } | null)?.configs;
    setPending({ fileName: file.name, document, count: Array.isArray(list) ? list.length : null, replace: false, busy: false, error: null });
  }

  async function runImport(event: SubmitEvent) {
    event.preventDefault();
    const p = pending();
    if (!p || p.busy) return;
    setPending({ ...p, busy: true, error: null });
    const result = await client.mutation(IMPORT_CONFIGS, { document: p.document, replace: p.replace }).toPromise();
    if (result.error || !result.data) {
      // The dialog stays open with the server's reason: nothing was imported.
      setPending({ ...p, busy: false, error: t('models.import.refused', { message: errorMessage(result.error) ?? t('models.noData') }) });
      return;
    }
    setPending(null);
    setImported(result.data.importConfigs);
    await refetch();
  }

  function edit(c: ProxyConfig) {
    setFormError(null);
    setDraft({
      id: c.id, proxyModelName: c.proxyModelName, baseUrl: c.baseUrl, backendModelName: c.backendModelName,
      apiKey: '', clearKey: false, ignoreSslVerify: c.ignoreSslVerify, enabled: c.enabled,
      timeoutMs: c.timeoutMs === null ? '' : String(c.timeoutMs),
    });
  }

  async function save(event: SubmitEvent) {
    event.preventDefault();
    const d = draft();
    if (!d) return;
    if (d.timeoutMs.trim() !== '' && !/^\d+$/.test(d.timeoutMs.trim())) return setFormError(t('models.timeoutInvalid'));
    const timeoutMs = d.timeoutMs.trim() === '' ? null : Number(d.timeoutMs);
    // It holds every field create needs, so it serves update as well (where an absent apiKey keeps the key).
    const input: CreateConfigInput = {
      proxyModelName: d.proxyModelName, baseUrl: d.baseUrl, backendModelName: d.backendModelName,
      ignoreSslVerify: d.ignoreSslVerify, enabled: d.enabled, timeoutMs,
    };
    // The key is write-only: empty keeps the stored one, "clear" removes it.
    if (d.clearKey) input.apiKey = null;
    else if (d.apiKey !== '') input.apiKey = d.apiKey;
    const result = d.id
      ? await client.mutation(UPDATE_CONFIG, { id: d.id, input }).toPromise()
      : await client.mutation(CREATE_CONFIG, { input }).toPromise();
    if (result.error) return setFormError(errorMessage(result.error));
    setDraft(null);
    await refetch();
  }

  async function toggle(c: ProxyConfig) {
    const result = await client.mutation(UPDATE_CONFIG, { id: c.id, input: { enabled: !c.enabled } }).toPromise();
    setPageError(errorMessage(result.error));
    await refetch();
  }

  async function remove(c: ProxyConfig) {
    if (!confirm(t('models.confirmDelete', { name: c.proxyModelName }))) return;
    const result = await client.mutation(DELETE_CONFIG, { id: c.id }).toPromise();
    setPageError(errorMessage(result.error));
    await refetch();
  }

  /** A one-line chat with exactly this config (disabled or not), through the proxy and logged. */
  function test(c: ProxyConfig) {
    setTests({ ...tests(), [c.id]: t('models.testing') });
    const show = (line: string) => setTests({ ...tests(), [c.id]: line });
    let reply = '';
    streamChat({ model: c.proxyModelName, configId: c.id, maxTokens: 32, messages: [{ role: 'USER', content: TEST_PROMPT }] }, {
      event(e) {
        if (e.type === 'DELTA') reply += e.content ?? '';
        if (e.type !== 'DONE' && e.type !== 'ERROR') return;
        const text = e.type === 'DONE' ? reply : (e.error ?? '');
        show(e.status == null ? text : `${t('models.testResult', { status: e.status, ms: Math.round(e.durationMs ?? 0) })}: ${text}`);
      },
      fail: show,
    });
  }

  const field = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft({ ...draft()!, [key]: value });

  return (
    <section>
      <header class="page-head">
        <h1>{t('models.title')}</h1>
        <div class="page-actions">
          <button type="button" class="secondary" onClick={() => fileInput?.click()}>{t('models.import')}</button>
          <input ref={fileInput} type="file" accept=".json,application/json" hidden data-testid="import-file"
            onChange={(e) => void readImportFile(e.currentTarget)} />
          <button type="button" class="secondary" onClick={() => void exportModels(false)} title={t('models.export.title')}>{t('models.export')}</button>
          <button type="button" class="secondary" onClick={() => void exportModels(true)} title={t('models.exportKeys.title')}>{t('models.exportKeys')}</button>
          <button type="button" onClick={() => { setFormError(null); setDraft(emptyDraft()); }}>{t('models.add')}</button>
        </div>
      </header>
      <Show when={pageError()}>{(m) => <p class="error" role="alert">{m()}</p>}</Show>
      <Show when={imported()}>
        {(r) => (
          <p class="notice import-result" role="status">
            {t('models.import.result', { created: r().created, updated: r().updated, unchanged: r().unchanged, deleted: r().deleted })}
          </p>
        )}
      </Show>
      <Show when={!configs.error} fallback={<p class="error" role="alert">{String(configs.error)}</p>}>
        <Show when={configs()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(list) => (
            <Show when={list().length > 0} fallback={<p class="muted">{t('models.empty')}</p>}>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>{t('models.name')}</th><th>{t('models.baseUrl')}</th><th>{t('models.backendModel')}</th>
                      <th>{t('models.key')}</th><th>{t('models.tlsColumn')}</th><th>{t('models.enabled')}</th>
                      <th>{t('models.timeout')}</th><th>{t('models.updated')}</th><th>{t('models.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={list()}>
                      {(c) => (
                        <tr>
                          <td>{c.proxyModelName}</td>
                          <td class="mono">{c.baseUrl}</td>
                          <td>{c.backendModelName}</td>
                          <td class="mono">{c.apiKeyPreview ?? t('models.noKey')}</td>
                          <td>{c.ignoreSslVerify ? t('models.tlsSkipped') : t('models.tlsVerified')}</td>
                          <td><input type="checkbox" checked={c.enabled} onChange={() => toggle(c)} aria-label={t('models.enabled')} /></td>
                          <td>{c.timeoutMs ?? t('common.default')}</td>
                          <td>{new Date(c.updatedAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}</td>
                          <td class="actions">
                            <button type="button" class="small" onClick={() => test(c)}>{t('models.test')}</button>
                            <button type="button" class="small" onClick={() => edit(c)}>{t('models.edit')}</button>
                            <button type="button" class="small danger" onClick={() => remove(c)}>{t('models.delete')}</button>
                            <Show when={tests()[c.id]}>{(line) => <div class="test-result">{line()}</div>}</Show>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </Show>
          )}
        </Show>
      </Show>

      <Show when={draft()}>
        {(d) => (
          <div class="drawer" role="dialog" aria-modal="true">
            <form class="card" onSubmit={save}>
              <h2>{d().id ? t('models.edit') : t('models.add')}</h2>
              <label>{t('models.name')}<input required value={d().proxyModelName} onInput={(e) => field('proxyModelName', e.currentTarget.value)} /></label>
              <label>{t('models.baseUrl')}<input required placeholder="https://api.openai.com/v1" value={d().baseUrl} onInput={(e) => field('baseUrl', e.currentTarget.value)} /></label>
              <label>{t('models.backendModel')}<input required value={d().backendModelName} onInput={(e) => field('backendModelName', e.currentTarget.value)} /></label>
              <label>
                {t('models.key')}
                <input type="password" autocomplete="off" placeholder={d().id ? t('models.keyPlaceholderKeep') : ''} disabled={d().clearKey}
                  value={d().apiKey} onInput={(e) => field('apiKey', e.currentTarget.value)} />
              </label>
              <Show when={d().id}>
                <label class="check"><input type="checkbox" checked={d().clearKey} onChange={(e) => field('clearKey', e.currentTarget.checked)} />{t('models.keyClear')}</label>
              </Show>
              <label>{t('models.timeout')}<input inputmode="numeric" placeholder="600000" value={d().timeoutMs} onInput={(e) => field('timeoutMs', e.currentTarget.value)} /></label>
              <label class="check"><input type="checkbox" checked={d().ignoreSslVerify} onChange={(e) => field('ignoreSslVerify', e.currentTarget.checked)} />{t('models.tls')}</label>
              <label class="check"><input type="checkbox" checked={d().enabled} onChange={(e) => field('enabled', e.currentTarget.checked)} />{t('models.enabled')}</label>
              <Show when={formError()}>{(m) => <p class="error" role="alert">{m()}</p>}</Show>
              <div class="row">
                <button type="submit">{t('models.save')}</button>
                <button type="button" class="secondary" onClick={() => setDraft(null)}>{t('models.cancel')}</button>
              </div>
            </form>
          </div>
        )}
      </Show>

      <Show when={pending()}>
        {(p) => (
          <div class="modal" role="dialog" aria-modal="true" aria-labelledby="import-title"
            onKeyDown={(e) => { if (e.key === 'Escape' && !p().busy) setPending(null); }}>
            <form class="card" onSubmit={runImport}>
              <h2 id="import-title">{t('models.import.title')}</h2>
              <p class="mono">{p().fileName}</p>
              <Show when={p().count !== null}>
                <p>{p().count === 1 ? t('models.import.countOne') : t('models.import.count', { count: p().count! })}</p>
              </Show>
              <p class="muted">{t('models.import.how')}</p>
              <label class="check">
                <input type="checkbox" checked={p().replace} disabled={p().busy} onChange={(e) => setPending({ ...p(), replace: e.currentTarget.checked })} />
                {t('models.import.replace')}
              </label>
              <Show when={p().replace}><p class="warning">{t('models.import.replaceWarning')}</p></Show>
              <Show when={p().error}>{(m) => <p class="error" role="alert">{m()}</p>}</Show>
              <div class="row">
                <button type="submit" disabled={p().busy} ref={(el) => setTimeout(() => el.focus())}>
                  {p().busy ? t('models.import.busy') : t('models.import.submit')}
                </button>
                <button type="button" class="secondary" disabled={p().busy} onClick={() => setPending(null)}>{t('models.cancel')}</button>
              </div>
            </form>
          </div>
        )}
      </Show>
    </section>
  );
}
