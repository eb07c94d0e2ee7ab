/** The LogFilter rules in memory, for the live tail; the stores apply the same rules in their queries. */
import { InputError } from '../errors.ts';
import type { LogCount, LogCursor, LogFilter, LogSummary } from '../store/types.ts';

export function matchesFilter(row: LogSummary, f: LogFilter | null | undefined): boolean {
  if (!f) return true;
  if (f.from && row.timestamp < f.from) return false;
  if (f.to && row.timestamp > f.to) return false;
  if (f.method && row.method !== f.method.toUpperCase()) return false;
  if (f.statusCode != null && row.statusCode !== f.statusCode) return false;
  if (f.statusClass != null && Math.floor(row.statusCode / 100) !== f.statusClass) return false;
  if (f.path && !row.path.includes(f.path)) return false;
  if (f.model && row.model !== f.model) return false;
  if (f.stream != null && row.stream !== f.stream) return false;
  if (f.apiKeyId && row.apiKeyId !== f.apiKeyId) return false;
  if (f.retried != null && ((row.attemptCount ?? 0) > 1) !== f.retried) return false;
  return true;
}

/** Checks a filter from outside; returns it normalised. */
export function validateFilter(f: LogFilter | null | undefined): LogFilter {
  if (!f) return {};
  if (f.statusClass != null && (!Number.isInteger(f.statusClass) || f.statusClass < 1 || f.statusClass > 5)) {
    throw new InputError('statusClass must be 1 to 5 (2 means 2xx)', 'statusClass');
  }
  if (f.statusCode != null && (f.statusCode < 100 || f.statusCode > 599)) {
    throw new InputError('statusCode must be between 100 and 599', 'statusCode');
  }
  if (f.from && f.to && f.from > f.to) throw new InputError('from must not be later than to', 'from');
  return f;
}

/** Past this a Logs page's count says "10,000+": counting further would read more of the index than a page is worth. */
export const LOG_COUNT_CAP = 10_000;

/**
 * A page's position, and the count its first page made of the filter, so that "Older" and "Newer"
 * never count again (entries that arrive meanwhile reach the page through the live tail).
 */
export interface PageCursor extends LogCursor {
  total?: LogCount;
}

export function encodeCursor(c: PageCursor): string {
  const value = c.total ? [c.timestamp.getTime(), c.id, c.total.count, c.total.exact] : [c.timestamp.getTime(), c.id];
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string): PageCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && (v.length === 2 || v.length === 4) && Number.isFinite(v[0]) && typeof v[1] === 'string') {
      const at: PageCursor = { timestamp: new Date(v[0] as number), id: v[1] };
      if (v.length === 4 && Number.isInteger(v[2]) && (v[2] as number) >= 0 && typeof v[3] === 'boolean') at.total = { count: v[2] as number, exact: v[3] };
      return at;
    }
  } catch {
    // falls through to the error below
  }
  throw new InputError('after is not a cursor returned by this API', 'after');
}
