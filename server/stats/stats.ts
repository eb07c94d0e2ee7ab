/**
 * The dashboard's numbers, computed from rollup rows (see rollup.ts): totals, one summary per model
 * and a time series. Pure: the resolver reads the rows and hands them here.
 */
import { InputError } from '../errors.ts';
import { MINUTE_ROLLUP_KEEP_DAYS, mergeCounts, percentile } from './rollup.ts';
import { type RollupCounts, type RollupRow, type RollupSize } from '../store/types.ts';

export const BUCKET_SECONDS = { MINUTE: 60, FIVE_MINUTES: 300, FIFTEEN_MINUTES: 900, HOUR: 3600, DAY: 86_400 } as const;
export type Bucket = keyof typeof BUCKET_SECONDS;
export const MAX_BUCKETS = 2_000;

export interface StatsWindow {
  from: Date;
  to: Date;
  bucketSeconds: number;
  /** Which rollups to read: hours when the buckets are whole hours. */
  rollupSize: RollupSize;
}

/** Widens [from, to) to whole buckets (UTC) and checks it. */
export function statsWindow(from: Date, to: Date, bucket: Bucket, now = new Date()): StatsWindow {
  const bucketSeconds = BUCKET_SECONDS[bucket];
  if (!bucket || bucketSeconds === undefined) throw new InputError(`Unknown bucket ${String(bucket)}`);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new InputError('from and to must be valid times');
  if (to < from) throw new InputError('`to` must not be before `from`');
  const ms = bucketSeconds * 1000;
  const start = Math.floor(from.getTime() / ms) * ms;
  // `to` ends the window: a bucket starting exactly at `to` is not part of it.
  const end = Math.max(Math.ceil(to.getTime() / ms) * ms, start + ms);
  const buckets = (end - start) / ms;
  if (buckets > MAX_BUCKETS) {
    throw new InputError(`That window holds ${buckets} buckets of ${bucket}; at most ${MAX_BUCKETS} are allowed. Pick a larger bucket.`);
  }
  const rollupSize = bucketSeconds % 3600 === 0 ? 3600 : 60;
  if (rollupSize === 60 && start < now.getTime() - MINUTE_ROLLUP_KEEP_DAYS * 86_400_000) {
    throw new InputError(`Buckets under an hour reach back ${MINUTE_ROLLUP_KEEP_DAYS} days; use HOUR or DAY for older windows.`);
  }
  return { from: new Date(start), to: new Date(end), bucketSeconds, rollupSize };
}

export interface Summary {
  requests: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
  errorRate: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Backend attempts (more than requests when some were tried again elsewhere). */
  attempts: number;
  /** Requests that tried more than one backend. */
  retried: number;
  /** Requests a fallback group's config answered. */
  fallbacks: number;
  avgDurationMs: number | null;
  durationP50Ms: number | null;
  durationP95Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
}

export interface Point {
  time: Date;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  durationP95Ms: number | null;
}

export interface Stats {
  from: Date;
  to: Date;
  bucketSeconds: number;
  total: Summary;
  models: { model: string | null; summary: Summary }[];
  keys: { apiKeyId: string; summary: Summary }[];
  series: Point[];
}

export function summarise(c: RollupCounts): Summary {
  const requests = c.n ?? 0;
  const clientErrors = c.s4 ?? 0;
  const serverErrors = c.s5 ?? 0;
  const errors = clientErrors + serverErrors;
  return {
    requests,
    errors,
    clientErrors,
    serverErrors,
    errorRate: requests > 0 ? errors / requests : 0,
    promptTokens: c.pt ?? 0,
    completionTokens: c.ct ?? 0,
    costUsd: c.cost ?? 0,
    attempts: c.at ?? 0,
    retried: c.rt ?? 0,
    fallbacks: c.fb ?? 0,
    avgDurationMs: requests > 0 ? (c.dsum ?? 0) / requests : null,
    durationP50Ms: percentile(c, 'd', 0.5),
    durationP95Ms: percentile(c, 'd', 0.95),
    ttftP50Ms: percentile(c, 't', 0.5),
    ttftP95Ms: percentile(c, 't', 0.95),
  };
}

/** Rows outside the window are ignored, so a store may return a little more than asked; `keyRows` are the client keys' rollups. */
export function computeStats(window: StatsWindow, rows: readonly RollupRow[], keyRows: readonly RollupRow[] = []): Stats {
  const { from, to, bucketSeconds } = window;
  const ms = bucketSeconds * 1000;
  const total: RollupCounts = {};
  const byModel = new Map<string | null, RollupCounts>();
  const buckets: RollupCounts[] = Array.from({ length: (to.getTime() - from.getTime()) / ms }, () => ({}));
  for (const row of rows) {
    const at = row.start.getTime();
    if (at < from.getTime() || at >= to.getTime()) continue;
    let m = byModel.get(row.model);
    if (!m) byModel.set(row.model, (m = {}));
    mergeCounts(m, row.counts);
    mergeCounts(buckets[Math.floor((at - from.getTime()) / ms)]!, row.counts);
  }
  // The total is the sum of the models: one merge per model rather than one more per row.
  for (const m of byModel.values()) mergeCounts(total, m);
  const models = [...byModel]
    .map(([model, counts]) => ({ model, summary: summarise(counts) }))
    .sort((a, b) => b.summary.requests - a.summary.requests || (a.model ?? '').localeCompare(b.model ?? ''));
  const series = buckets.map((c, i) => ({
    time: new Date(from.getTime() + i * ms),
    requests: c.n ?? 0,
    errors: (c.s4 ?? 0) + (c.s5 ?? 0),
    promptTokens: c.pt ?? 0,
    completionTokens: c.ct ?? 0,
    costUsd: c.cost ?? 0,
    durationP95Ms: percentile(c, 'd', 0.95),
  }));
  const byKey = new Map<string, RollupCounts>();
  for (const row of keyRows) {
    const at = row.start.getTime();
    if (!row.apiKeyId || at < from.getTime() || at >= to.getTime()) continue;
    let k = byKey.get(row.apiKeyId);
    if (!k) byKey.set(row.apiKeyId, (k = {}));
    mergeCounts(k, row.counts);
  }
  const keys = [...byKey]
    .map(([apiKeyId, counts]) => ({ apiKeyId, summary: summarise(counts) }))
    .sort((a, b) => b.summary.requests - a.summary.requests || a.apiKeyId.localeCompare(b.apiKeyId));
  return { from, to, bucketSeconds, total: summarise(total), models, keys, series };
}
