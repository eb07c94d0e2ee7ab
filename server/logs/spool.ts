/**
 * The log spool: where entries go when the store cannot take them (it is down, or the queue is past
 * its high-water mark), so that an outage loses none. Append-only JSON lines in DATA_DIR/spool, in
 * numbered segments; appends are batched and fsynced together (off the event loop). Replay reads
 * the oldest segment a chunk at a time and remembers how far it got (`<segment>.done`, renamed into
 * place), so that a restart goes on from there; a segment is deleted once all of it is stored.
 * Bounded by SPOOL_MAX_BYTES: past it the oldest segment goes, and its entries are counted as dropped.
 *
 * A disk that refuses the spool too (full, failing) loses nothing either: the lines stay in memory
 * (at most `maxMemoryRows`, LOG_QUEUE_MAX, and past that the oldest are dropped and counted), a
 * partly written append is cut back off the file, and the write is tried again every second.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogRow } from '../store/types.ts';

const FLUSH_MS = 50;
/** How soon a write the disk refused is tried again. */
const RETRY_MS = 1_000;
/** A replay chunk: at most this many bytes of lines. */
const CHUNK_BYTES = 256 * 1024;

interface Segment {
  seq: number;
  path: string;
  bytes: number;
  /** Lines in it (all appended), and how far replay has stored them. */
  rows: number;
  doneBytes: number;
  doneRows: number;
}

export interface SpoolStatus {
  /** Entries in the spool, not yet stored. */
  rows: number;
  bytes: number;
  /** Entries the spool dropped because it was full (SPOOL_MAX_BYTES). */
  dropped: number;
  maxBytes: number;
  /** Set while the disk refuses the spool: the error, and the entries waiting in memory meanwhile. */
  failing: string | null;
}

const segName = (seq: number) => `${String(seq).padStart(10, '0')}.jsonl`;

/** A spooled line back to a row: the timestamp was written as ISO text. */
function rowOf(line: string): LogRow {
  const row = JSON.parse(line) as LogRow & { timestamp: string };
  return { ...row, timestamp: new Date(row.timestamp) };
}

export class LogSpool {
  private readonly segments: Segment[] = [];
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: Timer | null = null;
  private flushing: Promise<void> | null = null;
  private handle: { seq: number; file: FileHandle } | null = null;
  private dropped = 0;
  private readonly segmentBytes: number;
  private failing: string | null = null;
  private retryTimer: Timer | null = null;

  constructor(private readonly opts: { dir: string; maxBytes: number; maxMemoryRows?: number; report?: (message: string) => void }) {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.segmentBytes = Math.max(64 * 1024, Math.floor(opts.maxBytes / 8));
    for (const name of readdirSync(opts.dir).filter((n) => /^\d{10}\.jsonl$/.test(n)).sort()) {
      const path = join(opts.dir, name);
      const bytes = readFileSync(path);
      const done = Math.min(this.readDone(path), bytes.length);
      // Lines, counted on the bytes (the done mark is a byte offset).
      const lines = (b: Uint8Array) => b.reduce((n, c) => n + (c === 10 ? 1 : 0), 0);
      const cut = bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? 1 : 0;
      this.segments.push({ seq: Number(name.slice(0, 10)), path, bytes: bytes.length, rows: lines(bytes) + cut, doneBytes: done, doneRows: lines(bytes.subarray(0, done)) });
    }
  }

  status(): SpoolStatus {
    const rows = this.segments.reduce((n, s) => n + s.rows - s.doneRows, 0) + this.pending.length;
    const bytes = this.segments.reduce((n, s) => n + s.bytes - s.doneBytes, 0) + this.pendingBytes;
    return { rows, bytes, dropped: this.dropped, maxBytes: this.opts.maxBytes, failing: this.failing };
  }

  get empty(): boolean {
    return this.status().rows === 0;
  }

  /** Queues the rows for the next batched write (never throws, never waits). */
  append(rows: readonly LogRow[]): void {
    for (const row of rows) {
      let line: string;
      try {
        line = `${JSON.stringify(row)}\n`;
      } catch {
        this.dropped++;
        continue;
      }
      this.pending.push(line);
      this.pendingBytes += Buffer.byteLength(line);
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, FLUSH_MS);
  }

