/**
 * Every write of the SQLite store after init(), on one connection: log entries, deletes, the
 * upkeep that gives pages back, configs, rollups, and the background move of an older file's
 * entries. In a server it runs in the writer Worker (sqlite-writer.ts), so that no commit, WAL
 * checkpoint, delete or vacuum ever holds the proxy's thread; a ':memory:' store, which no second
 * connection can open, runs it inline. One connection writes, so writes never wait on each other's
 * locks (only the reader's snapshot can hold up a checkpoint or a VACUUM).
 */
import type { Database, SQLQueryBindings } from 'bun:sqlite';
import { ROLLUP_FIELDS } from './rollup-fields.ts';
import { type EncodedLog, LogWrites } from './sqlite-log-writes.ts';
import { hasLegacyLogs } from './sqlite-logs.ts';
import { apiKeyPatchSql, apiKeyRows, configPatchSql, configRows, modelGroupRows, type Row } from './sqlite-schema.ts';
import { LegacyMove } from './sqlite-upgrade.ts';
import { WorkerPort } from './sqlite-worker.ts';
import type { ApiKeyPatch, ApiKeyRow, ConfigChanges, ConfigPatch, ConfigRow, LogFilter, ModelGroupRow, RollupRow, RollupSize } from './types.ts';

const columnsOf = (table: 'rollups' | 'key_rollups') => `size, start, ${table === 'rollups' ? 'model' : 'api_key_id'}, ${ROLLUP_FIELDS.join(', ')}`;
const rollupUpsert = (table: 'rollups' | 'key_rollups') => `INSERT INTO ${table} (${columnsOf(table)})
  VALUES (?, ?, ?, ${ROLLUP_FIELDS.map(() => '?').join(', ')})
  ON CONFLICT (size, start, ${table === 'rollups' ? 'model' : 'api_key_id'}) DO UPDATE SET ${ROLLUP_FIELDS.map((f) => `${f} = ${f} + excluded.${f}`).join(', ')}`;
const rollupPut = (table: 'rollups' | 'key_rollups') =>
  `INSERT OR REPLACE INTO ${table} (${columnsOf(table)}) VALUES (?, ?, ?, ${ROLLUP_FIELDS.map(() => '?').join(', ')})`;
/** Per-model rollups keep '' for "no model"; key rollups their key's id. */
const rollupValues = (r: RollupRow): SQLQueryBindings[] => [r.size, r.start.getTime(), r.apiKeyId ?? r.model ?? '', ...ROLLUP_FIELDS.map((f) => r.counts[f] ?? 0)];
const tableOf = (r: RollupRow) => (r.apiKeyId ? 'key_rollups' : 'rollups');

export interface WritesOptions {
  /** The main file, for the console messages of the upgrade. */
  path: string;
  report: (message: string) => void;
  /** Entries the upgrade still has to move, as it goes (every piece or so). */
  progress: (pending: number) => void;
}

export class SqliteWrites {
  private readonly logs: LogWrites;
  private readonly move: LegacyMove;

  constructor(private readonly db: Database, opts: WritesOptions) {
    this.logs = new LogWrites(db);
    this.move = new LegacyMove(db, opts);
  }

  /** Writes the entries (skipping ids already stored); returns how many were new. */
  insertLogs(rows: EncodedLog[]): Promise<number> {
    return this.logs.insert(rows);
  }

  deleteLogs(filter: LogFilter, limit: number): Promise<number> {
    return this.logs.delete(filter, limit, hasLegacyLogs(this.db));
  }

  /** Gives the pages that deletes freed back to the disk, a few at a time; refreshes planner statistics. */
  async compact(): Promise<void> {
    await this.logs.compact();
    // The main file's free pages (rollups pruned): few, given back at once.
    this.db.exec('PRAGMA main.incremental_vacuum; PRAGMA analysis_limit = 1000; PRAGMA optimize;');
  }

  upgradePending(): number {
    return this.move.pending;
  }

  awaitUpgrade(): Promise<void> {
    return this.move.done;
  }

  insertConfig(c: ConfigRow): void {
    this.db.query(`INSERT INTO configs (${configRows.columns}) VALUES (${configRows.placeholders})`).run(...configRows.values(c));
  }

  updateConfig(id: string, patch: ConfigPatch): ConfigRow | null {
    const { sets, params } = configPatchSql(patch);
    const row = this.db.query(`UPDATE configs SET ${sets.join(', ')} WHERE id = ? RETURNING ${configRows.columns}`).get(...params, id) as Row | null;
    return row ? configRows.fromRow(row) : null;
  }

  deleteConfig(id: string): boolean {
    return this.db.query('DELETE FROM configs WHERE id = ?').run(id).changes > 0;
  }

  insertApiKey(k: ApiKeyRow): void {
    this.db.query(`INSERT INTO api_keys (${apiKeyRows.columns}) VALUES (${apiKeyRows.placeholders})`).run(...apiKeyRows.values(k));
  }

