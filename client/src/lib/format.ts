/**
 * Pure formatting and scale helpers for the dashboard (and the pages that show the same figures):
 * numbers and dollars in the reader's locale, durations (ms below a second, seconds above), clock
 * times, the value of a datetime-local field, and the ticks of the chart's axes. Times are laid out
 * in the runtime's time zone (the browser's), so axis ticks fall on local round minutes, hours and days.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The BCP 47 tag for Intl: the browser's own regional variant when it speaks the chosen language
 * (en-GB keeps its date order), the language's default otherwise.
 */
export function intlLocale(language: 'en' | 'zh', browser: string | undefined): string {
  if (browser && browser.toLowerCase().split('-')[0] === language) return browser;
  return language === 'zh' ? 'zh-CN' : 'en-US';
}

// Intl formatters are costly to build and the dashboard formats hundreds of numbers per refresh.
const formatters = new Map<string, Intl.NumberFormat>();
function numberFormat(tag: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${tag}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.NumberFormat(tag, options)));
  return f;
}

/** A whole count with the locale's thousands separators. */
export function formatCount(value: number, tag: string): string {
  return numberFormat(tag, { maximumFractionDigits: 0 }).format(Math.round(value));
}

/**
 * US dollars with the precision a figure needs: cents from a dollar up ($12.30), two significant
 * digits below it ($0.42, $0.0042), and never "$0.00" for a cost above zero.
 */
export function formatUsd(value: number, tag: string): string {
  const money = (digits: number) => numberFormat(tag, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: digits });
  const size = Math.abs(value);
  if (size === 0 || size >= 1) return money(2).format(value);
  if (size < 0.000_001) return `<${money(6).format(0.000_001)}`;
  return money(Math.min(6, Math.max(2, Math.ceil(-Math.log10(size)) + 1))).format(value);
}

/** A share such as an error rate: at most one decimal, and never "0 %" for a rate above zero. */
export function formatPercent(rate: number, tag: string): string {
  const f = numberFormat(tag, { style: 'percent', maximumFractionDigits: 1 });
  if (rate > 0 && rate < 0.001) return `<${f.format(0.001)}`;
  return f.format(rate);
}

/** Milliseconds below one second, seconds (with fewer decimals as they grow) from one second on. */
export function formatDuration(ms: number | null | undefined, tag: string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const rounded = Math.round(ms);
  if (rounded < 1000) return `${numberFormat(tag, { maximumFractionDigits: 0 }).format(rounded)} ms`;
  const seconds = ms / 1000;
  const digits = seconds < 10 ? 2 : seconds < 100 ? 1 : 0;
  return `${numberFormat(tag, { maximumFractionDigits: digits }).format(seconds)} s`;
}

/** A moment's local time of day to the second, on a 24-hour clock (12:04:09): when a cooldown ends. */
export function formatClock(iso: string, tag: string): string {
  return new Date(iso).toLocaleTimeString(tag, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

/** A moment as a datetime-local field holds it (2026-03-01T09:30, local time, to the minute). */
export function dateTimeInputValue(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A y-axis from zero with about `ticks` round steps (1, 2 or 5 × 10^k; counts never step below 1). */
export function niceScale(max: number, ticks = 4): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 1 };
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  const step = Math.max(1, nice * magnitude);
  return { max: Math.ceil(max / step) * step, step };
}

const TICK_STEPS = [MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 20 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

/**
 * Ticks between `from` and `to` (epoch ms) on local round times, at most `maxTicks` of them.
 * Sub-day steps are counted from local midnight and re-aligned after a daylight-saving change, so
 * the labels stay on round hours; day steps fall on local midnights.
 */
export function timeTicks(from: number, to: number, maxTicks: number): { step: number; ticks: number[] } {
  const span = Math.max(0, to - from);
  const step = TICK_STEPS.find((s) => span / s <= Math.max(1, maxTicks)) ?? TICK_STEPS.at(-1)!;
  const ticks: number[] = [];
  const midnight = new Date(from);
  midnight.setHours(0, 0, 0, 0);
  if (step >= DAY) {
    const days = step / DAY;
    const d = midnight;
    while (d.getTime() < from) d.setDate(d.getDate() + 1);
    for (; d.getTime() <= to; d.setDate(d.getDate() + days)) ticks.push(d.getTime());
    return { step, ticks };
  }
  const stepMinutes = step / MINUTE;
  let t = midnight.getTime() + Math.max(0, Math.floor((from - midnight.getTime()) / step) - 1) * step;
  while (t <= to) {
    const local = new Date(t);
    const off = (local.getHours() * 60 + local.getMinutes()) % stepMinutes;
    if (off !== 0) t += (stepMinutes - off) * MINUTE;
    if (t >= from && t <= to) ticks.push(t);
    t += step;
  }
  return { step, ticks };
}

/** A tick's label: the date on day steps and at midnight of a multi-day axis, the time otherwise. */
export function formatTick(time: number, step: number, tag: string, spansDays: boolean): string {
  const d = new Date(time);
  const atMidnight = d.getHours() === 0 && d.getMinutes() === 0;
  if (step >= DAY || (spansDays && atMidnight)) return d.toLocaleDateString(tag, { month: 'short', day: 'numeric' });
  return d.toLocaleTimeString(tag, { hour: 'numeric', minute: '2-digit' });
}

/** A span of time, e.g. a bucket in the tooltip or the dashboard's window ("Mar 3, 10:00 – 11:00"). */
export function formatTimeRange(from: number, to: number, tag: string, withWeekday = false): string {
  const f = new Intl.DateTimeFormat(tag, {
    ...(withWeekday ? { weekday: 'short' } : {}),
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
  return f.formatRange(new Date(from), new Date(to));
}
