/**
 * `cli migrate`: copies configs, log entries and rollups from one store to another. Every step is
 * safe to repeat (configs are upserted by id, insertLogs skips ids it has, putRollups sets values),
 * and the log copy, the long part, keeps a checkpoint file with its cursor so that an interrupted run
 * continues where it stopped. At the end both sides are counted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DATABASE_NAME_PATTERN } from '../settings.ts';
import { ROLLUP_SIZES } from '../stats/rollup.ts';
import type { ConfigChanges, LogCursor, RollupRow, Store } from '../store/types.ts';

/** A mistake of the user's (bad argument, missing file, unreachable store): shown as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface StoreSpec {
  kind: 'sqlite' | 'mongodb';
  /** For messages: no credentials. */
  label: string;
  /** The same for two specs that name the same data (path resolved; hosts and database, without credentials). */
  identity: string;
  /** SQLite: the file. */
  path?: string;
  open(): Promise<Store>;
}

const MONGO_URI = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]+)(?:\/([^?]*))?(?:\?.*)?$/;
const DEFAULT_DATABASE = 'lite_proxy';

/** `sqlite:<path>` (relative to cwd) or `mongodb://[user:pass@]host[:port][,…]/<database>[?…]`. */
export function parseStoreSpec(spec: string, cwd = process.cwd()): StoreSpec {
  if (spec.startsWith('sqlite:')) {
    const raw = spec.slice('sqlite:'.length);
    if (!raw) throw new CliError(`"${spec}": give a file after sqlite:, e.g. sqlite:./data/lite-proxy.sqlite`);
    const path = resolve(cwd, raw);
    const real = existsSync(path) ? realpathSync(path) : path;
    return {
      kind: 'sqlite', label: `sqlite:${path}`, identity: `sqlite:${real}`, path,
      open: async () => new (await import('../store/sqlite.ts')).SqliteStore(path),
    };
  }
  const m = MONGO_URI.exec(spec);
  if (m) {
    const database = decodeURIComponent(m[3] ?? '') || DEFAULT_DATABASE;
    if (!DATABASE_NAME_PATTERN.test(database)) throw new CliError(`database name "${database}" may hold only letters, digits, "_" and "-"`);
    const hosts = m[2]!.toLowerCase().split(',').sort().join(',');
    return {
      kind: 'mongodb', label: `${m[1]}://${m[2]}/${database}`, identity: `${m[1]}:${hosts}/${database}`,
      // The driver is loaded only when a MongoDB store is used.
      open: async () => new (await import('../store/mongo.ts')).MongoStore(spec, database),
    };
  }
  throw new CliError(`"${spec.replace(/\/\/[^@/]*@/, '//…@')}" is not a store: use sqlite:<path> or a mongodb:// URI`);
}

/**
 * Opens a store and brings its schema to this release's version (init): a source from an older
 * release is upgraded in place (on SQLite after a copy, which `report` names), so that it reads as
 * this code expects; a store from a newer release is refused.
 */
export async function openStore(spec: StoreSpec, opts: { mustExist: boolean; report?: (line: string) => void }): Promise<Store> {
  if (spec.kind === 'sqlite' && opts.mustExist && !existsSync(spec.path!)) throw new CliError(`no SQLite database at ${spec.path}`);
  const store = await spec.open();
  try {
    await store.init({ report: opts.report });
    // An older file's entries move to the current layout first (SQLite), so that the copy reads one layout.
    await store.awaitUpgrade();
  } catch (err) {
    await store.close().catch(() => {});
    throw new CliError(`cannot open ${spec.label}: ${firstLine(err)}`);
  }
  return store;
}

export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Next to a SQLite target, else in the working directory; named after both stores, so each pair has its own. */
export function defaultCheckpointPath(from: StoreSpec, to: StoreSpec, cwd = process.cwd()): string {
  const hash = createHash('sha256').update(`${from.identity}\n${to.identity}`).digest('hex').slice(0, 16);
  return join(to.kind === 'sqlite' ? dirname(to.path!) : cwd, `.lite-proxy-migrate-${hash}.json`);
}

interface Checkpoint {
  from: string;
  to: string;
  copied: number;
  after: { timestamp: string; id: string };
}

