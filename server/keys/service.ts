/**
 * Client keys: who may call /v1. A key's secret is `sk-lp-<public id>-<secret>`: a 12-character
 * public id (shown in the admin, safe to share) and 43 random URL-safe characters (32 bytes from the
 * CSPRNG). Only the SHA-256 of the whole secret is stored; a request's key is looked up by its
 * public id in memory and compared in constant time, so the hot path never waits on the store.
 * The table is re-read every few seconds (another replica, the CLI), and at once after a change here:
 * a revoked key stops working on the next request.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { InputError, NotFoundError } from '../errors.ts';
import type { Json } from '../json.ts';
import type { ApiKeyPatch, ApiKeyRow, BudgetPeriod, Store } from '../store/types.ts';
import { BudgetLedger, type KeyUsage } from './budgets.ts';

export const KEY_PREFIX = 'sk-lp-';
const PUBLIC_ID_LENGTH = 12;
const PUBLIC_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_SHAPE = /^sk-lp-([A-Za-z0-9]{12})-([A-Za-z0-9_-]{40,})$/;
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['DAY', 'WEEK', 'MONTH', 'TOTAL'];
const MAX_NAME = 100;
const MAX_MODELS = 200;
/** Verified secrets kept between reloads at most (a reload empties the map every few seconds anyway). */
const VERIFIED_KEPT = 10_000;
/** lastUsedAt is written back this often (in memory at once). */
const TOUCH_FLUSH_MS = 5_000;

const digestOf = (secret: string) => createHash('sha256').update(secret).digest();
/** What the store keeps of a secret: its SHA-256, as hex. */
const hashOf = (secret: string) => digestOf(secret).toString('hex');

/** Why a key does not let a request in (the message never holds the key). */
export type KeyRefusal = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'disabled' | 'expired';

/** A refused key that is known (revoked, disabled, expired) comes with its row, for the log. */
export type KeyCheck = { key: ApiKeyRow } | { refused: KeyRefusal; known?: ApiKeyRow };

/** Whether `model` is one of the key's models (a trailing `*` matches a prefix); null allows every model. */
export function allowsModel(key: ApiKeyRow, model: string): boolean {
  const allowed = key.allowedModels;
  if (!Array.isArray(allowed)) return true;
  return allowed.some((m) => typeof m === 'string' && (m.endsWith('*') ? model.startsWith(m.slice(0, -1)) : m === model));
}

/** What GraphQL gives (null where a field may not be null is refused by validate()). */
export interface ApiKeyInput {
  name?: string | null;
  allowedModels?: string[] | null;
  rpm?: number | null;
  tpm?: number | null;
  maxParallel?: number | null;
  budgetTokens?: number | null;
  budgetUsd?: number | null;
  budgetPeriod?: string | null;
  expiresAt?: Date | string | null;
  enabled?: boolean | null;
  metadata?: unknown;
}

export class KeyService {
  /** Each key by its public id, with its stored hash as bytes (made once per reload, not per request). */
  private byPublicId = new Map<string, { row: ApiKeyRow; hash: Buffer }>();
  private rows: ApiKeyRow[] = [];
  private timer: Timer | null = null;
  /**
   * Secrets checked since the last reload, to their key: a client sends the same key on every
   * request, and a map lookup costs less than a SHA-256. Cleared by every reload (a revoked or
   * changed key is looked at afresh); only secrets that matched are kept.
   */
  private verified = new Map<string, ApiKeyRow>();
  /** Keys used since the last write-back, with when (ms). */
  private touched = new Map<string, number>();
  private flushTimer: Timer | null = null;
  private readonly now: () => number;

