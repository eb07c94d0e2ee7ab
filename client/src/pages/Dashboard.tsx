/**
 * Traffic at a glance: summary cards (spend among them), requests and errors over time, one row per
 * model and one per client key, for the last hour, day or week (`?window=`). Read from the server's
 * rollups with the stats query and kept live: every logged request re-runs the query (throttled),
 * and the window's end moves forward every minute even when nothing happens. The store panel
 * (health query) refreshes with them.
 */
import { A, useSearchParams } from '@solidjs/router';
import { type Accessor, createMemo, createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import { DashboardCards } from '../components/DashboardCards.tsx';
import { type ChartPoint, DashboardChart } from '../components/DashboardChart.tsx';
import { DashboardKeys } from '../components/DashboardKeys.tsx';
import { DashboardModels } from '../components/DashboardModels.tsx';
import { DashboardStore } from '../components/DashboardStore.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { type Stats, STATS, STORE_HEALTH, type StatsBucket, TRAFFIC_TICK } from '../graphql/dashboard.ts';
import { formatTimeRange, intlLocale } from '../lib/format.ts';
import { locale, t } from '../lib/i18n.ts';
import { createQueryResource } from '../lib/resource.ts';
import { subscribe } from '../lib/urql.ts';
import './dashboard.css';

// The day and the week read hourly rollups (buckets of whole hours: stats.ts): 24 or 168 rows per model,
// where 15-minute buckets would read 1,440 per-minute rows per model for a day.
const WINDOWS = {
  '1h': { ms: 3_600_000, bucket: 'MINUTE' },
  '24h': { ms: 86_400_000, bucket: 'HOUR' },
  '7d': { ms: 7 * 86_400_000, bucket: 'HOUR' },
} as const satisfies Record<string, { ms: number; bucket: StatsBucket }>;
type WindowKey = keyof typeof WINDOWS;
const WINDOW_KEYS = Object.keys(WINDOWS) as WindowKey[];

/** At most one stats query per this many ms while traffic flows. */
const THROTTLE_MS = 1_000;
/** Moves the window's end forward (and retries live updates) when no traffic does it. */
const TICK_MS = 60_000;

function bucketLabel(seconds: number): string {
  switch (seconds) {
    case 60: return t('dashboard.bucket.60');
    case 300: return t('dashboard.bucket.300');
    case 900: return t('dashboard.bucket.900');
    case 3600: return t('dashboard.bucket.3600');
    default: return t('dashboard.bucket.86400');
  }
}

/**
 * Runs `fn` at most once per `ms`; a call inside the pause schedules one more run at its end
 * (trailing edge), so the last call is always followed by a run.
 */
function throttle(fn: () => void, ms: number) {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    call() {
      if (timer !== undefined) return;
      const wait = last + ms - Date.now();
      const run = () => {
        timer = undefined;
        last = Date.now();
        fn();
      };
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel: () => clearTimeout(timer),
  };
}

interface Loaded {
  window: WindowKey;
  stats: Stats;
  at: number;
}

/** The stats query's variables for a window that ends now. */
function statsVariables(key: WindowKey) {
  const to = new Date();
  const from = new Date(to.getTime() - WINDOWS[key].ms);
  return { from: from.toISOString(), to: to.toISOString(), bucket: WINDOWS[key].bucket };
}

/**
 * Live updates: `refresh` runs for every logged request and once a minute, when live updates are
 * retried if they stopped. Returns why they stopped (null while they run).
 */
function createLiveUpdates(refresh: () => void): Accessor<string | null> {
  const [error, setError] = createSignal<string | null>(null);
  let stop: (() => void) | null = null;
  function listen() {
    stop?.();
    setError(null);
    stop = subscribe(TRAFFIC_TICK, {}, {
      next: refresh,
      fail: setError,
      end: () => setError(t('dashboard.liveEnded')),
    });
  }
  onMount(() => {
    listen();
    const timer = setInterval(() => {
      if (error()) listen();
      refresh();
    }, TICK_MS);
    onCleanup(() => {
      clearInterval(timer);
      stop?.();
    });
  });
  return error;
}

export function Dashboard() {
  const [params, setParams] = useSearchParams();
  const win = (): WindowKey => {
    const value = params.window;
    return typeof value === 'string' && value in WINDOWS ? (value as WindowKey) : '1h';
  };
  const tag = () => intlLocale(locale(), navigator.language);

  // A failed refresh keeps the figures before it on screen, beside its message.
  const loaded = createQueryResource(STATS, {
    source: win,
    variables: statsVariables,
    select: (data, key): Loaded => ({ window: key, stats: data.stats, at: Date.now() }),
  });
  const health = createQueryResource(STORE_HEALTH, { select: (data) => data.health });
  const refresh = throttle(() => {
    loaded.refetch();
    health.refetch();
  }, THROTTLE_MS);
  onCleanup(refresh.cancel);
  const liveError = createLiveUpdates(refresh.call);

  const stats = () => loaded()?.stats;
  const points = createMemo((): ChartPoint[] =>
    (stats()?.series ?? []).map((p) => ({ time: new Date(p.time).getTime(), requests: p.requests, errors: p.errors })),
  );
  const windowTitle = () => {
    const s = stats();
    return s ? formatTimeRange(new Date(s.from).getTime(), new Date(s.to).getTime(), tag()) : '';
  };
  const refreshedAt = () => new Date(loaded()?.at ?? Date.now()).toLocaleTimeString(tag());

  return (
    <section class="dash" data-loaded-window={loaded()?.window ?? ''}>
      <header class="page-head dash-head">
        <div class="dash-heading">
          <h1>{t('dashboard.title')}</h1>
          <Show when={stats()}>
            <p class="dash-range">
              <span>{windowTitle()}</span>
              <span aria-hidden="true"> · </span>
              <Show
                when={!liveError()}
                fallback={<span class="dash-live dash-live-paused">{t('dashboard.livePaused')}</span>}
              >
                <span class="dash-live" title={t('dashboard.liveTitle', { time: refreshedAt() })}>{t('dashboard.live')}</span>
              </Show>
            </p>
          </Show>
        </div>
        <div class="dash-windows" role="group" aria-label={t('dashboard.window')}>
          <For each={WINDOW_KEYS}>
            {(key) => (
              <button type="button" class="dash-window" aria-pressed={win() === key} onClick={() => setParams({ window: key })}>
                {t(`dashboard.window.${key}`)}
              </button>
            )}
          </For>
        </div>
      </header>

      <ErrorMessage class="dash-alert" message={loaded.error && t('dashboard.loadFailed', { message: loaded.error })} />
      <Show when={liveError()}>{(message) => <p class="muted dash-alert" role="status">{t('dashboard.livePausedDetail', { message: message() })}</p>}</Show>

      <Show when={stats()} fallback={<Show when={!loaded.error}><p class="muted">{t('common.loading')}</p></Show>}>
        {(s) => (
          <div class="dash-body" classList={{ 'dash-stale': loaded()?.window !== win() }} aria-busy={loaded()?.window !== win()}>
            <DashboardCards total={s().total} modelCount={s().models.length} localeTag={tag()} />
            <Show when={s().total.requests > 0} fallback={<DashboardEmpty window={loaded()!.window} />}>
              <article class="dash-panel">
                <header class="dash-panel-head">
                  <h2>{t('dashboard.chart.title', { bucket: bucketLabel(s().bucketSeconds) })}</h2>
                  <div class="dash-legend" aria-hidden="true">
                    <span><span class="dash-swatch dash-swatch-ok" />{t('dashboard.chart.ok')}</span>
                    <span><span class="dash-swatch dash-swatch-err" />{t('dashboard.chart.errors')}</span>
                  </div>
                </header>
                <DashboardChart points={points()} bucketSeconds={s().bucketSeconds} localeTag={tag()} bucketLabel={bucketLabel(s().bucketSeconds)} />
              </article>
              <div class="dash-tables">
                <article class="dash-panel dash-panel-table">
                  <h2>{t('dashboard.models.title')}</h2>
                  <DashboardModels models={s().models} totalRequests={s().total.requests} localeTag={tag()} />
                </article>
                <article class="dash-panel dash-panel-table" data-panel="keys">
                  <h2>{t('dashboard.keys.title')}</h2>
                  <DashboardKeys keys={s().keys} windowLabel={t(`dashboard.windowLong.${loaded()!.window}`)} localeTag={tag()} />
                </article>
              </div>
            </Show>
          </div>
        )}
      </Show>

      <DashboardStore health={health() ?? null} error={health.error} localeTag={tag()} />
    </section>
  );
}

function DashboardEmpty(props: { window: WindowKey }) {
  const base = `${location.origin}/v1`;
  const example = () =>
    `curl ${base}/chat/completions \\\n  -H 'content-type: application/json' \\\n  -d '{"model": "<model>", "messages": [{"role": "user", "content": "Hello"}]}'`;
  // The link sits inside a translated sentence, where each language puts it.
  const chatBefore = () => t('dashboard.empty.chat').split('{link}')[0];
  const chatAfter = () => t('dashboard.empty.chat').split('{link}')[1];
  return (
    <article class="dash-panel dash-empty">
      <h2>{t('dashboard.empty.title', { window: t(`dashboard.windowLong.${props.window}`) })}</h2>
      <p class="muted">{t('dashboard.empty.hint', { base })}</p>
      <pre class="dash-code">{example()}</pre>
      <p class="muted">
        {chatBefore()}<A href="/chat">{t('dashboard.empty.chatLink')}</A>{chatAfter()}
      </p>
    </article>
  );
}
