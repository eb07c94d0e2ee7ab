/**
 * Deleting log entries in batches, oldest first, with a short pause between two batches so that a
 * large delete never stalls the proxy's own log writes: on request (the deleteLogs mutation) and for
 * retention (store/upkeep.ts).
 */
import { InputError } from '../errors.ts';
import type { LogFilter, Store } from '../store/types.ts';
import { validateFilter } from './filter.ts';

export interface BatchOptions {
  batchSize?: number;
  pauseMs?: number;
  /** Stop after this many batches (the next call goes on where this one stopped). */
  maxBatches?: number;
  /** Checked before each batch: true ends the run early (shutdown). */
  stopped?: () => boolean;
  /** Told each batch's count as it is deleted. */
  onDeleted?: (n: number) => void;
}

/** Deletes at most `max` entries matching the filter, a batch at a time; returns how many. */
export async function deleteInBatches(store: Store, filter: LogFilter, max: number, opts: BatchOptions = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 1_000;
  let left = max;
  let deleted = 0;
  for (let i = 0; i < (opts.maxBatches ?? Number.POSITIVE_INFINITY) && left > 0 && !opts.stopped?.(); i++) {
    const asked = Math.min(batchSize, left);
    const n = await store.deleteLogs(filter, asked);
    deleted += n;
    left -= n;
    opts.onDeleted?.(n);
    if (n < asked || left <= 0) break;
    await Bun.sleep(opts.pauseMs ?? 20);
  }
  return deleted;
}

const isSet = (v: unknown) => v !== null && v !== undefined && v !== '';

/** Deletes the entries matching the filter; returns how many. An empty filter is refused: deleting everything must be asked for. */
export async function deleteLogs(store: Store, filter: LogFilter | null | undefined, opts: BatchOptions = {}): Promise<number> {
  const f = validateFilter(filter);
  if (!Object.values(f).some(isSet)) {
    throw new InputError('give at least one filter field; to delete every entry, use from: "1970-01-01T00:00:00Z"', 'filter');
  }
  // Bounded by what matched at the start: entries that keep arriving (a filter on a busy model) cannot keep it going forever.
  const deleted = await deleteInBatches(store, f, await store.countLogs(f), opts);
  // The space goes back to the disk now, not at the next retention sweep (SQLite: a few pages at a time).
  if (deleted > 0) await store.compact();
  return deleted;
}
