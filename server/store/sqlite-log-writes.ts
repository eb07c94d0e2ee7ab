/**
 * Writes to the v2 log tables in pieces: each piece is one transaction that stops after a few
 * milliseconds, and the writer's event loop runs between two pieces, so that a long delete or
 * vacuum never holds up the next batch of entries (nor the reader's snapshot, for long). Inserts are
 * idempotent by id, so a batch that fails halfway is simply written again.
 */
import type { Database, SQLQueryBindings } from 'bun:sqlite';
import { detailCodec, summaryCodec, whereOf } from './sqlite-logs.ts';
import type { LogFilter, LogRow } from './types.ts';

/**
 * A log entry as its column values, encoded on the proxy's thread: bodies kept as JSON text
 * (JsonText) are passed as that text, and strings cross to the Worker as one copy each.
 */
export interface EncodedLog {
  summary: SQLQueryBindings[];
  detail: SQLQueryBindings[];
  path: string;
}

export const encodeLogs = (rows: readonly LogRow[]): EncodedLog[] =>
  rows.map((r) => ({ summary: summaryCodec.values(r), detail: detailCodec.values(r), path: r.path }));

/** How long one piece may hold the thread. */
const SLICE_MS = 4;
/** Paths remembered as already in the endpoints table (past this, the table's own key dedupes). */
const KNOWN_PATHS = 10_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/**
 * Between two pieces of a delete or a vacuum: a millisecond off the CPU, so that on a machine with
 * fewer cores than threads the proxy's thread gets the core between pieces, not only when the
 * scheduler preempts a writer that never sleeps.
 */
const BREATHE_MS = 1;

/** Sizes a unit of work so that one piece takes about SLICE_MS: grows while pieces are quick, shrinks when slow. */
export class Pacer {
  constructor(private size: number, private readonly min: number, private readonly max: number) {}

  get next(): number {
    return this.size;
  }

  took(ms: number): void {
    if (ms < SLICE_MS / 2) this.size = Math.min(this.max, this.size * 2);
    else if (ms > SLICE_MS * 1.5) this.size = Math.max(this.min, Math.floor(this.size / 2));
  }
}

export class LogWrites {
  private readonly knownPaths = new Set<string>();
  private readonly insertPacer = new Pacer(200, 10, 5_000);
  private readonly deletePacer = new Pacer(100, 10, 5_000);
  private readonly vacuumPacer = new Pacer(256, 16, 16_384);

  constructor(private readonly db: Database) {}

  /** Writes the rows (skipping ids already stored); returns how many were new. */
  async insert(rows: readonly EncodedLog[]): Promise<number> {
    const summary = this.db.query(`INSERT OR IGNORE INTO logdb.logs (${summaryCodec.columns}) VALUES (${summaryCodec.placeholders})`);
    const bodies = this.db.query(`INSERT OR REPLACE INTO logdb.log_bodies (rid, ${detailCodec.columns}) VALUES (?, ${detailCodec.placeholders})`);
    const endpoint = this.db.query('INSERT OR IGNORE INTO logdb.endpoints (path) VALUES (?)');
    const piece = this.db.transaction((from: number, to: number) => {
      let added = 0;
      for (let i = from; i < to; i++) {
        const r = rows[i]!;
        const res = summary.run(...r.summary);
        if (res.changes === 0) continue;
        added++;
        bodies.run(res.lastInsertRowid, ...r.detail);
        if (!this.knownPaths.has(r.path)) {
          endpoint.run(r.path);
          if (this.knownPaths.size >= KNOWN_PATHS) this.knownPaths.clear();
          this.knownPaths.add(r.path);
        }
      }
      return added;
    });
    let added = 0;
    for (let at = 0; at < rows.length;) {
      if (at > 0) await yieldToLoop();
      const to = Math.min(rows.length, at + this.insertPacer.next);
      const started = performance.now();
      added += piece(at, to);
      this.insertPacer.took(performance.now() - started);
      at = to;
    }
    return added;
  }

  /**
   * Deletes at most `limit` matching entries, oldest first (per path when the filter names a path
   * substring: each path's oldest), from what is left to move of a legacy table, then from the v2
   * table. In that order an entry the upgrade moves meanwhile is deleted in the v2 table, and none
   * is counted twice (the legacy rows already moved are not counted: their copies are).
   */
  async delete(filter: LogFilter, limit: number, legacy: boolean): Promise<number> {
    let deleted = 0;
    const targets = this.deleteTargets(filter, legacy);
    for (const t of targets) {
      while (deleted < limit) {
        const want = Math.min(this.deletePacer.next, limit - deleted);
        const started = performance.now();
        const where = t.where();
        const n = this.db.query(`DELETE FROM ${t.table} WHERE rowid IN (SELECT rowid FROM ${t.table} ${where.sql} ORDER BY ts, id LIMIT ?)`)
          .run(...where.params, want).changes;
        this.deletePacer.took(performance.now() - started);
        deleted += n;
        if (n < want) break;
        await Bun.sleep(BREATHE_MS);
      }
    }
    return deleted;
  }

  /** Gives free pages of the log file back to the disk, a few at a time; returns the pages given back. */
  async compact(): Promise<number> {
    let freed = 0;
    for (;;) {
      const free = (this.db.query('PRAGMA logdb.freelist_count').get() as { freelist_count: number }).freelist_count;
      if (free === 0) return freed;
      const pages = Math.min(free, this.vacuumPacer.next);
      const started = performance.now();
      this.db.exec(`PRAGMA logdb.incremental_vacuum(${pages})`);
      this.vacuumPacer.took(performance.now() - started);
      freed += pages;
      await Bun.sleep(BREATHE_MS);
    }
  }

  private deleteTargets(filter: LogFilter, legacy: boolean) {
    const current = filter.path
      ? (this.db.query('SELECT path FROM logdb.endpoints WHERE instr(path, ?) > 0').all(filter.path) as { path: string }[])
        .map((p) => ({ table: 'logdb.logs', where: () => whereOf(filter, { source: 'current', path: p.path }) }))
      : [{ table: 'logdb.logs', where: () => whereOf(filter, { source: 'current' }) }];
    if (!legacy) return current;
    // Read again before each piece: the upgrade moves entries between two pieces.
    const moved = () => (this.db.query("SELECT value FROM logdb.upgrade WHERE key = 'legacy_moved_rowid'").get() as { value: number } | null)?.value ?? 0;
    return [{ table: 'main.logs', where: () => whereOf(filter, { source: 'legacy', legacyAbove: moved() }) }, ...current];
  }
}
