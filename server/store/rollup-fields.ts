/**
 * What a stored rollup holds: its counters (one SQLite column or MongoDB field each) and its key.
 * The meaning of the counters (how entries are counted, percentiles) is in stats/rollup.ts.
 */
import type { RollupRow } from './types.ts';

/** Duration and TTFT histograms have this many bins (stats/rollup.ts: √2 apart from 1 ms, the last open). */
export const HISTOGRAM_BINS = 42;

const histogramFields = (prefix: string) => Array.from({ length: HISTOGRAM_BINS }, (_, i) => `${prefix}${i}`);

/**
 * The counters of one rollup. Short names keep documents and columns small:
 * n requests · s1..s5 by status class (s0: no status) · pt/ct prompt and completion tokens ·
 * dsum total duration · d0.. duration histogram · t0.. TTFT histogram.
 * A counter added here needs a schema step that adds its column on SQLite (sqlite-migrations.ts).
 */
export const ROLLUP_FIELDS = [
  'n', 's0', 's1', 's2', 's3', 's4', 's5', 'pt', 'ct', 'dsum', ...histogramFields('d'), ...histogramFields('t'),
] as const;

export const rollupKey = (r: Pick<RollupRow, 'size' | 'start' | 'model'>) => `${r.size}:${r.start.getTime()}:${r.model ?? ''}`;
