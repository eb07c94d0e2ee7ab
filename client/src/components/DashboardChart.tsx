/**
 * Requests and errors per bucket as stacked bars, drawn by hand in SVG: one chart of two series
 * does not justify a charting library (the small well-kept ones draw on canvas and bring their
 * own tooltip and theming). The SVG is sized in pixels from the container's width, so text stays
 * crisp and legible at any width instead of being scaled with a viewBox.
 */
import { createMemo, createSignal, For, Index, onCleanup, onMount, Show } from 'solid-js';
import { formatCount, formatTick, formatTimeRange, niceScale, timeTicks } from '../lib/format.ts';
import { t } from '../lib/i18n.ts';

export interface ChartPoint {
  /** Start of the bucket, epoch ms. */
  time: number;
  requests: number;
  errors: number;
}

export interface DashboardChartProps {
  points: ChartPoint[];
  bucketSeconds: number;
  /** Intl locale tag for numbers and times. */
  localeTag: string;
  /** "per minute", … for the summary read by screen readers. */
  bucketLabel: string;
}

const HEIGHT = 240;
const TOP = 14;
const RIGHT = 12;
const BOTTOM = 28;
const DAY_MS = 86_400_000;

export function DashboardChart(props: DashboardChartProps) {
  let box!: HTMLDivElement;
  const [width, setWidth] = createSignal(720);
  const [active, setActive] = createSignal<number | null>(null);

  onMount(() => {
    setWidth(box.clientWidth || 720);
    const observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w) setWidth(w);
    });
    observer.observe(box);
    onCleanup(() => observer.disconnect());
  });

  const bucketMs = () => props.bucketSeconds * 1000;
  const start = () => props.points[0]?.time ?? 0;
  const end = () => start() + props.points.length * bucketMs();
  const scale = createMemo(() => niceScale(props.points.reduce((m, p) => Math.max(m, p.requests), 0)));
  const yTicks = createMemo(() => {
    const { max, step } = scale();
    return Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  });
  // Room for the longest y label (about 7 px per character at 11 px).
  const left = () => 14 + 7 * formatCount(scale().max, props.localeTag).length;
  const plotWidth = () => Math.max(10, width() - left() - RIGHT);
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = () => plotWidth() / Math.max(1, props.points.length);
  const gap = () => (slot() >= 6 ? Math.min(3, slot() * 0.25) : 0);
  const x = (time: number) => left() + ((time - start()) / Math.max(1, end() - start())) * plotWidth();
  const y = (value: number) => TOP + plotHeight - (value / scale().max) * plotHeight;

  const spansDays = () => end() - start() > DAY_MS;
  // As many time labels as fit with some air between them (about 6.5 px per character at 11 px),
  // eight at most, which reads better than one per five minutes. A label that would stick out of
  // the chart is left out rather than squeezed against its neighbour.
  const labelWidth = (text: string) => text.length * 6.5;
  const xTicks = createMemo(() => {
    const sample = labelWidth(formatTick(start(), 3_600_000, props.localeTag, spansDays()));
    const { step, ticks } = timeTicks(start(), end(), Math.max(2, Math.min(8, Math.floor(plotWidth() / (sample + 24)))));
    const labelled = ticks.map((time) => ({ time, label: formatTick(time, step, props.localeTag, spansDays()) }));
    return labelled.filter((tick) => x(tick.time) - labelWidth(tick.label) / 2 >= 0 && x(tick.time) + labelWidth(tick.label) / 2 <= width());
  });

  const bucketRange = (p: ChartPoint) =>
    formatTimeRange(p.time, p.time + bucketMs(), props.localeTag, props.bucketSeconds >= 3600 || spansDays());

  const summary = () => {
    const pts = props.points;
    const peak = pts.reduce<ChartPoint | undefined>((best, p) => (!best || p.requests > best.requests ? p : best), undefined);
    const fmt = (n: number) => formatCount(n, props.localeTag);
    return t('dashboard.chart.summary', {
      bucket: props.bucketLabel,
      from: formatTimeRange(start(), start(), props.localeTag),
      to: formatTimeRange(end(), end(), props.localeTag),
      requests: fmt(pts.reduce((s, p) => s + p.requests, 0)),
      errors: fmt(pts.reduce((s, p) => s + p.errors, 0)),
      peak: fmt(peak?.requests ?? 0),
      peakTime: peak ? bucketRange(peak) : '–',
    });
  };

  function pointAt(clientX: number, svg: SVGSVGElement) {
    const px = clientX - svg.getBoundingClientRect().left - left();
    if (px < 0 || px > plotWidth()) return null;
    return Math.min(props.points.length - 1, Math.floor(px / slot()));
  }

  function onKeyDown(event: KeyboardEvent) {
    const last = props.points.length - 1;
    const current = active() ?? last;
    const next: Record<string, number> = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: last, PageUp: current - 10, PageDown: current + 10 };
    if (event.key === 'Escape') return setActive(null);
    if (!(event.key in next)) return;
    event.preventDefault();
    setActive(Math.max(0, Math.min(last, next[event.key]!)));
  }

  // Keyboard users start on the latest bucket with traffic.
  const onFocus = () => {
    if (active() !== null) return;
    let i = props.points.length - 1;
    while (i > 0 && props.points[i]!.requests === 0) i--;
    setActive(props.points[i]?.requests ? i : props.points.length - 1);
  };

  const activePoint = () => {
    const i = active();
    return i === null ? undefined : props.points[i];
  };

  return (
    <div class="dash-chart" ref={box}>
      <svg
        width={width()}
        height={HEIGHT}
        role="img"
        aria-label={summary()}
        tabindex="0"
        onPointerMove={(e) => setActive(pointAt(e.clientX, e.currentTarget))}
        onPointerLeave={() => setActive(null)}
        onFocus={onFocus}
        onBlur={() => setActive(null)}
        onKeyDown={onKeyDown}
      >
        <g class="dash-grid">
          <For each={yTicks()}>
            {(v) => (
              <>
                <line x1={left()} x2={left() + plotWidth()} y1={y(v)} y2={y(v)} class={v === 0 ? 'dash-axis' : undefined} />
                <text x={left() - 8} y={y(v)} dy="0.32em" text-anchor="end">{formatCount(v, props.localeTag)}</text>
              </>
            )}
          </For>
        </g>
        <Show when={activePoint()}>
          {(p) => <rect class="dash-hover" x={x(p().time)} y={TOP} width={slot()} height={plotHeight} />}
        </Show>
        <g>
          {/* Index, not For: every refresh brings new point objects, the bars stay and take the new values. */}
          <Index each={props.points}>
            {(p) => (
              <Show when={p().requests > 0}>
                <rect class="dash-bar-ok" x={x(p().time) + gap() / 2} y={y(p().requests)} width={Math.max(1, slot() - gap())} height={y(p().errors) - y(p().requests)} />
                <Show when={p().errors > 0}>
                  <rect class="dash-bar-err" x={x(p().time) + gap() / 2} y={y(p().errors)} width={Math.max(1, slot() - gap())} height={y(0) - y(p().errors)} />
                </Show>
              </Show>
            )}
          </Index>
        </g>
        <g class="dash-xaxis">
          <For each={xTicks()}>
            {(tick) => (
              <>
                <line x1={x(tick.time)} x2={x(tick.time)} y1={TOP + plotHeight} y2={TOP + plotHeight + 4} />
                <text x={x(tick.time)} y={HEIGHT - 8} text-anchor="middle">{tick.label}</text>
              </>
            )}
          </For>
        </g>
      </svg>
      <div class="dash-tip-live" aria-live="polite">
        <Show when={activePoint()}>
          {(p) => (
            <div
              class="dash-tip"
              classList={{ 'dash-tip-left': x(p().time) > left() + plotWidth() / 2 }}
              style={{ left: `${x(p().time) + (x(p().time) > left() + plotWidth() / 2 ? 0 : slot())}px` }}
            >
              <div class="dash-tip-time">{bucketRange(p())}</div>
              <div><span class="dash-swatch dash-swatch-ok" />{t('dashboard.chart.requests')}: <strong>{formatCount(p().requests, props.localeTag)}</strong></div>
              <div><span class="dash-swatch dash-swatch-err" />{t('dashboard.chart.errors')}: <strong>{formatCount(p().errors, props.localeTag)}</strong></div>
            </div>
          )}
        </Show>
      </div>
    </div>
  );
}
