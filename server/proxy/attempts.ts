/**
 * The attempt step: sends the request to the route's candidates until one answers. Today a route
 * has one candidate, so one attempt is made; the routing issue adds retries and fallbacks here.
 */
import type { ProxyMetrics } from '../metrics.ts';
import type { ConfigRow } from '../store/types.ts';
import type { Exchange } from './exchange.ts';
import { downstreamHeaders, upstreamHeaders } from './headers.ts';
import type { HeaderRecord } from '../redact.ts';
import type { ParsedRequest } from './parse.ts';
import { KeyMask, maskHeaders } from './mask.ts';
import { sendUpstream, type UpstreamWatch } from './upstream.ts';

export const DEFAULT_TIMEOUT_MS = 600_000;

/** The backend's answer, its headers as they go to the client, and when the request was sent. */
export interface Answer {
  upstream: Response;
  /** The request's deadline, still armed for its body (respond.ts moves and stops it). */
  watch: UpstreamWatch;
  /** Masks the config's key in the answer's body (null when the config has no key). */
  mask: KeyMask | null;
  config: ConfigRow;
  headers: HeaderRecord;
  /** ms from the exchange's start to the request leaving for the backend (the proxy's own time). */
  sentAfterMs: number;
}

export interface AttemptRequest {
  exchange: Exchange;
  metrics: ProxyMetrics;
  candidates: ConfigRow[];
  parsed: ParsedRequest;
  /** The path below /v1 and the query string with its "?", or "". */
  subpath: string;
  search: string;
  clientSignal: AbortSignal;
  /** A Lite Proxy client key let the request in: the client's Authorization and x-api-key never go on. */
  byClientKey?: boolean;
}

export async function attempt(o: AttemptRequest): Promise<Answer> {
  const config = o.candidates[0]!;
  // The subpath starts with "/" (handle.ts admits only /v1/… paths), so the request stays below the
  // config's base URL, and its key with it.
  const url = `${config.baseUrl}${o.subpath}${o.search}`;
  o.exchange.routed(config, url);
  const body = o.parsed.rewrite(config.backendModelName);
  const sentAfterMs = o.exchange.elapsed();
  o.metrics.sent(sentAfterMs);
  const { response: upstream, watch } = await sendUpstream({
    url,
    method: 'POST',
    headers: upstreamHeaders(o.exchange.incoming, config, o.parsed.multipart, o.byClientKey ?? false),
    body,
    clientSignal: o.clientSignal,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ignoreSslVerify: config.ignoreSslVerify,
  });
  const forwarded = downstreamHeaders(upstream.headers.toJSON());
  const headers = config.apiKey ? maskHeaders(forwarded, config.apiKey) : forwarded;
  o.exchange.responseHead(upstream.status, headers);
  return { upstream, watch, mask: config.apiKey ? new KeyMask(config.apiKey) : null, config, headers, sentAfterMs };
}
