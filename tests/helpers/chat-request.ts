/** One proxied chat completion through a running app, read to its end. */

export interface ChatOptions {
  /** The app's /v1 base URL. */
  baseUrl: string;
  model: string;
  stream?: boolean;
  /** Tags the exchange so a test can find its log entry (userAgent is a summary field). */
  userAgent?: string;
  headers?: Record<string, string>;
  content?: string;
}

export interface ChatResult {
  status: number;
  headers: Headers;
  /** The request body as sent. */
  sent: Record<string, unknown>;
  /** Parsed JSON for a JSON answer, the raw text for a stream. */
  body: any;
  text: string;
}

export async function chat(opts: ChatOptions): Promise<ChatResult> {
  const sent = {
    model: opts.model,
    messages: [{ role: 'user', content: opts.content ?? 'hello' }],
    ...(opts.stream ? { stream: true } : {}),
  };
  const res = await fetch(`${opts.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.userAgent ? { 'user-agent': opts.userAgent } : {}),
      ...opts.headers,
    },
    body: JSON.stringify(sent),
  });
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, headers: res.headers, sent, text, body: isJson ? JSON.parse(text) : text };
}

/** The `data:` payloads of an SSE body, [DONE] included. */
export function sseData(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
}
