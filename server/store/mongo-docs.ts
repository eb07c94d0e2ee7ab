/**
 * How log entries, configs and rollups look as MongoDB documents, and the filters over them: the
 * mapping both ways, kept apart from the store's I/O in mongo.ts.
 */
import { type Filter, MongoBulkWriteError } from 'mongodb';
import { rollupKey } from '../stats/rollup.ts';
import { type RollupRow } from './types.ts';
import { type Json, jsonText, type LoggedJson } from '../json.ts';
import { type ConfigPatch, type ConfigRow, type LogDetail, type LogFilter, type LogQuery, type LogRow, type LogSummary } from './types.ts';

export type ConfigDoc = Omit<ConfigRow, 'id'> & { _id: string };

/**
 * Counters sit at the top level of the document (n, s2, d7, …) so that $inc names them directly;
 * the driver's types cannot mix those numbers with the key fields, hence the loose type.
 */
export type RollupDoc = { _id: string; [field: string]: unknown };

export type LogDoc = Omit<LogSummary, 'id'> & { _id: string } & {
  requestHeaders: string | null;
  requestBody: string | null;
  responseHeaders: string | null;
  responseBody: string | null;
  streamContent: string | null;
  chunks: string | null;
};

/** Leaves the heavy fields out of list reads; typed so a new LogDetail field cannot be forgotten here. */
export const SUMMARY_PROJECTION: Record<keyof LogDetail, 0> = {
  requestHeaders: 0, requestBody: 0, responseHeaders: 0, responseBody: 0, streamContent: 0, chunks: 0,
};

export const PATCHABLE: (keyof ConfigPatch)[] = [
  'proxyModelName', 'baseUrl', 'backendModelName', 'apiKey', 'ignoreSslVerify', 'enabled', 'timeoutMs', 'updatedAt',
];

const DUPLICATE_KEY = 11000;

