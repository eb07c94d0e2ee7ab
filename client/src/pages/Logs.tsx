import { useSearchParams } from '@solidjs/router';
import { createEffect, createSignal, on, onCleanup, Show } from 'solid-js';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { LogDetailView } from '../components/LogDetail.tsx';
import { describeFilter, filterFrom, LogFilters, pageSizeFrom } from '../components/LogFilters.tsx';
import { LogTable } from '../components/LogTable.tsx';
import { KEY_NAMES } from '../graphql/keys.ts';
import { DELETE_LOGS, LOG_TAIL, LOGS, type LogSummary } from '../graphql/operations.ts';
import { downloadLogs, type LogFormat } from '../lib/download.ts';
import { t } from '../lib/i18n.ts';
import { createQueryResource } from '../lib/resource.ts';
import { runMutation, subscribe } from '../lib/urql.ts';

export function Logs() {
  const [params, setParams] = useSearchParams();
  const filter = () => filterFrom(params);
  const size = () => pageSizeFrom(params);
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

  const keys = createQueryResource(KEY_NAMES, { select: (data) => data.apiKeys });
  const keyName = (id: string) => keys()?.find((k) => k.id === id)?.name ?? id;

  const page = createQueryResource(LOGS, {
    source: () => ({ filter: filter(), first: size(), after: after() }),
    variables: (vars) => vars,
    select: (data) => data.logs,
  });

  // Live: new entries matching the filter are prepended as they are stored (first page only).
  createEffect(() => {
    if (!live() || after() !== null) return;
    setLiveError(null);
    const stop = subscribe(LOG_TAIL, { filter: filter() }, {
      next: ({ logTail: entry }) => setFresh((list) => [entry, ...list.filter((e) => e.id !== entry.id)].slice(0, 500)),
      fail: (message) => setLiveError(t('logs.liveFailed', { message })),
    });
    onCleanup(stop);
  });

  const rows = () => {
    const nodes = page()?.nodes ?? [];
    const seen = new Set(fresh().map((e) => e.id));
    return [...fresh(), ...nodes.filter((n) => !seen.has(n.id))];
  };
  const set = (key: string, value: string) => setParams({ [key]: value === '' ? undefined : value });
  /** Entries matching the filters, live arrivals included; null until the first page is in. */
  const total = () => {
    // After a failure the answer kept is for the filters before: its count is not this one.
    const p = page.error ? undefined : page();
    return p ? p.totalCount + rows().length - p.nodes.length : null;
  };
  /** The count as shown: "10,000+" when the server stopped counting at its cap. */
  const totalText = () => {
    const n = total();
    if (n === null) return '…';
    return page()?.totalCountExact === false ? `${n.toLocaleString()}+` : String(n);
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
    const question = count === 1 ? t('logs.deleteConfirmOne', { filters: describeFilter(f, keyName) }) : t('logs.deleteConfirm', { count: totalText(), filters: describeFilter(f, keyName) });
    if (!confirm(question)) return;
    setBusy('delete');
    setActionError(null);
    setNotice(null);
    const outcome = await runMutation(DELETE_LOGS, { filter: f });
    setBusy(null);
    if (outcome.error !== null) return setActionError(t('logs.deleteFailed', { message: outcome.error }));
    const deleted = outcome.data.deleteLogs;
    setNotice(deleted === 1 ? t('logs.deletedOne') : t('logs.deleted', { count: deleted }));
    setFresh([]);
    // Back to the newest page; on it already, read it again.
    if (cursors().length > 1) setCursors([null]);
    else page.refetch();
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
      <LogFilters params={params} size={size()} keys={keys()} keysError={keys.error} onChange={set} />
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
      <ErrorMessage message={actionError()} />
      <Show when={notice()}>{(m) => <p class="notice" role="status">{m()}</p>}</Show>
      <ErrorMessage message={live() && liveError()} />

      <Show when={!page.error} fallback={<ErrorMessage message={page.error} />}>
        <p class="muted">{t('logs.total', { count: totalText() })}</p>
        <Show when={rows().length > 0 || page.loading} fallback={<p class="muted">{t('logs.empty')}</p>}>
          <LogTable rows={rows()} onOpen={openLog} />
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
