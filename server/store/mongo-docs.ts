/**
 * How log entries, configs and rollups look as MongoDB documents, and the filters over them (with the
 * list of distinct paths a path filter is answered from): the mapping both ways, kept apart from the
 * store's I/O in mongo.ts.
 */
import { type Filter, MongoBulkWriteError } from 'mongodb';
import { fromJsonListText, fromJsonText, JsonText, jsonText, type LoggedJson } from '../json.ts';
import { rollupKey } from './rollup-fields.ts';
import { API_KEY_FIELDS, type Bodies, CONFIG_FIELDS, MODEL_GROUP_FIELDS, type FieldSpec, type FieldTable, fieldsOf, type Kind, LOG_DETAIL_FIELDS, LOG_FIELDS } from './schema.ts';
import type { ApiKeyPatch, ApiKeyRow, ConfigPatch, ConfigRow, LogFilter, LogQuery, LogRow, LogSummary, ModelGroupRow, RollupRow } from './types.ts';

/** How each kind is kept in a document (schema.ts): JSON as text, dates as Dates, the rest as they are. */
interface DocValue { text: string; int: number; real: number; bool: boolean; date: Date; json: string; body: string; chunks: string }
/** The document of a table's row: the key field is `_id`. */
type DocOf<T extends Record<string, FieldSpec>> = {
  -readonly [K in keyof T as T[K] extends { key: true } ? '_id' : K]: DocValue[T[K]['kind']] | (T[K] extends { nullable: true } ? null : never);
};

export type ConfigDoc = DocOf<typeof CONFIG_FIELDS>;
export type ApiKeyDoc = DocOf<typeof API_KEY_FIELDS>;
export type ModelGroupDoc = DocOf<typeof MODEL_GROUP_FIELDS>;
export type LogDoc = DocOf<typeof LOG_FIELDS>;

/**
 * Counters sit at the top level of the document (n, s2, d7, …) so that $inc names them directly;
 * the driver's types cannot mix those numbers with the key fields, hence the loose type.
 */
export type RollupDoc = { _id: string; [field: string]: unknown };

type AnyDoc = Record<string, unknown>;

const isText = (k: Kind) => k === 'json' || k === 'body' || k === 'chunks';
const toDoc = (f: FieldSpec, v: unknown) => (isText(f.kind) ? jsonText(v as LoggedJson) : v ?? null);
function fromDoc(f: FieldSpec, v: unknown, bodies: Bodies): unknown {
  if (f.kind === 'body' && bodies === 'text') return typeof v === 'string' ? new JsonText(v) : null;
  // A missing field is null: FerretDB leaves nulls out of some writes, and fields added later are absent from older documents.
  if (f.kind === 'chunks') return fromJsonListText(v);
  return isText(f.kind) ? fromJsonText(v) : v ?? null;
}
const fieldName = (name: string, f: FieldSpec) => (f.key ? '_id' : name);

/** A table's row as a document and back. */
function codec<T, D>(table: FieldTable, pick: (f: FieldSpec) => boolean = () => true) {
  const fields = fieldsOf(table).filter(([, f]) => pick(f));
  return {
    toDoc: (row: T): D => Object.fromEntries(fields.map(([name, f]) => [fieldName(name, f), toDoc(f, (row as AnyDoc)[name])])) as D,
    fromDoc: (doc: Partial<D>, bodies: Bodies = 'parsed'): T =>
      Object.fromEntries(fields.map(([name, f]) => [name, fromDoc(f, (doc as AnyDoc)[fieldName(name, f)], bodies)])) as T,
  };
}

const configs = codec<ConfigRow, ConfigDoc>(CONFIG_FIELDS);
const logs = codec<LogRow, LogDoc>(LOG_FIELDS);
const summaries = codec<LogSummary, LogDoc>(LOG_FIELDS, (f) => f.part === 'summary');

const apiKeys = codec<ApiKeyRow, ApiKeyDoc>(API_KEY_FIELDS);
export const docFromApiKey = apiKeys.toDoc;
export const apiKeyFromDoc = (d: ApiKeyDoc): ApiKeyRow => apiKeys.fromDoc(d);

const modelGroups = codec<ModelGroupRow, ModelGroupDoc>(MODEL_GROUP_FIELDS);
export const docFromModelGroup = modelGroups.toDoc;
export const modelGroupFromDoc = (d: ModelGroupDoc): ModelGroupRow => modelGroups.fromDoc(d);