export const fromJsonText = (text: string | null | undefined): Json => (typeof text === 'string' ? (JSON.parse(text) as Json) : null);

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function configFromDoc(d: ConfigDoc): ConfigRow {
  return {
    id: d._id,
    proxyModelName: d.proxyModelName,
    baseUrl: d.baseUrl,
    backendModelName: d.backendModelName,
    apiKey: d.apiKey ?? null,
    ignoreSslVerify: d.ignoreSslVerify,
    enabled: d.enabled,
    timeoutMs: d.timeoutMs ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function summaryFromDoc(d: Omit<LogDoc, keyof LogDetail>): LogSummary {
  return {
    id: d._id,
    timestamp: d.timestamp,
    method: d.method,
    path: d.path,
    model: d.model ?? null,
    backendModel: d.backendModel ?? null,
    configId: d.configId ?? null,
    upstreamUrl: d.upstreamUrl ?? null,
    statusCode: d.statusCode,
    stream: d.stream,
    durationMs: d.durationMs,
    ttftMs: d.ttftMs ?? null,
    promptTokens: d.promptTokens ?? null,
    completionTokens: d.completionTokens ?? null,
    totalTokens: d.totalTokens ?? null,
    error: d.error ?? null,
    clientIp: d.clientIp ?? null,
    userAgent: d.userAgent ?? null,
  };
}

// MongoDB refuses documents over 16 MiB; stay clear of it with room for the summary fields.
const MAX_DOC_BYTES = 15 * 1024 * 1024;
const HEAVY = ['requestBody', 'responseBody', 'chunks', 'streamContent', 'requestHeaders', 'responseHeaders'] as const;

/**
 * Bodies are capped by LOG_BODY_BYTES, but several large ones (and JSON escaping) can still pass the
 * document limit together: then the largest are replaced by a marker rather than losing the entry.
 */
function fitDocument(doc: LogDoc): LogDoc {
  const size = (k: (typeof HEAVY)[number]) => (doc[k] ? Buffer.byteLength(doc[k]!) : 0);
  // Cheap bound first: at most 3 UTF-8 bytes per UTF-16 unit.
  if (HEAVY.reduce((n, k) => n + (doc[k]?.length ?? 0) * 3, 0) <= MAX_DOC_BYTES) return doc;
  let total = HEAVY.reduce((n, k) => n + size(k), 0);
  for (const k of [...HEAVY].sort((a, b) => size(b) - size(a))) {
    if (total <= MAX_DOC_BYTES) break;
    const bytes = size(k);
    const marker = JSON.stringify({ _truncated: true, bytes, reason: 'entry exceeded the MongoDB document size limit' });
    doc[k] =
      k === 'streamContent' ? `[truncated: ${bytes} bytes exceeded the MongoDB document size limit]`
      : k === 'chunks' ? `[${marker}]`
      : marker;
    total += size(k) - bytes;
  }
  return doc;
}

export function docFromLog(r: LogRow): LogDoc {
  const { id, requestHeaders, requestBody, responseHeaders, responseBody, streamContent, chunks, ...summary } = r;
  return fitDocument({
    ...summary,
    _id: id,
    requestHeaders: jsonText(requestHeaders),
    requestBody: jsonText(requestBody),
    responseHeaders: jsonText(responseHeaders),
    responseBody: jsonText(responseBody),
    streamContent: streamContent ?? null,
    chunks: chunks ? JSON.stringify(chunks) : null,
  });
}

/** The same filter semantics as the SQLite store; user text only ever lands in values, never in keys. */
export function logFilter(filter: LogFilter): Filter<LogDoc> {
  const f: Filter<LogDoc> = {};
  if (filter.from || filter.to) {
    f.timestamp = {
      ...(filter.from ? { $gte: filter.from } : {}),
      ...(filter.to ? { $lte: filter.to } : {}),
    };
  }
  if (filter.method) f.method = filter.method.toUpperCase();
  if (filter.statusCode != null || filter.statusClass != null) {
    f.statusCode = {
      ...(filter.statusCode != null ? { $eq: filter.statusCode } : {}),
      ...(filter.statusClass != null ? { $gte: filter.statusClass * 100, $lt: filter.statusClass * 100 + 100 } : {}),
    };
  }
  if (filter.path) f.path = { $regex: escapeRegex(filter.path) };
  if (filter.model) f.model = filter.model;
  if (filter.stream != null) f.stream = filter.stream;
  return f;
}

/** insertMany with ordered:false reports every rejected row; duplicates are the idempotent case, anything else is real. */
export function onlyDuplicateKeys(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const writeErrors = err.result.getWriteErrors();
  return writeErrors.length > 0 && writeErrors.every((e) => e.code === DUPLICATE_KEY) && !err.result.getWriteConcernError();
}

/** A page's filter: the log filter, and with a cursor only the entries after it (older). */
export function pageFilter(q: LogQuery): Filter<LogDoc> {
  const filter = logFilter(q.filter);
  if (q.after) {
    const { timestamp, id } = q.after;
    filter.$or = [{ timestamp: { $lt: timestamp } }, { timestamp, _id: { $lt: id } }];
  }
  return filter;
}

/** A whole log entry; `body` reads the two body fields (parsed, or kept as text). */
export function logFromDoc(d: LogDoc, body: (text: string | null | undefined) => LoggedJson): LogRow {
  return {
    ...summaryFromDoc(d),
    requestHeaders: fromJsonText(d.requestHeaders),
    requestBody: body(d.requestBody),
    responseHeaders: fromJsonText(d.responseHeaders),
    responseBody: body(d.responseBody),
    streamContent: d.streamContent ?? null,
    chunks: fromJsonText(d.chunks) as Json[] | null,
  };
}

export function rollupUpsert(r: RollupRow) {
  return {
    updateOne: {
      filter: { _id: rollupKey(r) },
      // The driver's types cannot name counters that sit beside the key fields.
      update: { $inc: r.counts as Record<string, never>, $setOnInsert: { size: r.size, start: r.start, model: r.model } },
      upsert: true,
    },
  };
}
