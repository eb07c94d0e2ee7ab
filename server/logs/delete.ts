/**
 * Deleting log entries on request (the deleteLogs mutation): in batches, oldest first, with a short
 * pause between two batches so that a large delete never stalls the proxy's own log writes.
 */
import { InputError } from '../errors.ts';
import type { LogFilter, Store } from '../store/types.ts';
import { validateFilter } from './filter.ts';

export interface DeleteLogsOptions {
  batchSize?: number;
  pauseMs?: number;
}

const isSet = (v: unknown) => v !== null && v !== undefined && v !== '';

/** Deletes the entries matching the filter; returns how many. An empty filter is refused: deleting everything must be asked for. */
export async function deleteLogs(store: Store, filter: LogFilter | null | undefined, opts: DeleteLogsOptions = {}): Promise<number> {
  const f = validateFilter(filter);
  if (!Object.values(f).some(isSet)) {
    throw new InputError('give at least one filter field; to delete every entry, use from: "1970-01-01T00:00:00Z"', 'filter');
  }
  const batchSize = opts.batchSize ?? 1_000;
  // Bounded by what matched at the start: entries that keep arriving (a filter on a busy model) cannot keep it going forever.
  let left = await store.countLogs(f);
  let deleted = 0;
  while (left > 0) {
    const n = await store.deleteLogs(f, Math.min(batchSize, left));
    deleted += n;
    left -= n;
    if (n === 0) break;
    if (left > 0) await Bun.sleep(opts.pauseMs ?? 20);
  }
  return deleted;
}
