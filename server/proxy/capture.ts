/**
 * The log's view of a streamed response. The client's stream pulls from the backend one chunk at a
 * time, only when the client has room for it, and each chunk is shown to the log on its way out
 * untouched. Unlike `tee()`, which reads the backend as fast as the faster branch, this keeps the
 * proxy's memory bounded when a client stops reading (a tee held a whole 200 MB answer).
 */
import { ClientClosedError, type HttpError, UpstreamFailedError, UpstreamIdleError, UpstreamTimeoutError } from '../errors.ts';
import { JsonText, type LoggedJson } from '../json.ts';
import { SseReader, StreamAssembler, type StreamResult } from '../openai/stream.ts';
import { type Coding, InflateTap } from './encoding.ts';
import type { KeyMask } from './mask.ts';
import type { UsageEventDropper } from './usage-event.ts';
import type { UpstreamWatch } from './upstream.ts';

/** A stream's start already read by the attempt step (attempts.ts), and the reader of the rest. */
export interface PeekedBody {
  head: Uint8Array[];
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

export interface CaptureOutcome {
  /** ms from the start of the exchange to the first body chunk, null when none came. */
  firstChunkAt: number | null;
  endedAt: number;
  bytes: number;
  /** Set when the stream did not end cleanly. */
  error: string | null;
}

export interface SseCapture extends CaptureOutcome {
  result: StreamResult;
}

export interface PassThrough<T> {
  /** What the client reads: the backend's bytes as they arrive. */
  stream: ReadableStream<Uint8Array>;
  /** Resolves once the body ended, failed or the client went away; never rejects. */
  done: Promise<T>;
}

const CLIENT_GONE = 'client disconnected before the stream ended; the backend request was cancelled';

export interface PassOptions {
  startedAt: number;
  /** The backend request's deadline (upstream.ts): moved after each chunk, stopped at the end. */
  watch: UpstreamWatch;
  /** The longest silence allowed between two chunks (STREAM_IDLE_TIMEOUT_MS). */
  idleMs: number;
  /**
   * SSE only: a stream that breaks after its first bytes ends with this event (OpenAI's error
   * shape) and closes, instead of failing, so that a client SDK reads why.
   */
  finalEvent?: (err: HttpError) => Uint8Array;
  /** The config's key, masked wherever the backend echoes it (mask.ts); null when it has none. */
  mask: KeyMask | null;
  /**
   * Set when the body is compressed and goes to the client so (encoding.ts): the log and the mask
   * see a copy inflated chunk by chunk, within `inflateLimit` plain bytes when there is no key to
   * look for. The backend's bytes then cannot be changed: an echoed key ends the answer before it.
   */
  encoded?: { coding: Coding; inflateLimit: number } | null;
  /** SSE whose usage the proxy asked for (usage-event.ts): the usage-only event is kept from the client. */
  dropUsage?: UsageEventDropper | null;
  /** The start the attempt step already read, and the reader of the rest (the body is locked then). */
  peeked?: PeekedBody;
}

/** Why a body that was flowing stopped: silence past the idle limit, or the backend's failure. */
function breakError(err: unknown, o: PassOptions): HttpError {
  if (o.watch.timedOut === 'idle') return new UpstreamIdleError(o.idleMs);
  return new UpstreamFailedError(err instanceof Error ? err.message : String(err));
}

function passThrough(
  body: ReadableStream<Uint8Array>,
  o: PassOptions,
  onChunk: (bytes: Uint8Array) => void,
): PassThrough<CaptureOutcome> & { prefetch(until: () => boolean): Promise<void> } {
  // A stream whose start the attempt step read (to see its first event) is read on from there.
  const reader = o.peeked?.reader ?? body.getReader();
  const unread = o.peeked ? [...o.peeked.head] : null;
  /** Chunks read ahead of the client (a stream's start, until its first event). */
  const head: Uint8Array[] = [];
  let headDone = false;
  let firstChunkAt: number | null = null;
  let bytes = 0;
  let settle!: (outcome: CaptureOutcome) => void;
  const done = new Promise<CaptureOutcome>((resolve) => (settle = resolve));
  // The first call wins: an error followed by the client's cancel records the error.
  const end = (error: string | null) => {
    o.watch.stop();
    settle({ firstChunkAt, endedAt: performance.now() - o.startedAt, bytes, error: error ?? copyFailed() });
  };
  let sourceDone = false;
  /** The log's view of a chunk: counted and parsed; the log's parser never holds back the client's bytes. */
  const show = (plain: Uint8Array) => {
    bytes += plain.byteLength;
    try {
      onChunk(plain);
    } catch {
      // (see above)
    }
  };
  /** The next chunk as the client gets it (the config's key masked), shown to the log on its way. */
  let dropFlushed = false;
  const readPlain = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    for (;;) {
      if (sourceDone) {
        // What the usage dropper held back (an unterminated last event) goes out last.
        const rest = o.dropUsage && !dropFlushed ? ((dropFlushed = true), o.dropUsage.end()) : null;
        if (rest && rest.byteLength > 0) return { done: false, value: rest };
        return { done: true, value: undefined };
      }
      const chunk = unread?.length ? { done: false as const, value: unread.shift()! } : await reader.read();
      let value: Uint8Array | null | undefined = chunk.value;
      if (chunk.done) {
        sourceDone = true;
        value = o.mask?.end();
        if (!value) continue;
      } else if (o.mask) value = o.mask.push(value!);
      // A chunk held back whole (it may begin the key) waits for the next one.
      if (value!.byteLength === 0) continue;
      firstChunkAt ??= performance.now() - o.startedAt;
      show(value!);
      if (o.dropUsage) {
        // The log saw the usage event; the client, which did not ask for it, does not.
        value = o.dropUsage.push(value!);
        if (value.byteLength === 0) continue;
      }
      return { done: false, value: value! };
    }
  };
  const encoded = o.encoded ? readEncoded(reader, o.encoded, o.mask, show, () => (firstChunkAt ??= performance.now() - o.startedAt)) : null;
  const read = encoded?.read ?? readPlain;
  /** Why the log's inflated copy of a compressed body stopped short (the client got the bytes as they came). */
  const copyFailed = () => encoded?.failed() ?? null;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const ahead = head.shift();
      if (ahead) return controller.enqueue(ahead);
      if (headDone) {
        end(null);
        return controller.close();
      }
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await read();
      } catch (err) {
        const broken = breakError(err, o);
        end(broken instanceof UpstreamIdleError ? broken.message : `backend stream failed: ${broken.message}`);
        // A final event cannot be added to a compressed stream.
        if (!o.finalEvent || o.encoded) return controller.error(err);
        controller.enqueue(o.finalEvent(broken));
        return controller.close();
      }
      if (chunk.done) {
        end(null);
        return controller.close();
      }
      o.watch.idle(o.idleMs);
      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      end(CLIENT_GONE);
      return reader.cancel(reason);
    },
    // Pulled only when the client reads: never while prefetch() reads the stream's start.
  }, { highWaterMark: 0 });
  /**
   * Reads ahead until `until()` holds or the body ends, within the watch's deadline (a stream's
   * first event must come within timeoutMs). Throws the error the client then gets (504, 502):
   * nothing has been sent yet.
   */
  const prefetch = async (until: () => boolean) => {
    try {
      while (!until()) {
        const chunk = await read();
        if (chunk.done) {
          headDone = true;
          break;
        }
        // A copy: Bun may reuse the memory of a body chunk once the next one is read.
        head.push(chunk.value.slice());
      }
    } catch (err) {
      o.watch.stop();
      if (o.watch.timedOut) throw new UpstreamTimeoutError(o.watch.timeoutMs);
      // The request's controller is aborted by its deadline or by the client's disconnect.
      if (o.watch.controller.signal.aborted) throw new ClientClosedError();
      throw new UpstreamFailedError(err instanceof Error ? err.message : String(err));
    }
    o.watch.idle(o.idleMs);
  };
  return { stream, done, prefetch };
}

