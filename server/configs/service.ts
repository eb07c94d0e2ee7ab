/**
 * Config management: validation, ids and timestamps, writes to the store, and the in-memory
 * RouteTable the proxy reads. Admin reads go to the store; the hot path only reads the table.
 */
import { InputError, NotFoundError } from '../errors.ts';
import { RouteTable } from '../proxy/route.ts';
import type { Breakers } from '../proxy/breaker.ts';
import type { ConfigPatch, ConfigRow, Store } from '../store/types.ts';
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
      this.routes.replace(this.snapshot?.load()?.configs ?? []);
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
    const rows = await this.store.listConfigs();
    this.routes.replace(rows);
    this.source = 'store';
    this.snapshot?.save(rows);
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
