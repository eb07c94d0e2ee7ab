/**
 * The admit step: may this caller send this request? `authenticate` runs first, before the body is
 * read (CLIENT_AUTH and the client key, keys/service.ts, all in memory); `admit` after parse, when
 * the model is known: the key's models, then its pace (keys/limits.ts: RPM, TPM, in flight), whose
 * reservation the admission gives back when the exchange ends, and its budget.
 */
import { bearerToken } from '../admin/auth.ts';
import { InvalidApiKeyError, ModelNotAllowedError } from '../errors.ts';
import type { Grant, Limiter } from '../keys/limits.ts';
import { allowsModel, type KeyRefusal, type KeyService } from '../keys/service.ts';
import { type ClientAuth, isLoopback } from '../settings.ts';
import type { ApiKeyRow, ConfigRow } from '../store/types.ts';
import type { PriceBook } from '../cost/prices.ts';
import type { BudgetHold } from '../keys/budgets.ts';
import type { Admission } from './exchange.ts';
import type { ParsedRequest } from './parse.ts';

/** Who sent a `/v1` request, as the transport knows it. */
export interface Caller {
  ip: string | null;
  /** Lifts the connection's idle timeout; called once the request body has been read. */
  keepOpen?: () => void;
  /** The log entry's id, when the caller needs to know it up front (the admin's chat). */
  logId?: string;
  /** Send to this config of the requested model's group (the admin's Test button). */
  configId?: string;
  /** The admin's chat and Test button: signed in by the admin token, not /v1 clients. */
  internal?: boolean;
}

export interface ClientAuthDeps {
  mode: ClientAuth;
  keys: KeyService | null;
  /** Client keys' RPM, TPM and parallel limits; none: not enforced. */
  limiter?: Limiter;
  /** Prices a request's estimate against a USD budget. */
  prices?: PriceBook;
}

/** Who the request is from, once its key (if any) was checked. */
export interface Client {
  /** The client key that let it in; null when none was needed. */
  key: ApiKeyRow | null;
}

const OPEN: Admission = { release() {} };
const NO_KEY: Client = { key: null };

const REFUSED: Record<KeyRefusal, string> = {
  missing: 'Missing API key: send your Lite Proxy key (sk-lp-…) as the API key, in Authorization: Bearer or x-api-key',
  malformed: 'Invalid API key: Lite Proxy keys look like sk-lp-<id>-<secret>',
  unknown: 'Invalid API key',
  revoked: 'This API key has been revoked',
  disabled: 'This API key is disabled',
  expired: 'This API key has expired',
};

/** The key a client sends: as an OpenAI key (Authorization: Bearer), or x-api-key (Anthropic-style clients). */
function presentedKey(request: Request): string | null {
  return bearerToken(request.headers.get('authorization')) ?? request.headers.get('x-api-key')?.trim() ?? null;
}

/** `seen` learns the key the request names, when it is known, before a refusal is thrown (for the log). */
export function authenticate(deps: ClientAuthDeps, request: Request, caller: Caller, seen?: (key: ApiKeyRow) => void): Client {
  if (caller.internal || deps.mode === 'off' || !deps.keys) return NO_KEY;
  if (deps.mode === 'auto' && !deps.keys.anyKey) {
    if (caller.ip !== null && isLoopback(caller.ip)) return NO_KEY;
    throw new InvalidApiKeyError('No client key exists yet, so only clients on this machine are served: create a key in the admin (Keys) and send it as the API key');
  }
  const check = deps.keys.check(presentedKey(request));
  if ('refused' in check) {
    if (check.known) seen?.(check.known);
    throw new InvalidApiKeyError(REFUSED[check.refused]);
  }
  deps.keys.touch(check.key);
  return { key: check.key };
}

/** Whether the client may use the model it asked for (throws the 403); before routing, so that a refused model's existence is not told. */
export function admitModel(client: Client, request: ParsedRequest): void {
  if (client.key && !allowsModel(client.key, request.model)) throw new ModelNotAllowedError(request.model);
}

/**
 * Whether the client may send it now: its budget (keys/budgets.ts, 429 insufficient_quota), then
 * its pace (keys/limits.ts, 429 rate_limit_exceeded), reserving the request's estimate in both; the
 * config it goes to prices the estimate. The admission gives both back when the exchange ends.
 */
export function admit(client: Client, request: ParsedRequest, deps: ClientAuthDeps | undefined, config: ConfigRow | null): Admission {
  const key = client.key;
  if (!key || !deps) return OPEN;
  // The budget first: a key whose budget is spent is refused without using up its pace.
  let hold: BudgetHold | undefined;
  if (deps.keys && (key.budgetTokens !== null || key.budgetUsd !== null)) {
    const usd = key.budgetUsd === null || !deps.prices ? 0 : deps.prices.estimate(config, request.estimatedPromptTokens, request.estimatedTokens - request.estimatedPromptTokens);
    hold = deps.keys.budgets.acquire(key, { tokens: request.estimatedTokens, usd });
  }
  let grant: Grant | undefined;
  try {
    grant = deps.limiter?.acquire(key, request.estimatedTokens);
  } catch (err) {
    hold?.release();
    throw err;
  }
  if (!grant && !hold) return OPEN;
  return {
    headers: grant?.headers,
    release: (o) => {
      grant?.settle(o.totalTokens, o.failed);
      hold?.release();
    },
  };
}
