/**
 * The dashboard's store panel, from the health query: which database, how many log entries and how
 * many bytes (as of the server's last size check), the retention rules and what they deleted, the
 * store's status and the log writer's queue.
 */
import { For, Show } from 'solid-js';
import type { Health } from '../graphql/dashboard.ts';
import { formatCount } from '../lib/format.ts';
import { t } from '../lib/i18n.ts';
import { ErrorMessage } from './ErrorMessage.tsx';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units (what `du -h` and most file managers show), null when the store cannot tell. */
export function formatBytes(bytes: number | null, tag: string): string | null {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return null;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${new Intl.NumberFormat(tag, { maximumFractionDigits: digits }).format(value)} ${UNITS[unit]}`;
}

function kindLabel(kind: string): string {
  if (kind === 'sqlite') return t('dashboard.store.kind.sqlite');
  if (kind === 'mongodb') return t('dashboard.store.kind.mongodb');
  return kind;
}

export interface DashboardStoreProps {
  /** Null until the first answer. */
  health: Health | null;
  /** The last query's failure; older figures stay on screen beside it. */
  error: string | null;
  localeTag: string;
}

export function DashboardStore(props: DashboardStoreProps) {
  const count = (n: number) => formatCount(n, props.localeTag);
  const time = (iso: string) => new Date(iso).toLocaleString(props.localeTag, { dateStyle: 'short', timeStyle: 'medium' });
  const unknown = () => t('dashboard.store.unknown');

  const status = () => {
    const h = props.health!;
    const since = h.store.downSince;
    switch (h.status) {
      case 'ok': return t('dashboard.store.status.ok');
      case 'degraded': return since ? t('dashboard.store.status.degradedSince', { time: time(since) }) : t('dashboard.store.status.degraded');
      case 'unavailable': return since ? t('dashboard.store.status.unavailableSince', { time: time(since) }) : t('dashboard.store.status.unavailable');
      default: return h.status;
    }
  };

  const retention = () => {
    const s = props.health!.store;
    const days = s.retentionDays === 0
      ? t('dashboard.store.forever')
      : s.retentionDays === 1 ? t('dashboard.store.oneDay') : t('dashboard.store.days', { days: count(s.retentionDays) });
    return s.maxRows === null ? days : `${days} · ${t('dashboard.store.maxRows', { count: count(s.maxRows) })}`;
  };

  const queue = () => {
    const q = props.health!.logQueue;
    const parts = [t('dashboard.store.queueDepth', { count: count(q.depth) })];
    if (q.dropped > 0) parts.push(t('dashboard.store.queueDropped', { count: count(q.dropped) }));
    if (q.writeFailures > 0) parts.push(t('dashboard.store.queueFailures', { count: count(q.writeFailures) }));
    if (q.spooled > 0) parts.push(t('dashboard.store.queueSpooled', { count: count(q.spooled) }));
    if (q.spoolDropped > 0) parts.push(t('dashboard.store.queueSpoolDropped', { count: count(q.spoolDropped) }));
    if (q.spoolFailing) parts.push(t('dashboard.store.queueSpoolFailing'));
    return parts.join(' · ');
  };

  const items = () => {
    const s = props.health!.store;
    return [
      { name: 'kind', label: t('dashboard.store.kind'), value: kindLabel(s.kind) },
      { name: 'entries', label: t('dashboard.store.entries'), value: s.logRows === null ? unknown() : count(s.logRows) },
      { name: 'size', label: t('dashboard.store.size'), value: formatBytes(s.bytes, props.localeTag) ?? unknown() },
      { name: 'retention', label: t('dashboard.store.retention'), value: retention() },
      { name: 'retention-deleted', label: t('dashboard.store.retentionDeleted'), value: count(s.retentionDeleted), title: t('dashboard.store.retentionDeletedHint') },
      { name: 'queue', label: t('dashboard.store.queue'), value: queue(), bad: props.health!.logQueue.dropped > 0 || props.health!.logQueue.spoolDropped > 0 || !!props.health!.logQueue.spoolFailing },
    ];
  };

  return (
    <article class="dash-panel dash-store" aria-labelledby="dash-store-title">
      <header class="dash-panel-head">
        <h2 id="dash-store-title">{t('dashboard.store.title')}</h2>
        <Show when={props.health}>
          {(h) => (
            <span class="dash-store-status" data-status={h().status} title={h().store.lastError ?? undefined}>{status()}</span>
          )}
        </Show>
      </header>
      <ErrorMessage class="dash-store-error" message={props.error && t('dashboard.store.loadFailed', { message: props.error })} />
      <Show when={props.health} fallback={<Show when={!props.error}><p class="muted">{t('common.loading')}</p></Show>}>
        {(h) => (
          <>
            <Show when={h().status !== 'ok' && h().store.lastError}>
              {(m) => <p class="dash-store-error error">{t('dashboard.store.lastError', { message: m() })}</p>}
            </Show>
            <dl class="dash-store-grid">
              <For each={items()}>
                {(item) => (
                  <div class="dash-store-item" data-item={item.name} title={item.title}>
                    <dt>{item.label}</dt>
                    <dd classList={{ 'dash-bad': item.bad }}>{item.value}</dd>
                  </div>
                )}
              </For>
            </dl>
            <p class="dash-card-foot">
              {h().store.sizeCheckedAt ? t('dashboard.store.checkedAt', { time: time(h().store.sizeCheckedAt!) }) : t('dashboard.store.notChecked')}
            </p>
          </>
        )}
      </Show>
    </article>
  );
}
