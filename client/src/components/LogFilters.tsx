/**
 * The Logs page's filters: read from the URL (so a filtered view can be bookmarked and shared), put
 * in words for the delete confirmation, and the form that writes them back to the URL.
 */
import { createMemo, For } from 'solid-js';
import type { KeyName } from '../graphql/keys.ts';
import type { LogFilter } from '../graphql/operations.ts';
import { t } from '../lib/i18n.ts';
import { ErrorMessage } from './ErrorMessage.tsx';

export type SearchParams = Partial<Record<string, string | string[]>>;

const SIZES = [10, 20, 50, 100];

/** Entries per page, from ?size= (20 unless one of SIZES). */
export function pageSizeFrom(params: SearchParams): number {
  return SIZES.includes(Number(params.size)) ? Number(params.size) : 20;
}

/** The filters of ?model=&method=&path=&status=&stream=&retried=&key=&from=&to= (what does not parse is left out). */
export function filterFrom(params: SearchParams): LogFilter {
  const one = (k: string) => (typeof params[k] === 'string' && params[k] !== '' ? (params[k] as string) : undefined);
  const f: LogFilter = {};
  if (one('model')) f.model = one('model');
  if (one('method')) f.method = one('method');
  if (one('path')) f.path = one('path');
  if (/^[1-5]$/.test(one('status') ?? '')) f.statusClass = Number(one('status'));
  if (one('stream')) f.stream = one('stream') === 'true';
  if (one('retried')) f.retried = one('retried') === 'true';
  if (one('key')) f.apiKeyId = one('key');
  // A shared link may be cut short: a date that does not parse is left out, not thrown.
  const time = (key: string) => {
    const d = new Date(one(key) ?? '');
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  };
  if (time('from')) f.from = time('from');
  if (time('to')) f.to = time('to');
  return f;
}

/** The filters in words, one per line, for the delete confirmation; `keyName` names a key by its id. */
export function describeFilter(f: LogFilter, keyName: (id: string) => string = (id) => id): string {
  const time = (iso: string) => new Date(iso).toLocaleString();
  const parts: string[] = [];
  if (f.from) parts.push(`${t('logs.from')}: ${time(f.from)}`);
  if (f.to) parts.push(`${t('logs.to')}: ${time(f.to)}`);
  if (f.method) parts.push(`${t('logs.method')}: ${f.method}`);
  if (f.statusClass != null) parts.push(`${t('logs.status')}: ${f.statusClass}xx`);
  if (f.model) parts.push(`${t('logs.model')}: ${f.model}`);
  if (f.path) parts.push(`${t('logs.pathContains')}: ${f.path}`);
  if (f.apiKeyId != null) parts.push(`${t('logs.key')}: ${keyName(String(f.apiKeyId))}`);
  if (f.stream != null) parts.push(`${t('logs.stream')}: ${f.stream ? t('logs.streamOnly') : t('logs.nonStream')}`);
  if (f.retried != null) parts.push(`${t('logs.retried')}: ${f.retried ? t('logs.retriedOnly') : t('logs.notRetried')}`);
  return parts.map((p) => `• ${p}`).join('\n');
}

export interface LogFiltersProps {
  params: SearchParams;
  size: number;
  /** The keys to filter by (undefined until they are read), and why they could not be read. */
  keys: KeyName[] | undefined;
  keysError: string | null;
  /** A filter changed; '' clears it. */
  onChange: (key: string, value: string) => void;
}

export function LogFilters(props: LogFiltersProps) {
  const value = (key: string) => (typeof props.params[key] === 'string' ? (props.params[key] as string) : '');
  // By name; a key in the URL that is not listed (deleted, or the list not read yet) is offered by its id.
  const keyOptions = createMemo(() => {
    const keys = [...(props.keys ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    const chosen = value('key');
    const options = keys.map((k) => ({ id: k.id, label: k.revokedAt ? t('logs.keyRevoked', { name: k.name }) : k.name }));
    return chosen !== '' && !keys.some((k) => k.id === chosen) ? [...options, { id: chosen, label: chosen }] : options;
  });
  return (
    <form class="filters" onSubmit={(e) => e.preventDefault()}>
      <label>{t('logs.from')}<input type="datetime-local" value={value('from')} onChange={(e) => props.onChange('from', e.currentTarget.value)} /></label>
      <label>{t('logs.to')}<input type="datetime-local" value={value('to')} onChange={(e) => props.onChange('to', e.currentTarget.value)} /></label>
      <label>{t('logs.method')}
        <select value={value('method')} onChange={(e) => props.onChange('method', e.currentTarget.value)}>
          <option value="">{t('logs.any')}</option>
          <For each={['POST', 'GET', 'DELETE']}>{(m) => <option value={m}>{m}</option>}</For>
        </select>
      </label>
      <label>{t('logs.status')}
        <select value={value('status')} onChange={(e) => props.onChange('status', e.currentTarget.value)}>
          <option value="">{t('logs.any')}</option>
          <For each={['2', '3', '4', '5']}>{(c) => <option value={c}>{c}xx</option>}</For>
        </select>
      </label>
      <label>{t('logs.model')}<input value={value('model')} onChange={(e) => props.onChange('model', e.currentTarget.value)} /></label>
      <label>{t('logs.key')}
        {/* `selected` on the options, not `value` on the select: the keys arrive after the select is made. */}
        <select name="key" onChange={(e) => props.onChange('key', e.currentTarget.value)}>
          <option value="" selected={value('key') === ''}>{t('logs.any')}</option>
          <For each={keyOptions()}>{(k) => <option value={k.id} selected={value('key') === k.id}>{k.label}</option>}</For>
        </select>
      </label>
      <ErrorMessage inline class="filter-error" message={props.keysError && t('logs.keysFailed', { message: props.keysError })} />
      <label>{t('logs.pathContains')}<input value={value('path')} onChange={(e) => props.onChange('path', e.currentTarget.value)} /></label>
      <label>{t('logs.stream')}
        <select value={value('stream')} onChange={(e) => props.onChange('stream', e.currentTarget.value)}>
          <option value="">{t('logs.any')}</option>
          <option value="true">{t('logs.streamOnly')}</option>
          <option value="false">{t('logs.nonStream')}</option>
        </select>
      </label>
      <label title={t('logs.retriedTitle')}>{t('logs.retried')}
        <select name="retried" value={value('retried')} onChange={(e) => props.onChange('retried', e.currentTarget.value)}>
          <option value="">{t('logs.any')}</option>
          <option value="true">{t('logs.retriedOnly')}</option>
          <option value="false">{t('logs.notRetried')}</option>
        </select>
      </label>
      <label>{t('logs.pageSize')}
        <select value={String(props.size)} onChange={(e) => props.onChange('size', e.currentTarget.value)}>
          <For each={SIZES}>{(n) => <option value={n}>{n}</option>}</For>
        </select>
      </label>
    </form>
  );
}