/** Thrown when a compressed answer that passes as it is turns out to hold the config's key. */
class KeyEchoedError extends Error {
  constructor() {
    super('the backend echoed the config\'s key in a compressed answer: the answer was cut before it');
  }
}

/**
 * Reads a compressed body chunk by chunk: each chunk's inflated copy goes to the log (masked) and
 * is checked for the key before the chunk itself goes on. A chunk whose copy ends with what may
 * begin the key waits for the next one; one that holds the key ends the answer.
 */
function readEncoded(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  encoded: { coding: Coding; inflateLimit: number },
  mask: KeyMask | null,
  show: (plain: Uint8Array) => void,
  first: () => void,
): { read: () => Promise<ReadableStreamReadResult<Uint8Array>>; failed: () => string | null } {
  const tap = new InflateTap(encoded.coding, (plain) => {
    const masked = mask ? mask.push(plain) : plain;
    if (masked.byteLength > 0) show(masked);
  }, mask ? Infinity : encoded.inflateLimit);
  let held: Uint8Array[] = [];
  let ended = false;
  const release = (last: Uint8Array | null): Uint8Array => {
    const parts = last ? [...held, last] : held;
    held = [];
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
  const read = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    for (;;) {
      if (ended) return { done: true, value: undefined };
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        tap.close();
        throw err;
      }
      if (chunk.done) {
        ended = true;
        await tap.end();
        const rest = mask?.end();
        if (rest && rest.byteLength > 0) show(rest);
        if (mask?.found) throw new KeyEchoedError();
        if (held.length === 0) return { done: true, value: undefined };
        first();
        return { done: false, value: release(null) };
      }
      await tap.push(chunk.value);
      if (mask?.found) {
        tap.close();
        throw new KeyEchoedError();
      }
      // Its copy may end with the key's start: this chunk goes with the next, once that is checked.
      if (mask?.holding && !tap.failed) {
        held.push(chunk.value.slice());
        continue;
      }
      first();
      return { done: false, value: release(chunk.value) };
    }
  };
  return { read, failed: () => tap.failed };
}

