/**
 * The Logs page's table: one row per exchange, newest first; a click opens its detail. An exchange
 * that tried more than one backend says how many beside its status.
 */
import { For, Show } from 'solid-js';
import type { LogSummary } from '../graphql/operations.ts';
import { formatUsd, intlLocale } from '../lib/format.ts';
import { locale, t } from '../lib/i18n.ts';

/** The status's class: s2 … s5 colour it. */
export const statusClass = (code: number) => `status s${Math.floor(code / 100)}`;
const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);

/** The key's name as the entry recorded it; its id when the entry has no name; a dash without a key. */
export const keyOf = (e: Pick<LogSummary, 'apiKeyId' | 'apiKeyName'>) => e.apiKeyName ?? e.apiKeyId ?? '–';
/** Dollars; a dash when the cost is unknown (no usage, or nothing prices the model). */
export const costOf = (e: Pick<LogSummary, 'costUsd'>) => (e.costUsd === null ? '–' : formatUsd(e.costUsd, intlLocale(locale(), navigator.language)));

export function LogTable(props: { rows: LogSummary[]; onOpen: (id: string) => void }) {
  return (
    <div class="table-wrap">
      <table class="logs">
        <thead>
          <tr>
            <th>{t('logs.time')}</th><th>{t('logs.method')}</th><th>{t('logs.path')}</th><th>{t('logs.model')}</th><th>{t('logs.key')}</th>
            <th>{t('logs.status')}</th><th>{t('logs.duration')}</th><th>{t('logs.ttft')}</th><th>{t('logs.tokens')}</th><th>{t('logs.cost')}</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.rows}>
            {(e) => (
              <tr class="clickable" onClick={() => props.onOpen(e.id)}>
                <td>{new Date(e.timestamp).toLocaleString()}</td>
                <td>{e.method}</td>
                <td class="mono">{e.path}</td>
                <td>{e.model ?? '–'}<Show when={e.backendModel && e.backendModel !== e.model}> → {e.backendModel}</Show></td>
                <td data-col="key">{keyOf(e)}</td>
                <td><span class={statusClass(e.statusCode)}>{e.statusCode}</span><Show when={e.stream}> <span class="badge">{t('logs.stream')}</span></Show>
                  <Show when={(e.attemptCount ?? 0) > 1}> <span class="badge" data-attempts={e.attemptCount}>{t('logs.attemptsBadge', { count: e.attemptCount ?? 0 })}</span></Show>
                </td>
                <td>{ms(e.durationMs)}</td>
                <td>{ms(e.ttftMs)}</td>
                <td>{e.totalTokens ?? '–'}</td>
                <td data-col="cost">{costOf(e)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
