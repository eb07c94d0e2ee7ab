/**
 * A client key's pace: requests per minute and tokens per minute as token buckets (capacity = the
 * limit, refilled continuously over 60 s, as OpenAI describes its own limits), and requests in
 * flight at once. Estimate first, settle after: a request takes its estimated tokens from the TPM
 * bucket when it is admitted, and when it ends the difference to its real usage is given back (or
 * taken: a bucket may go below zero, so that the next requests wait for what was overspent). A
 * failed request gives all of its tokens back.
 *
 * `Limiter` is the interface the admit step uses; `MemoryLimiter` keeps the counters in this
 * process (a later issue adds a shared one for replicas). Synchronous: nothing here waits.
 */
import { HttpError } from '../errors.ts';
import type { ApiKeyRow } from '../store/types.ts';

const MINUTE_MS = 60_000;

export interface Grant {
  /** OpenAI's x-ratelimit-* headers for the answer. */
  headers: Record<string, string>;
  /** Ends the request: `tokens` is its real usage, or null when unknown or failed (all given back). */
  settle(tokens: number | null, failed: boolean): void;
}

export interface Limiter {
  /** Admits the request, or throws RateLimitedError. */
  acquire(key: ApiKeyRow, estimatedTokens: number): Grant;
}

/** 429 rate_limit_exceeded, with retry-after and the x-ratelimit-* headers. */
export class RateLimitedError extends HttpError {
  constructor(what: 'requests' | 'tokens' | 'parallel', limit: number, retryAfterS: number, headers: Record<string, string>) {
    const message = what === 'parallel'
      ? `Rate limit reached: this API key may have ${limit} requests in flight at once. Try again when one has finished.`
      : `Rate limit reached for ${what} per minute (limit ${limit}) on this API key. Try again in ${retryAfterS} s.`;
    super(message, 429, 'rate_limit_exceeded', { type: what === 'tokens' ? 'tokens' : 'requests', headers: { ...headers, 'retry-after': String(retryAfterS) } });
  }
}

/** A bucket of `capacity` units refilled at capacity per minute. */
class Bucket {
  private level: number;
  private at: number;

  constructor(readonly capacity: number, now: number) {
    this.level = capacity;
    this.at = now;
  }

  /** The level now (refilled since the last look). */
  current(now: number): number {
    this.level = Math.min(this.capacity, this.level + ((now - this.at) * this.capacity) / MINUTE_MS);
    this.at = now;
    return this.level;
  }

  take(units: number, now: number): void {
    this.current(now);
    this.level -= units;
  }

  /** ms until `units` are there (0 when they are). */
  waitFor(units: number, now: number): number {
    const missing = Math.min(units, this.capacity) - this.current(now);
    return missing <= 0 ? 0 : Math.ceil((missing * MINUTE_MS) / this.capacity);
  }
}

interface KeyState {
  rpm: Bucket | null;
  tpm: Bucket | null;
  inFlight: number;
  /** The limits the buckets were made for: a changed limit starts a new bucket. */
  shape: string;
}

/** OpenAI's reset format: "1s", "6m0s", "120ms". */
function resetText(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1_000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

export class MemoryLimiter implements Limiter {
  private readonly state = new Map<string, KeyState>();

  constructor(private readonly now: () => number = Date.now) {}

  acquire(key: ApiKeyRow, estimatedTokens: number): Grant {
    const { rpm, tpm, maxParallel } = key;
    if (rpm === null && tpm === null && maxParallel === null) return FREE;
    const now = this.now();
    const s = this.stateOf(key, now);
    const tokens = Math.max(0, Math.ceil(estimatedTokens));
    if (maxParallel !== null && s.inFlight >= maxParallel) {
      throw new RateLimitedError('parallel', maxParallel, 1, this.headers(s, now));
    }
    if (s.rpm && s.rpm.waitFor(1, now) > 0) {
      throw new RateLimitedError('requests', s.rpm.capacity, Math.ceil(s.rpm.waitFor(1, now) / 1_000), this.headers(s, now));
    }
    // A request that asks more than the whole bucket waits for a full one.
    if (s.tpm && s.tpm.waitFor(tokens, now) > 0) {
      throw new RateLimitedError('tokens', s.tpm.capacity, Math.ceil(s.tpm.waitFor(tokens, now) / 1_000), this.headers(s, now));
    }
    s.rpm?.take(1, now);
    s.tpm?.take(tokens, now);
    s.inFlight++;
    const headers = this.headers(s, now);
    let settled = false;
    return {
      headers,
      settle: (used, failed) => {
        if (settled) return;
        settled = true;
        s.inFlight--;
        if (!s.tpm) return;
        // Give back the reservation and take what was used (nothing when it failed or is unknown).
        const actual = failed || used === null ? 0 : used;
        s.tpm.take(actual - tokens, this.now());
      },
    };
  }

  private stateOf(key: ApiKeyRow, now: number): KeyState {
    const shape = `${key.rpm}/${key.tpm}/${key.maxParallel}`;
    let s = this.state.get(key.id);
    if (!s || s.shape !== shape) {
      s = {
        rpm: key.rpm !== null ? new Bucket(key.rpm, now) : null,
        tpm: key.tpm !== null ? new Bucket(key.tpm, now) : null,
        inFlight: s?.inFlight ?? 0,
        shape,
      };
      this.state.set(key.id, s);
    }
    return s;
  }

  private headers(s: KeyState, now: number): Record<string, string> {
    const out: Record<string, string> = {};
    if (s.rpm) {
      const level = s.rpm.current(now);
      out['x-ratelimit-limit-requests'] = String(s.rpm.capacity);
      out['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(level)));
      out['x-ratelimit-reset-requests'] = resetText(((s.rpm.capacity - level) * MINUTE_MS) / s.rpm.capacity);
    }
    if (s.tpm) {
      const level = s.tpm.current(now);
      out['x-ratelimit-limit-tokens'] = String(s.tpm.capacity);
      out['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(level)));
      out['x-ratelimit-reset-tokens'] = resetText(((s.tpm.capacity - level) * MINUTE_MS) / s.tpm.capacity);
    }
    return out;
  }
}

const FREE: Grant = { headers: {}, settle() {} };

/**
 * A request's token estimate: its prompt (about 4 bytes a token, the usual rule for English text
 * and JSON) plus the most it may generate, when it says so.
 */
export function estimateTokens(bodyBytes: number, body: Record<string, unknown> | null): number {
  let out = 0;
  for (const field of ['max_tokens', 'max_completion_tokens', 'max_output_tokens']) {
    const v = body?.[field];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out = Math.max(out, v);
  }
  return estimatePromptTokens(bodyBytes) + out;
}

/** The prompt's part of the estimate: about 4 bytes a token. */
export const estimatePromptTokens = (bodyBytes: number) => Math.ceil(bodyBytes / 4);
