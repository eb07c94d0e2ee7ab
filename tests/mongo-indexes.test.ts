/**
 * MongoDB answers every filter of the Logs page from an index: after migration the logs collection has
 * the indexes schema.ts declares (step 2 may run again), and explain shows, for each filter's first page,
 * its count and the next ("Older") page, index scans without a collection scan or a blocking sort.
 *
 * FerretDB 1.24 (the server these tests run on here) cannot show that: its SQLite backend pushes only
 * `{ _id: <string> }` down to SQLite and filters and sorts everything else in memory after reading the
 * whole table, so its explain names no index (`SCAN <table>`, filterPushdown false). On it the test checks
 * what it can: the indexes exist, the queries have the shape the indexes serve (an $in of the matching
 * paths, of a class's codes; the summary projection), and log(id) is pushed down.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Document, MongoClient } from 'mongodb';
import { SCHEMA_VERSION } from '../server/store/migrations.ts';
import { SUMMARY_PROJECTION } from '../server/store/mongo-docs.ts';
import { MONGO_STEPS } from '../server/store/mongo-migrations.ts';
import { MongoStore } from '../server/store/mongo.ts';
import { indexesAt, indexKey, LOG_DETAIL_FIELDS } from '../server/store/schema.ts';
import type { LogFilter, LogRow } from '../server/store/types.ts';

const uri = process.env.MONGODB_URI;
const T0 = Date.UTC(2026, 0, 1);
const N = 3_000;
const CAP = 10_000;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'llama-3', 'claude', 'mistral', null];
const PATHS = [...Array<string>(9).fill('/v1/chat/completions'), '/v1/embeddings', '/v1/audio/transcriptions', '/v1/audio/speech'];

/**
 * Entry i: one second apart, spread so that each filter below is selective (the planner then prefers its
 * index over reading the time index and filtering): model 1 in 6, 502 1 in 10 (llama-3's 1 in 30), 429
 * about 1 in 31, GET 1 in 50, stream 1 in 10, embeddings 1 in 12 and two audio paths 1 in 12 each.
 */
const entry = (i: number): LogRow => ({
  id: `log-${String(i).padStart(5, '0')}`, timestamp: new Date(T0 + i * 1000), method: i % 50 === 7 ? 'GET' : 'POST',
  path: PATHS[i % PATHS.length]!, model: MODELS[i % MODELS.length]!, backendModel: 'b', configId: 'cfg', upstreamUrl: 'https://u.example/v1',
  statusCode: i % 10 === 0 ? 502 : i % 31 === 1 ? 429 : 200, stream: i % 10 === 3, durationMs: 10, ttftMs: null,
  promptTokens: 1, completionTokens: 1, totalTokens: 2, error: null, clientIp: '127.0.0.1', userAgent: 'ua', apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null,
  requestHeaders: {}, requestBody: { model: 'm', messages: [{ role: 'user', content: `question ${i}` }] }, responseHeaders: {},
  responseBody: { id: `r${i}` }, streamContent: null, chunks: null, attempts: null,
});

const at = (i: number) => new Date(T0 + i * 1000);

/** Each Logs-page filter and the index MongoDB should read its pages from. */
const CASES: { name: string; filter: LogFilter; index: string }[] = [
  { name: 'no filter', filter: {}, index: 'logs_time' },
  { name: 'from/to', filter: { from: at(1000), to: at(2000) }, index: 'logs_time' },
  { name: 'method', filter: { method: 'get' }, index: 'logs_method_time' },
  { name: 'statusCode', filter: { statusCode: 429 }, index: 'logs_status_time' },
  { name: 'statusClass', filter: { statusClass: 5 }, index: 'logs_status_time' },
  { name: 'path matching one endpoint', filter: { path: 'embeddings' }, index: 'logs_path_time' },
  { name: 'path matching two endpoints', filter: { path: 'audio' }, index: 'logs_path_time' },
  { name: 'model', filter: { model: 'llama-3' }, index: 'logs_model_time' },
  { name: 'stream', filter: { stream: true }, index: 'logs_stream_time' },
  { name: 'model + statusClass', filter: { model: 'llama-3', statusClass: 5 }, index: 'logs_model_status_time' },
  { name: 'model + statusCode', filter: { model: 'llama-3', statusCode: 502 }, index: 'logs_model_status_time' },
  { name: 'from/to + model', filter: { from: at(1000), to: at(2000), model: 'llama-3' }, index: 'logs_model_time' },
];

/** The stages of the winning plans in an explain answer, in any layout (classic, SBE's queryPlan, an aggregate's $cursor). */
function winningStages(explain: unknown): { stage: string; indexName?: string }[] {
  const found: { stage: string; indexName?: string }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const node = v as Record<string, unknown>;
    if (typeof node.stage === 'string') found.push({ stage: node.stage, indexName: node.indexName as string | undefined });
    for (const [key, child] of Object.entries(node)) {
      if (key !== 'rejectedPlans' && key !== 'slotBasedPlan' && key !== 'allPlansExecution') walk(child);
    }
  };
  walk(explain);
  return found;
}

/** FerretDB 1.x adds `filterPushdown` to explain answers; MongoDB has no such field. */
const isFerretDbExplain = (explain: Document) => 'filterPushdown' in explain;

