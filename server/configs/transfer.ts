/**
 * Configs as a portable document: export every config, import a document (validated whole first,
 * then planned against the stored configs and applied in one store call, so nothing is half-imported).
 * A config is matched by (proxyModelName, baseUrl): ids are local to a store and do not travel.
 */
import { InputError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import { groupSettingsOf } from '../proxy/route.ts';
import type { ConfigChanges, ConfigPatch, ConfigRow, ModelGroupRow, Store } from '../store/types.ts';
import { assertNoCycle, type ConfigService, groupRowOf, type ModelGroupInput, PRICE_FIELDS, validateNewConfig } from './service.ts';

export const DOCUMENT_FORMAT = 'lite-proxy-configs';
export const DOCUMENT_VERSION = 1;

export interface ExportedConfig {
  proxyModelName: string;
  baseUrl: string;
  backendModelName: string;
  /** Present only in exports with keys: null means "no key". */
  apiKey?: string | null;
  ignoreSslVerify: boolean;
  enabled: boolean;
  timeoutMs: number | null;
  /** USD per million tokens (0.2.0); a document without them keeps the stored prices on import. */
  inputPrice?: number | null;
  cachedInputPrice?: number | null;
  outputPrice?: number | null;
  /** Routing (0.2.0): absent keeps what is stored. */
  weight?: number | null;
  priority?: number | null;
  injectStreamUsage?: boolean | null;
}

/** A model group's settings (0.2.0): a document without `groups` leaves the stored settings alone. */
export interface ExportedGroup {
  name: string;
  fallbacks: string[];
  contextFallbacks: string[];
  /** null: the default. */
  maxAttempts: number | null;
  retryOnStatus: number[] | null;
}

export interface ConfigDocument {
  format: typeof DOCUMENT_FORMAT;
  version: typeof DOCUMENT_VERSION;
  exportedAt: string;
  configs: ExportedConfig[];
  groups?: ExportedGroup[];
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Groups whose settings the document set (or, with replace, reset to the defaults). */
  groups: number;
}

/** The groups' settings for a document: only groups the document has configs of, their fallbacks among them. */
function exportedGroups(rows: ConfigRow[], groups: readonly ModelGroupRow[]): ExportedGroup[] {
  const names = new Set(rows.map((c) => c.proxyModelName));
  return groups.filter((g) => names.has(g.name)).map((g) => {
    const s = groupSettingsOf(g);
    return {
      name: g.name,
      fallbacks: s.fallbacks.filter((n) => names.has(n)),
      contextFallbacks: s.contextFallbacks.filter((n) => names.has(n)),
      maxAttempts: g.maxAttempts,
      retryOnStatus: Array.isArray(g.retryOnStatus) ? [...s.retryOnStatus] : null,
    };
  });
}

export function exportDocument(rows: ConfigRow[], opts: { withKeys: boolean; now?: Date; groups?: readonly ModelGroupRow[] }): ConfigDocument {
  return {
    format: DOCUMENT_FORMAT,
    version: DOCUMENT_VERSION,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    groups: exportedGroups(rows, opts.groups ?? []),
    configs: rows.map((c) => ({
      proxyModelName: c.proxyModelName,
      // A user:password in the URL is a key too (configs saved before such URLs were refused).
      baseUrl: opts.withKeys ? c.baseUrl : redactUrl(c.baseUrl),
      backendModelName: c.backendModelName,
      ...(opts.withKeys ? { apiKey: c.apiKey } : {}),
      ignoreSslVerify: c.ignoreSslVerify,
      enabled: c.enabled,
      timeoutMs: c.timeoutMs,
      inputPrice: c.inputPrice,
      cachedInputPrice: c.cachedInputPrice,
      outputPrice: c.outputPrice,
      weight: c.weight,
      priority: c.priority,
      injectStreamUsage: c.injectStreamUsage,
    })),
  };
}

export async function exportConfigs(configs: Pick<ConfigService, 'list' | 'groupRows'>, opts: { withKeys: boolean }): Promise<ConfigDocument> {
  const [rows, groups] = await Promise.all([configs.list(), configs.groupRows()]);
  return exportDocument(rows, { ...opts, groups });
}

/** Fields a document may leave out (written by 0.1.0): absent keeps what is stored, null clears it. */
const OPTIONAL_FIELDS = [...PRICE_FIELDS, 'weight', 'priority', 'injectStreamUsage'] as const;
type Priced = (typeof OPTIONAL_FIELDS)[number];
/** One entry of a document, normalised by the create rules; `apiKey` or a price undefined: the entry has no such field. */
export type ImportEntry = Omit<ConfigRow, 'id' | 'createdAt' | 'updatedAt' | 'apiKey' | Priced | 'apiKeyUnreadable'> & { apiKey?: string | null } & Partial<Pick<ConfigRow, Priced>>;

const ENTRY_FIELDS: Record<keyof ExportedConfig, string> = {
  proxyModelName: 'string',
  baseUrl: 'string',
  backendModelName: 'string',
  apiKey: 'string|null',
  ignoreSslVerify: 'boolean',
  enabled: 'boolean',
  timeoutMs: 'number|null',
  inputPrice: 'number|null',
  cachedInputPrice: 'number|null',
  outputPrice: 'number|null',
  weight: 'number|null',
  priority: 'number|null',
  injectStreamUsage: 'boolean|null',
};
const REQUIRED: (keyof ExportedConfig)[] = ['proxyModelName', 'baseUrl', 'backendModelName'];

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeOf(v) === 'object';

/** One entry: known fields of the right types, then the same rules as ConfigService.create. */
function parseEntry(value: unknown, at: string): ImportEntry {
  if (!isRecord(value)) throw new InputError(`${at}: must be an object, got ${typeOf(value)}`, at);
  for (const [key, v] of Object.entries(value)) {
    const expected = Object.hasOwn(ENTRY_FIELDS, key) ? ENTRY_FIELDS[key as keyof ExportedConfig] : undefined;
    if (!expected) throw new InputError(`${at}: unknown field "${key}"`, `${at}.${key}`);
    if (!expected.split('|').includes(typeOf(v))) throw new InputError(`${at}.${key}: must be ${expected.replace('|', ' or ')}, got ${typeOf(v)}`, `${at}.${key}`);
  }
  for (const key of REQUIRED) {
    if (!(key in value)) throw new InputError(`${at}.${key}: missing`, `${at}.${key}`);
  }
  const entry = value as Partial<ExportedConfig>;
  let row: ReturnType<typeof validateNewConfig>;
  try {
    row = validateNewConfig(entry);
  } catch (err) {
    if (!(err instanceof InputError) || !err.field) throw err;
    // "baseUrl must use http…" becomes "configs[3].baseUrl: must use http…".
    const detail = err.message.startsWith(`${err.field} `) ? err.message.slice(err.field.length + 1) : err.message;
    throw new InputError(`${at}.${err.field}: ${detail}`, `${at}.${err.field}`);
  }
  const { apiKey, inputPrice, cachedInputPrice, outputPrice, weight, priority, injectStreamUsage, ...fields } = row;
  const optional = { inputPrice, cachedInputPrice, outputPrice, weight, priority, injectStreamUsage };
  const out: ImportEntry = { ...fields };
  for (const field of OPTIONAL_FIELDS) if (field in entry) Object.assign(out, { [field]: optional[field] });
  if ('apiKey' in entry) out.apiKey = apiKey;
  return out;
}

/**
 * A config's identity across installations: its proxy model name and backend URL, with its backend
 * model when several configs share those (tiers of one provider, say).
 */
const keyOf = (c: { proxyModelName: string; baseUrl: string }) => JSON.stringify([c.proxyModelName, c.baseUrl]);
const fullKeyOf = (c: { proxyModelName: string; baseUrl: string; backendModelName: string }) => JSON.stringify([c.proxyModelName, c.baseUrl, c.backendModelName]);

const GROUP_FIELDS: Record<keyof ExportedGroup, string> = {
  name: 'string', fallbacks: 'array', contextFallbacks: 'array', maxAttempts: 'number|null', retryOnStatus: 'array|null',
};

/** One group of a document: known fields of the right types (the rules are checked against the configs later). */
function parseGroup(value: unknown, at: string): { name: string; input: ModelGroupInput } {
  if (!isRecord(value)) throw new InputError(`${at}: must be an object, got ${typeOf(value)}`, at);
  for (const [key, v] of Object.entries(value)) {
    const expected = Object.hasOwn(GROUP_FIELDS, key) ? GROUP_FIELDS[key as keyof ExportedGroup] : undefined;
    if (!expected) throw new InputError(`${at}: unknown field "${key}"`, `${at}.${key}`);
    if (!expected.split('|').includes(typeOf(v))) throw new InputError(`${at}.${key}: must be ${expected.replace('|', ' or ')}, got ${typeOf(v)}`, `${at}.${key}`);
  }
  if (typeof value.name !== 'string') throw new InputError(`${at}.name: missing`, `${at}.name`);
  const list = <T>(key: string, type: string): T[] | null | undefined => {
    const v = value[key];
    if (v === undefined || v === null) return v as null | undefined;
    for (const [i, x] of (v as unknown[]).entries()) if (typeof x !== type) throw new InputError(`${at}.${key}[${i}]: must be a ${type}, got ${typeOf(x)}`, `${at}.${key}`);
    return v as T[];
  };
  return {
    name: value.name,
    input: {
      fallbacks: list<string>('fallbacks', 'string'),
      contextFallbacks: list<string>('contextFallbacks', 'string'),
      maxAttempts: value.maxAttempts as number | null | undefined,
      retryOnStatus: list<number>('retryOnStatus', 'number'),
    },
  };
}

export interface ParsedDocument {
  entries: ImportEntry[];
  /** null: the document has no `groups` (0.1.0 wrote none). */
  groups: { name: string; input: ModelGroupInput }[] | null;
}

/**
 * Checks the whole document (its configs, and the form of its group settings: planGroups checks them
 * against the configs); throws an InputError naming the first bad entry. A string is read as JSON text.
 */
export async function parseDocument(document: unknown): Promise<ParsedDocument> {
  let doc = document;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc);
    } catch (err) {
      throw new InputError(`document is not valid JSON: ${(err as Error).message}`, 'document');
    }
  }
  if (!isRecord(doc)) throw new InputError(`document must be an object, got ${typeOf(doc)}`, 'document');
  if (doc.format !== DOCUMENT_FORMAT) throw new InputError(`format: must be "${DOCUMENT_FORMAT}"`, 'format');
  if (doc.version !== DOCUMENT_VERSION) throw new InputError(`version: must be ${DOCUMENT_VERSION}, got ${JSON.stringify(doc.version) ?? 'nothing'}`, 'version');
  if (!Array.isArray(doc.configs)) throw new InputError(`configs: must be a list, got ${typeOf(doc.configs)}`, 'configs');
  const entries: ImportEntry[] = [];
  const seen = new Map<string, number>();
  for (const [i, value] of doc.configs.entries()) {
    const entry = parseEntry(value, `configs[${i}]`);
    const first = seen.get(fullKeyOf(entry));
    if (first !== undefined) {
      throw new InputError(`configs[${i}]: same proxyModelName, baseUrl and backendModelName as configs[${first}] ("${entry.proxyModelName}", ${entry.baseUrl}, "${entry.backendModelName}")`, `configs[${i}]`);
    }
    seen.set(fullKeyOf(entry), i);
    entries.push(entry);
  }
  if (doc.groups === undefined) return { entries, groups: null };
  if (!Array.isArray(doc.groups)) throw new InputError(`groups: must be a list, got ${typeOf(doc.groups)}`, 'groups');
  const groups: { name: string; input: ModelGroupInput }[] = [];
  for (const [i, value] of doc.groups.entries()) {
    const g = parseGroup(value, `groups[${i}]`);
    const first = groups.findIndex((x) => x.name === g.name);
    if (first >= 0) throw new InputError(`groups[${i}]: the group "${g.name}" is in groups[${first}] too`, `groups[${i}]`);
    groups.push(g);
  }
  return { entries, groups };
}