function readCheckpoint(path: string, from: StoreSpec, to: StoreSpec): Checkpoint | null {
  if (!existsSync(path)) return null;
  let cp: Partial<Checkpoint>;
  try {
    cp = JSON.parse(readFileSync(path, 'utf8')) as Partial<Checkpoint>;
  } catch (err) {
    throw new CliError(`checkpoint ${path} is unreadable (${firstLine(err)}); delete it to start over`);
  }
  if (cp.from !== from.label || cp.to !== to.label || !Number.isInteger(cp.copied) || typeof cp.after?.id !== 'string'
    || Number.isNaN(new Date(cp.after.timestamp).getTime())) {
    throw new CliError(`checkpoint ${path} is not one of this migration; delete it to start over`);
  }
  return cp as Checkpoint;
}

function writeCheckpoint(path: string, cp: Checkpoint): void {
  // Written whole and then renamed: a run killed mid-write leaves the previous checkpoint, not half of one.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(cp)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export interface MigrateOptions {
  from: StoreSpec;
  to: StoreSpec;
  batchSize: number;
  checkpointPath: string;
  /** For tests: stop after this many log batches, as an interrupted run would. */
  maxBatches?: number;
  report: (line: string) => void;
}

export type MigrateOutcome = { done: true } | { done: false; copied: number; total: number };

