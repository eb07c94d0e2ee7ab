/**
 * Config management: validation, ids and timestamps, writes to the store, and the in-memory
 * RouteTable the proxy reads. Admin reads go to the store; the hot path only reads the table.
 */
import { InputError, NotFoundError } from '../errors.ts';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_ON_STATUS, groupSettingsOf, RouteTable } from '../proxy/route.ts';
import type { Breakers } from '../proxy/breaker.ts';
import type { ConfigPatch, ConfigRow, ModelGroupRow, Store } from '../store/types.ts';
import type { ConfigSnapshot } from './snapshot.ts';

export interface ConfigInput {
  proxyModelName?: string | null;
  baseUrl?: string | null;
  backendModelName?: string | null;
  /** undefined keeps the stored key, null (or "") clears it. */
  apiKey?: string | null;
  ignoreSslVerify?: boolean | null;
  enabled?: boolean | null;
  timeoutMs?: number | null;
  /** USD per million tokens; null: the price list's (cost/prices.ts). */
  inputPrice?: number | null;
  cachedInputPrice?: number | null;
  outputPrice?: number | null;
  /** Weighted round-robin in its tier (0 to 1000, default 1; 0: only when nothing else in the tier can serve). */
  weight?: number | null;
  /** Its tier, lower first (-1000 to 1000, default 0). */
  priority?: number | null;
  /** Ask a stream's usage of the backend for clients that did not (default true). */
  injectStreamUsage?: boolean | null;
}

const MAX_NAME = 256;
const MAX_WEIGHT = 1000;
const MAX_PRIORITY = 1000;
/** USD per million tokens: far above any real price, low enough that a typo (a price per token) stands out. */
const MAX_PRICE = 10_000;
export const PRICE_FIELDS = ['inputPrice', 'cachedInputPrice', 'outputPrice'] as const;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

function name(value: string | null | undefined, field: string): string {
  const v = value?.trim() ?? '';
  if (!v) throw new InputError(`${field} must not be empty`, field);
  if (v.length > MAX_NAME) throw new InputError(`${field} must be at most ${MAX_NAME} characters`, field);
  return v;
}

function baseUrl(value: string | null | undefined): string {
  const v = value?.trim() ?? '';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new InputError(`baseUrl must be an absolute http(s) URL such as https://api.openai.com/v1, got "${v}"`, 'baseUrl');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`baseUrl must use http or https, got "${url.protocol}"`, 'baseUrl');
  }
  if (url.search || url.hash) throw new InputError('baseUrl must not carry a query string or fragment', 'baseUrl');
  // It is shown in the admin and exported without keys: credentials belong in apiKey.
  if (url.username || url.password) {
    throw new InputError('baseUrl must not carry a user name or password; put the backend\'s key in apiKey', 'baseUrl');
  }
  // Stored without a trailing slash so that `${baseUrl}/${path}` never doubles it.
  return v.replace(/\/+$/, '');
}

function price(value: number | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isFinite(value) || value < 0 || value > MAX_PRICE) {
    throw new InputError(`${field} is USD per million tokens: a number from 0 to ${MAX_PRICE}, or null for the price list's`, field);
  }
  return value;
}

function wholeIn(value: number | null | undefined, field: string, min: number, max: number, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < min || value > max) throw new InputError(`${field} must be a whole number from ${min} to ${max} (${what})`, field);
  return value;
}

const weightOf = (v: number | null | undefined) => wholeIn(v, 'weight', 0, MAX_WEIGHT, 'its share of its tier\'s requests; 0: only when nothing else in the tier can serve');
const priorityOf = (v: number | null | undefined) => wholeIn(v, 'priority', -MAX_PRIORITY, MAX_PRIORITY, 'its tier: lower is tried first');

function timeout(value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new InputError(`timeoutMs must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`, 'timeoutMs');
  }
  return value;
}

