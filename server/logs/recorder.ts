/**
 * The log pipeline between a finished exchange and the store: `record()` only queues (it never
 * throws and never waits), a background loop writes batches, and each written row is handed to
 * `onWritten` for the live tail. A failing store is retried with backoff while the queue is
 * bounded; `drain()` is awaited at shutdown and in tests.
 *
 * Written rows are also counted into the dashboard's rollups, once per row, by the RollupWriter
 * (rollup-writer.ts): rollups are added only after the rows are stored.
 */
import { isStoreOutage } from '../store/outage.ts';
import type { LogRow, Store } from '../store/types.ts';
import { RollupWriter } from './rollup-writer.ts';
import type { LogSpool } from './spool.ts';

export interface RecorderOptions {
  store: Store;
  /** Rows waiting beyond this are dropped oldest first, and counted. */
  maxQueue: number;
  batchSize?: number;
  /** How long the first row of a batch may wait for others. */
  flushDelayMs?: number;
  /** Backoff after a failed write: base × 2^failures, capped; tests shorten it. */
  retryBaseMs?: number;
  maxBackoffMs?: number;
  /**
   * A write the store has not answered within this is taken for an outage and retried (inserts are
   * idempotent by id, so one that lands late does no harm): a connection the store left hanging
   * never stalls the pipeline. WRITE_TIMEOUT_MS by default; tests shorten it.
   */
  writeTimeoutMs?: number;
  onWritten?: (rows: LogRow[]) => void;
  /** Where failures are reported; the console by default. */
  report?: (message: string) => void;
  /**
   * Where entries go while the store cannot take them (spool.ts): past the queue's high-water
   * mark, and all but one batch once a write failed for an outage. Replayed when the store answers.
   */
  spool?: LogSpool;
}

export interface RecorderStatus {
  queueDepth: number;
  written: number;
  dropped: number;
  writeFailures: number;
  storeOk: boolean;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** When the current run of failed writes began; null while writes succeed. */
  failingSince: Date | null;
  /** Entries in the spool, waiting to be replayed (0 without a spool), and what it dropped when full. */
  spooled: number;
  spoolBytes: number;
  spoolDropped: number;
  /** SPOOL_MAX_BYTES, or null without a spool (then the queue alone holds entries during an outage). */
  spoolMaxBytes: number | null;
  /** Set while the spool's disk refuses writes (its entries then wait in memory): the error. */
  spoolFailing: string | null;
}

const MAX_BACKOFF_MS = 5_000;
const WRITE_TIMEOUT_MS = 15_000;

/** A write the store did not answer in time: an outage (store/outage.ts), so the rows wait and are retried. */
export class StoreWriteTimeout extends Error {
  constructor(ms: number) {
    super(`the store did not answer a log write within ${ms / 1000} s`);
  }
}

/** The promise, or a StoreWriteTimeout after `ms` (the write itself goes on; its outcome is ignored). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: Timer | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreWriteTimeout(ms)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
/** With backoff this keeps a refused row for about half a minute of retries. */
const MAX_ROW_ATTEMPTS = 12;

export class LogRecorder {
  private queue: LogRow[] = [];
  private timer: Timer | null = null;
  private writing: Promise<void> | null = null;
  private failuresInARow = 0;
  private rowAttempts = new WeakMap<LogRow, number>();
  private readonly rollups: RollupWriter;
  /** While set, new rows go to the spool (after their elders), until a replay empties it. */
  private spooling = false;
  private replaying: Promise<void> | null = null;
  private replayTimer: Timer | null = null;
  private replayFailures = 0;
  private replayFailuresTotal = 0;
  private readonly stats: Omit<RecorderStatus, 'queueDepth' | 'spooled' | 'spoolBytes' | 'spoolDropped' | 'spoolMaxBytes' | 'spoolFailing'> = {
    written: 0, dropped: 0, writeFailures: 0, storeOk: true, lastError: null, lastErrorAt: null, failingSince: null,
  };
  private readonly batchSize: number;
  private readonly flushDelayMs: number;
  private readonly report: (message: string) => void;

  constructor(private readonly opts: RecorderOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.flushDelayMs = opts.flushDelayMs ?? 20;
    this.report = opts.report ?? ((m) => console.error(m));
    this.rollups = new RollupWriter({ store: opts.store, report: this.report, maxAttempts: MAX_ROW_ATTEMPTS });
    // A spool left by an earlier run (an outage, a crash) is replayed once the store answers.
    if (opts.spool && !opts.spool.empty) {
      this.spooling = true;
      this.scheduleReplay(0);
    }
  }

  /** Past this the queue spills to the spool rather than dropping its oldest rows. */
  private get highWater(): number {
    return Math.floor(this.opts.maxQueue * 0.8);
  }