export const docFromConfig = configs.toDoc;
export const configFromDoc = (d: ConfigDoc): ConfigRow => configs.fromDoc(d);
export const summaryFromDoc = (d: Partial<LogDoc>): LogSummary => summaries.fromDoc(d);
/** A whole log entry; bodies parsed, or kept as the stored text (exports write it without parsing). */
export const logFromDoc = (d: LogDoc, bodies: Bodies = 'parsed'): LogRow => logs.fromDoc(d, bodies);

/** What list reads fetch: the summary fields only, so bodies (and any field a later version adds) stay on the server. */
export const SUMMARY_PROJECTION: Record<string, 1> = Object.fromEntries(
  fieldsOf(LOG_FIELDS).filter(([, f]) => f.part === 'summary').map(([name, f]) => [fieldName(name, f), 1]),
);

/** The page order, newest first; every logs index ends in it (schema.ts). */
export const LOG_ORDER = { timestamp: -1, _id: -1 } as const;

/** `$set` of a config patch: only patchable fields, and only those present (undefined means "leave alone", null is a value). */
export function configPatchSet(patch: ConfigPatch): Partial<ConfigDoc> {
  return Object.fromEntries(fieldsOf(CONFIG_FIELDS)
    .filter(([name, f]) => !f.fixed && (patch as AnyDoc)[name] !== undefined)
    .map(([name, f]) => [name, toDoc(f, (patch as AnyDoc)[name])]));
}

/** `$set` of a client key patch, as configPatchSet. */
export function apiKeyPatchSet(patch: ApiKeyPatch): Partial<ApiKeyDoc> {
  return Object.fromEntries(fieldsOf(API_KEY_FIELDS)
    .filter(([name, f]) => !f.fixed && (patch as AnyDoc)[name] !== undefined)
    .map(([name, f]) => [name, toDoc(f, (patch as AnyDoc)[name])]));
}

export const DUPLICATE_KEY = 11000;

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// MongoDB refuses documents over 16 MiB; stay clear of it with room for the summary fields.
const MAX_DOC_BYTES = 15 * 1024 * 1024;
/** The detail fields, all text in a document. */
const HEAVY = LOG_DETAIL_FIELDS;

/**
 * Bodies are capped by LOG_BODY_BYTES, but several large ones (and JSON escaping) can still pass the
 * document limit together: then the largest are replaced by a marker rather than losing the entry.
 */
function fitDocument(doc: LogDoc): LogDoc {
  const text = doc as unknown as Record<string, string | null>;
  const size = (k: string) => (text[k] ? Buffer.byteLength(text[k]!) : 0);
  // Cheap bound first: at most 3 UTF-8 bytes per UTF-16 unit.
  if (HEAVY.reduce((n, k) => n + (text[k]?.length ?? 0) * 3, 0) <= MAX_DOC_BYTES) return doc;
  let total = HEAVY.reduce((n, k) => n + size(k), 0);
  for (const k of [...HEAVY].sort((a, b) => size(b) - size(a))) {
    if (total <= MAX_DOC_BYTES) break;
    const bytes = size(k);
    const marker = JSON.stringify({ _truncated: true, bytes, reason: 'entry exceeded the MongoDB document size limit' });
    const kind = LOG_FIELDS[k].kind;
    text[k] =
      kind === 'text' ? `[truncated: ${bytes} bytes exceeded the MongoDB document size limit]`
      : kind === 'chunks' ? `[${marker}]`
      : marker;
    total += size(k) - bytes;
  }
  return doc;
}

export const docFromLog = (r: LogRow): LogDoc => fitDocument(logs.toDoc(r));

/** The codes of a status class (5: 500..599), as SQLite's `status_code >= 500 AND status_code < 600` reads integer codes. */
const codesOfClass = (statusClass: number) => Array.from({ length: 100 }, (_, i) => statusClass * 100 + i);

/** Past this many matching paths a path filter is a regex again: an $in this long is no longer a few index lookups. */
export const MAX_PATH_LOOKUPS = 1_000;

/** The paths among `known` that contain `part` (case-sensitive, like SQLite's instr), or null when too many. */
export function pathsContaining(known: Iterable<string>, part: string): string[] | null {
  const hits: string[] = [];
  for (const p of known) if (p.includes(part) && hits.push(p) > MAX_PATH_LOOKUPS) return null;
  return hits;
}

/** Clients choose the path (every /v1/… request is logged): past this many distinct ones none are listed. */
const MAX_KNOWN_PATHS = 10 * MAX_PATH_LOOKUPS;

/**
 * The distinct log paths, so that a path substring becomes an $in of the few that contain it. `distinct`
 * reads logs_path_time on MongoDB (a lookup per path); FerretDB 1.24 reads every document for it, hence
 * the brief reuse by page reads. Paths this process has written are always part of the answer, so an
 * entry is found by path the moment it is stored; other replicas' new paths once the list is read again (mongo.ts PATHS_FRESH_MS).
 */
