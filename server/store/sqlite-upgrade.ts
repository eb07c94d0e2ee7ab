/**
 * The background half of schema step 2 on an older SQLite file: its log entries (the legacy
 * `main.logs` table of 0.1.0 and 0.2.0) move into the v2 log file in small pieces while the server
 * serves, oldest first. A piece copies entries (plain SQL, column to column: no body is parsed) and
 * records the last copied rowid in `logdb.upgrade`, in one transaction of the log file; reads take
 * legacy rows above that rowid only, so nothing is shown twice, and a restart goes on from there.
 * Once every entry is copied the legacy table is dropped and the main file (configs and rollups) is
 * vacuumed to its small size. (Deleting each piece's rows from the legacy table as it went was
 * measured too: at 1M entries it made the pieces far slower than one drop at the end.)
 */
import type { Database } from 'bun:sqlite';
import { Pacer } from './sqlite-log-writes.ts';
import { hasLegacyLogs, legacyDetailColumns, legacySummaryColumns } from './sqlite-logs.ts';

const LEGACY_MOVED = 'legacy_moved_rowid';
/** Between two pieces (of about 4 ms each): new log entries and deletes go first. */
const PAUSE_MS = 2;
/** How often the backlog is reported to the store (the health answer shows it). */
const PROGRESS_MS = 100;

export class LegacyMove {
  private pendingRows = 0;
  private stopped = false;
  private readonly pacer = new Pacer(200, 10, 5_000);
  /** Resolves when the move is over: done, nothing to do, or stopped. */
  readonly done: Promise<void>;

  constructor(private readonly db: Database, private readonly opts: { path: string; report: (message: string) => void; progress: (pending: number) => void }) {
    const legacy = hasLegacyLogs(db);
    if (legacy) this.pendingRows = this.backlog();
    this.done = legacy ? this.run() : Promise.resolve();
  }

  /** Entries still to copy. */
  get pending(): number {
    return this.pendingRows;
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }

  private moved(): number {
    return (this.db.query('SELECT value FROM logdb.upgrade WHERE key = ?').get(LEGACY_MOVED) as { value: number } | null)?.value ?? 0;
  }

  /**
   * Entries left to move, from the rowid range, not COUNT(*): counting a many-GB table would take
   * seconds. (Gaps that retention left make it an upper bound; it is 0 when the table is empty.)
   */
  private backlog(): number {
    const hi = (this.db.query('SELECT max(rowid) AS hi FROM main.logs').get() as { hi: number | null }).hi;
    const lo = (this.db.query('SELECT min(rowid) AS lo FROM main.logs WHERE rowid > ?').get(this.moved()) as { lo: number | null }).lo;
    return lo === null || hi === null ? 0 : hi - lo + 1;
  }

  private async run(): Promise<void> {
    // Let the store finish opening first.
    await Bun.sleep(0);
    const total = this.pendingRows;
    const started = performance.now();
    if (total > 0) this.opts.report(`Moving up to ${total} log entries of ${this.opts.path} to the new log file in the background`);
    const copy = this.db.transaction((from: number, to: number) => {
      this.db.query(`INSERT OR IGNORE INTO logdb.logs (${legacySummaryColumns}) SELECT ${legacySummaryColumns} FROM main.logs WHERE rowid > ? AND rowid <= ?`).run(from, to);
      this.db.query(`INSERT OR IGNORE INTO logdb.log_bodies (rid, ${legacyDetailColumns.join(', ')})
        SELECT n.rowid, ${legacyDetailColumns.map((c) => `o.${c}`).join(', ')} FROM main.logs o JOIN logdb.logs n ON n.id = o.id
        WHERE o.rowid > ? AND o.rowid <= ?`).run(from, to);
      this.db.query('INSERT OR IGNORE INTO logdb.endpoints (path) SELECT DISTINCT path FROM main.logs WHERE rowid > ? AND rowid <= ?').run(from, to);
      this.db.query('INSERT OR REPLACE INTO logdb.upgrade (key, value) VALUES (?, ?)').run(LEGACY_MOVED, to);
    });
    let reported = performance.now();
    try {
      while (!this.stopped) {
        const from = this.moved();
        const to = (this.db.query('SELECT max(rowid) AS m FROM (SELECT rowid FROM main.logs WHERE rowid > ? ORDER BY rowid LIMIT ?)')
          .get(from, this.pacer.next) as { m: number | null }).m;
        if (to === null) break;
        const t0 = performance.now();
        copy(from, to);
        this.pacer.took(performance.now() - t0);
        // At least 1 until finish() has dropped the old table: the upgrade is not over before that.
        this.pendingRows = Math.max(1, this.pendingRows - (to - from));
        if (performance.now() - reported >= PROGRESS_MS) {
          this.opts.progress(this.pendingRows);
          reported = performance.now();
        }
        await Bun.sleep(PAUSE_MS);
      }
      if (this.stopped) return;
      await this.finish(total, performance.now() - started);
      // Only now: until the old table is dropped and the file vacuumed, the upgrade is not over.
      this.pendingRows = 0;
      this.opts.progress(0);
    } catch (err) {
      // Every piece is one transaction and the position is kept: the next start goes on from here.
      this.opts.report(`[store] moving old log entries stopped, will go on at the next start: ${(err as Error).message}`);
    }
  }

  /** Drops the copied legacy table and shrinks the main file to its configs and rollups. */
  private async finish(total: number, ms: number): Promise<void> {
    const dropStarted = performance.now();
    this.db.exec('DROP TABLE IF EXISTS main.logs');
    const dropMs = Math.round(performance.now() - dropStarted);
    // VACUUM rewrites only what is left (configs, rollups): its time does not grow with the old logs.
    // With auto_vacuum on from now, later deletes in the main file give their pages back too. It
    // needs a moment without readers: tried again a few times if one is reading.
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        this.db.exec('PRAGMA main.auto_vacuum = INCREMENTAL; VACUUM main');
        this.opts.report(`Moved ${total} log entries in ${(ms / 1000).toFixed(1)} s; old table dropped in ${dropMs} ms, ${this.opts.path} compacted in ${Math.round(performance.now() - t0)} ms`);
        return;
      } catch (err) {
        if (attempt >= 10 || this.stopped) {
          this.opts.report(`Moved ${total} log entries; ${this.opts.path} keeps its free pages for now (${(err as Error).message})`);
          return;
        }
        await Bun.sleep(1_000);
      }
    }
  }
}
