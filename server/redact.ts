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

/** Drops `user:password@` from a URL so that credentials in a base URL are not logged. */
export function redactUrl(url: string): string {
  if (!url.includes('@')) return url;
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

/** `sk-…9c`: enough to recognise a key, too little to use it. */
export function keyPreview(key: string | null): string | null {
  if (!key) return null;
  if (key.length < 12) return '…';
  return `${key.slice(0, 3)}…${key.slice(-2)}`;
}
