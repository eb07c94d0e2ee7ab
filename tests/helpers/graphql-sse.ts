/**
 * A small GraphQL-over-SSE client ("distinct connections" mode, as Yoga serves it): POST the
 * operation with `Accept: text/event-stream` and read `next` / `complete` events as they come.
 * Parsing is left to eventsource-parser, the library the server itself uses.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface SseEvent {
  event: string;
  /** The parsed `data:` payload; null for an empty one (as `complete` sends). */
  data: any;
}

export interface GraphQLSubscription {
  status: number;
  contentType: string | null;
  /** The next event, or null once the stream has ended. Rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseEvent | null>;
  /** Resolves with the next event, or with 'timeout' when none comes within `ms`. */
  nextWithin(ms: number): Promise<SseEvent | null | 'timeout'>;
  /** Disconnects, as a browser tab that is closed. */
  close(): void;
}

export async function subscribe(opts: {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
}): Promise<GraphQLSubscription> {
  const abort = new AbortController();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${opts.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: opts.query, variables: opts.variables }),
    signal: abort.signal,
  });
  const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream');
  const reader = isSse && res.body
    ? res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
    : null;
  // One read in flight at a time, so that a timed-out wait does not lose the event it was waiting for.
  let pending: Promise<SseEvent | null> | null = null;

  const read = (): Promise<SseEvent | null> => {
    pending ??= (async () => {
      if (!reader) return null;
      try {
        const { done, value } = await reader.read();
        if (done) return null;
        return { event: value.event ?? 'message', data: value.data === '' ? null : JSON.parse(value.data) };
      } catch {
        return null; // aborted by close()
      }
    })().finally(() => (pending = null));
    return pending;
  };

  const nextWithin = async (ms: number) => {
    let timer: Timer | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    try {
      return await Promise.race([read(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    nextWithin,
    async next(timeoutMs = 2_000) {
      const got = await nextWithin(timeoutMs);
      if (got === 'timeout') throw new Error(`no SSE event within ${timeoutMs} ms`);
      return got;
    },
    close: () => abort.abort(),
  };
}
