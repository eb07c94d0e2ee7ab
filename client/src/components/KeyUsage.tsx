/**
 * A key's use in its budget period, for its row on the Keys page: a bar per budget (tokens, dollars)
 * that turns to the warning colour once most of it is used and to the danger colour once it is used
 * up, then the figures (requests, tokens, cost) and when the period renews. Without a budget, only
 * the figures.
 */
import { Show } from 'solid-js';
import type { ApiKey, BudgetPeriod } from '../graphql/keys.ts';
import { formatCount, formatUsd, intlLocale } from '../lib/format.ts';
import { locale, t } from '../lib/i18n.ts';

/** From this share of a budget on, its bar warns. */
const NEAR = 0.8;

type Level = 'ok' | 'near' | 'over';

// The server refuses a key once its use reaches the budget, so reaching it is "used up" (a budget of 0 too).
const levelOf = (used: number, budget: number): Level => (used >= budget ? 'over' : used >= budget * NEAR ? 'near' : 'ok');

interface UsageBarProps {
  name: 'tokens' | 'usd';
  label: string;
  used: number;
  budget: number;
  /** The use in words, e.g. "1,234 of 10,000 tokens today": shown, and what a screen reader says. */
  text: string;
}

function UsageBar(props: UsageBarProps) {
  const level = () => levelOf(props.used, props.budget);
  const share = () => (props.budget > 0 ? Math.min(1, props.used / props.budget) : 1);
  return (
    <div class="key-budget" data-budget={props.name} data-level={level()}>
      {/* aria-valuenow must lie within min and max; the text carries the real figure when it is over. */}
      <div class="key-bar" role="meter" aria-label={props.label} aria-valuemin={0} aria-valuemax={props.budget}
        aria-valuenow={Math.min(props.used, props.budget)} aria-valuetext={props.text}>
        <span style={{ width: `${share() * 100}%` }} />
      </div>
      <span class="key-budget-text">
        {props.text}
        <Show when={level() !== 'ok'}> · <strong>{level() === 'over' ? t('keys.budgetOver') : t('keys.budgetNear')}</strong></Show>
      </span>
    </div>
  );
}

export function KeyUsage(props: { apiKey: ApiKey }) {
  const tag = () => intlLocale(locale(), navigator.language);
  const count = (n: number) => formatCount(n, tag());
  const usd = (n: number) => formatUsd(n, tag());
  const usage = () => props.apiKey.usage;
  // Without a period a key's use (and budget) runs for all time.
  const period = () => t(`keys.period.${(props.apiKey.budgetPeriod ?? 'TOTAL') satisfies BudgetPeriod}`);
  const tokens = () => usage().promptTokens + usage().completionTokens;
  const hasBudget = () => props.apiKey.budgetTokens !== null || props.apiKey.budgetUsd !== null;
  const figures = () => {
    const u = usage();
    const params = {
      requests: u.requests === 1 ? t('keys.oneRequest') : t('keys.requests', { count: count(u.requests) }),
      tokens: count(tokens()),
      cost: usd(u.costUsd),
      period: period(),
    };
    return hasBudget() ? t('keys.usageFigures', params) : t('keys.usageFiguresIn', params);
  };
  const renews = () => {
    const end = usage().periodEnd;
    if (end !== null) {
      return t('keys.renews', { time: new Date(end).toLocaleString(tag(), { dateStyle: 'short', timeStyle: 'short' }) });
    }
    return hasBudget() ? t('keys.neverRenews') : null;
  };

  return (
    <div class="key-usage">
      {/* `!== null`, not truthiness: a budget of 0 is a budget (the key is refused). */}
      <Show when={props.apiKey.budgetTokens !== null}>
        <UsageBar name="tokens" label={t('keys.tokenBudgetLabel')} used={tokens()} budget={props.apiKey.budgetTokens!}
          text={t('keys.usageTokens', { used: count(tokens()), budget: count(props.apiKey.budgetTokens!), period: period() })} />
      </Show>
      <Show when={props.apiKey.budgetUsd !== null}>
        <UsageBar name="usd" label={t('keys.usdBudgetLabel')} used={usage().costUsd} budget={props.apiKey.budgetUsd!}
          text={t('keys.usageUsd', { used: usd(usage().costUsd), budget: usd(props.apiKey.budgetUsd!), period: period() })} />
      </Show>
      <span class="key-usage-figures" title={t('keys.tokensSplit', { prompt: count(usage().promptTokens), completion: count(usage().completionTokens) })}>
        {figures()}
      </span>
      <Show when={renews()}>{(text) => <span class="key-usage-renews muted">{text()}</span>}</Show>
    </div>
  );
}