  /** Writes and fsyncs what was appended; resolves when it is on disk. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.flushing = this.write(lines).finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(lines: string[]): Promise<void> {
    const text = Buffer.from(lines.join(''));
    let seg = this.segments.at(-1);
    try {
      if (!seg || seg.bytes >= this.segmentBytes || this.handle?.seq !== seg.seq) {
        if (!seg || seg.bytes >= this.segmentBytes) {
          seg = { seq: (seg?.seq ?? 0) + 1, path: '', bytes: 0, rows: 0, doneBytes: 0, doneRows: 0 };
          seg.path = join(this.opts.dir, segName(seg.seq));
          this.segments.push(seg);
        }
        await this.handle?.file.close();
        this.handle = null;
        this.handle = { seq: seg.seq, file: await open(seg.path, 'a', 0o600) };
      }
      // A nearly full disk may take part of a write without an error: the rest goes on, or fails.
      for (let at = 0; at < text.length;) {
        const { bytesWritten } = await this.handle.file.write(text, at, text.length - at);
        if (bytesWritten <= 0) throw new Error('the disk took none of the bytes (ENOSPC)');
        at += bytesWritten;
      }
      await this.handle.file.sync();
      seg.bytes += text.length;
      seg.rows += lines.length;
      if (this.failing) this.opts.report?.('[logs] the spool is written again');
      this.failing = null;
      this.enforceBound();
    } catch (err) {
      // Whatever part of the append reached the file is cut off again, so that no line is left half written.
      if (seg && this.handle?.seq === seg.seq) await this.handle.file.truncate(seg.bytes).catch(() => {});
      this.keepInMemory(lines, text.length, err);
    }
  }

  /** Lines the disk refused wait in memory, before any appended since, and are tried again soon. */
  private keepInMemory(lines: string[], bytes: number, err: unknown): void {
    this.pending = [...lines, ...this.pending];
    this.pendingBytes += bytes;
    const max = this.opts.maxMemoryRows ?? 10_000;
    if (this.pending.length > max) {
      const over = this.pending.splice(0, this.pending.length - max);
      this.pendingBytes -= over.reduce((n, l) => n + Buffer.byteLength(l), 0);
      this.dropped += over.length;
      this.opts.report?.(`[logs] the spool's disk still refuses writes and ${max} entries wait in memory: dropped the ${over.length} oldest`);
    }
    if (!this.failing) {
      this.opts.report?.(`[logs] the spool could not be written (${String(err)}): ${this.pending.length} entries wait in memory and are tried again every second`);
    }
    this.failing = String(err);
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** Past SPOOL_MAX_BYTES the oldest segment goes (never the one being written). */
  private enforceBound(): void {
    while (this.segments.length > 1 && this.segments.reduce((n, s) => n + s.bytes, 0) > this.opts.maxBytes) {
      const oldest = this.segments.shift()!;
      this.dropped += oldest.rows - oldest.doneRows;
      rmSync(oldest.path, { force: true });
      rmSync(`${oldest.path}.done`, { force: true });
      this.opts.report?.(`[logs] the spool is full (SPOOL_MAX_BYTES): dropped ${oldest.rows - oldest.doneRows} of its oldest entries`);
    }
  }

  /**
   * The oldest entries not yet stored, at most a chunk; `ack()` once they are stored (replay then
   * goes on after them, also after a restart). Null when the spool is empty.
   */
  async next(): Promise<{ rows: LogRow[]; ack: () => void } | null> {
    await this.flush();
    const seg = this.segments[0];
    if (!seg) return null;
    if (seg.doneBytes >= seg.bytes) {
      // Wholly stored: gone, unless it is still being appended to.
      if (this.handle?.seq === seg.seq) return null;
      this.segments.shift();
      rmSync(seg.path, { force: true });
      rmSync(`${seg.path}.done`, { force: true });
      return this.next();
    }
    const fd = openSync(seg.path, 'r');
    const buf = Buffer.alloc(Math.min(CHUNK_BYTES, seg.bytes - seg.doneBytes));
    const n = readSync(fd, buf, 0, buf.length, seg.doneBytes);
    closeSync(fd);
    const text = buf.subarray(0, n).toString('utf8');
    const lastBreak = text.lastIndexOf('\n');
    // Whole lines only; a line longer than a chunk is read whole.
    const chunk = lastBreak >= 0 ? text.slice(0, lastBreak + 1) : readLineAt(seg.path, seg.doneBytes);
    const rows: LogRow[] = [];
    let bad = 0;
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      try {
        rows.push(rowOf(line));
      } catch {
        bad++;
      }
    }
    if (bad > 0) this.opts.report?.(`[logs] ${bad} spooled entries could not be read and are skipped`);
    const chunkBytes = Buffer.byteLength(chunk);
    return {
      rows,
      ack: () => {
        seg.doneBytes += chunkBytes;
        seg.doneRows += rows.length + bad;
        this.writeDone(seg);
      },
    };
  }

  private readDone(path: string): number {
    try {
      return Number(readFileSync(`${path}.done`, 'utf8')) || 0;
    } catch {
      return 0;
    }
  }

  private writeDone(seg: Segment): void {
    const tmp = `${seg.path}.done.tmp`;
    writeFileSync(tmp, String(seg.doneBytes), { mode: 0o600 });
    renameSync(tmp, `${seg.path}.done`);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = null;
    await this.flush();
    if (this.pending.length > 0) this.opts.report?.(`[logs] the spool's disk refuses writes: ${this.pending.length} entries are lost at shutdown`);
    await this.handle?.file.close();
    this.handle = null;
  }
}

/** One whole line from `offset` (for a line longer than a replay chunk). */
function readLineAt(path: string, offset: number): string {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(size - offset);
  readSync(fd, buf, 0, buf.length, offset);
  closeSync(fd);
  const text = buf.toString('utf8');
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end + 1);
}

