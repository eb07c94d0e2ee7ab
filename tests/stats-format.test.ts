/**
 * The dashboard's pure helpers (client/src/lib/format.ts): numbers in the reader's locale,
 * durations, the y scale and the time ticks. Times are built in the local time zone, so the
 * assertions hold in whatever zone the suite runs.
 */
import { describe, expect, test } from 'bun:test';
import { formatCount, formatDuration, formatPercent, formatTick, formatTimeRange, intlLocale, niceScale, timeTicks } from '../client/src/lib/format.ts';

// Newer ICU versions put a narrow no-break space before AM/PM.
const plain = (text: string) => text.replace(/\s/g, ' ');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('numbers', () => {
  test('counts get the locale\'s thousands separators and are whole', () => {
    expect(formatCount(1_234_567, 'en-US')).toBe('1,234,567');
    expect(formatCount(1_234_567, 'de-DE')).toBe('1.234.567');
    expect(formatCount(1_234_567, 'zh-CN')).toBe('1,234,567');
    expect(formatCount(0, 'en-US')).toBe('0');
    expect(formatCount(2.6, 'en-US')).toBe('3');
  });

  test('rates have at most one decimal, and a tiny rate is never shown as 0 %', () => {
    expect(formatPercent(0, 'en-US')).toBe('0%');
    expect(formatPercent(0.25, 'en-US')).toBe('25%');
    expect(formatPercent(1 / 6, 'en-US')).toBe('16.7%');
    expect(formatPercent(1, 'en-US')).toBe('100%');
    expect(formatPercent(0.00001, 'en-US')).toBe('<0.1%');
  });

  test('durations are ms below one second and seconds from one second on', () => {
    expect(formatDuration(null, 'en-US')).toBe('–');
    expect(formatDuration(undefined, 'en-US')).toBe('–');
    expect(formatDuration(0.4, 'en-US')).toBe('0 ms');
    expect(formatDuration(999.4, 'en-US')).toBe('999 ms');
    expect(formatDuration(999.6, 'en-US')).toBe('1 s');
    expect(formatDuration(1234, 'en-US')).toBe('1.23 s');
    expect(formatDuration(12_345, 'en-US')).toBe('12.3 s');
    expect(formatDuration(123_456, 'en-US')).toBe('123 s');
    expect(formatDuration(1234, 'de-DE')).toBe('1,23 s');
  });

  test('the Intl locale follows the browser\'s region when it speaks the chosen language', () => {
    expect(intlLocale('en', 'en-GB')).toBe('en-GB');
    expect(intlLocale('en', 'zh-CN')).toBe('en-US');
    expect(intlLocale('zh', 'zh-CN')).toBe('zh-CN');
    expect(intlLocale('zh', 'en-US')).toBe('zh-CN');
    expect(intlLocale('en', undefined)).toBe('en-US');
  });
});

describe('scales', () => {
  test('the y axis ends on a round number with about four round steps, never below 1', () => {
    expect(niceScale(0)).toEqual({ max: 1, step: 1 });
    expect(niceScale(3)).toEqual({ max: 3, step: 1 });
    expect(niceScale(17)).toEqual({ max: 20, step: 5 });
    expect(niceScale(350)).toEqual({ max: 400, step: 100 });
    expect(niceScale(467)).toEqual({ max: 600, step: 200 });
  });

  test('an hour gets ticks on local round ten minutes', () => {
    const from = new Date(2025, 10, 27, 13, 7).getTime();
    const { step, ticks } = timeTicks(from, from + HOUR, 6);
    expect(step).toBe(10 * MIN);
    expect(ticks.length).toBe(6);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(from);
      expect(t).toBeLessThanOrEqual(from + HOUR);
      expect(new Date(t).getMinutes() % 10).toBe(0);
    }
    expect(new Date(ticks[0]!).getMinutes()).toBe(10);
  });

  test('a day gets ticks on local round hours, a week on local midnights', () => {
    const from = new Date(2025, 10, 26, 13, 30).getTime();
    const day = timeTicks(from, from + DAY, 8);
    expect(day.step).toBe(3 * HOUR);
    for (const t of day.ticks) expect([0, 3, 6, 9, 12, 15, 18, 21]).toContain(new Date(t).getHours());
    for (const t of day.ticks) expect(new Date(t).getMinutes()).toBe(0);

    const week = timeTicks(from, from + 7 * DAY, 7);
    expect(week.step).toBe(DAY);
    expect(week.ticks.length).toBe(7);
    for (const t of week.ticks) expect(new Date(t).getHours()).toBe(0);
  });

  test('tick labels are times, or dates at midnight of a multi-day axis and on day steps', () => {
    const afternoon = new Date(2025, 10, 27, 14, 30).getTime();
    const midnight = new Date(2025, 10, 27).getTime();
    expect(plain(formatTick(afternoon, 30 * MIN, 'en-US', false))).toBe('2:30 PM');
    expect(formatTick(midnight, 3 * HOUR, 'en-US', true)).toBe('Nov 27');
    expect(plain(formatTick(midnight, 3 * HOUR, 'en-US', false))).toBe('12:00 AM');
    expect(formatTick(midnight, DAY, 'en-US', true)).toBe('Nov 27');
    const range = formatTimeRange(afternoon, afternoon + MIN, 'en-US');
    expect(range).toContain('Nov 27');
    expect(range).toContain('2:30');
    expect(range).toContain('2:31');
  });
});
