/**
 * Rollups: per-minute and per-hour counters for each proxy model, which the dashboard reads instead
 * of scanning logs. The recorder turns each written batch into a few rollup deltas; stores add them
 * with atomic increments (SQLite upserts, MongoDB `$inc` upserts), so readers never see a half-added
 * batch and the cost of a stats query depends on the window, not on the number of logs.
 *
 * Durations and TTFTs go into fixed histograms (bins growing by √2 from 1 ms to about 17 minutes),
 * from which percentiles are read; reading in the middle of a bin keeps the error under about 19 %.
 */
import { HISTOGRAM_BINS, rollupKey } from '../store/rollup-fields.ts';
import type { Json } from '../json.ts';
import type { LogSummary, RollupCounts, RollupRow, RollupSize } from '../store/types.ts';

export { HISTOGRAM_BINS, rollupKey };

/** Rollup sizes in seconds: minutes for short windows, hours for long ones. */
export const ROLLUP_SIZES = [60, 3600] as const satisfies readonly RollupSize[];

/**
 * Per-minute rollups serve buckets under an hour: at most 2,000 buckets of 15 minutes, about 21
 * days. Older ones are deleted by the store's upkeep; hourly rollups are kept.
 */
export const MINUTE_ROLLUP_KEEP_DAYS = 21;

/** Upper bounds (ms) of the histogram bins; the last bin (HISTOGRAM_BINS in all) holds everything above. */
export const HISTOGRAM_BOUNDS: readonly number[] = Array.from({ length: HISTOGRAM_BINS - 1 }, (_, k) => 2 ** (k / 2));

export function histogramBin(ms: number): number {
  if (!(ms > 1)) return 0;
  // 2^(k/2) >= ms  ⇔  k >= 2·log2(ms)
  const k = Math.ceil(2 * Math.log2(ms) - 1e-9);
  return Math.min(k, HISTOGRAM_BINS - 1);
}

const add = (counts: RollupCounts, field: string, by: number) => {
  counts[field] = (counts[field] ?? 0) + by;
};

/** Whether a config of another group answered (the last attempt's group is not the model asked for). */
export function answeredByFallback(row: { model: string | null; attempts?: Json | null }): boolean {
  const list = row.attempts;
  if (!Array.isArray(list) || list.length === 0 || row.model === null) return false;
  const last = list[list.length - 1];
  return typeof last === 'object' && last !== null && !Array.isArray(last) && typeof last.model === 'string' && last.model !== row.model;
}

function addEntry(counts: RollupCounts, row: RolledUp): void {
  add(counts, 'n', 1);
  const statusClass = Math.floor(row.statusCode / 100);
  add(counts, statusClass >= 1 && statusClass <= 5 ? `s${statusClass}` : 's0', 1);
  if (row.promptTokens) add(counts, 'pt', row.promptTokens);
  if (row.completionTokens) add(counts, 'ct', row.completionTokens);
  if (row.costUsd) add(counts, 'cost', row.costUsd);
  if (row.attemptCount) add(counts, 'at', row.attemptCount);
  if (row.attemptCount !== null && row.attemptCount > 1) add(counts, 'rt', 1);
  if (answeredByFallback(row)) add(counts, 'fb', 1);
  add(counts, 'dsum', row.durationMs);
  add(counts, `d${histogramBin(row.durationMs)}`, 1);
  if (row.ttftMs !== null) add(counts, `t${histogramBin(row.ttftMs)}`, 1);
}

/** A client key's rollups also have one for all time (size 0, start 1970): a TOTAL budget's use in one read. */
export const KEY_ROLLUP_SIZES = [60, 3600, 0] as const satisfies readonly RollupSize[];

/**
 * The rollup deltas of a batch of written log entries: one per minute and per hour each entry falls
 * in, per model. Entries are counted under their proxy model only when a config routed them, so that
 * made-up model names cannot grow the rollups without bound. An entry of a client key is counted in
 * that key's rollups too (every model together), whatever its status: refusals are the key's use.
 */
/** A summary, with the attempts when the caller has them (the recorder does: fallbacks are counted from them). */
type RolledUp = LogSummary & { attempts?: Json | null };

export function rollupsOf(rows: readonly RolledUp[]): RollupRow[] {
  const out = new Map<string, RollupRow>();
  const into = (size: RollupSize, row: LogSummary, who: { model: string | null; apiKeyId?: string }) => {
    const start = size === 0 ? 0 : Math.floor(row.timestamp.getTime() / (size * 1000)) * size * 1000;
    const ident = { size, start: new Date(start), ...who };
    const key = rollupKey(ident);
    let r = out.get(key);
    if (!r) out.set(key, (r = { ...ident, counts: {} }));
    addEntry(r.counts, row);
  };
  for (const row of rows) {
    const model = row.configId !== null ? row.model : null;
    for (const size of ROLLUP_SIZES) into(size, row, { model });
    if (row.apiKeyId) for (const size of KEY_ROLLUP_SIZES) into(size, row, { model: null, apiKeyId: row.apiKeyId });
  }
  return [...out.values()];
}

/** Adds b's counts into a (rows of the same key). */
export function mergeCounts(a: RollupCounts, b: RollupCounts): void {
  for (const field in b) add(a, field, b[field]!);
}


/**
 * The value below which a fraction `p` of the histogram's entries lie, read at the geometric middle
 * of the bin where the count crosses p (null when empty).
 */
export function percentile(counts: RollupCounts, prefix: 'd' | 't', p: number): number | null {
  let total = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) total += counts[`${prefix}${i}`] ?? 0;
  if (total === 0) return null;
  const rank = p * total;
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) {
    seen += counts[`${prefix}${i}`] ?? 0;
    if (seen >= rank && seen > 0) return binMiddle(i);
  }
  return binMiddle(HISTOGRAM_BINS - 1);
}

function binMiddle(i: number): number {
  if (i === 0) return 1;
  // The last bin is open-ended; its lower bound is the honest answer.
  if (i === HISTOGRAM_BINS - 1) return HISTOGRAM_BOUNDS[i - 1]!;
  return Math.sqrt(HISTOGRAM_BOUNDS[i - 1]! * HISTOGRAM_BOUNDS[i]!);
}