  /** Each key's use this period, and its budget (keys/budgets.ts). */
  readonly budgets: BudgetLedger;
  /** The last reload's read-back of use (awaited at start). */
  private synced: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store, opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
    this.budgets = new BudgetLedger(store, this.now);
  }

  /** Loads the keys and their use so far, then re-reads them every `refreshMs` (a failed read keeps the last table). */
  async start(refreshMs = 5_000): Promise<void> {
    try {
      await this.reload();
      await this.synced;
    } catch (err) {
      console.error(`[keys] could not read the client keys: ${String(err)}; until the store answers, only what CLIENT_AUTH allows without a key is served`);
    }
    this.timer = setInterval(() => void this.reload().catch(() => {}), refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushTouched();
  }

  async reload(): Promise<void> {
    const rows = await this.store.listApiKeys();
    this.rows = rows;
    this.byPublicId = new Map(rows.map((r) => [r.publicId, { row: r, hash: Buffer.from(r.secretHash, 'hex') }]));
    this.verified = new Map();
    // A new key, or a changed period, has its stored use read back (in the background).
    this.synced = this.budgets.sync(rows);
  }

  /** The key's use in its current budget period (all time without one). */
  usage(key: ApiKeyRow): KeyUsage {
    return this.budgets.usage(key);
  }

  /** Whether any key was ever made (revoked ones too): then CLIENT_AUTH=auto asks every client for one. */
  get anyKey(): boolean {
    return this.rows.length > 0;
  }

  list(): ApiKeyRow[] {
    return this.rows.map((r) => this.withTouch(r));
  }

  get(id: string): ApiKeyRow | null {
    const row = this.rows.find((r) => r.id === id);
    return row ? this.withTouch(row) : null;
  }

  /** The key a request presents, checked: synchronous, from memory. */
  check(secret: string | null): KeyCheck {
    if (secret === null || secret === '') return { refused: 'missing' };
    let row = this.verified.get(secret);
    if (!row) {
      const shape = SECRET_SHAPE.exec(secret);
      if (!shape) return { refused: 'malformed' };
      const known = this.byPublicId.get(shape[1]!);
      if (!known) return { refused: 'unknown' };
      const digest = digestOf(secret);
      if (digest.byteLength !== known.hash.byteLength || !timingSafeEqual(digest, known.hash)) return { refused: 'unknown' };
      row = known.row;
      if (this.verified.size >= VERIFIED_KEPT) this.verified.clear();
      this.verified.set(secret, row);
    }
    if (row.revokedAt) return { refused: 'revoked', known: row };
    if (!row.enabled) return { refused: 'disabled', known: row };
    if (row.expiresAt && row.expiresAt.getTime() <= this.now()) return { refused: 'expired', known: row };
    return { key: row };
  }

  /** Marks the key used now (written back within TOUCH_FLUSH_MS, never awaited by a request). */
  touch(key: ApiKeyRow): void {
    this.touched.set(key.id, this.now());
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.flushTouched();
    }, TOUCH_FLUSH_MS);
    this.flushTimer.unref();
  }

  private async flushTouched(): Promise<void> {
    const touched = [...this.touched];
    this.touched.clear();
    for (const [id, at] of touched) {
      try {
        const row = await this.store.updateApiKey(id, { lastUsedAt: new Date(at) });
        if (row) this.replaceRow(row);
      } catch {
        // The store is out: the next use writes it again.
      }
    }
  }

  private withTouch(row: ApiKeyRow): ApiKeyRow {
    const at = this.touched.get(row.id);
    return at !== undefined ? { ...row, lastUsedAt: new Date(at) } : row;
  }

  private replaceRow(row: ApiKeyRow): void {
    this.rows = this.rows.map((r) => (r.id === row.id ? row : r));
    this.byPublicId.set(row.publicId, { row, hash: Buffer.from(row.secretHash, 'hex') });
    this.verified.clear();
  }

  /** A new key and its secret: the only time the secret exists outside the client's hands. */
  async create(input: ApiKeyInput): Promise<{ key: ApiKeyRow; secret: string }> {
    const fields = this.validate(input, null);
    if (fields.name === undefined) throw new InputError('name is required', 'name');
    await this.reload();
    const publicId = Array.from({ length: PUBLIC_ID_LENGTH }, () => PUBLIC_ID_ALPHABET[randomInt(PUBLIC_ID_ALPHABET.length)]).join('');
    const secret = `${KEY_PREFIX}${publicId}-${randomBytes(32).toString('base64url')}`;
    const now = new Date(this.now());
    const row: ApiKeyRow = {
      id: crypto.randomUUID(), name: fields.name, publicId, secretHash: hashOf(secret),
      allowedModels: fields.allowedModels ?? null, rpm: fields.rpm ?? null, tpm: fields.tpm ?? null, maxParallel: fields.maxParallel ?? null,
      budgetTokens: fields.budgetTokens ?? null, budgetUsd: fields.budgetUsd ?? null, budgetPeriod: fields.budgetPeriod ?? null,
      expiresAt: fields.expiresAt ?? null, enabled: fields.enabled ?? true, revokedAt: null, metadata: fields.metadata ?? null,
      createdAt: now, updatedAt: now, lastUsedAt: null,
    };
    try {
      await this.store.insertApiKey(row);
    } catch (err) {
      await this.reload();
      if (this.rows.some((r) => r.name === row.name)) throw new InputError(`a key named "${row.name}" exists already`, 'name');
      throw err;
    }
    await this.reload();
    return { key: row, secret };
  }

  async update(id: string, input: ApiKeyInput): Promise<ApiKeyRow> {
    await this.reload();
    if (!this.rows.some((r) => r.id === id)) throw new NotFoundError(`No client key with id ${id}`);
    const patch = this.validate(input, id);
    const row = await this.store.updateApiKey(id, { ...patch, updatedAt: new Date(this.now()) });
    if (!row) throw new NotFoundError(`No client key with id ${id}`);
    await this.reload();
    return row;
  }

  /** Revokes the key for good (it stays listed, with the time): every replica refuses it within 5 s. */
  async revoke(id: string): Promise<ApiKeyRow> {
    await this.reload();
    const existing = this.rows.find((r) => r.id === id);
    if (!existing) throw new NotFoundError(`No client key with id ${id}`);
    if (existing.revokedAt) return existing;
    const now = new Date(this.now());
    const row = await this.store.updateApiKey(id, { revokedAt: now, updatedAt: now });
    if (!row) throw new NotFoundError(`No client key with id ${id}`);
    await this.reload();
    return row;
  }

  /** The input as a patch, each field checked; undefined leaves a field alone, null clears it. */
  private validate(input: ApiKeyInput, id: string | null): ApiKeyPatch & { name?: string } {
    const out: ApiKeyPatch & { name?: string } = {};
    if (input.name !== undefined) {
      const name = typeof input.name === 'string' ? input.name.trim() : '';
      if (name === '') throw new InputError('name must not be empty', 'name');
      if (name.length > MAX_NAME) throw new InputError(`name must be at most ${MAX_NAME} characters`, 'name');
      if (this.rows.some((r) => r.name === name && r.id !== id)) throw new InputError(`a key named "${name}" exists already`, 'name');
      out.name = name;
    }
    if (input.allowedModels !== undefined) {
      const models = input.allowedModels;
      if (models !== null) {
        if (!Array.isArray(models) || models.length > MAX_MODELS) throw new InputError(`allowedModels must be a list of at most ${MAX_MODELS} model names, or null for all`, 'allowedModels');
        for (const m of models) {
          if (typeof m !== 'string' || m.trim() === '' || m.length > 256) throw new InputError('allowedModels: every entry must be a model name (a trailing * matches a prefix)', 'allowedModels');
        }
      }
      out.allowedModels = models === null ? null : [...new Set(models.map((m) => m.trim()))];
    }
    for (const field of ['rpm', 'tpm', 'maxParallel'] as const) {
      const v = input[field];
      if (v === undefined) continue;
      if (v !== null && (!Number.isInteger(v) || v < 1 || v > 1e9)) throw new InputError(`${field} must be a whole number from 1 up, or null for no limit`, field);
      out[field] = v;
    }
    for (const field of ['budgetTokens', 'budgetUsd'] as const) {
      const v = input[field];
      if (v === undefined) continue;
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new InputError(`${field} must be a number of 0 or more, or null for none`, field);
      out[field] = v;
    }
    if (input.budgetPeriod !== undefined) {
      if (input.budgetPeriod !== null && !BUDGET_PERIODS.includes(input.budgetPeriod as BudgetPeriod)) {
        throw new InputError(`budgetPeriod must be one of ${BUDGET_PERIODS.join(', ')}`, 'budgetPeriod');
      }
      out.budgetPeriod = input.budgetPeriod;
    }
    if (input.expiresAt !== undefined) {
      const at = input.expiresAt === null ? null : new Date(input.expiresAt);
      if (at !== null && Number.isNaN(at.getTime())) throw new InputError('expiresAt must be a date', 'expiresAt');
      if (at !== null && at.getTime() <= this.now()) throw new InputError('expiresAt must be in the future', 'expiresAt');
      out.expiresAt = at;
    }
    if (input.enabled !== undefined) {
      if (typeof input.enabled !== 'boolean') throw new InputError('enabled must be true or false', 'enabled');
      out.enabled = input.enabled;
    }
    if (input.metadata !== undefined) {
      const m = input.metadata;
      if (m !== null && (typeof m !== 'object' || Array.isArray(m))) throw new InputError('metadata must be a JSON object, or null', 'metadata');
      if (m !== null && JSON.stringify(m).length > 16_384) throw new InputError('metadata must be at most 16 KiB of JSON', 'metadata');
      out.metadata = m as Json;
    }
    return out;
  }
}
