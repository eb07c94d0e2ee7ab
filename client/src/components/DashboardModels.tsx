/** The dashboard's per-model table, busiest model first; requests no config routed get their own row. */
import { createMemo, For, Show } from 'solid-js';
import type { ModelStats } from '../graphql/dashboard.ts';
import { formatCount, formatDuration, formatPercent, formatUsd } from '../lib/format.ts';
import { t } from '../lib/i18n.ts';

export interface DashboardModelsProps {
  models: ModelStats[];
  totalRequests: number;
  localeTag: string;
}

export function DashboardModels(props: DashboardModelsProps) {
  // The server already sorts; sorting here keeps the order a property of this table, not of the API.
  const rows = createMemo(() =>
    [...props.models].sort(
      (a, b) => b.summary.requests - a.summary.requests || (a.model === null ? 1 : b.model === null ? -1 : a.model.localeCompare(b.model)),
    ),
  );
  const count = (n: number) => formatCount(n, props.localeTag);
  const ms = (v: number | null) => formatDuration(v, props.localeTag);
  const share = (n: number) => (props.totalRequests > 0 ? n / props.totalRequests : 0);

  return (
    <div class="table-wrap dash-table-wrap">
      <table class="dash-table dash-models">
        <thead>
          <tr>
            <th rowSpan={2} scope="col" class="dash-model-col">{t('dashboard.models.model')}</th>
            <th rowSpan={2} scope="col" class="num">{t('dashboard.models.requests')}</th>
            <th rowSpan={2} scope="col" class="num">{t('dashboard.models.errorRate')}</th>
            <th colSpan={2} scope="colgroup" class="dash-group">{t('dashboard.models.tokens')}</th>
            <th rowSpan={2} scope="col" class="num">{t('dashboard.models.cost')}</th>
            <th colSpan={2} scope="colgroup" class="dash-group">{t('dashboard.models.duration')}</th>
            <th colSpan={2} scope="colgroup" class="dash-group">{t('dashboard.models.ttft')}</th>
          </tr>
          <tr>
            <th scope="col" class="num">{t('dashboard.models.in')}</th>
            <th scope="col" class="num">{t('dashboard.models.out')}</th>
            <th scope="col" class="num">{t('dashboard.p50')}</th>
            <th scope="col" class="num">{t('dashboard.p95')}</th>
            <th scope="col" class="num">{t('dashboard.p50')}</th>
            <th scope="col" class="num">{t('dashboard.p95')}</th>
          </tr>
        </thead>
        <tbody>
          <For each={rows()}>
            {(row) => (
              <tr data-model={row.model ?? ''}>
                <th scope="row" class="dash-model-col">
                  <Show when={row.model} fallback={<span class="dash-unrouted" title={t('dashboard.unroutedTitle')}>{t('dashboard.unrouted')}</span>}>
                    {(name) => <span class="dash-model-name">{name()}</span>}
                  </Show>
                  <span class="dash-share" title={t('dashboard.models.share', { share: formatPercent(share(row.summary.requests), props.localeTag) })}>
                    <span style={{ width: `${Math.max(2, share(row.summary.requests) * 100)}%` }} />
                  </span>
                </th>
                <td class="num">{count(row.summary.requests)}</td>
                <td
                  class="num"
                  classList={{ 'dash-bad': row.summary.errors > 0 }}
                  title={t('dashboard.models.errorTitle', { errors: count(row.summary.errors), client: count(row.summary.clientErrors), server: count(row.summary.serverErrors) })}
                >
                  {formatPercent(row.summary.errorRate, props.localeTag)}
                </td>
                <td class="num">{count(row.summary.promptTokens)}</td>
                <td class="num">{count(row.summary.completionTokens)}</td>
                <td class="num" data-col="cost">{formatUsd(row.summary.costUsd, props.localeTag)}</td>
                <td class="num">{ms(row.summary.durationP50Ms)}</td>
                <td class="num">{ms(row.summary.durationP95Ms)}</td>
                <td class="num">{ms(row.summary.ttftP50Ms)}</td>
                <td class="num">{ms(row.summary.ttftP95Ms)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
