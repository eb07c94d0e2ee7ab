/** Secrets never reach a store: header values and URL credentials are redacted before logging. */
import type { Json } from '../store/types.ts';

export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie', 'set-cookie']);

export function redactHeaders(headers: Headers): { [name: string]: Json } {
  const out: { [name: string]: Json } = {};
  for (const [name, value] of headers) {
    // Headers iterates names lower-cased; set-cookie may repeat and is joined by the platform.
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : value;
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
