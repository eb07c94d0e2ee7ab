/** Secrets never reach a store: header values and URL credentials are redacted before logging. */
import type { Json } from './json.ts';

export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie', 'set-cookie']);

/** Header names (lower-case) to values, as Bun's `Headers.toJSON()` gives them; set-cookie as a list. */
export type HeaderRecord = Record<string, string | string[]>;

/** A copy of the headers for the log, secrets replaced. */
export function redactHeaders(headers: HeaderRecord): { [name: string]: Json } {
  const out: { [name: string]: Json } = { ...headers };
  for (const name of SECRET_HEADERS) {
    if (name in out) out[name] = REDACTED;
  }
  return out;
}

/** Query parameters that carry a secret (some backends take the key as `?key=`), in any case. */
const SECRET_PARAMS = /^(key|api[-_]key|token|access_token|sig|signature|password)$/i;

/**
 * A URL for the log: `user:password@` dropped and secret query parameters `[redacted]`. The rest
 * stays as it was sent, encoding included.
 */
export function redactUrl(url: string): string {
  return redactQuery(url.includes('@') ? withoutCredentials(url) : url);
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const params = query.split('&').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    return SECRET_PARAMS.test(decodedName(name).trim()) ? `${name}=${REDACTED}` : p;
  });
  return `${url.slice(0, q + 1)}${params.join('&')}${hash < 0 ? '' : url.slice(hash)}`;
}

/** `sk-…9c`: enough to recognise a key, too little to use it. */
export function keyPreview(key: string | null): string | null {
  if (!key) return null;
  if (key.length < 12) return '…';
  return `${key.slice(0, 3)}…${key.slice(-2)}`;
}