  updateApiKey(id: string, patch: ApiKeyPatch): ApiKeyRow | null {
    const { sets, params } = apiKeyPatchSql(patch);
    if (sets.length === 0) {
      const row = this.db.query(`SELECT ${apiKeyRows.columns} FROM api_keys WHERE id = ?`).get(id) as Row | null;
      return row ? apiKeyRows.fromRow(row) : null;
    }
    const row = this.db.query(`UPDATE api_keys SET ${sets.join(', ')} WHERE id = ? RETURNING ${apiKeyRows.columns}`).get(...params, id) as Row | null;
    return row ? apiKeyRows.fromRow(row) : null;
  }

  putModelGroup(g: ModelGroupRow): void {
    this.db.query(`INSERT OR REPLACE INTO model_groups (${modelGroupRows.columns}) VALUES (${modelGroupRows.placeholders})`).run(...modelGroupRows.values(g));
  }

  applyConfigChanges(changes: ConfigChanges): void {
    this.db.transaction(() => {
      for (const c of changes.insert) this.insertConfig(c);
      for (const u of changes.update) {
        if (!this.updateConfig(u.id, u.patch)) throw new Error(`config ${u.id} no longer exists`);
      }
      for (const id of changes.remove) this.deleteConfig(id);
    })();
  }

  addRollups(rows: RollupRow[]): void {
    const upsert = { rollups: this.db.query(rollupUpsert('rollups')), key_rollups: this.db.query(rollupUpsert('key_rollups')) };
    this.db.transaction(() => {
      for (const r of rows) upsert[tableOf(r)].run(...rollupValues(r));
    })();
  }

  deleteRollups(q: { size: RollupSize; before: Date }): number {
    let n = 0;
    for (const table of ['rollups', 'key_rollups']) n += this.db.query(`DELETE FROM ${table} WHERE size = ? AND start < ?`).run(q.size, q.before.getTime()).changes;
    return n;
  }

  putRollups(rows: RollupRow[]): void {
    const put = { rollups: this.db.query(rollupPut('rollups')), key_rollups: this.db.query(rollupPut('key_rollups')) };
    this.db.transaction(() => {
      for (const r of rows) put[tableOf(r)].run(...rollupValues(r));
    })();
  }

  ping(): void {
    this.db.query('SELECT 1').get();
  }

  /** Stops the upgrade between two pieces (it goes on at the next start). */
  stop(): Promise<void> {
    return this.move.stop();
  }
}

/** The calls the store makes, each answered as a promise, whether the writes run in the Worker or inline. */
export const WRITE_OPS = ['insertLogs', 'deleteLogs', 'compact', 'upgradePending', 'awaitUpgrade', 'insertConfig', 'updateConfig',
  'deleteConfig', 'insertApiKey', 'updateApiKey', 'putModelGroup', 'applyConfigChanges', 'addRollups', 'deleteRollups', 'putRollups', 'ping'] as const;
export type WriteOp = (typeof WRITE_OPS)[number];

type Calls<T, K extends keyof T> = { [P in K]: T[P] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never };

export interface StoreWrites extends Calls<SqliteWrites, WriteOp> {
  /** Entries the upgrade still has to move (kept up to date by its progress). */
  readonly pending: number;
  close(): Promise<void>;
}

export interface WriterInit {
  main: string;
  logs: string;
}

/** StoreWrites from one function that makes each call, the backlog as it is now, and close. */
function storeWrites(call: (op: WriteOp, args: unknown[]) => Promise<unknown>, pending: () => number, close: () => Promise<void>): StoreWrites {
  const calls = Object.fromEntries(WRITE_OPS.map((op) => [op, (...a: unknown[]) => call(op, a)])) as unknown as Calls<SqliteWrites, WriteOp>;
  // Onto the object with the getter: Object.assign would copy a getter's value, not the getter.
  return Object.assign({
    get pending() {
      return pending();
    },
    close,
  }, calls);
}

/** The writes on the store's own connection: for ':memory:'. */
export function inlineWrites(db: Database, opts: Omit<WritesOptions, 'progress'>): StoreWrites {
  let pending = 0;
  const writes = new SqliteWrites(db, { ...opts, progress: (n) => (pending = n) });
  return storeWrites(async (op, args) => (writes[op] as (...x: unknown[]) => unknown).apply(writes, args), () => pending, () => writes.stop());
}

/** The proxy thread's side of the writer Worker. */
export class WorkerWrites {
  private readonly port: WorkerPort;
  private pendingRows = 0;

  private constructor(init: WriterInit, report: (message: string) => void) {
    this.port = new WorkerPort({
      script: new URL('./sqlite-writer.ts', import.meta.url),
      init,
      name: 'writer',
      onEvent: (event, value) => {
        if (event === 'report') report(value as string);
        else if (event === 'pending') this.pendingRows = value as number;
      },
    });
  }

  /** Starts the Worker and waits until its connection is open (and the upgrade's backlog known). */
  static async open(init: WriterInit, report: (message: string) => void): Promise<StoreWrites> {
    const w = new WorkerWrites(init, report);
    await w.port.call('ping', []);
    return storeWrites((op, args) => w.port.call(op, args), () => w.pendingRows, () => w.port.close(10_000));
  }
}
