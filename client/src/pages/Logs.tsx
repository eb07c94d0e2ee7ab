import { useSearchParams } from '@solidjs/router';
import { createEffect, createResource, createSignal, For, on, onCleanup, Show } from 'solid-js';
import { LogDetailView } from '../components/LogDetail.tsx';
import { DELETE_LOGS, LOG_TAIL, LOGS, type LogFilter, type LogSummary } from '../graphql/operations.ts';
import { downloadLogs, type LogFormat } from '../lib/download.ts';
import { t } from '../lib/i18n.ts';
import { client, errorMessage } from '../lib/urql.ts';

const SIZES = [10, 20, 50, 100];

/** Filters live in the URL, so a filtered view can be bookmarked and shared. */
function filterFrom(params: Record<string, string | string[] | undefined>): LogFilter {
  const one = (k: string) => (typeof params[k] === 'string' && params[k] !== '' ? (params[k] as string) : undefined);
  const f: LogFilter = {};
  if (one('model')) f.model = one('model');
  if (one('method')) f.method = one('method');
  if (one('path')) f.path = one('path');
  if (/^[1-5]$/.test(one('status') ?? '')) f.statusClass = Number(one('status'));
  if (one('stream')) f.stream = one('stream') === 'true';
  // A shared link may be cut short: a date that does not parse is left out, not thrown.
  const time = (key: string) => {
    const d = new Date(one(key) ?? '');
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  };
  if (time('from')) f.from = time('from');
  if (time('to')) f.to = time('to');
  return f;
}

/** The filters in words, one per line, for the delete confirmation. */
function describeFilter(f: LogFilter): string {
  const time = (iso: string) => new Date(iso).toLocaleString();
  const parts: string[] = [];
  if (f.from) parts.push(`${t('logs.from')}: ${time(f.from)}`);
  if (f.to) parts.push(`${t('logs.to')}: ${time(f.to)}`);
  if (f.method) parts.push(`${t('logs.method')}: ${f.method}`);
  if (f.statusClass != null) parts.push(`${t('logs.status')}: ${f.statusClass}xx`);
  if (f.model) parts.push(`${t('logs.model')}: ${f.model}`);
  if (f.path) parts.push(`${t('logs.pathContains')}: ${f.path}`);
  if (f.stream != null) parts.push(`${t('logs.stream')}: ${f.stream ? t('logs.streamOnly') : t('logs.nonStream')}`);
  return parts.map((p) => `• ${p}`).join('\n');
}

const statusClass = (code: number) => `status s${Math.floor(code / 100)}`;
const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);

