/**
 * MongoDB store on the official driver; also runs on FerretDB 1.24, so it keeps to plain find, count, distinct,
 * insert, update and createIndexes (no TTL indexes, no change streams, no aggregation beyond what countDocuments needs,
 * no transactions). Documents come from schema.ts (mongo-docs.ts); init() applies the schema steps the
 * database lacks (mongo-migrations.ts), one replica at a time.
 */
import { type Collection, type Db, type Document, type Filter, MongoBulkWriteError, MongoClient } from 'mongodb';
import { rollupKey } from './rollup-fields.ts';
import {
  type ApiKeyDoc, apiKeyFromDoc, docFromModelGroup, type ModelGroupDoc, modelGroupFromDoc, apiKeyPatchSet, docFromApiKey, type ConfigDoc, configFromDoc, configPatchSet, docFromConfig, docFromLog, type LogDoc, LOG_ORDER, logFromDoc, logFilter, onlyDuplicateKeys,
  pageFilter, PathList, type RollupDoc, rollupIdentity, rollupUpsert, SUMMARY_PROJECTION, summaryFromDoc,
} from './mongo-docs.ts';
import { exportPageOf } from './log-lines.ts';
import { type LockTiming, migrateMongo, type MongoStep } from './mongo-migrations.ts';
import type { MigrateOptions } from './migrations.ts';
import {
  type ApiKeyPatch, type ApiKeyRow, type ConfigChanges, type ConfigPatch, type ConfigRow, type ExportPage, type LogCount, type LogExportFormat, type LogFilter, type LogQuery, type LogRow, type LogSummary, type ModelGroupRow, PartialRollupWrite,
  type RollupQuery, type RollupRow, type RollupSize, type Store, type StoreSize,
} from './types.ts';

/** How long page reads reuse the list of distinct paths (paths this process writes join it at once). */
const PATHS_FRESH_MS = 5_000;

export class MongoStore implements Store {
  readonly kind = 'mongodb' as const;
  private client: MongoClient;
  private db: Db;
  private configs: Collection<ConfigDoc>;
  private apiKeys: Collection<ApiKeyDoc>;
  private modelGroups: Collection<ModelGroupDoc>;
  private logs: Collection<LogDoc>;
  private rollups: Collection<RollupDoc>;
  private keyRollups: Collection<RollupDoc>;
  private paths: PathList;

