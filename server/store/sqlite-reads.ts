/**
 * The proxy thread's side of the reader Worker (sqlite-reader.ts), through a WorkerPort: the event
 * loop never waits on a read. JsonText bodies cross the Worker boundary as plain objects and are
 * made JsonText again here.
 */
import { JsonText } from '../json.ts';
import type { Bodies } from './schema.ts';
import { LogQueries } from './sqlite-queries.ts';
import type { ReaderInit, ReaderOp } from './sqlite-reader.ts';
import { WorkerPort } from './sqlite-worker.ts';
import { exportPageOf } from './log-lines.ts';
import type { ExportPage, LogCount, LogExportFormat, LogFilter, LogQuery, LogRow, LogSummary, RollupQuery, RollupRow } from './types.ts';

/** What the store reads through a reader, whether it runs in a Worker or inline. */
export interface LogReads {
  queryLogs(q: LogQuery): Promise<LogSummary[]>;
  queryLogRows(q: LogQuery): Promise<LogRow[]>;
  getLog(id: string): Promise<LogRow | null>;
  countLogs(filter: LogFilter): Promise<number>;
  countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount>;
  readRollups(q: RollupQuery): Promise<RollupRow[]>;
  exportPage(q: LogQuery, format: LogExportFormat): Promise<ExportPage>;
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
    exportPage: async (q, format) => exportPageOf(format, format === 'csv' ? queries.queryLogs(q) : queries.queryLogRows(q, 'text')),
    close: async () => {},
  };
}

const textBodies = (row: LogRow): LogRow => {
  const wrap = (v: unknown) => (v === null || v === undefined ? null : new JsonText((v as { text: string }).text));
  return { ...row, requestBody: wrap(row.requestBody), responseBody: wrap(row.responseBody) };
};

export class WorkerReads implements LogReads {
  private readonly port: WorkerPort;

  constructor(init: ReaderInit) {
    this.port = new WorkerPort({ script: new URL('./sqlite-reader.ts', import.meta.url), init, name: 'reader' });
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

  readRollups(q: RollupQuery): Promise<RollupRow[]> {
    return this.call('readRollups', [q]) as Promise<RollupRow[]>;
  }

  exportPage(q: LogQuery, format: LogExportFormat): Promise<ExportPage> {
    return this.call('exportPage', [q, format]) as Promise<ExportPage>;
  }

  close(): Promise<void> {
    return this.port.close();
  }

  private call(op: ReaderOp | 'exportPage', args: unknown[]): Promise<unknown> {
    return this.port.call(op, args);
  }
}
