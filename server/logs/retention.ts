/**
 * Log retention, off the request path: about once a minute, entries past LOG_RETENTION_DAYS or
 * beyond LOG_MAX_ROWS and per-minute rollups past their use are deleted, in small batches with
 * pauses between them, so that deleting a million old entries never stalls the proxy; then the
 * store's size is taken (for /health and the dashboard).
 */
import { MINUTE_ROLLUP_KEEP_DAYS } from '../stats/rollup.ts';
import type { LogFilter, Store, StoreSize } from '../store/types.ts';
import { deleteInBatches } from './delete.ts';

export interface RetentionOptions {
  store: Store;
  /** 0 keeps logs forever. */
  retentionDays: number;
  maxRows: number | null;
  /** How often size and retention run. */
  sweepEveryMs?: number;
  /** Rows per delete, and the pause between two deletes. */
  batchSize?: number;
  pauseMs?: number;
  report?: (message: string) => void;
}

export interface RetentionStatus {
  size: StoreSize | null;
  sizeCheckedAt: Date | null;
  retentionDeleted: number;
}

const DAY_MS = 86_400_000;

export class Retention {
  private sweepTimer: Timer | null = null;
  private sweeping: Promise<void> | null = null;
  /** A sweep asked for while one ran: it starts when that one ends (at most one waits). */
  private queued: Promise<void> | null = null;
  private stopped = false;
  private sweepFailing = false;
  private readonly state: RetentionStatus = { size: null, sizeCheckedAt: null, retentionDeleted: 0 };
  private readonly report: (message: string) => void;

  constructor(private readonly opts: RetentionOptions) {
    this.report = opts.report ?? ((m) => console.error(m));
  }

  start(): void {
    this.stopped = false;
    void this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), this.opts.sweepEveryMs ?? 60_000);
    // Housekeeping alone must not keep the process alive.
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.queued;
    await this.sweeping;
  }

  status(): RetentionStatus {
    return { ...this.state };
  }

  /** Retention, then the size; one at a time. Resolves when done (tests await it). */
  sweep(): Promise<void> {
    if (this.sweeping) {
      // The running sweep may have measured the store before what the caller just wrote: one more
      // sweep after it sees the store as it is now. Callers in the meantime share that one.
      this.queued ??= this.sweeping.then(() => {
        this.queued = null;
        return this.stopped ? undefined : this.sweep();
      });
      return this.queued;
    }
    this.sweeping = this.runSweep().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async runSweep(): Promise<void> {
    const { store, retentionDays, maxRows } = this.opts;
    try {
      if (retentionDays > 0) {
        await this.deleteInBatches({ to: new Date(Date.now() - retentionDays * DAY_MS) }, Number.POSITIVE_INFINITY);
      }
      // Per-minute detail older than any sub-hour window can show; the hourly rollups stay.
      await store.deleteRollups({ size: 60, before: new Date(Date.now() - MINUTE_ROLLUP_KEEP_DAYS * DAY_MS) });
      let size = await store.size();
      if (maxRows !== null && size.logRows > maxRows) {
        await this.deleteInBatches({}, size.logRows - maxRows);
      }
      // The disk space the deletes freed goes back (SQLite: a few pages at a time).
      if (!this.stopped) await store.compact();
      size = await store.size();
      this.state.size = size;
      this.state.sizeCheckedAt = new Date();
      if (this.sweepFailing) this.report('[store] retention sweep works again');
      this.sweepFailing = false;
    } catch (err) {
      // Said once per outage, not once a minute.
      if (!this.sweepFailing) this.report(`[store] retention sweep failed, will retry every sweep: ${String(err)}`);
      this.sweepFailing = true;
    }
  }

  /** Deletes up to `max` entries matching the filter, oldest first, a batch at a time. */
  private deleteInBatches(filter: LogFilter, max: number): Promise<number> {
    return deleteInBatches(this.opts.store, filter, max, {
      batchSize: this.opts.batchSize,
      pauseMs: this.opts.pauseMs,
      stopped: () => this.stopped,
      onDeleted: (n) => (this.state.retentionDeleted += n),
    });
  }
}
