/**
 * The log's view of a streamed response. The client's stream pulls from the backend one chunk at a
 * time, only when the client has room for it, and each chunk is shown to the log on its way out
 * untouched. Unlike `tee()`, which reads the backend as fast as the faster branch, this keeps the
 * proxy's memory bounded when a client stops reading (a tee held a whole 200 MB answer).
 */
import { ClientClosedError, type HttpError, UpstreamFailedError, UpstreamIdleError, UpstreamTimeoutError } from '../errors.ts';
import { JsonText, type LoggedJson } from '../json.ts';
import { SseReader, StreamAssembler, type StreamResult } from '../openai/stream.ts';
import type { KeyMask } from './mask.ts';
import type { UpstreamWatch } from './upstream.ts';

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
  const reader = body.getReader();
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
    settle({ firstChunkAt, endedAt: performance.now() - o.startedAt, bytes, error });
  };
  let sourceDone = false;
  /** The next chunk as the client gets it (the config's key masked), shown to the log on its way. */
  const read = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    for (;;) {
      if (sourceDone) return { done: true, value: undefined };
      const chunk = await reader.read();
      let value: Uint8Array | null | undefined = chunk.value;
      if (chunk.done) {
        sourceDone = true;
        value = o.mask?.end();
        if (!value) return { done: true, value: undefined };
      } else if (o.mask) value = o.mask.push(value!);
      // A chunk held back whole (it may begin the key) waits for the next one.
      if (value!.byteLength === 0) continue;
      firstChunkAt ??= performance.now() - o.startedAt;
      bytes += value!.byteLength;
      try {
        onChunk(value!);
      } catch {
        // The log's parser never holds back the client's bytes.
      }
      return { done: false, value: value! };
    }
  };
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
        if (!o.finalEvent) return controller.error(err);
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
  let tail: Uint8Array[] = [];
  let tailBytes = 0;
  const { stream, done } = passThrough(body, opts, (bytes) => {
    if (headBytes < opts.budgetBytes) {
      const part = bytes.subarray(0, opts.budgetBytes - headBytes);
      head.push(part.slice());
      headBytes += part.byteLength;
    }
    tail.push(bytes.slice(Math.max(0, bytes.byteLength - TAIL_BYTES)));
    tailBytes += Math.min(bytes.byteLength, TAIL_BYTES);
    // Keep the window near TAIL_BYTES: drop whole chunks from its front once they are not needed.
    while (tail.length > 1 && tailBytes - tail[0]!.byteLength >= TAIL_BYTES) tailBytes -= tail.shift()!.byteLength;
  });
  return {
    stream,
    done: done.then((outcome) => {
      const text = new TextDecoder().decode(Buffer.concat(head), { stream: true });
      const over = outcome.bytes > opts.budgetBytes;
      // The window may start inside a character: decoding with replacement there costs nothing that matters.
      const end = over ? new TextDecoder().decode(Buffer.concat(tail)) : null;
      tail = [];
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
