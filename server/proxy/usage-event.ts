/**
 * Stream usage, always recorded. A client that streams a chat or text completion without
 * `stream_options.include_usage` gets no usage from OpenAI-compatible backends, and then the log,
 * the stats and the client key's budget would see none. So the proxy asks for it (a byte-level
 * edit of the body, as for the model), and drops from what the client receives exactly the event
 * it did not ask for: the usage-only chunk (an empty `choices` and a `usage` object). Every other
 * byte reaches the client as the backend sent it; the log sees the stream whole.
 */
import { isObj } from '../openai/chunks.ts';

/** The paths whose streams take stream_options.include_usage. */
const USAGE_PATHS = new Set(['/chat/completions', '/completions']);

export const INCLUDE_USAGE = '"stream_options":{"include_usage":true},';

/** Whether to ask the backend for usage: a streamed chat or text completion that did not ask itself. */
export function wantsUsageAdded(subpath: string, body: Record<string, unknown> | null): boolean {
  return body !== null && body.stream === true && body.stream_options === undefined && USAGE_PATHS.has(subpath);
}

/** The JSON text with `"stream_options":{"include_usage":true}` as the object's first member (it has members: its model). */
export function withUsageRequested(text: string): string {
  const open = text.indexOf('{');
  return open < 0 ? text : `${text.slice(0, open + 1)}${INCLUDE_USAGE}${text.slice(open + 1)}`;
}

/** The same on bytes (a body that is not valid UTF-8 is rewritten byte for byte). */
export function withUsageRequestedBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const open = bytes.indexOf(0x7b);
  const insert = Buffer.from(INCLUDE_USAGE);
  if (open < 0) return new Uint8Array(bytes);
  return new Uint8Array(Buffer.concat([bytes.subarray(0, open + 1), insert, bytes.subarray(open + 1)]));
}

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder();

/**
 * Removes the usage-only event from an SSE byte stream, byte-exactly: events are split at their
 * blank line (LF LF, CR LF CR LF or CR CR); a complete event that is the usage chunk is dropped
 * with its blank line, any other goes on as it came. The bytes of an event not complete at the end
 * of a chunk wait for the rest of it (backends write one event per write, so this rarely holds
 * anything back).
 */
export class UsageEventDropper {
  private pending: Uint8Array | null = null;
  dropped = 0;

  /** The bytes of `chunk` that go to the client now. */
  push(chunk: Uint8Array): Uint8Array {
    // Nearly every chunk: whole events (a backend writes one event per write), none of them with a
    // "usage" key. It goes on as it came, with no view made and nothing copied.
    if (!this.pending && endsAnEvent(chunk) && !hasUsageKey(chunk)) return chunk;
    const bytes = this.pending ? concat(this.pending, chunk) : chunk;
    this.pending = null;
    const parts: Uint8Array[] = [];
    let start = 0;
    let kept = 0;
    for (;;) {
      const end = eventEnd(bytes, start);
      if (end < 0) break;
      const event = bytes.subarray(start, end);
      if (isUsageOnly(event)) {
        this.dropped++;
      } else {
        parts.push(event);
        kept += event.byteLength;
      }
      start = end;
    }
    if (start < bytes.byteLength) this.pending = bytes.slice(start);
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 0) return EMPTY;
    const out = new Uint8Array(kept);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /** At the end of the stream: what was held back (an unterminated last event goes on as it came). */
  end(): Uint8Array | null {
    const rest = this.pending;
    this.pending = null;
    return rest;
  }
}

const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** Index just past the blank line that ends the event starting at `from`, or -1 (native scans for the line ends). */
export function eventEnd(b: Uint8Array, from: number): number {
  const hasCr = b.indexOf(CR, from) >= 0;
  for (let i = hasCr ? from : b.indexOf(LF, from); i >= 0 && i < b.length; i = hasCr ? i + 1 : b.indexOf(LF, i + 1)) {
    const c = b[i];
    if (c === LF) {
      if (b[i + 1] === LF) return i + 2;
      if (b[i + 1] === CR && b[i + 2] === LF) return i + 3;
    } else if (c === CR) {
      if (b[i + 1] === LF && b[i + 2] === CR && b[i + 3] === LF) return i + 4;
      if (b[i + 1] === CR) return i + 2;
    }
  }
  return -1;
}

/** Whether the bytes end with a blank line (LF LF, CR LF CR LF or CR CR): the end of an event. */
function endsAnEvent(b: Uint8Array): boolean {
  const n = b.length;
  if (n < 2) return false;
  const last = b[n - 1];
  if (last === LF) return b[n - 2] === LF || (n >= 4 && b[n - 2] === CR && b[n - 3] === LF && b[n - 4] === CR);
  return last === CR && b[n - 2] === CR;
}

const QUOTE = 0x22;
/** `usage"` after a quote, by byte: the bytes hold the JSON key "usage" (no view or text made). */
const USAGE_TAIL = [0x75, 0x73, 0x61, 0x67, 0x65, QUOTE];

/** Whether the bytes hold `"usage"` (a scan for its "u", natively, then five bytes compared). */
function hasUsageKey(b: Uint8Array): boolean {
  for (let i = b.indexOf(USAGE_TAIL[0]!, 1); i >= 0; i = b.indexOf(USAGE_TAIL[0]!, i + 1)) {
    if (b[i - 1] !== QUOTE) continue;
    let k = 1;
    while (k < USAGE_TAIL.length && b[i + k] === USAGE_TAIL[k]) k++;
    if (k === USAGE_TAIL.length) return true;
  }
  return false;
}

/** An event whose one data line is a chunk with an empty `choices` and a `usage` object. */
function isUsageOnly(event: Uint8Array): boolean {
  // Cheap first, on the bytes: the usage chunk is small and says "usage".
  if (event.byteLength > 4096 || !hasUsageKey(event)) return false;
  const text = decoder.decode(event);
  if (!text.includes('"choices"')) return false;
  let data = '';
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
    else if (line !== '' && !line.startsWith(':')) return false;
  }
  try {
    const value = JSON.parse(data) as unknown;
    return isObj(value) && Array.isArray(value.choices) && value.choices.length === 0 && isObj(value.usage);
  } catch {
    return false;
  }
}