function apiKey(value: string | null | undefined): string | null {
  const v = value?.trim();
  if (!v) return null;
  // It goes into an Authorization header: only visible ASCII fits there.
  if (!/^[\x21-\x7e]+$/.test(v)) throw new InputError('apiKey may hold only visible ASCII characters (no spaces or line breaks)', 'apiKey');
  if (v.length > 4096) throw new InputError('apiKey must be at most 4096 characters', 'apiKey');
  return v;
}

/** The fields of a new config, checked and normalised as `create` stores them (import uses it too). */
export function validateNewConfig(input: ConfigInput): Omit<ConfigRow, 'id' | 'createdAt' | 'updatedAt'> {
  return {
    proxyModelName: name(input.proxyModelName, 'proxyModelName'),
    baseUrl: baseUrl(input.baseUrl),
    backendModelName: name(input.backendModelName, 'backendModelName'),
    apiKey: apiKey(input.apiKey),
    ignoreSslVerify: input.ignoreSslVerify ?? false,
    enabled: input.enabled ?? true,
    timeoutMs: timeout(input.timeoutMs),
    inputPrice: price(input.inputPrice, 'inputPrice'),
    cachedInputPrice: price(input.cachedInputPrice, 'cachedInputPrice'),
    outputPrice: price(input.outputPrice, 'outputPrice'),
    weight: weightOf(input.weight),
    priority: priorityOf(input.priority),
    injectStreamUsage: input.injectStreamUsage ?? null,
  };
}

/** A group's settings as an input gives them: a field left out keeps the stored value, null resets it to the default. */
export interface ModelGroupInput {
  fallbacks?: readonly string[] | null;
  contextFallbacks?: readonly string[] | null;
  maxAttempts?: number | null;
  retryOnStatus?: readonly number[] | null;
}

/** A group as the admin sees it: its configs and its settings (the defaults where none are stored). */
export interface ModelGroupView {
  name: string;
  configs: ConfigRow[];
  fallbacks: string[];
  contextFallbacks: string[];
  maxAttempts: number;
  retryOnStatus: number[];
  /** When its settings were last changed; null: never (the defaults). */
  updatedAt: Date | null;
}

export const MAX_GROUP_ATTEMPTS = 10;
const MAX_FALLBACKS = 20;

function groupNames(value: readonly string[] | null | undefined, field: string, self: string, known: ReadonlySet<string>): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (value.length > MAX_FALLBACKS) throw new InputError(`${field} may name at most ${MAX_FALLBACKS} groups`, field);
  const out: string[] = [];
  for (const raw of value) {
    const v = raw.trim();
    if (v === self) throw new InputError(`${field}: the group "${self}" cannot fall back to itself`, field);
    if (!known.has(v)) throw new InputError(`${field}: no config serves the model "${v}" (a fallback names a group: the proxy model name of its configs)`, field);
    if (out.includes(v)) throw new InputError(`${field} names "${v}" twice`, field);
    out.push(v);
  }
  return out;
}

function statuses(value: readonly number[] | null | undefined): number[] | null | undefined {
  if (value === undefined || value === null) return value;
  if (value.length > 100) throw new InputError('retryOnStatus may list at most 100 statuses', 'retryOnStatus');
  for (const v of value) {
    // 2xx and 3xx answers are not failures; 1xx never reach here.
    if (!Number.isInteger(v) || v < 400 || v > 599) throw new InputError(`retryOnStatus: ${v} is not an error status (a whole number from 400 to 599)`, 'retryOnStatus');
  }
  return [...new Set(value)].sort((a, b) => a - b);
}

/** The group a fallback chain comes back to, as "A → B → A", or null when there is no cycle. */
function fallbackCycle(fallbacks: ReadonlyMap<string, readonly string[]>, from: string): string | null {
  const path: string[] = [];
  const onPath = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): string | null => {
    if (onPath.has(name)) return [...path.slice(path.indexOf(name)), name].join(' → ');
    if (done.has(name)) return null;
    onPath.add(name);
    path.push(name);
    for (const next of fallbacks.get(name) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    onPath.delete(name);
    done.add(name);
    return null;
  };
  return visit(from);
}

