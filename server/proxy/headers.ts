/**
 * Which headers cross the proxy, each way: hop-by-hop headers stop here (RFC 9110 §7.6.1), the
 * config's key replaces the client's Authorization, and a response init as cheap as the answer allows.
 */
import type { ConfigRow } from '../store/types.ts';
import type { HeaderRecord } from '../redact.ts';

/**
 * Never forwarded in either direction (RFC 9110 §7.6.1 plus what fetch computes itself). The
 * client's Accept-Encoding goes up and the backend's Content-Encoding comes down: fetch inflates
 * nothing (upstream.ts), and respond.ts passes compressed bytes on or inflates them (encoding.ts).
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'host', 'content-length', 'proxy-authorization', 'proxy-authenticate',
]);

/** Headers that the Connection header names are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  // The usual values name no other header: skip the split on the hot path.
  if (typeof value !== 'string' || value === 'keep-alive' || value === 'close') return null;
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()));
}

/** The headers a client's Lite Proxy key may come in: never passed to a backend. */
const CLIENT_KEY_HEADERS = new Set(['authorization', 'x-api-key']);

export function upstreamHeaders(incoming: HeaderRecord, config: ConfigRow, multipart: boolean, byClientKey = false): Record<string, string> {
  const out: Record<string, string> = {};
  const named = connectionTokens(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    if (byClientKey && CLIENT_KEY_HEADERS.has(name)) continue;
    // fetch writes a new multipart boundary for the rewritten form.
    if (multipart && name === 'content-type') continue;
    const value = incoming[name]!;
    out[name] = typeof value === 'string' ? value : value.join(', ');
  }
  // Without a key of its own the config passes the client's Authorization through, as the original
  // did, but only when no Lite Proxy key let the request in (CLIENT_AUTH=off, or auto before any key).
  if (config.apiKey) out.authorization = `Bearer ${config.apiKey}`;
  return out;
}

export function downstreamHeaders(incoming: HeaderRecord): HeaderRecord {
  const out: HeaderRecord = {};
  const named = connectionTokens(incoming.connection);
  for (const name in incoming) {
    if (!HOP_BY_HOP.has(name) && !named?.has(name)) out[name] = incoming[name]!;
  }
  return out;
}

/** A plain record is the cheapest init; repeated Set-Cookie headers need a Headers object. */
export function responseInit(headers: HeaderRecord): HeadersInit {
  const cookies = headers['set-cookie'];
  if (!Array.isArray(cookies)) return headers as Record<string, string>;
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else out.set(name, value);
  }
  return out;
}
