/**
 * The SQLite store's reader, run as a Worker: its own read-only connection to the main file and the
 * log file (WAL lets it read while the writer writes), answering LogQueries calls one at a time. A
 * slow admin query then waits here, never on the proxy's event loop.
 */
import { Database } from 'bun:sqlite';
import { LOGS_SCHEMA } from './sqlite-logs.ts';
import { LogQueries } from './sqlite-queries.ts';
import { serveWorker, Transferred } from './sqlite-worker.ts';
import { exportPageOf } from './log-lines.ts';
import type { LogExportFormat, LogQuery } from './types.ts';

declare const self: Worker;

export interface ReaderInit {
  main: string;
  logs: string;
}

export const READER_OPS = ['queryLogs', 'queryLogRows', 'getLog', 'countLogs', 'countLogsUpTo', 'readRollups'] as const;
export type ReaderOp = (typeof READER_OPS)[number];

serveWorker<ReaderInit>(self, (init) => {
  const db = new Database(init.main, { readonly: true });
  db.exec('PRAGMA busy_timeout = 5000');
  db.query(`ATTACH DATABASE ? AS ${LOGS_SCHEMA}`).run(init.logs);
  const queries = new LogQueries(db);
  // One read transaction per call: its statements see one snapshot, so an entry the upgrade moves
  // meanwhile is counted once, and a legacy table dropped meanwhile is either wholly there or gone.
  const read = (op: ReaderOp) => (...args: unknown[]) => db.transaction(() => (queries[op] as (...a: unknown[]) => unknown).apply(queries, args))();
  return {
    ...Object.fromEntries(READER_OPS.map((op) => [op, read(op)])),
    // Formatted here, beside the rows: the proxy's thread gets the page's bytes, moved, not copied.
    exportPage: (q: LogQuery, format: LogExportFormat) => {
      const page = db.transaction(() => exportPageOf(format, format === 'csv' ? queries.queryLogs(q) : queries.queryLogRows(q, 'text')))();
      return new Transferred(page, [page.bytes.buffer as ArrayBuffer]);
    },
    // Closed, not killed: a connection that ends cleanly leaves no -shm file behind.
    close: () => db.close(),
  };
});