/** A stream whose first event has come (or that ended first), ready to go to the client. */
export type SsePassThrough = PassThrough<SseCapture>;

/**
 * Passes an SSE body through and assembles the log's view of it (`assemble: false`, with logging
 * off: only watched, for its first event and its silences). Resolves once the first event came.
 */
export async function captureSse(
  body: ReadableStream<Uint8Array>,
  opts: PassOptions & { chunkBudgetBytes: number; assemble: boolean },
): Promise<SsePassThrough> {
  let events = 0;
  const assembler = new StreamAssembler(opts.chunkBudgetBytes);
  const sse = new SseReader({
    addEvent: (data, name) => {
      events++;
      if (opts.assemble) assembler.addEvent(data, name);
    },
    finish: () => assembler.finish(),
  });
  const pass = passThrough(body, opts, (bytes) => {
    // Unlogged, a stream is parsed only until its first event.
    if (opts.assemble || events === 0) sse.push(bytes);
  });
  await pass.prefetch(() => events > 0);
  return {
    stream: pass.stream,
    done: pass.done.then((outcome) => {
      let result: StreamResult;
      try {
        result = sse.end();
      } catch (err) {
        result = { chunks: [], chunksTruncated: false, text: null, body: null, usage: null, error: `log assembly failed: ${String(err)}` };
      }
      return { ...outcome, result };
    }),
  };
}

/** Passes any other body through and counts it; keeps none of it. */
export function captureBytes(body: ReadableStream<Uint8Array>, opts: PassOptions): PassThrough<CaptureOutcome> {
  return passThrough(body, opts, () => {});
}

export interface TextCapture extends CaptureOutcome {
  /** The body's start as text: at most `budgetBytes` of it (and a little more to end a character). */
  text: string;
}

/** Passes a text body through and keeps a bounded copy of its start for the log. */
export function captureText(body: ReadableStream<Uint8Array>, opts: PassOptions & { budgetBytes: number }): PassThrough<TextCapture> {
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  const { stream, done } = passThrough(body, opts, (bytes) => {
    if (keptBytes >= opts.budgetBytes) return;
    const part = bytes.subarray(0, opts.budgetBytes - keptBytes);
    // A copy: the chunk itself belongs to the client's stream.
    kept.push(part.slice());
    keptBytes += part.byteLength;
  });
  // `stream: true` leaves out a character cut at the budget instead of ending with U+FFFD.
  return { stream, done: done.then((outcome) => ({ ...outcome, text: new TextDecoder().decode(Buffer.concat(kept), { stream: true }) })) };
}

export interface JsonCapture extends TextCapture {
  /** The body's last TAIL_BYTES as text, when the body was larger than the budget (its usage is there). */
  tail: string | null;
}

/** What a large JSON answer keeps of its end: enough for a `usage` object. */
const TAIL_BYTES = 64 * 1024;

/**
 * Passes a JSON body through (one too large to read whole) and keeps a bounded copy: its start
 * within `budgetBytes` for the log and its last 64 KiB, where the usage of a large answer is.
 */
export function captureJson(body: ReadableStream<Uint8Array>, opts: PassOptions & { budgetBytes: number }): PassThrough<JsonCapture> {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  // The last TAIL_BYTES in a ring written in place: a large answer's chunks are not copied again.
  const tail = Buffer.allocUnsafe(TAIL_BYTES);
  let tailAt = 0;
  let seen = 0;
  const { stream, done } = passThrough(body, opts, (bytes) => {
    if (headBytes < opts.budgetBytes) {
      const part = bytes.subarray(0, opts.budgetBytes - headBytes);
      head.push(part.slice());
      headBytes += part.byteLength;
    }
    seen += bytes.byteLength;
    let from = Math.max(0, bytes.byteLength - TAIL_BYTES);
    while (from < bytes.byteLength) {
      const n = Math.min(bytes.byteLength - from, TAIL_BYTES - tailAt);
      tail.set(bytes.subarray(from, from + n), tailAt);
      tailAt = (tailAt + n) % TAIL_BYTES;
      from += n;
    }
  });
  return {
    stream,
    done: done.then((outcome) => {
      const text = new TextDecoder().decode(Buffer.concat(head), { stream: true });
      const over = outcome.bytes > opts.budgetBytes;
      // In order: the ring from its write position on (once it wrapped), then up to it. The window may
      // start inside a character: decoding with replacement there costs nothing that matters.
      const window = seen >= TAIL_BYTES ? Buffer.concat([tail.subarray(tailAt), tail.subarray(0, tailAt)]) : tail.subarray(0, seen);
      const end = over ? new TextDecoder().decode(window) : null;
      return { ...outcome, text, tail: end };
    }),
  };
}

/**
 * A body for the log: JSON kept as its text (no second serialisation on the way to the store),
 * other text as a string; cut with a marker past the budget.
 */
export function bodyForLog(text: string, byteLength: number, budget: number, isJson: boolean): LoggedJson {
  if (byteLength > budget) return { _truncated: true, bytes: byteLength, preview: text.slice(0, budget) };
  return isJson ? new JsonText(text) : text;
}