  constructor(uri: string, private readonly databaseName: string) {
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, appName: 'lite-proxy' });
    this.db = this.client.db(databaseName);
    this.configs = this.db.collection<ConfigDoc>('configs');
    this.apiKeys = this.db.collection<ApiKeyDoc>('api_keys');
    this.modelGroups = this.db.collection<ModelGroupDoc>('model_groups');
    this.logs = this.db.collection<LogDoc>('logs');
    this.rollups = this.db.collection<RollupDoc>('rollups');
    this.keyRollups = this.db.collection<RollupDoc>('key_rollups');
    this.paths = new PathList(() => this.logs.distinct('path'));
  }

  /** Applies the schema steps the database lacks (tests may give their own steps and lock timing). */
  async init(options: MigrateOptions & { steps?: readonly MongoStep[]; lock?: Partial<LockTiming> } = {}): Promise<void> {
    await this.client.connect();
    await migrateMongo(this.db, { ...options, databaseName: this.databaseName });
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async listConfigs(): Promise<ConfigRow[]> {
    const docs = await this.configs.find().sort({ proxyModelName: 1, createdAt: 1, _id: 1 }).toArray();
    return docs.map(configFromDoc);
  }

  async getConfig(id: string): Promise<ConfigRow | null> {
    const doc = await this.configs.findOne({ _id: id });
    return doc ? configFromDoc(doc) : null;
  }

  async insertConfig(c: ConfigRow): Promise<void> {
    await this.configs.insertOne(docFromConfig(c));
  }

  async updateConfig(id: string, patch: ConfigPatch): Promise<ConfigRow | null> {
    const doc = await this.configs.findOneAndUpdate({ _id: id }, { $set: configPatchSet(patch) }, { returnDocument: 'after' });
    return doc ? configFromDoc(doc) : null;
  }

  async deleteConfig(id: string): Promise<boolean> {
    const result = await this.configs.deleteOne({ _id: id });
    return result.deletedCount > 0;
  }

  async listApiKeys(): Promise<ApiKeyRow[]> {
    const docs = await this.apiKeys.find().sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map(apiKeyFromDoc);
  }

  async insertApiKey(k: ApiKeyRow): Promise<void> {
    await this.apiKeys.insertOne(docFromApiKey(k));
  }

  async updateApiKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRow | null> {
    const set = apiKeyPatchSet(patch);
    if (Object.keys(set).length === 0) {
      const doc = await this.apiKeys.findOne({ _id: id });
      return doc ? apiKeyFromDoc(doc) : null;
    }
    const doc = await this.apiKeys.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' });
    return doc ? apiKeyFromDoc(doc) : null;
  }

  async listModelGroups(): Promise<ModelGroupRow[]> {
    const docs = await this.modelGroups.find().sort({ _id: 1 }).toArray();
    return docs.map(modelGroupFromDoc);
  }

  async putModelGroup(g: ModelGroupRow): Promise<void> {
    const { _id, ...rest } = docFromModelGroup(g);
    await this.modelGroups.replaceOne({ _id }, rest, { upsert: true });
  }

  async insertLogs(rows: LogRow[]): Promise<void> {
    // The driver rejects an empty insertMany; SQLite treats an empty batch as nothing to do.
    if (rows.length === 0) return;
    try {
      await this.logs.insertMany(rows.map(docFromLog), { ordered: false });
    } catch (err) {
      if (!onlyDuplicateKeys(err)) throw err;
    } finally {
      // Also after a failure: a path listed that no entry has matches nothing.
      this.paths.wrote(rows);
    }
  }

  /** The stored paths containing the filter's path, from a list at most `maxAgeMs` old (mongo-docs.ts PathList). */
  private async pathsOf(filter: LogFilter, maxAgeMs = PATHS_FRESH_MS): Promise<string[] | null> {
    return filter.path ? this.paths.containing(filter.path, maxAgeMs) : null;
  }

  private async filterOf(filter: LogFilter, maxAgeMs?: number): Promise<Filter<LogDoc>> {
    return logFilter(filter, await this.pathsOf(filter, maxAgeMs));
  }

  /** Counting with no filter reads the keys of logs_time rather than every document (MongoDB plans a collection scan otherwise). */
  private countOptions(filter: Filter<LogDoc>) {
    return Object.keys(filter).length === 0 ? { hint: 'logs_time' } : {};
  }

  private async page(q: LogQuery, projection?: Document) {
    return this.logs.find(pageFilter(q, await this.pathsOf(q.filter)), { projection }).sort(LOG_ORDER).limit(q.limit > 0 ? q.limit : 0);
  }

  /**
   * How the server plans a Logs page: queryLogs(q) and, for a first page, countLogsUpTo(q.filter, cap)
   * (tests/mongo-indexes.test.ts checks that each filter reads an index).
   */
  async explainLogPage(q: LogQuery, cap: number): Promise<{ page: Document; count: Document }> {
    const page = await (await this.page(q, SUMMARY_PROJECTION)).explain('queryPlanner');
    // The pipeline countDocuments(filter, { limit: cap + 1 }) sends.
    const filter = await this.filterOf(q.filter);
    const pipeline = [{ $match: filter }, { $limit: cap + 1 }, { $group: { _id: 1, n: { $sum: 1 } } }];
    const count = await this.logs.aggregate(pipeline, this.countOptions(filter)).explain('queryPlanner');
    return { page, count };
  }

  async queryLogs(q: LogQuery): Promise<LogSummary[]> {
    // Mongo reads limit(0) as "no limit" and a negative limit as one batch; SQLite's LIMIT 0 is no rows
    // and its negative LIMIT is no limit. Match SQLite.
    if (q.limit === 0) return [];
    const docs = await (await this.page(q, SUMMARY_PROJECTION)).toArray();
    return docs.map((d) => summaryFromDoc(d));
  }

  async countLogs(filter: LogFilter): Promise<number> {
    // Exact (migration, tests): the paths are read now.
    const f = await this.filterOf(filter, 0);
    return this.logs.countDocuments(f, this.countOptions(f));
  }

  async countLogsUpTo(filter: LogFilter, cap: number): Promise<LogCount> {
    const f = await this.filterOf(filter);
    const n = await this.logs.countDocuments(f, { limit: cap + 1, ...this.countOptions(f) });
    return n > cap ? { count: cap, exact: false } : { count: n, exact: true };
  }

  async getLog(id: string): Promise<LogRow | null> {
    const d = await this.logs.findOne({ _id: id });
    return d ? logFromDoc(d) : null;
  }

  async queryLogRows(q: LogQuery): Promise<LogRow[]> {
    if (q.limit === 0) return [];
    const docs = await (await this.page(q)).toArray();
    // Bodies stay the text they were stored as: an export writes them without parsing.
    return docs.map((d) => logFromDoc(d, 'text'));
  }

  async exportPage(q: LogQuery, format: LogExportFormat): Promise<ExportPage> {
    return exportPageOf(format, format === 'csv' ? await this.queryLogs(q) : await this.queryLogRows(q));
  }

  async deleteLogs(filter: LogFilter, limit: number): Promise<number> {
    // deleteMany has no limit: pick the oldest ids first, then delete exactly those. Paths are read now:
    // a delete must reach entries another replica stored a moment ago.
    const ids = await this.logs
      .find(await this.filterOf(filter, 0), { projection: { _id: 1 } })
      .sort({ timestamp: 1, _id: 1 })
      .limit(Math.max(1, limit))
      .toArray();
    if (ids.length === 0) return 0;
    const result = await this.logs.deleteMany({ _id: { $in: ids.map((d) => d._id) } });
    return result.deletedCount;
  }

  upgradePendingRows(): number {
    return 0;
  }

  async awaitUpgrade(): Promise<void> {}

  async compact(): Promise<void> {}

  async size(): Promise<StoreSize> {
    const logRows = await this.logs.estimatedDocumentCount();
    try {
      const stats = await this.db.command({ dbStats: 1 });
      const bytes = Number(stats.storageSize ?? stats.dataSize);
      return { logRows, bytes: Number.isFinite(bytes) ? bytes : null };
    } catch {
      return { logRows, bytes: null };
    }
  }

  async applyConfigChanges(changes: ConfigChanges): Promise<void> {
    // Not every MongoDB-wire server has transactions (FerretDB 1.x has none): apply in order and,
    // when a step fails, put back what the earlier steps changed.
    const before = new Map((await this.configs.find({ _id: { $in: [...changes.update.map((u) => u.id), ...changes.remove] } }).toArray()).map((d) => [d._id, d]));
    const undo: (() => Promise<unknown>)[] = [];
    try {
      for (const c of changes.insert) {
        await this.insertConfig(c);
        undo.push(() => this.configs.deleteOne({ _id: c.id }));
      }
      for (const u of changes.update) {
        if (!(await this.updateConfig(u.id, u.patch))) throw new Error(`config ${u.id} no longer exists`);
        const old = before.get(u.id)!;
        undo.push(() => this.configs.replaceOne({ _id: u.id }, old));
      }
      for (const id of changes.remove) {
        await this.configs.deleteOne({ _id: id });
        const old = before.get(id);
        if (old) undo.push(() => this.configs.insertOne(old));
      }
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => {});
      throw err;
    }
  }

  async deleteRollups(q: { size: RollupSize; before: Date }): Promise<number> {
    const filter = { size: q.size, start: { $lt: q.before } };
    return (await this.rollups.deleteMany(filter)).deletedCount + (await this.keyRollups.deleteMany(filter)).deletedCount;
  }

  async putRollups(rows: RollupRow[]): Promise<void> {
    for (const [coll, group] of this.rollupGroups(rows)) {
      if (group.length === 0) continue;
      await coll.bulkWrite(group.map((r) => ({
        replaceOne: { filter: { _id: rollupKey(r) }, replacement: { ...rollupIdentity(r), ...r.counts }, upsert: true },
      })), { ordered: false });
    }
  }

  /** Per-model rollups and the client keys' ones (schema version 4) live in collections of their own. */
  private rollupGroups(rows: RollupRow[]): [Collection<RollupDoc>, RollupRow[]][] {
    return [[this.rollups, rows.filter((r) => !r.apiKeyId)], [this.keyRollups, rows.filter((r) => r.apiKeyId)]];
  }

  async addRollups(rows: RollupRow[]): Promise<void> {
    const groups = this.rollupGroups(rows);
    for (let g = 0; g < groups.length; g++) {
      const [coll, group] = groups[g]!;
      try {
        await this.addRollupsTo(coll, group);
      } catch (err) {
        // What went in must not be added again: the failed part of this group and every later group.
        const failed = [...(err instanceof PartialRollupWrite ? err.failed : group), ...groups.slice(g + 1).flatMap(([, later]) => later)];
        if (failed.length < rows.length) throw new PartialRollupWrite(String(err instanceof PartialRollupWrite ? err.message : err), failed);
        throw err;
      }
    }
  }

  private async addRollupsTo(coll: Collection<RollupDoc>, rows: RollupRow[]): Promise<void> {
    // One upsert per rollup: $inc is atomic per document on MongoDB, and an _id made of the key lets
    // writers racing to create the same rollup meet on one document. MongoDB retries such a race
    // itself; FerretDB answers E11000 instead, and then the document exists, so a retry adds to it.
    let pending = rows;
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        await coll.bulkWrite(pending.map(rollupUpsert), { ordered: false });
        return;
      } catch (err) {
        // Unordered: every operation without a write error went in.
        const failedAt = err instanceof MongoBulkWriteError ? new Set(err.result.getWriteErrors().map((e) => e.index)) : null;
        if (attempt >= 3 || !onlyDuplicateKeys(err)) {
          if (failedAt && failedAt.size < pending.length) {
            throw new PartialRollupWrite(String(err), pending.filter((_, i) => failedAt.has(i)));
          }
          throw err;
        }
        pending = pending.filter((_, i) => failedAt!.has(i));
      }
    }
  }

  async readRollups(q: RollupQuery): Promise<RollupRow[]> {
    const filter = { size: q.size, start: { $gte: q.from, $lt: q.to } };
    if (q.byKey) {
      const docs = await this.keyRollups.find(filter).toArray();
      return docs.map(({ _id, size, start, model, apiKeyId, ...counts }) => ({
        size: size as RollupSize, start: start as Date, model: null, apiKeyId: apiKeyId as string, counts: counts as Record<string, number>,
      }));
    }
    const docs = await this.rollups.find(filter).toArray();
    return docs.map(({ _id, size, start, model, ...counts }) => ({
      // FerretDB leaves a null out of $setOnInsert: a missing model is the null model.
      size: size as RollupSize, start: start as Date, model: (model as string | undefined) ?? null, counts: counts as Record<string, number>,
    }));
  }
}