  record(row: LogRow): void {
    const spool = this.opts.spool;
    if (spool && (this.spooling || this.queue.length >= this.highWater)) {
      if (!this.spooling) this.report(`[logs] the log queue passed ${this.highWater} entries: spooling to disk until the store catches up`);
      this.spooling = true;
      spool.append([row]);
      this.scheduleReplay(this.replayDelay());
      return;
    }
    this.queue.push(row);
    if (this.queue.length > this.opts.maxQueue) {
      const over = this.queue.length - this.opts.maxQueue;
      this.queue.splice(0, over);
      if (this.stats.dropped === 0) this.report(`[logs] queue full (${this.opts.maxQueue}): dropping the oldest entries`);
      this.stats.dropped += over;
    }
    this.schedule(this.queue.length >= this.batchSize ? 0 : this.flushDelayMs);
  }

  status(): RecorderStatus {
    const spool = this.opts.spool?.status();
    return {
      queueDepth: this.queue.length, ...this.stats,
      spooled: spool?.rows ?? 0, spoolBytes: spool?.bytes ?? 0, spoolDropped: spool?.dropped ?? 0, spoolMaxBytes: spool?.maxBytes ?? null, spoolFailing: spool?.failing ?? null,
    };
  }

  /** Writes everything queued; gives up after `timeoutMs` (at least one second) if the store keeps failing. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + Math.max(timeoutMs, 1_000);
    // Every wait is bounded by the deadline: a store that hangs cannot hold a shutdown past it.
    const within = <T>(work: Promise<T>) => Promise.race([work, Bun.sleep(Math.max(0, deadline - Date.now())).then(() => undefined)]);
    const spool = this.opts.spool;
    // Once a write or a replay fails here the spool takes what waits, at once: a restart replays it,
    // and a shutdown does not spend its grace period on retries an outage will refuse.
    const before = { writes: this.stats.writeFailures, replays: this.replayFailuresTotal };
    const failing = () => this.stats.writeFailures > before.writes || this.replayFailuresTotal > before.replays;
    while ((this.queue.length > 0 || this.writing) && Date.now() < deadline) {
      if (spool && failing()) {
        if (this.writing) await within(this.writing);
        if (failing()) {
          spool.append(this.queue.splice(0));
          break;
        }
      }
      if (this.timer) (clearTimeout(this.timer), (this.timer = null));
      await within(this.writing ?? this.writeBatch());
      if (this.queue.length > 0 && this.failuresInARow > 0) await Bun.sleep(Math.max(0, Math.min(200, deadline - Date.now())));
    }
    // The spool is written out (a restart replays it); while the store answers, it is replayed now.
    if (spool) {
      await spool.flush();
      while (!spool.empty && !failing() && Date.now() < deadline) {
        if (!(await within(this.replayOnce()))) break;
      }
      await spool.flush();
    }
    if (!this.writing && !failing()) await within(this.rollups.flush());
    if (this.queue.length > 0) this.report(`[logs] ${this.queue.length} entries could not be written before shutdown`);
  }

  private replayDelay(): number {
    return Math.min(this.opts.maxBackoffMs ?? MAX_BACKOFF_MS, (this.opts.retryBaseMs ?? 100) * 2 ** this.replayFailures);
  }

  private scheduleReplay(delayMs: number): void {
    if (this.replayTimer || this.replaying) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.replaying = this.replay().finally(() => (this.replaying = null));
    }, delayMs);
    // Retrying alone must not keep the process alive (drain() replays at shutdown).
    this.replayTimer.unref();
  }

  /** Replays the spool chunk by chunk while the store takes it; tries again later when it does not. */
  private async replay(): Promise<void> {
    while (await this.replayOnce()) await Bun.sleep(1);
    const spool = this.opts.spool!;
    if (!spool.empty) this.scheduleReplay(this.replayDelay());
  }

  /**
   * One chunk of the spool into the store; false when the spool is empty or the store refused it.
   * One at a time (the timer's replay and drain() may both ask): a chunk is taken until acked.
   */
  private replayOnce(): Promise<boolean> {
    const run = this.replayChain.then(() => this.replayChunk());
    this.replayChain = run.then(() => undefined, () => undefined);
    return run;
  }

  private replayChain: Promise<void> = Promise.resolve();

  private async replayChunk(): Promise<boolean> {
    const spool = this.opts.spool!;
    const chunk = await spool.next();
    if (!chunk) {
      if (spool.empty) {
        if (this.spooling) this.report('[logs] the spool is replayed: new entries go to the store again');
        this.spooling = false;
      }
      return false;
    }
    try {
      if (chunk.rows.length > 0) {
        await within(this.opts.store.insertLogs(chunk.rows), this.opts.writeTimeoutMs ?? WRITE_TIMEOUT_MS);
        await this.rollups.add(chunk.rows);
      }
      chunk.ack();
      this.replayFailures = 0;
      this.succeeded(chunk.rows);
      return true;
    } catch (err) {
      this.replayFailures++;
      this.replayFailuresTotal++;
      this.stats.lastError = String(err);
      this.stats.lastErrorAt = new Date();
      return false;
    }
  }

  private schedule(delayMs: number): void {
    if (this.writing) return; // the running write reschedules when it ends
    if (this.timer) {
      // A full batch may cut the wait short, but never a backoff after a failed write.
      if (delayMs > 0 || this.failuresInARow > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeBatch();
    }, delayMs);
  }