/**
 * The group rows a document's settings make, checked against the configs as they will be after the
 * import and against each other (a cycle among the document's fallbacks is refused); with `replace`,
 * the stored groups the document leaves out get the defaults back.
 */
export function planGroups(
  groups: ParsedDocument['groups'], known: ReadonlySet<string>, stored: readonly ModelGroupRow[], opts: { replace: boolean; now?: Date },
): ModelGroupRow[] {
  if (groups === null) return [];
  const now = opts.now ?? new Date();
  const named = <T>(i: number, name: string, check: () => T): T => {
    try {
      return check();
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(`groups[${i}] ("${name}"): ${err.message}`, `groups[${i}]`);
    }
  };
  const rows = groups.map((g, i) => named(i, g.name, () => groupRowOf(g.name, g.input, { known, stored, now })));
  const reset = opts.replace
    ? stored.filter((g) => !groups.some((x) => x.name === g.name)).map((g) => ({ name: g.name, fallbacks: [], contextFallbacks: [], maxAttempts: null, retryOnStatus: null, updatedAt: now }))
    : [];
  // The cycle check sees every group as it will be after the import, the document's all together.
  const after = new Map(stored.map((g) => [g.name, g]));
  for (const r of [...reset, ...rows]) after.set(r.name, r);
  rows.forEach((r, i) => named(i, r.name, () => assertNoCycle([...after.values()], r.name)));
  return [...reset, ...rows];
}

