/**
 * One log entry in a drawer: headers and bodies as JSON trees (JsonView), a stream's merged text,
 * assembled answer and raw chunks, copy buttons and copy as curl. Logs.tsx opens it from ?log=<id>.
 */
import { createResource, createSignal, For, type JSX, Match, onCleanup, onMount, Show, Switch } from 'solid-js';
import { LOG, type LogDetail } from '../graphql/operations.ts';
import { t } from '../lib/i18n.ts';
import { client, errorMessage } from '../lib/urql.ts';
import { JsonView } from './JsonView.tsx';

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

/** Copies the text it is given when clicked; says so, or says why not (no clipboard over plain http). */
function CopyButton(props: { text: () => string; label?: string; class?: string }) {
  const [done, setDone] = createSignal(false);
  const [failed, setFailed] = createSignal<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  const copy = async (e: MouseEvent) => {
    // Inside a <summary>, a click would also fold the block.
    e.preventDefault();
    setFailed(null);
    try {
      await navigator.clipboard.writeText(props.text());
      setDone(true);
      clearTimeout(timer);
      timer = setTimeout(() => setDone(false), 1500);
    } catch (err) {
      setFailed(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <>
      <button type="button" class={props.class ?? 'small secondary'} onClick={copy}>{done() ? t('logs.copied') : (props.label ?? t('logs.copy'))}</button>
      <Show when={failed()}>{(message) => <span class="error" role="alert">{t('logs.copyFailed', { message: message() })}</span>}</Show>
    </>
  );
}

/** A foldable section with a copy button; what it holds is built only once it is opened. */
function Block(props: { title: string; value: unknown; open?: boolean; children: JSX.Element }) {
  const [open, setOpen] = createSignal(props.open ?? false);
  return (
    <details class="block" open={open()} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{props.title} <CopyButton text={() => pretty(props.value)} /></summary>
      <Show when={open()}>{props.children}</Show>
    </details>
  );
}

/** A logged body or header set: JSON as a tree, other text as text; never markup, so nothing in it runs. */
function BodyBlock(props: { title: string; value: unknown; open?: boolean }) {
  return (
    <Block title={props.title} value={props.value} open={props.open}>
      <Show when={typeof props.value === 'string'} fallback={<JsonView value={props.value} />}>
        <pre>{props.value as string}</pre>
      </Show>
    </Block>
  );
}

/** The raw chunks of a stream, one folded line each, CHUNK_PAGE at a time. */
function Chunks(props: { chunks: unknown[] }) {
  const [shown, setShown] = createSignal(CHUNK_PAGE);
  return (
    <Block title={t('logs.chunks', { count: props.chunks.length })} value={props.chunks}>
      <div class="chunks">
        <For each={props.chunks.slice(0, shown())}>{(chunk) => <JsonView value={chunk} folded preview />}</For>
      </div>
      <Show when={props.chunks.length > shown()}>
        <button type="button" class="small secondary" onClick={() => setShown(shown() + CHUNK_PAGE)}>{t('logs.moreChunks')}</button>
      </Show>
    </Block>
  );
}

function Entry(props: { entry: LogDetail }) {
  return (
    <>
      <p class="mono">
        {props.entry.method} {props.entry.path} → {props.entry.upstreamUrl ?? '–'} · {props.entry.statusCode} · {new Date(props.entry.timestamp).toLocaleString()}
      </p>
      <Show when={props.entry.error}><p class="error">{t('logs.error')}: {props.entry.error}</p></Show>
      <p><CopyButton class="small" label={t('logs.copyCurl')} text={() => curlFor(props.entry, location.origin)} /></p>
      <Show when={props.entry.stream}>
        <BodyBlock title={t('logs.merged')} value={props.entry.streamContent ?? ''} open />
        <BodyBlock title={t('logs.assembled')} value={props.entry.responseBody} open />
        <Chunks chunks={props.entry.chunks ?? []} />
      </Show>
      <BodyBlock title={t('logs.requestBody')} value={props.entry.requestBody} open={!props.entry.stream} />
      <Show when={!props.entry.stream}><BodyBlock title={t('logs.responseBody')} value={props.entry.responseBody} open /></Show>
      <BodyBlock title={t('logs.requestHeaders')} value={props.entry.requestHeaders} />
      <BodyBlock title={t('logs.responseHeaders')} value={props.entry.responseHeaders} />
    </>
  );
}

export function LogDetailView(props: { id: string; onClose: () => void }) {
  const [log] = createResource(() => props.id, async (id) => {
    const result = await client.query(LOG, { id }).toPromise();
    if (result.error) throw new Error(errorMessage(result.error) ?? 'error');
    return result.data?.log ?? null;
  });
  onMount(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    document.addEventListener('keydown', onKey);
    onCleanup(() => document.removeEventListener('keydown', onKey));
  });

  return (
    <div class="drawer" role="dialog" aria-modal="true" aria-label={props.id} onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="card detail">
        <div class="page-head">
          <h2 class="mono">{props.id}</h2>
          <button type="button" class="secondary" onClick={() => props.onClose()}>{t('logs.close')}</button>
        </div>
        <Switch>
          <Match when={log.error}>{(error) => <p class="error" role="alert">{String((error() as Error).message ?? error())}</p>}</Match>
          <Match when={log.loading}><p class="muted">{t('common.loading')}</p></Match>
          <Match when={log() === null}><p class="error not-found" role="alert">{t('logs.notFound', { id: props.id })}</p></Match>
          <Match when={log()}>{(entry) => <Entry entry={entry()} />}</Match>
        </Switch>
      </div>
    </div>
  );
}
