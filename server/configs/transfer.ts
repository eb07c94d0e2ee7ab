/**
 * Configs as a portable document: export every config, import a document (validated whole first,
 * then planned against the stored configs and applied in one store call, so nothing is half-imported).
 * A config is matched by (proxyModelName, baseUrl): ids are local to a store and do not travel.
 */
import { InputError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import type { ConfigChanges, ConfigPatch, ConfigRow, Store } from '../store/types.ts';
import { type ConfigService, PRICE_FIELDS, validateNewConfig } from './service.ts';

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

export interface ConfigDocument {
  format: typeof DOCUMENT_FORMAT;
  version: typeof DOCUMENT_VERSION;
  exportedAt: string;
  configs: ExportedConfig[];
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export function exportDocument(rows: ConfigRow[], opts: { withKeys: boolean; now?: Date }): ConfigDocument {
  return {
    format: DOCUMENT_FORMAT,
    version: DOCUMENT_VERSION,
    exportedAt: (opts.now ?? new Date()).toISOString(),
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

export async function exportConfigs(configs: Pick<ConfigService, 'list'>, opts: { withKeys: boolean }): Promise<ConfigDocument> {
  return exportDocument(await configs.list(), opts);
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

const keyOf = (c: { proxyModelName: string; baseUrl: string }) => JSON.stringify([c.proxyModelName, c.baseUrl]);

/** Checks the whole document; throws an InputError naming the first bad entry. A string is read as JSON text. */
export async function parseDocument(document: unknown): Promise<ImportEntry[]> {
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
    const first = seen.get(keyOf(entry));
    if (first !== undefined) {
      throw new InputError(`configs[${i}]: same proxyModelName and baseUrl as configs[${first}] ("${entry.proxyModelName}", ${entry.baseUrl})`, `configs[${i}]`);
    }
    seen.set(keyOf(entry), i);
    entries.push(entry);
  }
  return entries;
}

const COMPARED = ['backendModelName', 'ignoreSslVerify', 'enabled', 'timeoutMs'] as const;

/** What an import changes: matched configs updated where they differ, others created, and with `replace` the rest removed. */
export function planImport(stored: ConfigRow[], entries: ImportEntry[], opts: { replace: boolean; now?: Date }): { changes: ConfigChanges; result: ImportResult } {
  const now = opts.now ?? new Date();
  // Two stored configs may share a key (nothing forbids it); the first in list order is the match.
  const byKey = new Map<string, ConfigRow>();
  for (const c of stored) if (!byKey.has(keyOf(c))) byKey.set(keyOf(c), c);
  const changes: ConfigChanges = { insert: [], update: [], remove: [] };
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, deleted: 0 };
  const matched = new Set<string>();
  for (const entry of entries) {
    const current = byKey.get(keyOf(entry));
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
  const entries = await parseDocument(document);
  const { changes, result } = planImport(await deps.store.listConfigs(), entries, { replace: opts.replace ?? false });
  if (changes.insert.length + changes.update.length + changes.remove.length > 0) {
    await deps.store.applyConfigChanges(changes);
  }
  await deps.configs?.reload();
  return result;
}
