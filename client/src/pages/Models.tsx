import { createResource, createSignal, For, Show } from 'solid-js';
import { streamChat } from '../graphql/chat.ts';
import { CONFIGS, CREATE_CONFIG, DELETE_CONFIG, type ProxyConfig, UPDATE_CONFIG } from '../graphql/operations.ts';
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
    const input: Record<string, unknown> = {
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
        <button type="button" onClick={() => { setFormError(null); setDraft(emptyDraft()); }}>{t('models.add')}</button>
      </header>
      <Show when={pageError()}>{(m) => <p class="error" role="alert">{m()}</p>}</Show>
      <Show when={!configs.error} fallback={<p class="error" role="alert">{String(configs.error)}</p>}>
        <Show when={configs()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(list) => (
            <Show when={list().length > 0} fallback={<p class="muted">{t('models.empty')}</p>}>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>{t('models.name')}</th><th>{t('models.baseUrl')}</th><th>{t('models.backendModel')}</th>
                      <th>{t('models.key')}</th><th>{t('models.tls')}</th><th>{t('models.enabled')}</th>
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
                          <td>{c.ignoreSslVerify ? t('common.yes') : t('common.no')}</td>
                          <td><input type="checkbox" checked={c.enabled} onChange={() => toggle(c)} aria-label={t('models.enabled')} /></td>
                          <td>{c.timeoutMs ?? t('common.default')}</td>
                          <td>{new Date(c.updatedAt).toLocaleString()}</td>
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
    </section>
  );
}
