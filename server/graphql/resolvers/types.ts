import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { keyPreview } from '../../redact.ts';
import { type Json, JsonText } from '../../json.ts';
import { type LogDetail } from '../../store/types.ts';
import { LOG_DETAIL_FIELDS } from '../../store/schema.ts';
import { HttpError } from '../../errors.ts';
import type { KeyService } from '../../keys/service.ts';
import type { ApiKeyResolvers, BudgetPeriod, HealthResolvers, KeyStatsResolvers, LogEntryResolvers, ProxyConfigResolvers } from '../generated.ts';
import type { GraphQLContext } from '../context.ts';
import type { LogEntryParent } from '../mappers.ts';

/** The client keys, when this app has them. */
export function keysOf(ctx: GraphQLContext): KeyService {
  if (!ctx.keys) throw new HttpError('Client keys are not available on this server', 501, 'not_implemented');
  return ctx.keys;
}

export const ApiKey: ApiKeyResolvers = {
  allowedModels: (k) => (Array.isArray(k.allowedModels) ? k.allowedModels.filter((m): m is string => typeof m === 'string') : null),
  budgetPeriod: (k) => (k.budgetPeriod as BudgetPeriod | null) ?? null,
  usage: (k, _, ctx) => keysOf(ctx).usage(k),
};

export const KeyStats: KeyStatsResolvers = {
  key: (s, _, ctx) => ctx.keys?.get(s.apiKeyId) ?? null,
};

export const ProxyConfig: ProxyConfigResolvers = {
  hasApiKey: (c) => c.apiKey !== null || c.apiKeyUnreadable !== undefined,
  apiKeyPreview: (c) => keyPreview(c.apiKey),
  apiKeyUnreadable: (c) => c.apiKeyUnreadable ?? null,
  price: (c, _, ctx) => {
    const info = ctx.prices.info(c);
    return info && { ...info, source: info.source === 'config' ? 'CONFIG' : 'LIST' };
  },
};

/** A heavy field comes with the parent when it was read whole, else from the per-operation loader. */
/** LogDetail with bodies as values: what the API shows. */
type Shown<T> = T extends JsonText ? Json : T;

function detail<K extends keyof LogDetail>(key: K) {
  return async (entry: LogEntryParent, _: unknown, ctx: GraphQLContext): Promise<Shown<LogDetail[K]> | null> => {
    const value = entry[key] !== undefined ? entry[key] : (await ctx.logDetail(entry.id))?.[key];
    // A live-tail entry still holds bodies as the text they came in.
    return (value instanceof JsonText ? value.parse() : (value ?? null)) as Shown<LogDetail[K]> | null;
  };
}

/** Every detail field of store/schema.ts is loaded on demand; summary fields come with the parent. */
export const LogEntry: LogEntryResolvers = Object.fromEntries(LOG_DETAIL_FIELDS.map((field) => [field, detail(field)]));

export const Health: HealthResolvers = {
  status: (h) => h.status,
  version: (h) => h.version,
  store: (h) => ({
    kind: h.storeKind,
    ok: h.storeOk,
    lastError: h.ping.reachable ? h.recorder.lastError : h.ping.lastError,
    lastErrorAt: h.recorder.lastErrorAt,
    downSince: h.ping.downSince ?? h.recorder.failingSince,
    logRows: h.retention.size?.logRows ?? null,
    bytes: h.retention.size?.bytes ?? null,
    sizeCheckedAt: h.retention.sizeCheckedAt,
    retentionDays: h.retentionDays,
    maxRows: h.maxRows,
    retentionDeleted: h.retention.retentionDeleted,
    upgradePendingRows: h.upgradePendingRows,
  }),
  logQueue: (h) => ({
    depth: h.recorder.queueDepth, written: h.recorder.written, dropped: h.recorder.dropped, writeFailures: h.recorder.writeFailures,
    spooled: h.recorder.spooled, spoolBytes: h.recorder.spoolBytes, spoolDropped: h.recorder.spoolDropped,
    spoolFailing: h.recorder.spoolFailing,
  }),
};

export const scalars = { DateTime: DateTimeResolver, JSON: JSONResolver };