export function Logs() {
  const [params, setParams] = useSearchParams();
  const filter = () => filterFrom(params);
  const size = () => (SIZES.includes(Number(params.size)) ? Number(params.size) : 20);
  const [cursors, setCursors] = createSignal<(string | null)[]>([null]);
  const after = () => cursors().at(-1) ?? null;
  const [live, setLive] = createSignal(false);
  const [fresh, setFresh] = createSignal<LogSummary[]>([]);
  // The open entry lives in the URL too (?log=<id>): a detail can be shared, and the Chat page links to one.
  const openId = () => (typeof params.log === 'string' && params.log !== '' ? params.log : null);
  const openLog = (id: string | null) => setParams({ log: id ?? undefined });
  const [busy, setBusy] = createSignal<LogFormat | 'delete' | null>(null);
  const [actionError, setActionError] = createSignal<string | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [liveError, setLiveError] = createSignal<string | null>(null);

  // A new filter or page size starts again at the newest entries.
  createEffect(on([() => JSON.stringify(filter()), size], () => {
    setCursors([null]);
    setFresh([]);
    setNotice(null);
  }, { defer: true }));

  const [page, { refetch }] = createResource(
    () => ({ filter: filter(), first: size(), after: after() }),
    async (vars) => {
      const result = await client.query(LOGS, vars).toPromise();
      if (result.error) throw new Error(errorMessage(result.error) ?? 'error');
      return result.data!.logs;
    },
  );

  // Live: new entries matching the filter are prepended as they are stored (first page only).
  createEffect(() => {
    if (!live() || after() !== null) return;
    setLiveError(null);
    const sub = client.subscription(LOG_TAIL, { filter: filter() }).subscribe((result) => {
      if (result.error) setLiveError(t('logs.liveFailed', { message: errorMessage(result.error) ?? '' }));
      const entry = result.data?.logTail;
      if (entry) setFresh((list) => [entry, ...list.filter((e) => e.id !== entry.id)].slice(0, 500));
    });
    onCleanup(() => sub.unsubscribe());
  });

  const rows = () => {
    const nodes = page()?.nodes ?? [];
    const seen = new Set(fresh().map((e) => e.id));
    return [...fresh(), ...nodes.filter((n) => !seen.has(n.id))];
  };
  const set = (key: string, value: string) => setParams({ [key]: value === '' ? undefined : value });
  /** Entries matching the filters, live arrivals included; null until the first page is in. */
  const total = () => {
    const p = page();
    return p ? p.totalCount + rows().length - p.nodes.length : null;
  };
  const hasFilter = () => Object.keys(filter()).length > 0;
  const canDelete = () => hasFilter() && (total() ?? 0) > 0 && busy() === null;
  const deleteHint = () =>
    !hasFilter() ? t('logs.deleteNeedsFilter') : total() === 0 ? t('logs.deleteNothing') : t('logs.deleteTitle');

  async function download(format: LogFormat) {
    setBusy(format);
    setActionError(null);
    try {
      await downloadLogs(format, filter());
    } catch (err) {
      setActionError(t('logs.downloadFailed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(null);
    }
  }

  async function deleteMatching() {
    const f = filter();
    const count = total();
    if (!hasFilter() || count === null) return;
    const question = count === 1 ? t('logs.deleteConfirmOne', { filters: describeFilter(f) }) : t('logs.deleteConfirm', { count, filters: describeFilter(f) });
    if (!confirm(question)) return;
    setBusy('delete');
    setActionError(null);
    setNotice(null);
    const result = await client.mutation(DELETE_LOGS, { filter: f }).toPromise();
    setBusy(null);
    if (result.error || !result.data) {
      return setActionError(t('logs.deleteFailed', { message: errorMessage(result.error) ?? t('logs.noData') }));
    }
    const deleted = result.data.deleteLogs;
    setNotice(deleted === 1 ? t('logs.deletedOne') : t('logs.deleted', { count: deleted }));
    setFresh([]);
    // Back to the newest page; on it already, read it again.
    if (cursors().length > 1) setCursors([null]);
    else void refetch();
  }

  return (
    <section>
      <header class="page-head">
        <h1>{t('logs.title')}</h1>
        <label class="check">
          <input type="checkbox" checked={live()} onChange={(e) => setLive(e.currentTarget.checked)} />
          {t('logs.live')}
        </label>
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>{t('logs.from')}<input type="datetime-local" value={(params.from as string) ?? ''} onChange={(e) => set('from', e.currentTarget.value)} /></label>
        <label>{t('logs.to')}<input type="datetime-local" value={(params.to as string) ?? ''} onChange={(e) => set('to', e.currentTarget.value)} /></label>
        <label>{t('logs.method')}
          <select value={(params.method as string) ?? ''} onChange={(e) => set('method', e.currentTarget.value)}>
            <option value="">{t('logs.any')}</option>
            <For each={['POST', 'GET', 'DELETE']}>{(m) => <option value={m}>{m}</option>}</For>
          </select>
        </label>
        <label>{t('logs.status')}
          <select value={(params.status as string) ?? ''} onChange={(e) => set('status', e.currentTarget.value)}>
            <option value="">{t('logs.any')}</option>
            <For each={['2', '3', '4', '5']}>{(c) => <option value={c}>{c}xx</option>}</For>
          </select>
        </label>
        <label>{t('logs.model')}<input value={(params.model as string) ?? ''} onChange={(e) => set('model', e.currentTarget.value)} /></label>
        <label>{t('logs.pathContains')}<input value={(params.path as string) ?? ''} onChange={(e) => set('path', e.currentTarget.value)} /></label>
        <label>{t('logs.stream')}
          <select value={(params.stream as string) ?? ''} onChange={(e) => set('stream', e.currentTarget.value)}>
            <option value="">{t('logs.any')}</option>
            <option value="true">{t('logs.streamOnly')}</option>
            <option value="false">{t('logs.nonStream')}</option>
          </select>
        </label>
        <label>{t('logs.pageSize')}
          <select value={String(size())} onChange={(e) => set('size', e.currentTarget.value)}>
            <For each={SIZES}>{(n) => <option value={n}>{n}</option>}</For>
          </select>
        </label>
      </form>
      <div class="log-actions">
        <button type="button" class="secondary small" disabled={busy() !== null} title={t('logs.downloadJsonlTitle')} onClick={() => void download('jsonl')}>
          {busy() === 'jsonl' ? t('logs.downloading') : t('logs.downloadJsonl')}
        </button>
        <button type="button" class="secondary small" disabled={busy() !== null} title={t('logs.downloadCsvTitle')} onClick={() => void download('csv')}>
          {busy() === 'csv' ? t('logs.downloading') : t('logs.downloadCsv')}
        </button>
        {/* A disabled button gets no pointer events in some browsers: the wrapper carries the tooltip. */}
        <span class="log-delete" title={deleteHint()}>
          <button type="button" class="danger small" disabled={!canDelete()} aria-describedby="log-delete-hint" onClick={() => void deleteMatching()}>
            {busy() === 'delete' ? t('logs.deleting') : t('logs.deleteMatching')}
          </button>
          <span id="log-delete-hint" class="sr-only">{deleteHint()}</span>
        </span>
      </div>
      <Show when={actionError()}>{(m) => <p class="error" role="alert">{m()}</p>}</Show>
      <Show when={notice()}>{(m) => <p class="notice" role="status">{m()}</p>}</Show>
      <Show when={live() && liveError()}>{(m) => <p class="error" role="alert">{m()}</p>}</Show>

      <Show when={!page.error} fallback={<p class="error" role="alert">{String(page.error?.message ?? page.error)}</p>}>
        <p class="muted">{t('logs.total', { count: total() ?? '…' })}</p>
        <Show when={rows().length > 0 || page.loading} fallback={<p class="muted">{t('logs.empty')}</p>}>
          <div class="table-wrap">
            <table class="logs">
              <thead>
                <tr>
                  <th>{t('logs.time')}</th><th>{t('logs.method')}</th><th>{t('logs.path')}</th><th>{t('logs.model')}</th>
                  <th>{t('logs.status')}</th><th>{t('logs.duration')}</th><th>{t('logs.ttft')}</th><th>{t('logs.tokens')}</th>
                </tr>
              </thead>
              <tbody>
                <For each={rows()}>
                  {(e) => (
                    <tr class="clickable" onClick={() => openLog(e.id)}>
                      <td>{new Date(e.timestamp).toLocaleString()}</td>
                      <td>{e.method}</td>
                      <td class="mono">{e.path}</td>
                      <td>{e.model ?? '–'}<Show when={e.backendModel && e.backendModel !== e.model}> → {e.backendModel}</Show></td>
                      <td><span class={statusClass(e.statusCode)}>{e.statusCode}</span><Show when={e.stream}> <span class="badge">{t('logs.stream')}</span></Show></td>
                      <td>{ms(e.durationMs)}</td>
                      <td>{ms(e.ttftMs)}</td>
                      <td>{e.totalTokens ?? '–'}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
        <div class="row pager">
          <button type="button" class="secondary" disabled={cursors().length === 1} onClick={() => { setFresh([]); setCursors((c) => c.slice(0, -1)); }}>{t('logs.newer')}</button>
          <button type="button" class="secondary" disabled={!page()?.pageInfo.hasNextPage}
            onClick={() => { setFresh([]); setCursors((c) => [...c, page()!.pageInfo.endCursor]); }}>{t('logs.older')}</button>
        </div>
      </Show>

      <Show when={openId()} keyed>{(id) => <LogDetailView id={id} onClose={() => openLog(null)} />}</Show>
    </section>
  );
}
