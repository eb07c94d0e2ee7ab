/** What resolvers receive as parents: the store's rows, before GraphQL field resolution. */
import type { UpkeepStatus } from '../store/upkeep.ts';
import type { RecorderStatus } from '../logs/recorder.ts';
import type { LogDetail, LogSummary } from '../store/types.ts';

/** A list gives summaries; the heavy fields are loaded by id when a query asks for them. */
export type LogEntryParent = LogSummary & Partial<LogDetail>;

export interface HealthParent {
  /** degraded: the store fails but logs are not at risk yet; unavailable: they are (503). */
  status: 'ok' | 'degraded' | 'unavailable';
  storeKind: string;
  recorder: RecorderStatus;
  upkeep: UpkeepStatus;
  retentionDays: number;
  maxRows: number | null;
}
