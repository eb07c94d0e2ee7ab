/** What resolvers receive as parents: the store's rows, before GraphQL field resolution. */
import type { LogDetail, LogSummary } from '../store/types.ts';

/** A list gives summaries; the heavy fields are loaded by id when a query asks for them. */
export type LogEntryParent = LogSummary & Partial<LogDetail>;

export type { HealthReport as HealthParent } from '../health.ts';
