/**
 * The log's copy of a response. A streamed body is split with `tee()`: the client's branch goes out
 * untouched as bytes arrive, the other is parsed here off the response path. Non-SSE bodies that are
 * not JSON or text are passed the same way and only counted.
 */
import { type Json, JsonText, type LoggedJson } from '../store/types.ts';
import { SseReader, StreamAssembler, type StreamResult } from './sse.ts';

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

/** Reads the log branch to its end (or failure) and never throws. */
export async function captureSse(
  branch: ReadableStream<Uint8Array>,
  opts: { startedAt: number; chunkBudgetBytes: number; clientSignal: AbortSignal },
): Promise<SseCapture> {
  const sse = new SseReader(new StreamAssembler(opts.chunkBudgetBytes));
  const outcome = await drain(branch, opts, (bytes) => sse.push(bytes));
  let result: StreamResult;
  try {
    result = sse.end();
  } catch (err) {
    result = { chunks: [], chunksTruncated: false, text: null, body: null, usage: null, error: `log assembly failed: ${String(err)}` };
  }
  return { ...outcome, result };
}

/** Counts a passed-through binary body; keeps none of it. */
export function captureBytes(
  branch: ReadableStream<Uint8Array>,
  opts: { startedAt: number; clientSignal: AbortSignal },
): Promise<CaptureOutcome> {
  return drain(branch, opts, () => {});
}

async function drain(
  branch: ReadableStream<Uint8Array>,
  opts: { startedAt: number; clientSignal: AbortSignal },
  onChunk: (bytes: Uint8Array) => void,
): Promise<CaptureOutcome> {
  let firstChunkAt: number | null = null;
  let bytes = 0;
  let error: string | null = null;
  const reader = branch.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      firstChunkAt ??= performance.now() - opts.startedAt;
      bytes += value.byteLength;
      onChunk(value);
    }
  } catch (err) {
    error = opts.clientSignal.aborted
      ? 'client disconnected before the stream ended; the backend request was cancelled'
      : `backend stream failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  return { firstChunkAt, endedAt: performance.now() - opts.startedAt, bytes, error };
}

/**
 * A body for the log: JSON kept as its text (no second serialisation on the way to the store),
 * other text as a string; cut with a marker past the budget.
 */
export function bodyForLog(text: string, byteLength: number, budget: number, isJson: boolean): LoggedJson {
  if (byteLength > budget) return { _truncated: true, bytes: byteLength, preview: text.slice(0, budget) };
  return isJson ? new JsonText(text) : text;
}

/** The parsed body when it is JSON, else undefined. */
export function tryParse(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}
