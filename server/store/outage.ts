/**
 * Whether a failed write means the store cannot take writes now (disk full, I/O error, read-only,
 * unreachable) rather than that the rows are bad. The recorder keeps such rows queued and retries
 * them; it never blames (and drops) a row for an outage, even when smaller rows still fit.
 */
const OUTAGE = [
  // SQLite (messages survive the writer Worker's boundary; codes do not)
  /database or disk is full/i, /disk i\/o error/i, /readonly database/i, /unable to open database/i, /database is locked/i,
  /SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|NOMEM)/,
  /the store is closed|the SQLite (writer|reader) stopped|the store is not reachable yet|the store did not answer a log write within/i,
  // MongoDB and the OS beneath either store
  /no space left on device/i, /OutOfDiskSpace/i, /ENOSPC|EIO|EROFS|EDQUOT/,
  /server selection|topology (was )?(closed|destroyed)|connection .*(closed|refused|reset|timed out)|ECONNREFUSED|ECONNRESET/i,
];

export function isStoreOutage(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (e && typeof e.name === 'string' && /^Mongo(Network|ServerSelection|NotConnected|TopologyClosed)/.test(e.name)) return true;
  if (e && (e.code === 14031 || e.code === 'ENOSPC')) return true;
  const text = e && typeof e.message === 'string' ? e.message : String(err);
  return OUTAGE.some((pattern) => pattern.test(text));
}