export class PathList {
  private list: { paths: readonly string[] | null; at: number } | null = null;
  private shared: Promise<readonly string[] | null> | null = null;
  private readonly written = new Set<string>();
  /** This process alone has written more than MAX_KNOWN_PATHS paths: path filters stay regexes. */
  private overflow = false;

  constructor(private readonly read: () => Promise<string[]>) {}

  wrote(rows: readonly { path: string }[]): void {
    if (this.overflow) return;
    for (const r of rows) this.written.add(r.path);
    if (this.written.size > MAX_KNOWN_PATHS) {
      this.overflow = true;
      this.written.clear();
    }
  }

  /** The stored paths containing `part`, from a list at most `maxAgeMs` old (0: read now); null when too many. */
  async containing(part: string, maxAgeMs: number): Promise<string[] | null> {
    if (this.overflow) return null;
    const known = await this.known(maxAgeMs);
    return known && pathsContaining(new Set([...known, ...this.written]), part);
  }

  private known(maxAgeMs: number): Promise<readonly string[] | null> {
    if (maxAgeMs > 0 && this.list && Date.now() - this.list.at <= maxAgeMs) return Promise.resolve(this.list.paths);
    if (maxAgeMs > 0 && this.shared) return this.shared;
    const started = Date.now();
    const reading = this.read().then((all) => {
      const paths = all.length > MAX_KNOWN_PATHS ? null : all;
      if (!this.list || this.list.at <= started) this.list = { paths, at: started };
      return paths;
    });
    if (maxAgeMs === 0) return reading;
    return (this.shared = reading.finally(() => (this.shared = null)));
  }
}

/**
 * The same filter semantics as the SQLite store; user text only ever lands in values, never in keys.
 * `paths` are the stored paths that contain `filter.path` (pathsContaining), so that the substring is
 * answered by an $in over logs_path_time; without them it is an unanchored regex, which reads every entry.
 * A status class is the $in of its codes, not a range: MongoDB serves an $in on the first field of an
 * index with the page order after it as one ordered scan per code, merged, where a range would need a sort.
 */
export function logFilter(filter: LogFilter, paths?: readonly string[] | null): Filter<LogDoc> {
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
      ...(filter.statusClass != null ? { $in: codesOfClass(filter.statusClass) } : {}),
    };
  }
  if (filter.path) f.path = paths ? { $in: [...paths] } : { $regex: escapeRegex(filter.path) };
  if (filter.model) f.model = filter.model;
  if (filter.stream != null) f.stream = filter.stream;
  if (filter.apiKeyId) f.apiKeyId = filter.apiKeyId;
  // Entries from before version 4 have no attemptCount: they tried one backend.
  if (filter.retried === true) f.attemptCount = { $gt: 1 };
  else if (filter.retried === false) f.attemptCount = { $not: { $gt: 1 } };
  return f;
}

/** insertMany with ordered:false reports every rejected row; duplicates are the idempotent case, anything else is real. */
export function onlyDuplicateKeys(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const writeErrors = err.result.getWriteErrors();
  return writeErrors.length > 0 && writeErrors.every((e) => e.code === DUPLICATE_KEY) && !err.result.getWriteConcernError();
}

/**
 * A page's filter: the log filter, and with a cursor only the entries after it (older). The cursor is
 * also an upper bound on the timestamp, so that the index scan starts at the cursor (a later page reads
 * what a first page reads) and the $or only sorts out entries of the cursor's own millisecond.
 */
export function pageFilter(q: LogQuery, paths?: readonly string[] | null): Filter<LogDoc> {
  const filter = logFilter(q.filter, paths);
  if (q.after) {
    const { timestamp, id } = q.after;
    const to = q.filter.to && q.filter.to < timestamp ? q.filter.to : timestamp;
    filter.timestamp = { ...(q.filter.from ? { $gte: q.filter.from } : {}), $lte: to };
    filter.$or = [{ timestamp: { $lt: timestamp } }, { timestamp, _id: { $lt: id } }];
  }
  return filter;
}

/** The fields that say which rollup a document is (beside its _id): its model, or its client key. */
export const rollupIdentity = (r: RollupRow) => (r.apiKeyId ? { size: r.size, start: r.start, apiKeyId: r.apiKeyId } : { size: r.size, start: r.start, model: r.model });

export function rollupUpsert(r: RollupRow) {
  return {
    updateOne: {
      filter: { _id: rollupKey(r) },
      // The driver's types cannot name counters that sit beside the key fields.
      update: { $inc: r.counts as Record<string, never>, $setOnInsert: rollupIdentity(r) },
      upsert: true,
    },
  };
}
