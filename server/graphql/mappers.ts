/** What resolvers receive as parents: the store's rows, before GraphQL field resolution. */
import type { RecorderStatus } from '../logs/recorder.ts';
import type { LogDetail, LogSummary } from '../store/types.ts';

/** A list gives summaries; the heavy fields are loaded by id when a query asks for them. */
export type LogEntryParent = LogSummary & Partial<LogDetail>;

export interface HealthParent {
  status: 'ok' | 'degraded';
  storeKind: string;
  recorder: RecorderStatus;
}
