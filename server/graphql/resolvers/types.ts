import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { keyPreview } from '../../redact.ts';
import { type Json, JsonText } from '../../json.ts';
import { type LogDetail } from '../../store/types.ts';
import { LOG_DETAIL_FIELDS } from '../../store/schema.ts';
import { HttpError } from '../../errors.ts';
import type { KeyService } from '../../keys/service.ts';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT } from '../../proxy/route.ts';
import type { ApiKeyResolvers, Attempt, BudgetPeriod, HealthResolvers, KeyStatsResolvers, LogEntryResolvers, ProxyConfigResolvers } from '../generated.ts';
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
  weight: (c) => c.weight ?? DEFAULT_WEIGHT,
  priority: (c) => c.priority ?? DEFAULT_PRIORITY,
  injectStreamUsage: (c) => c.injectStreamUsage ?? true,
  health: (c, _, ctx) => ctx.configs.routes.breakers.health(c.id, Date.now()),
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

const storedAttempts = detail('attempts');

/** Every detail field of store/schema.ts is loaded on demand; summary fields come with the parent. */
export const LogEntry: LogEntryResolvers = {
  ...Object.fromEntries(LOG_DETAIL_FIELDS.map((field) => [field, detail(field)])),
  usageEstimated: (entry) => entry.usageEstimated === true,
  // Kept when there was more than one, or when a fallback group's config answered; a single attempt
  // of the entry's own group is the entry's own fields.
  attempts: async (entry, args, ctx) => {
    const stored = entry.attemptCount !== null && entry.attemptCount >= 1 ? await storedAttempts(entry, args, ctx) : null;
    if (Array.isArray(stored)) return stored as unknown as Attempt[];
    if (entry.configId === null) return [];
    const { configId, model, backendModel, upstreamUrl, statusCode, error, ttftMs, durationMs } = entry;
    return [{ configId, model, backendModel, upstreamUrl, statusCode: statusCode === 0 ? null : statusCode, error, ttftMs, durationMs }];
  },
};

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
