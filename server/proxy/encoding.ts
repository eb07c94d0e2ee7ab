/**
 * Compressed answers. The proxy asks the backend for what the client accepts and never lets fetch
 * inflate the answer: a client that accepts the answer's coding gets the backend's compressed bytes
 * as they come, and the proxy inflates a copy as a stream (InflateTap), for the log and for the key
 * mask; a client that does not gets them inflated as a stream (inflated()). Either way inflation
 * runs at the client's pace with a few small buffers, so a decompression bomb (200 KB that inflates
 * to 200 MB) costs CPU time, never the memory of what it inflates to.
 */
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';

export type Coding = 'gzip' | 'deflate' | 'br' | 'zstd';

/** An answer's Content-Encoding: null for none, 'other' for one the proxy cannot inflate (or several in a row). */
export function codingOf(header: string | null): Coding | 'other' | null {
  if (header === null) return null;
  const value = header.trim().toLowerCase();
  if (value === '' || value === 'identity') return null;
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate' || value === 'br' || value === 'zstd') return value;
  return 'other';
}

/**
 * Whether the client's Accept-Encoding takes the coding (RFC 9110 §12.5.3: named or `*`, with a
 * q-value above 0). A client that sends none is taken to want the answer as it is meant (identity):
 * curl without --compressed, for one, cannot read gzip.
 */
export function accepts(header: string | string[] | undefined, coding: Coding): boolean {
  if (header === undefined) return false;
  let star = false;
  for (const part of (typeof header === 'string' ? header : header.join(',')).split(',')) {
    const [name = '', ...params] = part.split(';');
    const token = name.trim().toLowerCase();
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (token === coding || (coding === 'gzip' && token === 'x-gzip')) return ok;
    if (token === '*') star = ok;
  }
  return star;
}

/** A zlib, Brotli or Zstandard inflater (all have flush()). */
type Inflater = Transform & { flush(callback: () => void): void };

function decoder(coding: Coding): Inflater {
  switch (coding) {
    case 'gzip': return zlib.createGunzip();
    case 'deflate': return zlib.createInflate();
    case 'br': return zlib.createBrotliDecompress();
    case 'zstd': return zlib.createZstdDecompress();
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The body inflated, as a stream the client pulls: the next compressed chunk is read only when the
 * inflater has room, so no more than its small buffers are held however far a chunk inflates.
 * A body that does not inflate fails the stream (as a broken backend stream does).
 */
export function inflated(body: ReadableStream<Uint8Array>, coding: Coding): ReadableStream<Uint8Array> {
  const d = decoder(coding);
  const reader = body.getReader();
  const out = d[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let feeding: Promise<void> | null = null;
  const feed = async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return void d.end();
        if (!d.write(chunk.value)) await new Promise<void>((resolve) => d.once('drain', resolve).once('close', resolve));
        if (d.destroyed) return;
      }
    } catch (err) {
      d.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      feeding ??= feed();
      const next = await out.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      d.destroy();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Inflates a copy of compressed chunks that pass on as they are: push() resolves once the plain
 * bytes of that chunk have gone to `onPlain` (so that a chunk is checked before it is sent). Stops
 * inflating (the copy needs no more) past `limit` plain bytes. A copy that does not inflate ends
 * the copy, not the answer: `failed` says why.
 */
export class InflateTap {
  failed: string | null = null;
  private plainBytes = 0;
  private readonly d: Inflater;
  private settle: (() => void) | null = null;

  constructor(coding: Coding, private readonly onPlain: (bytes: Uint8Array) => void, private readonly limit = Infinity) {
    this.d = decoder(coding);
    this.d.on('data', (bytes: Buffer) => {
      if (this.stopped) return;
      this.plainBytes += bytes.byteLength;
      this.onPlain(bytes);
    });
    this.d.on('error', (err) => {
      this.failed = `the answer's ${coding} data does not inflate: ${message(err)}`;
      this.wake();
    });
  }

  private get stopped(): boolean {
    return this.failed !== null || this.plainBytes >= this.limit;
  }

  private wake(): void {
    const settle = this.settle;
    this.settle = null;
    settle?.();
  }

  push(chunk: Uint8Array): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.settle = resolve;
      this.d.write(chunk);
      this.d.flush(() => this.wake());
    });
  }

  /** The compressed body ended: whatever the inflater still holds goes to `onPlain`. */
  end(): Promise<void> {
    if (this.stopped) {
      this.d.destroy();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.settle = resolve;
      this.d.once('end', () => this.wake());
      this.d.end();
      this.d.resume();
    });
  }

  /** The body was abandoned. */
  close(): void {
    this.d.destroy();
    this.wake();
  }
}