describe.skipIf(!uri)('MongoDB indexes for the Logs page', () => {
  const database = `lp_indexes_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new MongoClient(uri ?? 'mongodb://unused', { serverSelectionTimeoutMS: 5000 });
  const store = new MongoStore(uri ?? 'mongodb://unused', database);

  beforeAll(async () => {
    await store.init();
    for (let i = 0; i < N; i += 500) await store.insertLogs(Array.from({ length: Math.min(500, N - i) }, (_, k) => entry(i + k)));
  });
  afterAll(async () => {
    await store.close();
    await client.db(database).dropDatabase().catch(() => {});
    await client.close();
  });

  const logIndexes = async () =>
    (await client.db(database).collection('logs').listIndexes().toArray())
      .map((i) => ({ name: i.name as string, key: i.key as Record<string, number> }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));

  test('the logs collection has the indexes schema.ts declares for MongoDB, and step 2 can run again', async () => {
    const declared = indexesAt(SCHEMA_VERSION, 'mongodb').filter((i) => i.table === 'logs').map((i) => ({
      name: i.name, key: Object.fromEntries(i.fields.map(([f, dir]) => [indexKey(i, f, 'mongodb'), dir])),
    }));
    const want = [{ name: '_id_', key: { _id: 1 } }, ...declared].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(await logIndexes()).toEqual(want);
    expect(declared.map((i) => i.name)).toEqual(expect.arrayContaining(['logs_method_time', 'logs_path_time', 'logs_stream_time', 'logs_model_status_time']));

    // Idempotent: every index exists already, so the step is one no-op createIndex per index.
    const step2 = MONGO_STEPS.find((s) => s.version === 2)!;
    await step2.run(client.db(database));
    await step2.run(client.db(database));
    expect(await logIndexes()).toEqual(want);
    expect(await store.countLogs({})).toBe(N);
  });

  for (const c of CASES) {
    test(`${c.name}: the first page, its count and the next page are index reads (MongoDB: ${c.index})`, async () => {
      const first = await store.queryLogs({ filter: c.filter, limit: 51 });
      expect(first.length).toBeGreaterThan(0);
      const last = first.at(-1)!;
      const plans = [
        await store.explainLogPage({ filter: c.filter, limit: 51 }, CAP),
        await store.explainLogPage({ filter: c.filter, limit: 51, after: { timestamp: last.timestamp, id: last.id } }, CAP),
      ];
      for (const { page, count } of plans) {
        // The query the store sends: summary fields only; a path is an $in of the stored paths that hold it.
        const command = page.command as Document | undefined;
        if (command) {
          expect(command.projection).toEqual(SUMMARY_PROJECTION);
          for (const detail of LOG_DETAIL_FIELDS) expect(command.projection).not.toHaveProperty(detail);
          if (c.filter.path) {
            const paths = [...new Set(Array.from({ length: N }, (_, i) => entry(i).path).filter((p) => p.includes(c.filter.path!)))].sort();
            expect([...command.filter.path.$in].sort()).toEqual(paths);
          }
          if (c.filter.statusClass != null) expect(command.filter.statusCode.$in).toHaveLength(100);
        }
        if (isFerretDbExplain(page)) {
          // FerretDB 1.24 filters, sorts and limits these reads in memory. When this fails, FerretDB has
          // learnt to push them down, and its plan can be checked like MongoDB's below.
          expect(page.filterPushdown).toBe(false);
          expect(count.filterPushdown).toBe(false);
          continue;
        }
        const pageStages = winningStages(page.queryPlanner);
        expect(pageStages.map((s) => s.stage)).not.toContain('COLLSCAN');
        // No blocking sort: the index gives the page order, so a page reads about a page of entries.
        expect(pageStages.map((s) => s.stage)).not.toContain('SORT');
        expect(pageStages.filter((s) => s.stage === 'IXSCAN').map((s) => s.indexName)).toContain(c.index);
        const countStages = winningStages(count).map((s) => s.stage);
        expect(countStages).not.toContain('COLLSCAN');
        expect(countStages.some((s) => s === 'IXSCAN' || s === 'COUNT_SCAN')).toBe(true);
      }
    });
  }

  test('log(id) is one lookup by _id, and distinct paths are read from logs_path_time', async () => {
    const logs = client.db(database).collection<{ _id: string }>('logs');
    const byId = await logs.find({ _id: 'log-00100' }).explain('queryPlanner');
    if (isFerretDbExplain(byId)) {
      expect(byId.filterPushdown).toBe(true);
      return;
    }
    const stages = winningStages(byId.queryPlanner).map((s) => s.stage);
    expect(stages).not.toContain('COLLSCAN');
    expect(stages.some((s) => ['IDHACK', 'EXPRESS_IXSCAN', 'IXSCAN', 'CLUSTERED_IXSCAN'].includes(s))).toBe(true);
    const distinct = await client.db(database).command({ explain: { distinct: 'logs', key: 'path', query: {} }, verbosity: 'queryPlanner' });
    expect(winningStages(distinct.queryPlanner)).toContainEqual({ stage: 'DISTINCT_SCAN', indexName: 'logs_path_time' });
  });
});
