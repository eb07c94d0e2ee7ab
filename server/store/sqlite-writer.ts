/**
 * The SQLite store's writer, run as a Worker: the one connection that writes after init()
 * (sqlite-writes.ts). Commits, the WAL checkpoints that follow them, paced deletes, vacuum steps and
 * the upgrade's move all wait here; the proxy's thread only hands over batches.
 */
import { Database } from 'bun:sqlite';
import { LOGS_SCHEMA } from './sqlite-logs.ts';
import { serveWorker } from './sqlite-worker.ts';
import { SqliteWrites, WRITE_OPS, type WriterInit } from './sqlite-writes.ts';
import type { WorkerAnswer } from './sqlite-worker.ts';

declare const self: Worker;

const send = (event: string, value: unknown) => self.postMessage({ event, value } satisfies WorkerAnswer);

serveWorker<WriterInit>(self, (init) => {
  const db = new Database(init.main, { strict: true });
  // synchronous and busy_timeout belong to the connection; journal_mode = WAL is the file's (set by init()).
  db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
  db.query(`ATTACH DATABASE ? AS ${LOGS_SCHEMA}`).run(init.logs);
  db.exec(`PRAGMA ${LOGS_SCHEMA}.synchronous = NORMAL;`);
  const writes = new SqliteWrites(db, { path: init.main, report: (m) => send('report', m), progress: (n) => send('pending', n) });
  // As an event, so that it arrives before every later one.
  send('pending', writes.upgradePending());
  const call = (op: (typeof WRITE_OPS)[number]) => (...args: unknown[]) => (writes[op] as (...a: unknown[]) => unknown).apply(writes, args);
  return {
    ...Object.fromEntries(WRITE_OPS.map((op) => [op, call(op)])),
    close: async () => {
      await writes.stop();
      // Closed, not killed: a connection that ends cleanly leaves no -shm file behind.
      db.close();
    },
  };
});
