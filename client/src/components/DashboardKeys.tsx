/**
 * The dashboard's per-key table, most requests first: each client key's requests (refusals
 * included), errors, tokens and cost in the window, its name linking to its log entries. A key gone
 * from the store is shown by its id.
 */
import { A } from '@solidjs/router';
import { createMemo, For, Show } from 'solid-js';
import type { KeyStats } from '../graphql/dashboard.ts';
import { formatCount, formatUsd } from '../lib/format.ts';
import { t } from '../lib/i18n.ts';

export interface DashboardKeysProps {
  keys: KeyStats[];
  /** The window in words ("the last hour"), for the empty state. */
  windowLabel: string;
  localeTag: string;
}

const nameOf = (row: KeyStats) => row.key?.name ?? row.apiKeyId;

export function DashboardKeys(props: DashboardKeysProps) {
  // The server already sorts; sorting here keeps the order a property of this table, not of the API.
  const rows = createMemo(() =>
    [...props.keys].sort((a, b) => b.summary.requests - a.summary.requests || nameOf(a).localeCompare(nameOf(b))),
  );
  const count = (n: number) => formatCount(n, props.localeTag);

  return (
    <Show when={rows().length > 0} fallback={<p class="muted dash-keys-empty">{t('dashboard.keys.empty', { window: props.windowLabel })}</p>}>
      <div class="table-wrap dash-table-wrap">
        <table class="dash-table dash-keys">
          <thead>
            <tr>
              <th scope="col" class="dash-model-col">{t('dashboard.keys.key')}</th>
              <th scope="col" class="num">{t('dashboard.keys.requests')}</th>
              <th scope="col" class="num">{t('dashboard.keys.errors')}</th>
              <th scope="col" class="num">{t('dashboard.keys.tokens')}</th>
              <th scope="col" class="num">{t('dashboard.keys.cost')}</th>
            </tr>
          </thead>
          <tbody>
            <For each={rows()}>
              {(row) => (
                <tr data-key-id={row.apiKeyId}>
                  <th scope="row" class="dash-model-col">
                    <Show when={row.key} fallback={<span class="dash-model-name mono" title={t('dashboard.keys.gone')}>{row.apiKeyId}</span>}>
                      {(key) => (
                        <A class="dash-model-name dash-key-link" href={`/logs?key=${encodeURIComponent(row.apiKeyId)}`} title={t('dashboard.keys.logs', { name: key().name })}>
                          {key().name}
                        </A>
                      )}
                    </Show>
                  </th>
                  <td class="num">{count(row.summary.requests)}</td>
                  <td class="num" classList={{ 'dash-bad': row.summary.errors > 0 }}>{count(row.summary.errors)}</td>
                  <td class="num" title={t('dashboard.keys.tokensTitle', { prompt: count(row.summary.promptTokens), completion: count(row.summary.completionTokens) })}>
                    {count(row.summary.promptTokens + row.summary.completionTokens)}
                  </td>
                  <td class="num" data-col="cost">{formatUsd(row.summary.costUsd, props.localeTag)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
