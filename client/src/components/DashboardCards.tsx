/**
 * The dashboard's summary cards: requests, error rate, retries (requests retried, requests a fallback
 * group answered, backend attempts), tokens, spend, duration and time to first token.
 */
import { For, Show } from 'solid-js';
import type { StatsSummary } from '../graphql/dashboard.ts';
import { formatCount, formatDuration, formatPercent, formatUsd } from '../lib/format.ts';
import { t } from '../lib/i18n.ts';

interface Metric {
  caption?: string;
  value: string;
  bad?: boolean;
}

interface CardProps {
  name: string;
  label: string;
  metrics: Metric[];
  foot?: string;
  title?: string;
}

function DashboardCard(props: CardProps) {
  return (
    <article class="dash-card" data-card={props.name} title={props.title}>
      <h2 class="dash-card-label">{props.label}</h2>
      <dl class="dash-card-metrics" classList={{ 'dash-card-pair': props.metrics.length > 1 }}>
        <For each={props.metrics}>
          {(m) => (
            <>
              <Show when={m.caption}><dt class="dash-metric-caption">{m.caption}</dt></Show>
              <dd class="dash-metric-value" classList={{ 'dash-bad': m.bad }}>{m.value}</dd>
            </>
          )}
        </For>
      </dl>
      <Show when={props.foot}><p class="dash-card-foot">{props.foot}</p></Show>
    </article>
  );
}

export interface DashboardCardsProps {
  total: StatsSummary;
  modelCount: number;
  localeTag: string;
}

export function DashboardCards(props: DashboardCardsProps) {
  const count = (n: number) => formatCount(n, props.localeTag);
  const ms = (v: number | null) => formatDuration(v, props.localeTag);
  return (
    <div class="dash-cards">
      <DashboardCard
        name="requests"
        label={t('dashboard.card.requests')}
        metrics={[{ value: count(props.total.requests) }]}
        foot={props.modelCount === 1 ? t('dashboard.card.oneModel') : t('dashboard.card.models', { count: count(props.modelCount) })}
      />
      <DashboardCard
        name="errors"
        label={t('dashboard.card.errorRate')}
        metrics={[{ value: formatPercent(props.total.errorRate, props.localeTag), bad: props.total.errors > 0 }]}
        foot={t('dashboard.card.errorSplit', { client: count(props.total.clientErrors), server: count(props.total.serverErrors) })}
      />
      <DashboardCard
        name="retries"
        label={t('dashboard.card.retries')}
        title={t('dashboard.card.retriesTitle')}
        metrics={[
          { caption: t('dashboard.card.retried'), value: count(props.total.retried) },
          { caption: t('dashboard.card.fallbacks'), value: count(props.total.fallbacks) },
        ]}
        foot={t('dashboard.card.attempts', { count: count(props.total.attempts) })}
      />
      <DashboardCard
        name="tokens"
        label={t('dashboard.card.tokens')}
        metrics={[
          { caption: t('dashboard.card.tokensIn'), value: count(props.total.promptTokens) },
          { caption: t('dashboard.card.tokensOut'), value: count(props.total.completionTokens) },
        ]}
        foot={t('dashboard.card.tokensTotal', { total: count(props.total.promptTokens + props.total.completionTokens) })}
      />
      <DashboardCard
        name="spend"
        label={t('dashboard.card.spend')}
        title={t('dashboard.card.spendTitle')}
        metrics={[{ value: formatUsd(props.total.costUsd, props.localeTag) }]}
        foot={t('dashboard.card.spendFoot')}
      />
      <DashboardCard
        name="duration"
        label={t('dashboard.card.duration')}
        title={t('dashboard.card.approx')}
        metrics={[
          { caption: t('dashboard.p50'), value: ms(props.total.durationP50Ms) },
          { caption: t('dashboard.p95'), value: ms(props.total.durationP95Ms) },
        ]}
        foot={t('dashboard.card.average', { value: ms(props.total.avgDurationMs) })}
      />
      <DashboardCard
        name="ttft"
        label={t('dashboard.card.ttft')}
        title={t('dashboard.card.approx')}
        metrics={[
          { caption: t('dashboard.p50'), value: ms(props.total.ttftP50Ms) },
          { caption: t('dashboard.p95'), value: ms(props.total.ttftP95Ms) },
        ]}
        foot={props.total.ttftP50Ms === null ? t('dashboard.card.ttftNone') : undefined}
      />
    </div>
  );
}
