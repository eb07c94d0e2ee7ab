/** The Dashboard page's operations, next to the types of what they read. */
import { gql } from '@urql/core';

export type StatsBucket = 'MINUTE' | 'FIVE_MINUTES' | 'FIFTEEN_MINUTES' | 'HOUR' | 'DAY';

export interface StatsSummary {
  requests: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
  errorRate: number;
  promptTokens: number;
  completionTokens: number;
  avgDurationMs: number | null;
  durationP50Ms: number | null;
  durationP95Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
}

export interface ModelStats {
  /** Null for requests no config routed (unknown models, /v1/models). */
  model: string | null;
  summary: StatsSummary;
}

export interface StatsPoint {
  time: string;
  requests: number;
  errors: number;
}

export interface Stats {
  from: string;
  to: string;
  bucketSeconds: number;
  total: StatsSummary;
  models: ModelStats[];
  series: StatsPoint[];
}

const SUMMARY_FIELDS = `requests errors clientErrors serverErrors errorRate promptTokens completionTokens avgDurationMs durationP50Ms durationP95Ms ttftP50Ms ttftP95Ms`;

export const STATS = gql<{ stats: Stats }, { from: string; to: string; bucket: StatsBucket }>(
  `query DashboardStats($from: DateTime!, $to: DateTime!, $bucket: StatsBucket) {
    stats(from: $from, to: $to, bucket: $bucket) {
      from to bucketSeconds
      total { ${SUMMARY_FIELDS} }
      models { model summary { ${SUMMARY_FIELDS} } }
      series { time requests errors }
    }
  }`,
);

/** Only a signal that something was logged: the numbers come from STATS. */
export const TRAFFIC_TICK = gql<{ logTail: { id: string } }>(`subscription DashboardTick { logTail { id } }`);

export interface StoreHealth {
  kind: string;
  ok: boolean;
  lastError: string | null;
  downSince: string | null;
  logRows: number | null;
  bytes: number | null;
  sizeCheckedAt: string | null;
  retentionDays: number;
  maxRows: number | null;
  retentionDeleted: number;
}

export interface Health {
  /** ok, degraded (the store fails but logs are still queued) or unavailable (logs at risk). */
  status: string;
  store: StoreHealth;
  logQueue: { depth: number; written: number; dropped: number; writeFailures: number };
}

/** The store card: cheap (read from memory on the server), so it is re-run with every stats refresh. */
export const STORE_HEALTH = gql<{ health: Health }>(
  `query DashboardHealth {
    health {
      status
      store { kind ok lastError downSince logRows bytes sizeCheckedAt retentionDays maxRows retentionDeleted }
      logQueue { depth written dropped writeFailures }
    }
  }`,
);
