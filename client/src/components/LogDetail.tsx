/**
 * One log entry in a drawer: its key, tokens, cost and timings, the backends it tried when it tried
 * more than one or a fallback group answered (each attempt of a fallback group tagged with it), headers and bodies as JSON trees (JsonView), a stream's merged text, assembled
 * answer and raw chunks, copy buttons and copy as curl. Logs.tsx opens it from ?log=<id>.
 */
import { createSignal, For, type JSX, Show } from 'solid-js';
import { type Attempt, LOG, type LogDetail } from '../graphql/operations.ts';
import { formatDuration, intlLocale } from '../lib/format.ts';
import { locale, t } from '../lib/i18n.ts';
import { createQueryResource } from '../lib/resource.ts';
import { CopyButton } from './CopyButton.tsx';
import { Dialog } from './Dialog.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';
import { JsonView } from './JsonView.tsx';
import { costOf, keyOf, statusClass } from './LogTable.tsx';
import { QueryState } from './QueryState.tsx';

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

/** The figures of the exchange, one term each. */
function Facts(props: { entry: LogDetail }) {
  const tag = () => intlLocale(locale(), navigator.language);
  const tokens = () => {
    const e = props.entry;
    if (e.promptTokens === null && e.completionTokens === null) return e.totalTokens === null ? '–' : String(e.totalTokens);
    return t('logs.tokensDetail', { prompt: e.promptTokens ?? '–', completion: e.completionTokens ?? '–', total: e.totalTokens ?? '–' });
  };
  return (
    <dl class="log-facts">
      <div data-fact="key"><dt>{t('logs.key')}</dt><dd>{keyOf(props.entry)}</dd></div>
      <div data-fact="tokens"><dt>{t('logs.tokens')}</dt><dd>{tokens()}</dd></div>
      <div data-fact="cost">
        <dt>{t('logs.cost')}</dt>
        <dd title={props.entry.costUsd === null ? t('logs.costUnknownTitle') : undefined}>
          {props.entry.costUsd === null ? t('logs.costUnknown') : costOf(props.entry)}
        </dd>
      </div>
      <div data-fact="duration"><dt>{t('logs.duration')}</dt><dd>{formatDuration(props.entry.durationMs, tag())}</dd></div>
      <div data-fact="ttft"><dt>{t('logs.ttft')}</dt><dd>{formatDuration(props.entry.ttftMs, tag())}</dd></div>
    </dl>
  );
}

/** An attempt made on a config of another group than the one the client asked for. */
const isFallback = (a: Attempt, model: string | null) => a.model !== null && model !== null && a.model !== model;

/** The backends tried, in order; the last one answered the client (its figures are the entry's). */
function Attempts(props: { attempts: Attempt[]; model: string | null }) {
  const tag = () => intlLocale(locale(), navigator.language);
  const last = () => props.attempts.length - 1;
  return (
    <section class="attempts" aria-labelledby="log-attempts-title">
      <h3 id="log-attempts-title">{t('logs.attempts', { count: props.attempts.length })}</h3>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>#</th><th>{t('logs.status')}</th><th>{t('logs.error')}</th><th>{t('logs.duration')}</th>
              <th>{t('logs.backendModel')}</th><th>{t('logs.upstreamUrl')}</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.attempts}>
              {(a, i) => (
                <tr data-attempt={i() + 1} data-answered={i() === last() ? '' : undefined} title={i() === last() ? t('logs.attemptAnswered') : undefined}>
                  <td>{i() + 1}</td>
                  <td data-col="status">
                    <Show when={a.statusCode !== null} fallback={<span class="muted">{t('logs.noAnswer')}</span>}>
                      <span class={statusClass(a.statusCode!)}>{a.statusCode}</span>
                    </Show>
                  </td>
                  <td data-col="error" class={a.error ? 'error' : undefined}>{a.error ?? '–'}</td>
                  <td data-col="duration" title={a.ttftMs === null ? undefined : `${t('logs.ttft')} ${formatDuration(a.ttftMs, tag())}`}>
                    {formatDuration(a.durationMs, tag())}
                  </td>
                  <td data-col="backendModel">
                    {a.backendModel ?? '–'}
                    <Show when={isFallback(a, props.model) && a.model}>
                      {(group) => (
                        <span class="badge attempt-fallback" data-fallback={group()} title={t('logs.fallbackTitle', { group: group(), model: props.model ?? '' })}>
                          {t('logs.fallback', { group: group() })}
                        </span>
                      )}
                    </Show>
                  </td>
                  <td data-col="upstreamUrl" class="mono">{a.upstreamUrl ?? '–'}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Entry(props: { entry: LogDetail }) {
  return (
    <>
      <p class="mono">
        {props.entry.method} {props.entry.path} → {props.entry.upstreamUrl ?? '–'} · {props.entry.statusCode} · {new Date(props.entry.timestamp).toLocaleString()}
      </p>
      <Facts entry={props.entry} />
      <Show when={props.entry.error}><p class="error">{t('logs.error')}: {props.entry.error}</p></Show>
      {/* One attempt is shown too when a fallback group made it (the asked group had nothing that could serve). */}
      <Show when={props.entry.attempts.length > 1 || props.entry.attempts.some((a) => isFallback(a, props.entry.model))}>
        <Attempts attempts={props.entry.attempts} model={props.entry.model} />
      </Show>
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
  const log = createQueryResource(LOG, { source: () => props.id, variables: (id) => ({ id }), select: (data) => data.log });
  return (
    <Dialog kind="drawer" label={props.id} onClose={() => props.onClose()} closeOnBackdrop>
      <div class="card detail">
        <div class="page-head">
          <h2 class="mono">{props.id}</h2>
          <button type="button" class="secondary" onClick={() => props.onClose()}>{t('logs.close')}</button>
        </div>
        <QueryState of={log} empty={<ErrorMessage class="not-found" message={t('logs.notFound', { id: props.id })} />}>
          {(entry) => <Entry entry={entry()} />}
        </QueryState>
      </div>
    </Dialog>
  );
}