/**
 * The stored row a group's input makes from its stored one (fields left out keep their value, null
 * resets one): fallbacks name known groups, maxAttempts is 1 to 10, statuses are error statuses.
 * Cycles are checked apart (assertNoCycle), against every group as it will be.
 */
export function groupRowOf(name: string, input: ModelGroupInput, ctx: { known: ReadonlySet<string>; stored: readonly ModelGroupRow[]; now: Date }): ModelGroupRow {
  if (!ctx.known.has(name)) throw new InputError(`No config serves the model "${name}": a group is the configs of one proxy model name`, 'name');
  const row = ctx.stored.find((g) => g.name === name);
  const current = groupSettingsOf(row);
  const fallbacks = groupNames(input.fallbacks, 'fallbacks', name, ctx.known) ?? [...current.fallbacks];
  const contextFallbacks = groupNames(input.contextFallbacks, 'contextFallbacks', name, ctx.known) ?? [...current.contextFallbacks];
  const v = input.maxAttempts;
  if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 1 || v > MAX_GROUP_ATTEMPTS)) {
    throw new InputError(`maxAttempts must be a whole number from 1 to ${MAX_GROUP_ATTEMPTS} (every attempt of a request, the first included), or null for the default (${DEFAULT_MAX_ATTEMPTS})`, 'maxAttempts');
  }
  const maxAttempts = v === undefined ? row?.maxAttempts ?? null : v;
  const given = statuses(input.retryOnStatus);
  const retryOnStatus = given === undefined ? row?.retryOnStatus ?? null : given;
  return { name, fallbacks, contextFallbacks, maxAttempts, retryOnStatus, updatedAt: ctx.now };
}

/** Throws when the fallbacks of `groups` (every group as it will be) make a cycle through `name`. */
export function assertNoCycle(groups: readonly ModelGroupRow[], name: string): void {
  const cycle = fallbackCycle(new Map(groups.map((g) => [g.name, groupSettingsOf(g).fallbacks])), name);
  if (cycle) throw new InputError(`fallbacks would make a cycle: ${cycle}`, 'fallbacks');
}

/** A group's new row, checked against the others: groupRowOf, then no cycle with the stored groups. */
export function validateGroup(name: string, input: ModelGroupInput, ctx: { known: ReadonlySet<string>; stored: readonly ModelGroupRow[]; now: Date }): ModelGroupRow {
  const row = groupRowOf(name, input, ctx);
  assertNoCycle([...ctx.stored.filter((g) => g.name !== name), row], name);
  return row;
}

/** The view of a group from its configs and its stored row (none: the defaults). */
export function groupView(name: string, configs: ConfigRow[], row: ModelGroupRow | undefined): ModelGroupView {
  const s = groupSettingsOf(row);
  return {
    name, configs, fallbacks: [...s.fallbacks], contextFallbacks: [...s.contextFallbacks], maxAttempts: s.maxAttempts,
    retryOnStatus: row && Array.isArray(row.retryOnStatus) ? [...s.retryOnStatus] : [...DEFAULT_RETRY_ON_STATUS], updatedAt: row?.updatedAt ?? null,
  };
}

export class ConfigService {
  readonly routes: RouteTable;
  private refreshTimer: Timer | null = null;

  private refreshFailing = false;
  /** Where the table came from: the store, or the last known configs (DATA_DIR) while it is unreachable. */
  source: 'store' | 'snapshot' = 'store';

  constructor(private readonly store: Store, private readonly snapshot: ConfigSnapshot | null = null, opts: { breakers?: Breakers } = {}) {
    this.routes = new RouteTable(opts.breakers);
  }

  /**
   * Loads the route table; with `refreshMs`, reloads it periodically so that other instances' edits
   * apply. `fromSnapshot`: the store is unreachable, so the table starts from the last known configs.
   */
  async start(refreshMs?: number, opts: { fromSnapshot?: boolean } = {}): Promise<void> {
    if (opts.fromSnapshot) {
      const kept = this.snapshot?.load();
      this.routes.replace(kept?.configs ?? [], kept?.groups ?? []);
      this.source = 'snapshot';
    } else await this.reload();
    if (refreshMs) {
      this.refreshTimer = setInterval(() => {
        this.reload().then(() => {
          if (this.refreshFailing) console.error('[configs] refresh works again');
          this.refreshFailing = false;
        }, (err) => {
          // Said once per outage; the table keeps what it had.
          if (!this.refreshFailing) console.error(`[configs] refresh failed, keeping the configs in use: ${String(err)}`);
          this.refreshFailing = true;
        });
      }, refreshMs);
      this.refreshTimer.unref();
    }
  }