export async function migrate(opts: MigrateOptions): Promise<MigrateOutcome> {
  const { from, to, report } = opts;
  if (from.identity === to.identity) throw new CliError('--from and --to name the same store');
  const checkpoint = readCheckpoint(opts.checkpointPath, from, to);
  const source = await openStore(from, { mustExist: true, report });
  try {
    // A misspelt database name opens an empty one: copying nothing would look like success.
    if ((await source.countLogs({})) === 0 && (await source.listConfigs()).length === 0) {
      throw new CliError(`${from.label} holds no configs and no log entries: nothing to migrate (is the name right?)`);
    }
    const target = await openStore(to, { mustExist: false, report });
    try {
      report(`migrating ${from.label} → ${to.label}`);
      await copyConfigs(source, target, report);
      await copyApiKeys(source, target, report);
      await copyModelGroups(source, target, report);
      const logs = await copyLogs(source, target, opts, checkpoint);
      if (!logs.done) return logs;
      await copyRollups(source, target, report);
      await compareCounts(source, target, report);
      return { done: true };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function copyConfigs(source: Store, target: Store, report: (line: string) => void): Promise<void> {
  const existing = new Set((await target.listConfigs()).map((c) => c.id));
  const changes: ConfigChanges = { insert: [], update: [], remove: [] };
  for (const c of await source.listConfigs()) {
    if (!existing.has(c.id)) changes.insert.push(c);
    else {
      const { id, createdAt: _, ...patch } = c;
      changes.update.push({ id, patch });
    }
  }
  await target.applyConfigChanges(changes);
  report(`configs: ${changes.insert.length} created, ${changes.update.length} updated`);
}

/** Client keys (their hashes: secrets are never stored), upserted by id, so a rerun doubles nothing. */
async function copyApiKeys(source: Store, target: Store, report: (line: string) => void): Promise<void> {
  const existing = new Set((await target.listApiKeys()).map((k) => k.id));
  let created = 0;
  let updated = 0;
  for (const k of await source.listApiKeys()) {
    if (!existing.has(k.id)) {
      await target.insertApiKey(k);
      created++;
    } else {
      const { id, publicId: _p, secretHash: _h, createdAt: _c, ...patch } = k;
      await target.updateApiKey(id, patch);
      updated++;
    }
  }
  report(`client keys: ${created} created, ${updated} updated`);
}

/** Model group settings, written whole by name (a rerun writes the same rows again). */
async function copyModelGroups(source: Store, target: Store, report: (line: string) => void): Promise<void> {
  const groups = await source.listModelGroups();
  for (const g of groups) await target.putModelGroup(g);
  report(`model groups: ${groups.length} copied`);
}

async function copyLogs(source: Store, target: Store, opts: MigrateOptions, checkpoint: Checkpoint | null): Promise<MigrateOutcome> {
  const total = await source.countLogs({});
  let copied = checkpoint?.copied ?? 0;
  let after: LogCursor | null = checkpoint ? { timestamp: new Date(checkpoint.after.timestamp), id: checkpoint.after.id } : null;
  if (checkpoint) opts.report(`logs: resuming after ${copied} entries (checkpoint ${opts.checkpointPath})`);
  let lastReport = Date.now();
  for (let batches = 0; ; batches++) {
    if (opts.maxBatches !== undefined && batches >= opts.maxBatches) return { done: false, copied, total };
    // Newest first, like every read of the logs; the cursor is the last entry of the previous batch.
    const rows = await source.queryLogRows({ filter: {}, limit: opts.batchSize, after });
    if (rows.length === 0) break;
    await target.insertLogs(rows);
    copied += rows.length;
    const last = rows.at(-1)!;
    after = { timestamp: last.timestamp, id: last.id };
    writeCheckpoint(opts.checkpointPath, { from: opts.from.label, to: opts.to.label, copied, after: { timestamp: last.timestamp.toISOString(), id: last.id } });
    if (Date.now() - lastReport >= 1_000) {
      opts.report(`logs: ${copied} of ${total} copied`);
      lastReport = Date.now();
    }
    if (rows.length < opts.batchSize) break;
  }
  rmSync(opts.checkpointPath, { force: true });
  opts.report(`logs: ${copied} of ${total} copied`);
  return { done: true };
}

const ALL_TIME = { from: new Date(0), to: new Date(Date.UTC(9999, 0, 1)) };
const DAY_MS = 86_400_000;
const ROLLUP_BATCH = 500;

async function putAll(target: Store, rows: RollupRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROLLUP_BATCH) await target.putRollups(rows.slice(i, i + ROLLUP_BATCH));
}

/**
 * Hourly rollups are few (one per model and hour) and are read at once; per-minute ones are read a
 * day at a time, for the days that have hourly rollups (both sizes are written together), so memory
 * stays small for a store with years of them.
 */
async function copyRollups(source: Store, target: Store, report: (line: string) => void): Promise<void> {
  const [minute, hour] = ROLLUP_SIZES;
  const hourly = await source.readRollups({ size: hour, ...ALL_TIME });
  await putAll(target, hourly);
  const days = [...new Set(hourly.map((r) => Math.floor(r.start.getTime() / DAY_MS)))].sort((a, b) => a - b);
  let perMinute = 0;
  for (const day of days) {
    const rows = await source.readRollups({ size: minute, from: new Date(day * DAY_MS), to: new Date((day + 1) * DAY_MS) });
    await putAll(target, rows);
    perMinute += rows.length;
  }
  // The client keys' rollups (schema version 4): all-time and hourly at once, per-minute a day at a time.
  const keyed = [...await source.readRollups({ size: 0, ...ALL_TIME, byKey: true }), ...await source.readRollups({ size: hour, ...ALL_TIME, byKey: true })];
  await putAll(target, keyed);
  const keyDays = [...new Set(keyed.filter((r) => r.size === hour).map((r) => Math.floor(r.start.getTime() / DAY_MS)))].sort((a, b) => a - b);
  let keyMinutes = 0;
  for (const day of keyDays) {
    const rows = await source.readRollups({ size: minute, from: new Date(day * DAY_MS), to: new Date((day + 1) * DAY_MS), byKey: true });
    await putAll(target, rows);
    keyMinutes += rows.length;
  }
  report(`rollups: ${hourly.length} hourly, ${perMinute} per-minute; per client key ${keyed.length} hourly and all-time, ${keyMinutes} per-minute`);
}

async function compareCounts(source: Store, target: Store, report: (line: string) => void): Promise<void> {
  const [logsFrom, logsTo, configsFrom, configsTo] = await Promise.all([
    source.countLogs({}), target.countLogs({}), source.listConfigs().then((c) => c.length), target.listConfigs().then((c) => c.length),
  ]);
  if (logsFrom !== logsTo || configsFrom !== configsTo) {
    throw new CliError(
      `counts differ after copying: logs ${logsFrom} in the source, ${logsTo} in the target; configs ${configsFrom} and ${configsTo} `
        + '(did the target hold data before, or did the server write logs meanwhile? stop it and run migrate again)',
    );
  }
  report(`done: ${plural(logsTo, 'log entry', 'log entries')} and ${plural(configsTo, 'config', 'configs')} on both sides`);
}
