/**
 * The SQLite store's reader, run as a Worker: its own read-only connection to the main file and the
 * log file (WAL lets it read while the proxy's thread writes), answering LogQueries calls one at a
 * time. A slow admin query then waits here, never on the proxy's event loop.
 */
import { Database } from 'bun:sqlite';
import { LogQueries } from './sqlite-queries.ts';
import { LOGS_SCHEMA } from './sqlite-logs.ts';

declare const self: Worker;

export interface ReaderInit {
  main: string;
  logs: string;
}

export type ReaderCall = { id: number; op: 'queryLogs' | 'queryLogRows' | 'getLog' | 'countLogs' | 'countLogsUpTo' | 'readRollups' | 'close'; args: unknown[] };
export type ReaderAnswer = { id: number; value: unknown } | { id: number; error: string };

let queries: LogQueries | null = null;
let db: Database | null = null;
self.onmessage = (event: MessageEvent<ReaderInit | ReaderCall>) => {
  const data = event.data;
  if (!('op' in data)) {
    db = new Database(data.main, { readonly: true });
    db.exec('PRAGMA busy_timeout = 5000');
    db.query(`ATTACH DATABASE ? AS ${LOGS_SCHEMA}`).run(data.logs);
    queries = new LogQueries(db);
    return;
  }
  if (data.op === 'close') {
    // Closed, not killed: a connection that ends cleanly leaves no -shm file behind.
    db?.close();
    self.postMessage({ id: data.id, value: null } satisfies ReaderAnswer);
    return;
  }
  try {
    const method = queries![data.op] as (...args: unknown[]) => unknown;
    // One read transaction per call: its statements see one snapshot, so an entry the upgrade moves
    // meanwhile is counted once, and a legacy table dropped meanwhile is either wholly there or gone.
    const value = db!.transaction(() => method.apply(queries, data.args))();
    self.postMessage({ id: data.id, value } satisfies ReaderAnswer);
  } catch (err) {
    self.postMessage({ id: data.id, error: err instanceof Error ? err.message : String(err) } satisfies ReaderAnswer);
  }
};
