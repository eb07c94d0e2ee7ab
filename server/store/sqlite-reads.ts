/**
 * The proxy thread's side of the reader Worker (sqlite-reader.ts): each call is a message, answered
 * when the Worker is done, so that the event loop never waits on a read. JsonText bodies cross the
 * Worker boundary as plain objects and are made JsonText again here.
 */
import { JsonText } from '../json.ts';
import type { Bodies } from './schema.ts';
import { LogQueries } from './sqlite-queries.ts';
import type { ReaderAnswer, ReaderCall, ReaderInit } from './sqlite-reader.ts';
import type { LogCount, LogFilter, LogQuery, LogRow, LogSummary, RollupRow, RollupSize } from './types.ts';

/** What the store reads through a reader, whether it runs in a Worker or inline. */
export interface LogReads {
  queryLogs(q: LogQuery): Promise<LogSummary[]>;
  queryLogRows(q: LogQuery): Promise<LogRow[]>;
  getLog(id: string): Promise<LogRow | null>;
  countLogs(filter: LogFilter): Promise<number>;
  countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount>;
  readRollups(q: { size: RollupSize; from: Date; to: Date }): Promise<RollupRow[]>;
  close(): Promise<void>;
}

/** Inline reads on the store's own connection: for ':memory:', which another connection cannot open. */
export function inlineReads(queries: LogQueries): LogReads {
  return {
    queryLogs: async (q) => queries.queryLogs(q),
    queryLogRows: async (q) => queries.queryLogRows(q, 'text'),
    getLog: async (id) => queries.getLog(id, 'parsed'),
    countLogs: async (f) => queries.countLogs(f),
    countLogsUpTo: async (f, cap) => queries.countLogsUpTo(f, cap),
    readRollups: async (q) => queries.readRollups(q),
    close: async () => {},
  };
}

const textBodies = (row: LogRow): LogRow => {
  const wrap = (v: unknown) => (v === null || v === undefined ? null : new JsonText((v as { text: string }).text));
  return { ...row, requestBody: wrap(row.requestBody), responseBody: wrap(row.responseBody) };
};

export class WorkerReads implements LogReads {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(init: ReaderInit) {
    this.worker = new Worker(new URL('./sqlite-reader.ts', import.meta.url));
    this.worker.onmessage = (event: MessageEvent<ReaderAnswer>) => {
      const answer = event.data;
      const call = this.waiting.get(answer.id);
      if (!call) return;
      this.waiting.delete(answer.id);
      if ('error' in answer) call.reject(new Error(answer.error));
      else call.resolve(answer.value);
    };
    this.worker.onerror = (event) => this.failAll(new Error(`the SQLite reader stopped: ${event.message}`));
    this.worker.postMessage(init);
    // The reader alone must not keep the process alive.
    (this.worker as unknown as { unref(): void }).unref();
  }

  queryLogs(q: LogQuery): Promise<LogSummary[]> {
    return this.call('queryLogs', [q]) as Promise<LogSummary[]>;
  }

  async queryLogRows(q: LogQuery): Promise<LogRow[]> {
    return ((await this.call('queryLogRows', [q, 'text' satisfies Bodies])) as LogRow[]).map(textBodies);
  }

  getLog(id: string): Promise<LogRow | null> {
    return this.call('getLog', [id, 'parsed' satisfies Bodies]) as Promise<LogRow | null>;
  }

  countLogs(filter: LogFilter): Promise<number> {
    return this.call('countLogs', [filter]) as Promise<number>;
  }

  countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount> {
    return this.call('countLogsUpTo', [filter, cap]) as Promise<LogCount>;
  }

  readRollups(q: { size: RollupSize; from: Date; to: Date }): Promise<RollupRow[]> {
    return this.call('readRollups', [q]) as Promise<RollupRow[]>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const closing = this.call('close', []);
    this.closed = true;
    await Promise.race([closing.catch(() => {}), Bun.sleep(2_000)]);
    this.failAll(new Error('the store is closed'));
    this.worker.terminate();
  }

  private call(op: ReaderCall['op'], args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args } satisfies ReaderCall);
    });
  }

  private failAll(err: Error): void {
    for (const call of this.waiting.values()) call.reject(err);
    this.waiting.clear();
  }
}
