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
export const ROLLUP_FIELDS_V1 = [
  'n', 's0', 's1', 's2', 's3', 's4', 's5', 'pt', 'ct', 'dsum', ...histogramFields('d'), ...histogramFields('t'),
] as const;

/**
 * Added in schema version 4: cost (USD, the sum of the entries' costUsd), at (backend attempts),
 * rt (entries that tried more than one backend).
 */
export const ROLLUP_FIELDS_V4 = ['cost', 'at', 'rt'] as const;

/** Added in schema version 5: fb (entries answered by a fallback group's config). */
export const ROLLUP_FIELDS_V5 = ['fb'] as const;

export const ROLLUP_FIELDS = [...ROLLUP_FIELDS_V1, ...ROLLUP_FIELDS_V4, ...ROLLUP_FIELDS_V5] as const;

/** The counters a rollups table had at `version` (1, 4 and 5 changed them). */
export const rollupFieldsAt = (version: number): readonly string[] =>
  version >= 5 ? ROLLUP_FIELDS : version >= 4 ? [...ROLLUP_FIELDS_V1, ...ROLLUP_FIELDS_V4] : ROLLUP_FIELDS_V1;

/**
 * A rollup's identity: its size, start and model, or (schema version 4) its client key. Key
 * rollups are kept apart (SQLite `key_rollups`, MongoDB `key_rollups`) so that per-model reads
 * never meet them; their model is null.
 */
export const rollupKey = (r: Pick<RollupRow, 'size' | 'start' | 'model' | 'apiKeyId'>) =>
  r.apiKeyId ? `${r.size}:${r.start.getTime()}:key:${r.apiKeyId}` : `${r.size}:${r.start.getTime()}:${r.model ?? ''}`;
