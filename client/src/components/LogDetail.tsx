import { createResource, createSignal, For, type JSX, Show } from 'solid-js';
import { LOG, type LogDetail } from '../graphql/operations.ts';
import { t } from '../lib/i18n.ts';
import { client, errorMessage } from '../lib/urql.ts';

const CHUNK_PAGE = 100;
/** Not worth copying into a curl command: secrets (stored redacted anyway) and what curl sets itself. */
const CURL_SKIP = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie', 'host', 'content-length', 'connection', 'accept-encoding']);

const pretty = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export function curlFor(log: LogDetail, origin: string): string {
  const parts = [`curl -X ${log.method} ${quote(`${origin}${log.path}`)}`];
  for (const [name, value] of Object.entries(log.requestHeaders ?? {})) {
    if (!CURL_SKIP.has(name)) parts.push(`-H ${quote(`${name}: ${String(value)}`)}`);
  }
  parts.push('-H \'authorization: Bearer $OPENAI_API_KEY\'');
  if (log.requestBody !== null && log.requestBody !== undefined) parts.push(`--data-raw ${quote(pretty(log.requestBody))}`);
  return parts.join(' \\\n  ');
}

function CopyButton(props: { text: () => string }) {
  const [done, setDone] = createSignal(false);
  return (
    <button type="button" class="small secondary" onClick={async (e) => {
      e.preventDefault();
      await navigator.clipboard.writeText(props.text());
      setDone(true);
      setTimeout(() => setDone(false), 1500);
    }}>{done() ? t('logs.copied') : t('logs.copy')}</button>
  );
}

/** A collapsible block of text; always rendered as text, so logged markup never runs. */
function Block(props: { title: string; value: unknown; open?: boolean; extra?: JSX.Element }) {
  return (
    <details class="block" open={props.open}>
      <summary>{props.title} <CopyButton text={() => pretty(props.value)} />{props.extra}</summary>
      <pre>{pretty(props.value)}</pre>
    </details>
  );
}

export function LogDetailView(props: { id: string; onClose: () => void }) {
  const [log] = createResource(() => props.id, async (id) => {
    const result = await client.query(LOG, { id }).toPromise();
    if (result.error) throw new Error(errorMessage(result.error) ?? 'error');
    return result.data?.log ?? null;
  });
  const [shown, setShown] = createSignal(CHUNK_PAGE);

  return (
    <div class="drawer" role="dialog" aria-modal="true" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="card detail">
        <div class="page-head">
          <h2>{props.id}</h2>
          <button type="button" class="secondary" onClick={() => props.onClose()}>{t('logs.close')}</button>
        </div>
        <Show when={!log.error} fallback={<p class="error" role="alert">{String(log.error?.message ?? log.error)}</p>}>
          <Show when={log()} fallback={<p class="muted">{t('common.loading')}</p>}>
            {(entry) => (
              <>
                <p class="mono">{entry().method} {entry().path} → {entry().upstreamUrl ?? '–'} · {entry().statusCode} · {new Date(entry().timestamp).toLocaleString()}</p>
                <Show when={entry().error}><p class="error">{t('logs.error')}: {entry().error}</p></Show>
                <p><button type="button" class="small" onClick={() => navigator.clipboard.writeText(curlFor(entry(), location.origin))}>{t('logs.copyCurl')}</button></p>
                <Show when={entry().stream}>
                  <Block title={t('logs.merged')} value={entry().streamContent ?? ''} open />
                  <Block title={t('logs.assembled')} value={entry().responseBody} />
                  <details class="block">
                    <summary>{t('logs.chunks', { count: entry().chunks?.length ?? 0 })} <CopyButton text={() => pretty(entry().chunks)} /></summary>
                    <For each={(entry().chunks ?? []).slice(0, shown())}>{(c) => <pre class="chunk">{JSON.stringify(c)}</pre>}</For>
                    <Show when={(entry().chunks?.length ?? 0) > shown()}>
                      <button type="button" class="small secondary" onClick={() => setShown(shown() + CHUNK_PAGE)}>{t('logs.moreChunks')}</button>
                    </Show>
                  </details>
                </Show>
                <Block title={t('logs.requestBody')} value={entry().requestBody} open={!entry().stream} />
                <Show when={!entry().stream}><Block title={t('logs.responseBody')} value={entry().responseBody} open /></Show>
                <Block title={t('logs.requestHeaders')} value={entry().requestHeaders} />
                <Block title={t('logs.responseHeaders')} value={entry().responseHeaders} />
              </>
            )}
          </Show>
        </Show>
      </div>
    </div>
  );
}