  private writeBatch(): Promise<void> {
    if (this.writing || this.queue.length === 0) return this.writing ?? Promise.resolve();
    const batch = this.queue.splice(0, this.batchSize);
    this.writing = this.write(batch).finally(() => {
      this.writing = null;
      if (this.queue.length > 0) {
        const backoff = (this.opts.retryBaseMs ?? 100) * 2 ** this.failuresInARow;
        this.schedule(this.failuresInARow > 0 ? Math.min(this.opts.maxBackoffMs ?? MAX_BACKOFF_MS, backoff) : 0);
      }
    });
    return this.writing;
  }

  private async write(batch: LogRow[]): Promise<void> {
    try {
      await within(this.opts.store.insertLogs(batch), this.opts.writeTimeoutMs ?? WRITE_TIMEOUT_MS);
      await this.rollups.add(batch);
      this.succeeded(batch);
      return;
    } catch (err) {
      this.stats.writeFailures++;
      this.stats.lastError = String(err);
      this.stats.lastErrorAt = new Date();
      // A full disk, an I/O error or a lost connection is the store's outage, not the rows' fault:
      // all of them wait (smaller rows may still fit a full disk; larger ones must not be dropped for it).
      if (isStoreOutage(err) || !(await this.storeReachable())) return this.retryLater(batch, err);
      // The store answers: find out whether it refuses some rows or every row.
      let parts: Awaited<ReturnType<LogRecorder['writeOneByOne']>>;
      try {
        parts = await this.writeOneByOne(batch);
      } catch (outage) {
        // The store went down halfway: the whole batch waits (rows written meanwhile are ignored on
        // the retry, inserts being idempotent by id, and their rollups are added once, then).
        return this.retryLater(batch, outage);
      }
      const { written, refused } = parts;
      if (written.length > 0) {
        await this.rollups.add(written);
        this.succeeded(written);
      }
      const retry: LogRow[] = [];
      const dropped: [LogRow, unknown][] = [];
      for (const [row, rowErr] of refused) {
        const attempts = (this.rowAttempts.get(row) ?? 0) + 1;
        // Other rows going in shows the store works, so this row is bad in itself. When none go in
        // (read-only, disk full) a row is kept for a while, but not forever: it would block the queue.
        if (written.length > 0 || attempts >= MAX_ROW_ATTEMPTS) dropped.push([row, rowErr]);
        else {
          this.rowAttempts.set(row, attempts);
          retry.push(row);
        }
      }
      if (dropped.length > 0) {
        this.stats.dropped += dropped.length;
        const [[first, firstErr]] = dropped as [[LogRow, unknown]];
        const more = dropped.length > 1 ? ` and ${dropped.length - 1} more` : '';
        this.report(`[logs] the store refused log entry ${first.id}${more}; dropped: ${String(firstErr)}`);
      }
      if (retry.length > 0) this.retryLater(retry, err);
    }
  }

  private retryLater(rows: LogRow[], err: unknown): void {
    this.failuresInARow++;
    this.stats.storeOk = false;
    this.stats.failingSince ??= new Date();
    if (this.failuresInARow === 1) this.report(`[logs] store write failed, will retry: ${String(err)}`);
    this.requeue(rows);
    // The store is out: every entry waits on disk, where a crash or a long outage cannot take it,
    // and the replay (with its backoff) is what tries the store again.
    const spool = this.opts.spool;
    if (spool) {
      if (!this.spooling) this.report('[logs] spooling log entries to disk until the store answers');
      this.spooling = true;
      spool.append(this.queue.splice(0));
      this.scheduleReplay(this.replayDelay());
    }
  }

  private async writeOneByOne(batch: LogRow[]) {
    const written: LogRow[] = [];
    const refused: [LogRow, unknown][] = [];
    for (const row of batch) {
      try {
        await this.opts.store.insertLogs([row]);
        written.push(row);
      } catch (err) {
        if (isStoreOutage(err)) throw err;
        refused.push([row, err]);
      }
    }
    return { written, refused };
  }

  private succeeded(rows: LogRow[]): void {
    if (this.failuresInARow > 0) this.report('[logs] store writes succeed again');
    if (this.opts.spool && this.spooling) this.scheduleReplay(0);
    this.failuresInARow = 0;
    this.stats.storeOk = true;
    this.stats.failingSince = null;
    this.stats.written += rows.length;
    if (rows.length > 0 && this.opts.onWritten) {
      try {
        this.opts.onWritten(rows);
      } catch (err) {
        this.report(`[logs] live tail publish failed: ${String(err)}`);
      }
    }
  }

  private requeue(batch: LogRow[]): void {
    this.queue.unshift(...batch);
    const over = this.queue.length - this.opts.maxQueue;
    if (over > 0) {
      this.queue.splice(0, over);
      this.stats.dropped += over;
    }
  }

  private async storeReachable(): Promise<boolean> {
    try {
      await this.opts.store.ping();
      return true;
    } catch {
      return false;
    }
  }
}
