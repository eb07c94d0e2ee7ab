/**
 * The second writer of the log pipeline: counts stored log rows into the dashboard's rollups. Each
 * stored row is counted once. Rollups the store refuses wait, merged with later ones, for the next
 * batch; when only some of a write went in (MongoDB's unordered bulk write) only the others are
 * kept, so nothing counts twice; one refused again and again while others go in is dropped.
 */
import { mergeCounts, rollupKey, rollupsOf } from '../stats/rollup.ts';
import { PartialRollupWrite, type LogRow, type RollupRow, type Store } from '../store/types.ts';

export interface RollupWriterOptions {
  store: Store;
  report: (message: string) => void;
  /** A rollup refused this many times while others go in is dropped. */
  maxAttempts: number;
}

export class RollupWriter {
  /** Rollups of stored rows that the store has not taken yet. */
  private pending = new Map<string, RollupRow>();
  private failing = false;
  private attempts = new Map<string, number>();

  constructor(private readonly opts: RollupWriterOptions) {}

  /** Writes what is still pending (at shutdown). */
  async flush(): Promise<void> {
    if (this.pending.size > 0) await this.add([]);
  }

  /** Adds the rollups of `stored` (and any still pending); never throws. */
  async add(stored: readonly LogRow[]): Promise<void> {
    for (const delta of rollupsOf(stored)) {
      const key = rollupKey(delta);
      const pending = this.pending.get(key);
      if (pending) mergeCounts(pending.counts, delta.counts);
      else this.pending.set(key, delta);
    }
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    try {
      await this.opts.store.addRollups(rows);
      this.pending.clear();
      this.attempts.clear();
      if (this.failing) this.opts.report('[logs] rollup writes succeed again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.opts.report(`[logs] rollup write failed, will retry with the next batch: ${String(err)}`);
      this.failing = true;
      // Some went in (MongoDB's unordered bulk write): keep only the others, or those would count twice.
      const failed = err instanceof PartialRollupWrite ? err.failed : rows;
      const keep = new Set(failed.map(rollupKey));
      for (const key of this.pending.keys()) if (!keep.has(key)) this.pending.delete(key);
      // A rollup the store keeps refusing while others go in is bad in itself: drop it, or it
      // would be retried forever.
      for (const key of keep) {
        const attempts = (this.attempts.get(key) ?? 0) + 1;
        if (attempts < this.opts.maxAttempts || failed.length === rows.length) this.attempts.set(key, attempts);
        else {
          this.pending.delete(key);
          this.attempts.delete(key);
          this.opts.report(`[logs] the store refused rollup ${key} ${attempts} times; dropped: ${String(err)}`);
        }
      }
    }
  }
}
