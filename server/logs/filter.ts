/** The LogFilter rules in memory, for the live tail; the stores apply the same rules in their queries. */
import { InputError } from '../errors.ts';
import type { LogCursor, LogFilter, LogSummary } from '../store/types.ts';

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

export function encodeCursor(c: LogCursor): string {
  return Buffer.from(JSON.stringify([c.timestamp.getTime(), c.id])).toString('base64url');
}

export function decodeCursor(cursor: string): LogCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && typeof value[1] === 'string') {
      return { timestamp: new Date(value[0] as number), id: value[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new InputError('after is not a cursor returned by this API', 'after');
}
