/**
 * MongoDB store on the official driver; also runs on FerretDB 1.24, so it keeps to plain find, count, insert,
 * update and createIndexes (no TTL indexes, no change streams, no aggregation beyond what countDocuments needs).
 * JSON fields are stored as JSON text, not sub-documents: client bodies are hostile input whose keys ("$where",
 * "a.b") MongoDB and FerretDB reject or treat as paths, and text keeps a stored body exactly what was logged.
 */
import { type Collection, type Db, MongoBulkWriteError, MongoClient } from 'mongodb';
import { rollupKey } from '../stats/rollup.ts';
import { PartialRollupWrite, type RollupRow, type RollupSize } from './types.ts';
import {
  type ConfigDoc, configFromDoc, docFromLog, fromJsonText, type LogDoc, logFromDoc, logFilter, onlyDuplicateKeys, pageFilter,
  PATCHABLE, type RollupDoc, rollupUpsert, SUMMARY_PROJECTION, summaryFromDoc,
} from './mongo-docs.ts';
import { JsonText } from '../json.ts';
import { type ConfigChanges, type ConfigPatch, type ConfigRow, type LogFilter, type LogQuery, type LogRow, type LogSummary, type Store, type StoreSize } from './types.ts';

export class MongoStore implements Store {
  readonly kind = 'mongodb' as const;
  private client: MongoClient;
  private db: Db;
  private configs: Collection<ConfigDoc>;
  private logs: Collection<LogDoc>;
  private rollups: Collection<RollupDoc>;

  constructor(uri: string, databaseName: string) {
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, appName: 'lite-proxy' });
    this.db = this.client.db(databaseName);
    this.configs = this.db.collection<ConfigDoc>('configs');
    this.logs = this.db.collection<LogDoc>('logs');
    this.rollups = this.db.collection<RollupDoc>('rollups');
  }

  async init(): Promise<void> {
    await this.client.connect();
    // One index per createIndexes call: FerretDB 1.24 panics and drops the connection when one call names two
    // or more indexes that already exist (FerretDB issue #3858), i.e. on every init() after the first.
    // Explicit names make a repeated call a no-op on both servers: same spec, same name.
    await this.configs.createIndex({ proxyModelName: 1 }, { name: 'configs_name' });
    await this.logs.createIndex({ timestamp: -1, _id: -1 }, { name: 'logs_time' });
    await this.logs.createIndex({ model: 1, timestamp: -1, _id: -1 }, { name: 'logs_model_time' });
    await this.logs.createIndex({ statusCode: 1, timestamp: -1, _id: -1 }, { name: 'logs_status_time' });
    await this.rollups.createIndex({ size: 1, start: 1 }, { name: 'rollups_time' });
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
    const { id, ...rest } = c;
    await this.configs.insertOne({ ...rest, _id: id });
  }

  async updateConfig(id: string, patch: ConfigPatch): Promise<ConfigRow | null> {
    // Only known keys, and only those present: undefined means "leave alone", null is a value (clears apiKey).
    const set = Object.fromEntries(PATCHABLE.filter((key) => patch[key] !== undefined).map((key) => [key, patch[key]]));
    const doc = await this.configs.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' });
    return doc ? configFromDoc(doc) : null;
  }

  async deleteConfig(id: string): Promise<boolean> {
    const result = await this.configs.deleteOne({ _id: id });
    return result.deletedCount > 0;
  }

  async insertLogs(rows: LogRow[]): Promise<void> {
    // The driver rejects an empty insertMany; SQLite treats an empty batch as nothing to do.
    if (rows.length === 0) return;
    try {
      await this.logs.insertMany(rows.map(docFromLog), { ordered: false });
    } catch (err) {
      if (!onlyDuplicateKeys(err)) throw err;
    }
  }

  async queryLogs(q: LogQuery): Promise<LogSummary[]> {
    // Mongo reads limit(0) as "no limit" and a negative limit as one batch; SQLite's LIMIT 0 is no rows
    // and its negative LIMIT is no limit. Match SQLite.
    if (q.limit === 0) return [];
    const docs = await this.logs
      .find(pageFilter(q), { projection: SUMMARY_PROJECTION })
      .sort({ timestamp: -1, _id: -1 })
      .limit(q.limit > 0 ? q.limit : 0)
      .toArray();
    return docs.map(summaryFromDoc);
  }

  async countLogs(filter: LogFilter): Promise<number> {
    return this.logs.countDocuments(logFilter(filter));
  }

  async getLog(id: string): Promise<LogRow | null> {
    const d = await this.logs.findOne({ _id: id });
    return d ? logFromDoc(d, fromJsonText) : null;
  }

  async queryLogRows(q: LogQuery): Promise<LogRow[]> {
    if (q.limit === 0) return [];
    const docs = await this.logs.find(pageFilter(q)).sort({ timestamp: -1, _id: -1 }).limit(q.limit > 0 ? q.limit : 0).toArray();
    // Bodies stay the text they were stored as: an export writes them without parsing.
    return docs.map((d) => logFromDoc(d, (v) => (typeof v === 'string' ? new JsonText(v) : null)));
  }

  async deleteLogs(filter: LogFilter, limit: number): Promise<number> {
    // deleteMany has no limit: pick the oldest ids first, then delete exactly those.
    const ids = await this.logs
      .find(logFilter(filter), { projection: { _id: 1 } })
      .sort({ timestamp: 1, _id: 1 })
      .limit(Math.max(1, limit))
      .toArray();
    if (ids.length === 0) return 0;
    const result = await this.logs.deleteMany({ _id: { $in: ids.map((d) => d._id) } });
    return result.deletedCount;
  }

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
    return (await this.rollups.deleteMany({ size: q.size, start: { $lt: q.before } })).deletedCount;
  }

  async putRollups(rows: RollupRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.rollups.bulkWrite(rows.map((r) => ({
      replaceOne: { filter: { _id: rollupKey(r) }, replacement: { size: r.size, start: r.start, model: r.model, ...r.counts }, upsert: true },
    })), { ordered: false });
  }

  async addRollups(rows: RollupRow[]): Promise<void> {
    // One upsert per rollup: $inc is atomic per document on MongoDB, and an _id made of the key lets
    // writers racing to create the same rollup meet on one document. MongoDB retries such a race
    // itself; FerretDB answers E11000 instead, and then the document exists, so a retry adds to it.
    let pending = rows;
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        await this.rollups.bulkWrite(pending.map(rollupUpsert), { ordered: false });
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

  async readRollups(q: { size: RollupSize; from: Date; to: Date }): Promise<RollupRow[]> {
    const docs = await this.rollups.find({ size: q.size, start: { $gte: q.from, $lt: q.to } }).toArray();
    return docs.map(({ _id, size, start, model, ...counts }) => ({
      // FerretDB leaves a null out of $setOnInsert: a missing model is the null model.
      size: size as RollupSize, start: start as Date, model: (model as string | undefined) ?? null, counts: counts as Record<string, number>,
    }));
  }
}
