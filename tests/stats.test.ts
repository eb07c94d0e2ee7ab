/**
 * The dashboard's numbers: histogram bins and percentiles (pure), the window arithmetic, and the
 * `stats` query end to end on every store (traffic through the proxy → rollups → stats), which must
 * agree with counting the log rows themselves.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { HISTOGRAM_BINS, HISTOGRAM_BOUNDS, histogramBin, percentile, rollupsOf } from '../server/stats/rollup.ts';
import { type RollupCounts } from '../server/store/types.ts';
import { computeStats, statsWindow as windowOf } from '../server/stats/stats.ts';
import type { LogSummary } from '../server/store/types.ts';
import { startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

describe('histograms', () => {
  test('each value falls in the bin whose bounds hold it', () => {
    for (const ms of [0, 0.3, 1, 1.2, 2, 3, 10, 99.9, 100, 1234, 60_000, 599_999, 1e9]) {
      const bin = histogramBin(ms);
      expect(bin).toBeGreaterThanOrEqual(0);
      expect(bin).toBeLessThan(HISTOGRAM_BINS);
      if (bin < HISTOGRAM_BINS - 1) expect(ms).toBeLessThanOrEqual(HISTOGRAM_BOUNDS[bin]!);
      if (bin > 0) expect(ms).toBeGreaterThan(HISTOGRAM_BOUNDS[bin - 1]!);
    }
    expect(histogramBin(Number.NaN)).toBe(0);
    expect(histogramBin(-5)).toBe(0);
  });

  test('percentiles read from the histogram stay within 19 % of the exact value', () => {
    // Log-normal-ish latencies from a fixed seed, like real traffic: most fast, a long tail.
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 5_000 }, () => Math.exp(3 + 2 * random() + 2 * random() ** 4));
    const counts: RollupCounts = {};
    for (const v of values) counts[`d${histogramBin(v)}`] = (counts[`d${histogramBin(v)}`] ?? 0) + 1;
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(p * sorted.length) - 1]!;
      const estimate = percentile(counts, 'd', p)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.19);
    }
    expect(percentile({}, 'd', 0.5)).toBeNull();
  });
});

describe('stats window', () => {
  const at = (iso: string) => new Date(iso);
  const NOW = at('2026-01-10T00:00:00Z');
  const statsWindow = (from: Date, to: Date, bucket: Parameters<typeof windowOf>[2]) => windowOf(from, to, bucket, NOW);

  test('is widened to whole buckets and picks hour rollups for whole-hour buckets', () => {
    expect(statsWindow(at('2026-01-01T10:15:30Z'), at('2026-01-01T11:15:30Z'), 'MINUTE')).toEqual({
      from: at('2026-01-01T10:15:00Z'), to: at('2026-01-01T11:16:00Z'), bucketSeconds: 60, rollupSize: 60,
    });
    expect(statsWindow(at('2026-01-01T10:15:30Z'), at('2026-01-02T10:15:30Z'), 'HOUR')).toMatchObject({
      from: at('2026-01-01T10:00:00Z'), to: at('2026-01-02T11:00:00Z'), rollupSize: 3600,
    });
    expect(statsWindow(at('2026-01-01T10:15:30Z'), at('2026-01-08T10:15:30Z'), 'DAY').rollupSize).toBe(3600);
    expect(statsWindow(at('2026-01-01T10:15:30Z'), at('2026-01-02T10:15:30Z'), 'FIFTEEN_MINUTES').rollupSize).toBe(60);
  });

  test("the dashboard's 24-hour and 7-day windows (HOUR buckets) read hourly rollups: 25 and 169 per model", () => {
    const hours = (w: { from: Date; to: Date }) => (w.to.getTime() - w.from.getTime()) / 3_600_000;
    const day = statsWindow(new Date(NOW.getTime() - 86_400_000 + 90_000), new Date(NOW.getTime() + 90_000), 'HOUR');
    const week = statsWindow(new Date(NOW.getTime() - 7 * 86_400_000 + 90_000), new Date(NOW.getTime() + 90_000), 'HOUR');
    expect([day.rollupSize, hours(day)]).toEqual([3600, 25]);
    expect([week.rollupSize, hours(week)]).toEqual([3600, 169]);
  });

  test('a `to` on a bucket boundary ends the window there; from = to still gives one bucket', () => {
    const day = statsWindow(at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), 'HOUR');
    expect(day).toMatchObject({ from: at('2026-01-01T00:00:00Z'), to: at('2026-01-02T00:00:00Z') });
    expect(statsWindow(at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), 'DAY').to).toEqual(at('2026-01-02T00:00:00Z'));
    expect(statsWindow(at('2026-01-01T05:00:00Z'), at('2026-01-01T05:00:00Z'), 'HOUR').to).toEqual(at('2026-01-01T06:00:00Z'));
  });

  test('buckets under an hour reach back as far as per-minute rollups are kept', () => {
    expect(() => statsWindow(at('2025-12-01T00:00:00Z'), at('2025-12-01T01:00:00Z'), 'MINUTE')).toThrow('reach back 21 days');
    expect(statsWindow(at('2025-12-01T00:00:00Z'), at('2025-12-01T01:00:00Z'), 'HOUR').rollupSize).toBe(3600);
  });

  test('refuses windows that are backwards, invalid, or too many buckets', () => {
    expect(() => statsWindow(at('2026-01-02T00:00:00Z'), at('2026-01-01T00:00:00Z'), 'MINUTE')).toThrow('must not be before');
    expect(() => statsWindow(at('nonsense'), at('2026-01-01T00:00:00Z'), 'MINUTE')).toThrow('valid times');
    expect(() => statsWindow(at('2026-01-01T00:00:00Z'), at('2026-01-08T00:00:00Z'), 'MINUTE')).toThrow('at most 2000');
    expect(() => statsWindow(at('2026-01-01T00:00:00Z'), at('2026-01-08T00:00:00Z'), 'NOPE' as 'MINUTE')).toThrow('Unknown bucket');
  });

  test('the series has every bucket, empty ones included, and sums to the total', () => {
    const t = Date.UTC(2026, 0, 1, 10, 0);
    const row = (minute: number, model: string | null, status: number): LogSummary => ({
      id: `${minute}-${status}`, timestamp: new Date(t + minute * 60_000 + 5_000), method: 'POST', path: '/v1/chat/completions',
      model, backendModel: null, configId: model ? 'c' : null, upstreamUrl: null, statusCode: status, stream: false,
      durationMs: 100, ttftMs: 50, promptTokens: 3, completionTokens: 4, totalTokens: 7, error: null, clientIp: null, userAgent: null, apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null,
    });
    const rollups = rollupsOf([row(0, 'a', 200), row(0, 'a', 500), row(3, 'b', 200), row(3, null, 404), row(9, 'a', 200)]);
    const window = statsWindow(new Date(t), new Date(t + 5 * 60_000), 'MINUTE');
    const stats = computeStats(window, rollups.filter((r) => r.size === 60));
    expect(stats.series.map((p) => p.requests)).toEqual([2, 0, 0, 2, 0]);
    expect(stats.series.map((p) => p.errors)).toEqual([1, 0, 0, 1, 0]);
    expect(stats.total).toMatchObject({ requests: 4, errors: 2, clientErrors: 1, serverErrors: 1, errorRate: 0.5, promptTokens: 12, completionTokens: 16, avgDurationMs: 100 });
    expect(stats.models.map((m) => [m.model, m.summary.requests])).toEqual([['a', 2], [null, 1], ['b', 1]]);
  });
});

const STATS = `query($from: DateTime!, $to: DateTime!, $bucket: StatsBucket) {
  stats(from: $from, to: $to, bucket: $bucket) {
    from to bucketSeconds
    total { requests errors clientErrors serverErrors errorRate promptTokens completionTokens avgDurationMs durationP50Ms durationP95Ms ttftP50Ms ttftP95Ms }
    models { model summary { requests errors promptTokens completionTokens durationP95Ms } }
    series { time requests errors }
  }
}`;

const mock = startMockUpstream();
afterAll(() => mock.stop());

for (const kind of STORE_KINDS) {
  describe(`stats query (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind });
      await app.addConfig({ proxyModelName: 'stats-ok', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await app.addConfig({ proxyModelName: 'stats-500', baseUrl: mock.baseUrl, backendModelName: 'status:500' });
      await app.addConfig({ proxyModelName: 'stats-stream', baseUrl: mock.baseUrl, backendModelName: 'fixture:openai-chat-text' });
    });
    afterAll(() => app.stop());

    const window = (bucket = 'MINUTE') => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString(), bucket });

    test('counts what went through the proxy, per model, and agrees with the log rows', async () => {
      for (let i = 0; i < 5; i++) expect((await chat({ baseUrl: app.baseUrl, model: 'stats-ok' })).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await chat({ baseUrl: app.baseUrl, model: 'stats-500' })).status).toBe(500);
      expect((await chat({ baseUrl: app.baseUrl, model: 'stats-stream', stream: true })).status).toBe(200);
      expect((await chat({ baseUrl: app.baseUrl, model: 'made-up-model' })).status).toBe(404);
      await app.drain();

      const r = await app.gql(STATS, window());
      expect(r.errors).toBeUndefined();
      const stats = r.data.stats;
      expect(stats.bucketSeconds).toBe(60);
      expect(stats.total).toMatchObject({ requests: 9, errors: 3, clientErrors: 1, serverErrors: 2 });
      expect(stats.total.errorRate).toBeCloseTo(3 / 9);
      const models = Object.fromEntries(stats.models.map((m: { model: string | null; summary: unknown }) => [m.model ?? '(none)', m.summary]));
      // The echo mock reports 5 + 7 tokens per answer.
      expect(models['stats-ok']).toMatchObject({ requests: 5, errors: 0, promptTokens: 25, completionTokens: 35 });
      expect(models['stats-500']).toMatchObject({ requests: 2, errors: 2 });
      expect(models['stats-stream'].requests).toBe(1);
      // An unknown model's name is not a rollup key: it counts under "no model".
      expect(models['(none)']).toMatchObject({ requests: 1, errors: 1 });
      expect(models['made-up-model']).toBeUndefined();

      const rows = await app.store.queryLogs({ filter: {}, limit: 100 });
      expect(rows.length).toBe(9);
      const tokens = rows.reduce((sum, row) => sum + (row.promptTokens ?? 0), 0);
      expect(stats.total.promptTokens).toBe(tokens);
      const durations = rows.map((row) => row.durationMs).sort((a, b) => a - b);
      const median = durations[Math.ceil(durations.length / 2) - 1]!;
      expect(stats.total.durationP50Ms).toBeGreaterThan(median / 1.5);
      expect(stats.total.durationP50Ms).toBeLessThan(Math.max(median * 1.5, 1.01));
      expect(stats.total.ttftP95Ms).not.toBeNull();
      expect(stats.series.reduce((sum: number, p: { requests: number }) => sum + p.requests, 0)).toBe(9);
      expect(stats.series.length).toBe(61);
    });

    test('hour and day buckets read the hour rollups and give the same totals', async () => {
      const minute = (await app.gql(STATS, window())).data.stats.total;
      for (const bucket of ['HOUR', 'DAY']) {
        const r = await app.gql(STATS, { ...window(bucket), from: new Date(Date.now() - 86_400_000).toISOString() });
        expect(r.errors).toBeUndefined();
        expect(r.data.stats.total.requests).toBe(minute.requests);
        expect(r.data.stats.total.promptTokens).toBe(minute.promptTokens);
      }
    });

    test('bad windows are refused with BAD_USER_INPUT; an empty window is all zeros', async () => {
      const tooMany = await app.gql(STATS, { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', bucket: 'MINUTE' });
      expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const backwards = await app.gql(STATS, { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' });
      expect(backwards.errors?.[0]?.message).toContain('must not be before');
      const old = await app.gql(STATS, { from: '2020-01-01T00:00:00Z', to: '2020-01-01T01:00:00Z' });
      expect(old.errors?.[0]?.message).toContain('use HOUR or DAY');
      const empty = await app.gql(STATS, { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z', bucket: 'HOUR' });
      expect(empty.data.stats.total).toMatchObject({ requests: 0, errors: 0, errorRate: 0, avgDurationMs: null, durationP50Ms: null });
      expect(empty.data.stats.models).toEqual([]);
    });
  });
}