const COMPARED = ['backendModelName', 'ignoreSslVerify', 'enabled', 'timeoutMs'] as const;

/** What an import changes: matched configs updated where they differ, others created, and with `replace` the rest removed. */
export function planImport(stored: ConfigRow[], entries: ImportEntry[], opts: { replace: boolean; now?: Date }): { changes: ConfigChanges; result: ImportResult } {
  const now = opts.now ?? new Date();
  // First the same name, URL and backend model; then, where the document and the store each have one
  // config of a name and URL, that one (its backend model changed). Stored duplicates match in list order.
  const byFull = new Map<string, ConfigRow[]>();
  for (const c of stored) byFull.set(fullKeyOf(c), [...(byFull.get(fullKeyOf(c)) ?? []), c]);
  const match = new Map<ImportEntry, ConfigRow>();
  const taken = new Set<string>();
  for (const entry of entries) {
    const current = byFull.get(fullKeyOf(entry))?.find((c) => !taken.has(c.id));
    if (current) {
      match.set(entry, current);
      taken.add(current.id);
    }
  }
  const count = <T extends { proxyModelName: string; baseUrl: string }>(list: readonly T[]) => {
    const n = new Map<string, number>();
    for (const x of list) n.set(keyOf(x), (n.get(keyOf(x)) ?? 0) + 1);
    return n;
  };
  const entriesPerPair = count(entries);
  const storedPerPair = count(stored);
  for (const entry of entries) {
    if (match.has(entry) || entriesPerPair.get(keyOf(entry)) !== 1 || storedPerPair.get(keyOf(entry)) !== 1) continue;
    const current = stored.find((c) => keyOf(c) === keyOf(entry) && !taken.has(c.id));
    if (current) {
      match.set(entry, current);
      taken.add(current.id);
    }
  }
  const changes: ConfigChanges = { insert: [], update: [], remove: [] };
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, deleted: 0, groups: 0 };
  const matched = new Set<string>();
  for (const entry of entries) {
    const current = match.get(entry);
    if (!current) {
      changes.insert.push({
        ...entry, id: Bun.randomUUIDv7(), apiKey: entry.apiKey ?? null,
        inputPrice: entry.inputPrice ?? null, cachedInputPrice: entry.cachedInputPrice ?? null, outputPrice: entry.outputPrice ?? null,
        weight: entry.weight ?? null, priority: entry.priority ?? null, injectStreamUsage: entry.injectStreamUsage ?? null, createdAt: now, updatedAt: now,
      });
      result.created++;
      continue;
    }
    matched.add(current.id);
    const patch: Partial<ConfigPatch> = {};
    for (const key of COMPARED) if (entry[key] !== current[key]) Object.assign(patch, { [key]: entry[key] });
    // No price, weight or priority field keeps what is stored (a document from 0.1.0); null clears it.
    for (const key of OPTIONAL_FIELDS) if (entry[key] !== undefined && entry[key] !== current[key]) Object.assign(patch, { [key]: entry[key] });
    // No apiKey field keeps the stored key; null clears it.
    if (entry.apiKey !== undefined && entry.apiKey !== current.apiKey) patch.apiKey = entry.apiKey;
    if (Object.keys(patch).length === 0) {
      result.unchanged++;
    } else {
      changes.update.push({ id: current.id, patch: { ...patch, updatedAt: now } });
      result.updated++;
    }
  }
  if (opts.replace) {
    for (const c of stored) if (!matched.has(c.id)) changes.remove.push(c.id);
    result.deleted = changes.remove.length;
  }
  return { changes, result };
}

/**
 * Validates the whole document, plans against the stored configs and applies everything in one
 * store call; then the route table is rebuilt (when a running ConfigService is given).
 */
export async function importConfigs(
  deps: { store: Store; configs?: Pick<ConfigService, 'reload'> },
  document: unknown,
  opts: { replace?: boolean | null } = {},
): Promise<ImportResult> {
  const { entries, groups } = await parseDocument(document);
  const replace = opts.replace ?? false;
  const stored = await deps.store.listConfigs();
  const { changes, result } = planImport(stored, entries, { replace });
  // The groups there will be: the document's, and the stored ones it keeps.
  const removed = new Set(changes.remove);
  const known = new Set([...entries.map((e) => e.proxyModelName), ...stored.filter((c) => !removed.has(c.id)).map((c) => c.proxyModelName)]);
  const groupRows = planGroups(groups, known, groups === null ? [] : await deps.store.listModelGroups(), { replace });
  if (changes.insert.length + changes.update.length + changes.remove.length > 0) {
    await deps.store.applyConfigChanges(changes);
  }
  for (const g of groupRows) await deps.store.putModelGroup(g);
  result.groups = groupRows.length;
  await deps.configs?.reload();
  return result;
}
