/**
 * The log's view of a streamed response. The client's stream pulls from the backend one chunk at a
 * time, only when the client has room for it, and each chunk is shown to the log on its way out
 * untouched. Unlike `tee()`, which reads the backend as fast as the faster branch, this keeps the
 * proxy's memory bounded when a client stops reading (a tee held a whole 200 MB answer).
 */
import { JsonText, type LoggedJson } from '../json.ts';
import { SseReader, StreamAssembler, type StreamResult } from '../openai/stream.ts';

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

function passThrough(
  body: ReadableStream<Uint8Array>,
  startedAt: number,
  onChunk: (bytes: Uint8Array) => void,
): PassThrough<CaptureOutcome> {
  const reader = body.getReader();
  let firstChunkAt: number | null = null;
  let bytes = 0;
  let settle!: (outcome: CaptureOutcome) => void;
  const done = new Promise<CaptureOutcome>((resolve) => (settle = resolve));
  // The first call wins: an error followed by the client's cancel records the error.
  const end = (error: string | null) => settle({ firstChunkAt, endedAt: performance.now() - startedAt, bytes, error });
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        end(`backend stream failed: ${err instanceof Error ? err.message : String(err)}`);
        controller.error(err);
        return;
      }
      if (chunk.done) {
        end(null);
        controller.close();
        return;
      }
      firstChunkAt ??= performance.now() - startedAt;
      bytes += chunk.value.byteLength;
      try {
        onChunk(chunk.value);
      } catch {
        // The log's parser never holds back the client's bytes.
      }
      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      end(CLIENT_GONE);
      return reader.cancel(reason);
    },
  });
  return { stream, done };
}

/** Passes an SSE body through and assembles the log's view of it. */
export function captureSse(body: ReadableStream<Uint8Array>, opts: { startedAt: number; chunkBudgetBytes: number }): PassThrough<SseCapture> {
  const sse = new SseReader(new StreamAssembler(opts.chunkBudgetBytes));
  const { stream, done } = passThrough(body, opts.startedAt, (bytes) => sse.push(bytes));
  return {
    stream,
    done: done.then((outcome) => {
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
export function captureBytes(body: ReadableStream<Uint8Array>, opts: { startedAt: number }): PassThrough<CaptureOutcome> {
  return passThrough(body, opts.startedAt, () => {});
}

export interface TextCapture extends CaptureOutcome {
  /** The body's start as text: at most `budgetBytes` of it (and a little more to end a character). */
  text: string;
}

/** Passes a text body through and keeps a bounded copy of its start for the log. */
export function captureText(body: ReadableStream<Uint8Array>, opts: { startedAt: number; budgetBytes: number }): PassThrough<TextCapture> {
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  const { stream, done } = passThrough(body, opts.startedAt, (bytes) => {
    if (keptBytes >= opts.budgetBytes) return;
    const part = bytes.subarray(0, opts.budgetBytes - keptBytes);
    // A copy: the chunk itself belongs to the client's stream.
    kept.push(part.slice());
    keptBytes += part.byteLength;
  });
  // `stream: true` leaves out a character cut at the budget instead of ending with U+FFFD.
  return { stream, done: done.then((outcome) => ({ ...outcome, text: new TextDecoder().decode(Buffer.concat(kept), { stream: true }) })) };
}

/**
 * A body for the log: JSON kept as its text (no second serialisation on the way to the store),
 * other text as a string; cut with a marker past the budget.
 */
export function bodyForLog(text: string, byteLength: number, budget: number, isJson: boolean): LoggedJson {
  if (byteLength > budget) return { _truncated: true, bytes: byteLength, preview: text.slice(0, budget) };
  return isJson ? new JsonText(text) : text;
}