  stop(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  async reload(): Promise<void> {
    const [rows, groups] = await Promise.all([this.store.listConfigs(), this.store.listModelGroups()]);
    this.routes.replace(rows, groups);
    this.source = 'store';
    this.snapshot?.save(rows, groups);
  }

  /** The stored group settings (export). */
  groupRows(): Promise<ModelGroupRow[]> {
    return this.store.listModelGroups();
  }

  /** Every group (a proxy model name with at least one config), by name, with its settings. */
  async groups(): Promise<ModelGroupView[]> {
    const [rows, stored] = await Promise.all([this.store.listConfigs(), this.store.listModelGroups()]);
    const byName = new Map<string, ConfigRow[]>();
    for (const c of rows) {
      let list = byName.get(c.proxyModelName);
      if (!list) byName.set(c.proxyModelName, (list = []));
      list.push(c);
    }
    const settings = new Map(stored.map((g) => [g.name, g]));
    return [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, configs]) => groupView(name, configs, settings.get(name)));
  }

  /** Changes a group's settings (validated whole against the others first: nothing is stored on an error). */
  async updateGroup(name: string, input: ModelGroupInput): Promise<ModelGroupView> {
    const [rows, stored] = await Promise.all([this.store.listConfigs(), this.store.listModelGroups()]);
    const known = new Set(rows.map((c) => c.proxyModelName));
    const row = validateGroup(name.trim(), input, { known, stored, now: new Date() });
    await this.store.putModelGroup(row);
    await this.reload();
    return groupView(row.name, rows.filter((c) => c.proxyModelName === row.name), row);
  }

  list(): Promise<ConfigRow[]> {
    return this.store.listConfigs();
  }

  get(id: string): Promise<ConfigRow | null> {
    return this.store.getConfig(id);
  }

  async create(input: ConfigInput): Promise<ConfigRow> {
    const now = new Date();
    const row: ConfigRow = { id: Bun.randomUUIDv7(), ...validateNewConfig(input), createdAt: now, updatedAt: now };
    await this.store.insertConfig(row);
    await this.reload();
    return row;
  }

  async update(id: string, input: ConfigInput): Promise<ConfigRow> {
    const patch: ConfigPatch = { updatedAt: new Date() };
    if (input.proxyModelName !== undefined) patch.proxyModelName = name(input.proxyModelName, 'proxyModelName');
    if (input.baseUrl !== undefined) patch.baseUrl = baseUrl(input.baseUrl);
    if (input.backendModelName !== undefined) patch.backendModelName = name(input.backendModelName, 'backendModelName');
    if (input.apiKey !== undefined) patch.apiKey = apiKey(input.apiKey);
    if (input.ignoreSslVerify !== undefined) patch.ignoreSslVerify = input.ignoreSslVerify ?? false;
    if (input.enabled !== undefined) patch.enabled = input.enabled ?? true;
    if (input.timeoutMs !== undefined) patch.timeoutMs = timeout(input.timeoutMs);
    for (const field of PRICE_FIELDS) if (input[field] !== undefined) patch[field] = price(input[field], field);
    if (input.weight !== undefined) patch.weight = weightOf(input.weight);
    if (input.priority !== undefined) patch.priority = priorityOf(input.priority);
    if (input.injectStreamUsage !== undefined) patch.injectStreamUsage = input.injectStreamUsage;
    const row = await this.store.updateConfig(id, patch);
    if (!row) throw new NotFoundError(`No config with id "${id}"`);
    await this.reload();
    return row;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.store.deleteConfig(id);
    if (deleted) await this.reload();
    return deleted;
  }
}
