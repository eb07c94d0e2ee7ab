/**
 * The Dashboard page's operations. The types of what they read are generated from schema.graphql and
 * these documents (`bun run codegen` writes generated.ts); the names below are the ones the pages use.
 */
import { gql } from '@urql/core';
import type {
  DashboardHealthQuery, DashboardHealthQueryVariables, DashboardStatsQuery, DashboardStatsQueryVariables,
  DashboardTickSubscription, DashboardTickSubscriptionVariables, StatsSummaryFieldsFragment,
} from './generated.ts';

export type { StatsBucket } from './generated.ts';
export type Stats = DashboardStatsQuery['stats'];
export type StatsSummary = StatsSummaryFieldsFragment;
/** `model` is null for requests no config routed (unknown models, /v1/models). */
export type ModelStats = Stats['models'][number];
/** `key` is null once the key is gone from the store (its entries keep its id). */
export type KeyStats = Stats['keys'][number];
export type StatsPoint = Stats['series'][number];
/** `status`: ok, degraded (the store fails but logs are still queued) or unavailable (logs at risk). */
export type Health = DashboardHealthQuery['health'];
export type StoreHealth = Health['store'];

// Interpolated as a document (urql appends its definition); codegen reads the template without
// the interpolation and finds the fragment among these documents by name.
const STATS_SUMMARY_FIELDS = gql`
  fragment StatsSummaryFields on StatsSummary {
    requests errors clientErrors serverErrors errorRate promptTokens completionTokens costUsd attempts retried fallbacks
    avgDurationMs durationP50Ms durationP95Ms ttftP50Ms ttftP95Ms
  }
`;

export const STATS = gql<DashboardStatsQuery, DashboardStatsQueryVariables>`
  query DashboardStats($from: DateTime!, $to: DateTime!, $bucket: StatsBucket) {
    stats(from: $from, to: $to, bucket: $bucket) {
      from to bucketSeconds
      total { ...StatsSummaryFields }
      models { model summary { ...StatsSummaryFields } }
      keys { apiKeyId key { id name publicId } summary { ...StatsSummaryFields } }
      series { time requests errors }
    }
  }
  ${STATS_SUMMARY_FIELDS}
`;

/** Only a signal that something was logged: the numbers come from STATS. */
export const TRAFFIC_TICK = gql<DashboardTickSubscription, DashboardTickSubscriptionVariables>`
  subscription DashboardTick { logTail { id } }
`;

/** The store card: cheap (read from memory on the server), so it is re-run with every stats refresh. */
export const STORE_HEALTH = gql<DashboardHealthQuery, DashboardHealthQueryVariables>`
  query DashboardHealth {
    health {
      status
      store { kind ok lastError downSince logRows bytes sizeCheckedAt retentionDays maxRows retentionDeleted }
      logQueue { depth written dropped writeFailures spooled spoolDropped spoolFailing }
    }
  }
`;
