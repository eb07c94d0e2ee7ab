/**
 * A config's breaker, for its row on the Models page: a muted "healthy" while it serves (with its
 * failures in a row so far, if any), a badge "cooling until 12:04:09" or "half-open" otherwise, with
 * the failures in a row. The last error and when it happened are the tooltip.
 */
import { Match, Show, Switch } from 'solid-js';
import type { BackendHealth } from '../graphql/operations.ts';
import { formatClock, intlLocale } from '../lib/format.ts';
import { locale, t } from '../lib/i18n.ts';

export function HealthBadge(props: { health: BackendHealth }) {
  const tag = () => intlLocale(locale(), navigator.language);
  const failures = () => props.health.consecutiveFailures;
  const title = () => {
    const h = props.health;
    if (h.lastError === null) return undefined;
    return h.lastErrorAt === null
      ? h.lastError
      : t('models.health.lastError', { error: h.lastError, time: new Date(h.lastErrorAt).toLocaleString(tag()) });
  };
  return (
    <span class="health" data-state={props.health.state} title={title()}>
      <Switch fallback={<span class="muted">{t('models.health.healthy')}</span>}>
        <Match when={props.health.state === 'COOLING'}>
          <span class="badge">
            {props.health.cooldownUntil === null
              ? t('models.health.coolingNoTime')
              : t('models.health.cooling', { time: formatClock(props.health.cooldownUntil, tag()) })}
          </span>
        </Match>
        <Match when={props.health.state === 'HALF_OPEN'}><span class="badge">{t('models.health.halfOpen')}</span></Match>
      </Switch>
      <Show when={failures() > 0}>
        <span class="health-failures muted">
          {failures() === 1 ? t('models.health.oneFailure') : t('models.health.failures', { count: failures() })}
        </span>
      </Show>
    </span>
  );
}
