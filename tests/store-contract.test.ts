/**
 * One contract for every Store: SQLite always, MongoDB (or FerretDB) when MONGODB_URI is set.
 * Each test gets a fresh, empty store. Expected results come from a plain reference of the documented
 * semantics (newest first; from/to inclusive; path is a literal substring; method compared upper-cased).
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { MongoStore } from '../server/store/mongo.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import { JsonText } from '../server/json.ts';
import type { ApiKeyRow, ConfigRow, LogCursor, LogFilter, LogRow, LogSummary, ModelGroupRow, RollupRow, Store } from '../server/store/types.ts';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms);
const pad = (n: number) => String(n).padStart(3, '0');

const DETAIL_KEYS = ['requestHeaders', 'requestBody', 'responseHeaders', 'responseBody', 'streamContent', 'chunks', 'attempts'] as const;
const SUMMARY_KEYS = [
  'id', 'timestamp', 'method', 'path', 'model', 'backendModel', 'configId', 'upstreamUrl', 'statusCode', 'stream',
  'durationMs', 'ttftMs', 'promptTokens', 'completionTokens', 'totalTokens', 'error', 'clientIp', 'userAgent', 'apiKeyId', 'apiKeyName', 'costUsd', 'attemptCount', 'usageEstimated',
];

function makeConfig(overrides: Partial<ConfigRow> & { id: string }): ConfigRow {
  return {
    proxyModelName: 'gpt-4o',
    baseUrl: 'https://upstream.example/v1',
    backendModelName: 'gpt-4o-2024-08-06',
    apiKey: 'sk-test',
    ignoreSslVerify: false,
    enabled: true,
    timeoutMs: 30_000,
    inputPrice: null,
    cachedInputPrice: null,
    outputPrice: null,
    weight: null,
    priority: null,
    injectStreamUsage: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

function makeLog(overrides: Partial<LogRow> & { id: string }): LogRow {
  return {
    timestamp: at(0), method: 'POST', path: '/v1/chat/completions', model: 'gpt-4o', backendModel: 'gpt-4o-2024-08-06',
    configId: 'cfg-1', upstreamUrl: 'https://upstream.example/v1/chat/completions', statusCode: 200, stream: false,
    durationMs: 1234.5, ttftMs: null, promptTokens: 10, completionTokens: 20, totalTokens: 30, error: null,
    clientIp: '127.0.0.1', userAgent: 'OpenAI/JS 7.0', apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null, requestHeaders: { 'content-type': 'application/json' },
    requestBody: { model: 'gpt-4o' }, responseHeaders: { 'content-type': 'application/json' }, responseBody: { id: 'x' },
    streamContent: null, chunks: null, attempts: null,
    ...overrides,
  };
}

function summaryOf(row: LogRow): LogSummary {
  const summary: Record<string, unknown> = { ...row };
  for (const key of DETAIL_KEYS) delete summary[key];
  return summary as unknown as LogSummary;
}

const newestFirst = (a: LogSummary, b: LogSummary) =>
  b.timestamp.getTime() - a.timestamp.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** The documented filter semantics, written the obvious way. */
function matches(r: LogSummary, f: LogFilter): boolean {
  return (!f.from || r.timestamp >= f.from) && (!f.to || r.timestamp <= f.to)
    && (!f.method || r.method === f.method.toUpperCase())
    && (f.statusCode == null || r.statusCode === f.statusCode)
    && (f.statusClass == null || Math.floor(r.statusCode / 100) === f.statusClass)
    && (!f.path || r.path.includes(f.path))
    && (!f.model || r.model === f.model)
    && (f.stream == null || r.stream === f.stream);
}

const isOlder = (r: LogSummary, c: LogCursor) =>
  r.timestamp < c.timestamp || (r.timestamp.getTime() === c.timestamp.getTime() && r.id < c.id);

const PATHS = ['/v1/chat/completions', '/v1/models/gpt-4o.json', '/v1/modelsXgpt-4oXjson', '/v1/weird(path)', '/v1/embeddings'];
const MODELS = ['gpt-4o', 'llama-3', null, 'gpt-4o-mini'];
const STATUSES = [200, 201, 400, 404, 429, 500, 502];

/** 40 rows, four per timestamp, ids scrambled against time so the id tie-break is really exercised. */
const FILTER_ROWS = Array.from({ length: 40 }, (_, i) => makeLog({
  id: `log-${pad((i * 7) % 40)}`,
  timestamp: at(Math.floor(i / 4) * 1000),
  method: i % 3 === 0 ? 'GET' : 'POST',
  statusCode: STATUSES[i % STATUSES.length]!,
  path: PATHS[i % PATHS.length]!,
  model: MODELS[i % MODELS.length]!,
  stream: i % 2 === 0,
}));

const FILTER_CASES: { name: string; filter: LogFilter; empty?: boolean }[] = [
  { name: 'no filter', filter: {} },
  { name: 'all fields null', filter: { from: null, to: null, method: null, statusCode: null, statusClass: null, path: null, model: null, stream: null } },
  { name: 'from is inclusive', filter: { from: at(5000) } },
  { name: 'to is inclusive', filter: { to: at(3000) } },
  { name: 'from = to is one instant', filter: { from: at(7000), to: at(7000) } },
  { name: 'method lower case', filter: { method: 'post' } },
  { name: 'method upper case', filter: { method: 'GET' } },
  { name: 'statusCode', filter: { statusCode: 404 } },
  { name: 'statusClass 2', filter: { statusClass: 2 } },
  { name: 'statusClass 4', filter: { statusClass: 4 } },
  { name: 'statusClass 5', filter: { statusClass: 5 } },
  { name: 'statusClass 3 has none', filter: { statusClass: 3 }, empty: true },
  { name: 'statusCode outside statusClass', filter: { statusCode: 404, statusClass: 2 }, empty: true },
  { name: 'statusCode inside statusClass', filter: { statusCode: 429, statusClass: 4 } },
  { name: 'path substring', filter: { path: 'chat/completions' } },
  { name: 'path "." is literal', filter: { path: '4o.json' } },
  { name: 'path "(" is literal', filter: { path: '(' } },
  { name: 'path "(path)" is literal', filter: { path: 'weird(path)' } },
  { name: 'path ".*" is literal', filter: { path: '.*' }, empty: true },
  { name: 'path "^/v1" is literal', filter: { path: '^/v1' }, empty: true },
  { name: 'path "[" and "\\" are literal', filter: { path: '[\\' }, empty: true },
  { name: 'path is case-sensitive', filter: { path: 'CHAT' }, empty: true },
  { name: 'model is exact', filter: { model: 'gpt-4o' } },
  { name: 'stream true', filter: { stream: true } },
  { name: 'stream false', filter: { stream: false } },
  { name: 'method + statusClass + stream', filter: { method: 'post', statusClass: 2, stream: true } },
  { name: 'time range + model + path', filter: { from: at(2000), to: at(8000), model: 'gpt-4o', path: '/v1/' } },
  { name: 'everything at once', filter: { from: at(0), to: at(9000), method: 'Post', statusClass: 5, path: 'chat', model: 'llama-3', stream: false } },
];

function contract(name: string, makeStore: () => Promise<Store>) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
      await store.init();
    });
    afterEach(async () => {
      await store.close();
    });

    const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

    describe('client keys', () => {
      const key = (over: Partial<ApiKeyRow> = {}): ApiKeyRow => ({
        id: 'key-1', name: 'ci', publicId: 'abcdefghijkl', secretHash: 'f'.repeat(64), allowedModels: ['gpt-*', 'local'],
        rpm: 60, tpm: null, maxParallel: 2, budgetTokens: 1e6, budgetUsd: 12.5, budgetPeriod: 'MONTH',
        expiresAt: new Date('2027-01-01T00:00:00Z'), enabled: true, revokedAt: null, metadata: { team: 'search', owner: 'ana' },
        createdAt: new Date('2026-12-01T10:00:00Z'), updatedAt: new Date('2026-12-01T10:00:00Z'), lastUsedAt: null, ...over,
      });

      test('insert then list returns the rows as given, oldest first', async () => {
        await store.insertApiKey(key({ id: 'key-2', name: 'second', publicId: 'bbbbbbbbbbbb', createdAt: new Date('2026-12-02T00:00:00Z') }));
        await store.insertApiKey(key());
        expect(await store.listApiKeys()).toEqual([key(), key({ id: 'key-2', name: 'second', publicId: 'bbbbbbbbbbbb', createdAt: new Date('2026-12-02T00:00:00Z') })]);
      });

      test('names and public ids are unique', async () => {
        await store.insertApiKey(key());
        await expect(store.insertApiKey(key({ id: 'key-2', publicId: 'bbbbbbbbbbbb' }))).rejects.toThrow();
        await expect(store.insertApiKey(key({ id: 'key-3', name: 'other' }))).rejects.toThrow();
        expect(ids(await store.listApiKeys())).toEqual(['key-1']);
      });

      test('update sets what the patch gives (null clears), leaves the rest, and answers null for an unknown id', async () => {
        await store.insertApiKey(key());
        const at = new Date('2026-12-03T00:00:00Z');
        const updated = await store.updateApiKey('key-1', { rpm: null, allowedModels: null, revokedAt: at, enabled: false, updatedAt: at, lastUsedAt: at });
        expect(updated).toEqual(key({ rpm: null, allowedModels: null, revokedAt: at, enabled: false, updatedAt: at, lastUsedAt: at }));
        expect(await store.listApiKeys()).toEqual([updated!]);
        expect(await store.updateApiKey('nope', { rpm: 1 })).toBeNull();
      });
    });

    describe('model groups', () => {
      const group = (over: Partial<ModelGroupRow> = {}): ModelGroupRow => ({
        name: 'gpt', fallbacks: ['gpt-backup', 'local'], contextFallbacks: ['gpt-long'], maxAttempts: 4, retryOnStatus: [429, 503],
        updatedAt: new Date('2026-12-01T10:00:00Z'), ...over,
      });

      test('put then list returns the rows as given, by name; a second put replaces the row whole', async () => {
        expect(await store.listModelGroups()).toEqual([]);
        await store.putModelGroup(group({ name: 'zeta', maxAttempts: null, retryOnStatus: null, fallbacks: [], contextFallbacks: [] }));
        await store.putModelGroup(group());
        expect(await store.listModelGroups()).toEqual([group(), group({ name: 'zeta', maxAttempts: null, retryOnStatus: null, fallbacks: [], contextFallbacks: [] })]);
        const later = new Date('2026-12-02T00:00:00Z');
        await store.putModelGroup(group({ fallbacks: [], maxAttempts: null, updatedAt: later }));
        expect((await store.listModelGroups())[0]).toEqual(group({ fallbacks: [], maxAttempts: null, updatedAt: later }));
        expect(await store.listModelGroups()).toHaveLength(2);
      });
    });

    describe('configs', () => {
      test('insert then get returns the row as given; an unknown id is null', async () => {
        const row = makeConfig({ id: 'cfg-1', apiKey: null, timeoutMs: null, ignoreSslVerify: true, enabled: false });
        await store.insertConfig(row);
        expect(await store.getConfig('cfg-1')).toEqual(row);
        expect(await store.getConfig('nope')).toBeNull();
      });

      test('prices (schema version 4) round-trip, and a patch sets or clears them', async () => {
        await store.insertConfig(makeConfig({ id: 'cfg-p', inputPrice: 2.5, cachedInputPrice: 1.25, outputPrice: 10 }));
        expect(await store.getConfig('cfg-p')).toMatchObject({ inputPrice: 2.5, cachedInputPrice: 1.25, outputPrice: 10 });
        const patched = await store.updateConfig('cfg-p', { inputPrice: 0, cachedInputPrice: null, updatedAt: at(5) });
        expect(patched).toMatchObject({ inputPrice: 0, cachedInputPrice: null, outputPrice: 10 });
      });

      test('inserting an existing id fails', async () => {
        await store.insertConfig(makeConfig({ id: 'cfg-1' }));
        await expect(store.insertConfig(makeConfig({ id: 'cfg-1', proxyModelName: 'other' }))).rejects.toThrow();
        expect(await store.getConfig('cfg-1')).toEqual(makeConfig({ id: 'cfg-1' }));
      });

      test('list is ordered by proxy model name, then creation time, then id', async () => {
        const rows = [
          makeConfig({ id: 'c3', proxyModelName: 'b', createdAt: at(0) }),
          makeConfig({ id: 'c1', proxyModelName: 'a', createdAt: at(1000) }),
          makeConfig({ id: 'c4', proxyModelName: 'a', createdAt: at(0) }),
          makeConfig({ id: 'c2', proxyModelName: 'a', createdAt: at(0) }),
        ];
        for (const row of rows) await store.insertConfig(row);
        expect(await store.listConfigs()).toEqual([rows[3]!, rows[2]!, rows[1]!, rows[0]!]);
      });

      test('update sets only the given keys, skips undefined ones, and returns the new row', async () => {
        const row = makeConfig({ id: 'cfg-1' });
        await store.insertConfig(row);
        const updated = await store.updateConfig('cfg-1', {
          baseUrl: 'https://other.example/v1', enabled: false, ignoreSslVerify: true, proxyModelName: undefined, updatedAt: at(5000),
        });
        const expected = { ...row, baseUrl: 'https://other.example/v1', enabled: false, ignoreSslVerify: true, updatedAt: at(5000) };
        expect(updated).toEqual(expected);
        expect(await store.getConfig('cfg-1')).toEqual(expected);
      });

      test('null is a value: apiKey null clears the key, timeoutMs null clears the timeout', async () => {
        await store.insertConfig(makeConfig({ id: 'cfg-1', apiKey: 'sk-old', timeoutMs: 1000 }));
        const updated = await store.updateConfig('cfg-1', { apiKey: null, timeoutMs: null, updatedAt: at(1) });
        expect(updated).toEqual(makeConfig({ id: 'cfg-1', apiKey: null, timeoutMs: null, updatedAt: at(1) }));
        expect(await store.getConfig('cfg-1')).toEqual(updated);
      });

      test('update of an unknown id returns null and creates nothing', async () => {
        await store.insertConfig(makeConfig({ id: 'cfg-1' }));
        expect(await store.updateConfig('nope', { baseUrl: 'x', updatedAt: at(1) })).toBeNull();
        expect(ids(await store.listConfigs())).toEqual(['cfg-1']);
      });

      test('delete removes one row and reports whether it existed', async () => {
        await store.insertConfig(makeConfig({ id: 'cfg-1' }));
        await store.insertConfig(makeConfig({ id: 'cfg-2' }));
        expect(await store.deleteConfig('cfg-1')).toBe(true);
        expect(await store.getConfig('cfg-1')).toBeNull();
        expect(await store.deleteConfig('cfg-1')).toBe(false);
        expect(ids(await store.listConfigs())).toEqual(['cfg-2']);
      });
    });

    describe('log writes', () => {
      test('writing the same batch twice stores it once', async () => {
        const batch = [makeLog({ id: 'a' }), makeLog({ id: 'b', timestamp: at(1) })];
        await store.insertLogs(batch);
        await store.insertLogs(batch);
        expect(await store.countLogs({})).toBe(2);
        expect(await store.queryLogs({ filter: {}, limit: 10 })).toEqual([summaryOf(batch[1]!), summaryOf(batch[0]!)]);
      });

      test('a stored row is never changed by a rewrite; new rows beside duplicates still land', async () => {
        await store.insertLogs([makeLog({ id: 'a', statusCode: 200 })]);
        await store.insertLogs([
          makeLog({ id: 'a', statusCode: 500, requestBody: { changed: true } }),
          makeLog({ id: 'b', statusCode: 201 }),
          makeLog({ id: 'b', statusCode: 202 }),
          makeLog({ id: 'c', statusCode: 203 }),
        ]);
        expect(await store.getLog('a')).toEqual(makeLog({ id: 'a', statusCode: 200 }));
        expect(await store.getLog('b')).toEqual(makeLog({ id: 'b', statusCode: 201 }));
        expect(await store.getLog('c')).toEqual(makeLog({ id: 'c', statusCode: 203 }));
        expect(await store.countLogs({})).toBe(3);
      });

      test('an empty batch is nothing to do', async () => {
        await store.insertLogs([]);
        expect(await store.countLogs({})).toBe(0);
      });
    });

    describe('log reads', () => {
      test('getLog returns every field exactly, hostile keys and unicode included', async () => {
        const row = makeLog({
          id: 'hostile', stream: true, ttftMs: 87.25, durationMs: 4321.125, error: 'upstream said "no" 💥',
          userAgent: 'агент/1.0', apiKeyId: 'key-1', apiKeyName: 'ci', requestHeaders: { 'content-type': 'application/json', 'x-a.b': 'v', $h: ['1', '2'] },
          requestBody: {
            $where: 1, 'a.b': { c: [1, 'x'] }, $set: { x: null }, '': 'empty key', nested: { $gt: [], 'x.y.z': { $ref: 'a' } },
            messages: [{ role: 'user', content: 'héllo wörld 🌍 中文 "quoted" \\ back\nslash\ttab' }],
            float: 0.1, big: 12345678901234, tiny: -3.5e-7, yes: true, no: false, nil: null, empty: {}, list: [],
          },
          responseHeaders: { 'content-type': 'text/event-stream' },
          responseBody: null,
          streamContent: 'Hello, 世界! 👋\n',
          chunks: [{ choices: [{ delta: { content: 'Hel' } }] }, { choices: [{ delta: { content: 'lo' }, finish_reason: 'stop' }] }, '[DONE]'],
        });
        await store.insertLogs([row]);
        expect(await store.getLog('hostile')).toEqual(row);
      });

      test('getLog keeps nulls, scalar bodies and empty values', async () => {
        const nulls = makeLog({
          id: 'nulls', model: null, backendModel: null, configId: null, upstreamUrl: null, ttftMs: null, promptTokens: null,
          completionTokens: null, totalTokens: null, error: null, clientIp: null, userAgent: null, apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null, requestHeaders: null,
          requestBody: null, responseHeaders: null, responseBody: null, streamContent: null, chunks: null, attempts: null,
        });
        const scalars = makeLog({
          id: 'scalars', requestHeaders: {}, requestBody: 0, responseHeaders: '', responseBody: 'plain text, not JSON',
          streamContent: '', chunks: [],
        });
        await store.insertLogs([nulls, scalars]);
        expect(await store.getLog('nulls')).toEqual(nulls);
        expect(await store.getLog('scalars')).toEqual(scalars);
        expect(await store.getLog('missing')).toBeNull();
      });

      test('summaries carry exactly the summary fields', async () => {
        const row = makeLog({ id: 'a', streamContent: 'text', chunks: [{ x: 1 }], apiKeyId: 'k-1', apiKeyName: 'ci', costUsd: 0.000125 });
        await store.insertLogs([row]);
        const [summary] = await store.queryLogs({ filter: {}, limit: 1 });
        expect(Object.keys(summary!).sort()).toEqual([...SUMMARY_KEYS].sort());
        expect(summary).toEqual(summaryOf(row));
      });

      test('newest first, ties broken by id descending', async () => {
        await store.insertLogs(FILTER_ROWS);
        const all = await store.queryLogs({ filter: {}, limit: 100 });
        expect(all).toEqual(FILTER_ROWS.map(summaryOf).sort(newestFirst));
        expect(await store.queryLogs({ filter: {}, limit: 3 })).toEqual(all.slice(0, 3));
        expect(await store.queryLogs({ filter: {}, limit: 0 })).toEqual([]);
      });

      test('paging with after never overlaps or skips, across shared timestamps', async () => {
        // 25 rows on 5 timestamps, written in two batches out of order.
        const rows = Array.from({ length: 25 }, (_, i) => makeLog({ id: `p-${pad((i * 11) % 25)}`, timestamp: at(Math.floor(i / 5) * 1000) }));
        await store.insertLogs(rows.filter((_, i) => i % 2 === 1));
        await store.insertLogs(rows.filter((_, i) => i % 2 === 0));
        const full = await store.queryLogs({ filter: {}, limit: 100 });
        expect(full).toEqual(rows.map(summaryOf).sort(newestFirst));

        const pages: LogSummary[][] = [];
        let after: LogCursor | null = null;
        // Bounded, so a cursor that does not advance fails the assertion below instead of looping forever.
        for (let round = 0; round < 10; round++) {
          const page = await store.queryLogs({ filter: {}, limit: 7, after });
          if (page.length === 0) break;
          pages.push(page);
          const last = page[page.length - 1]!;
          after = { timestamp: last.timestamp, id: last.id };
        }
        expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
        expect(pages.flat()).toEqual(full);
      });

      test('after is strictly older, also for a cursor that names no stored row', async () => {
        await store.insertLogs(FILTER_ROWS);
        const all = FILTER_ROWS.map(summaryOf).sort(newestFirst);
        const midGroup = all[21]!; // second of the four rows sharing its timestamp
        const cursors = [{ timestamp: at(5000), id: 'zzz' }, { timestamp: at(5000), id: '' }, { timestamp: midGroup.timestamp, id: midGroup.id }];
        for (const cursor of cursors) {
          expect(await store.queryLogs({ filter: {}, limit: 100, after: cursor })).toEqual(all.filter((r) => isOlder(r, cursor)));
        }
      });

      test('paging with a filter pages through the filtered rows only', async () => {
        await store.insertLogs(FILTER_ROWS);
        const filter: LogFilter = { method: 'post', stream: true };
        const expected = FILTER_ROWS.map(summaryOf).filter((r) => matches(r, filter)).sort(newestFirst);
        const first = await store.queryLogs({ filter, limit: 4 });
        const last = first[first.length - 1]!;
        const rest = await store.queryLogs({ filter, limit: 100, after: { timestamp: last.timestamp, id: last.id } });
        expect([...first, ...rest]).toEqual(expected);
      });

      for (const c of FILTER_CASES) {
        test(`filter: ${c.name}`, async () => {
          await store.insertLogs(FILTER_ROWS);
          const expected = FILTER_ROWS.map(summaryOf).filter((r) => matches(r, c.filter)).sort(newestFirst);
          expect(expected.length === 0).toBe(c.empty ?? false);
          expect(await store.queryLogs({ filter: c.filter, limit: 100 })).toEqual(expected);
          expect(await store.countLogs(c.filter)).toBe(expected.length);
          // Capped: exact at or below the cap, and "more than cap" above it.
          expect(await store.countLogsUpTo(c.filter, 10_000)).toEqual({ count: expected.length, exact: true });
          expect(await store.countLogsUpTo(c.filter, expected.length)).toEqual({ count: expected.length, exact: true });
          if (expected.length > 1) expect(await store.countLogsUpTo(c.filter, expected.length - 1)).toEqual({ count: expected.length - 1, exact: false });
        });
      }

      test('countLogsUpTo with no filter: exact at any size where the store knows its total, else capped', async () => {
        await store.insertLogs(FILTER_ROWS);
        await store.size();
        const total = FILTER_ROWS.length;
        const capped = await store.countLogsUpTo({}, 3);
        expect(capped.exact ? capped.count === total : capped.count === 3).toBe(true);
        expect(await store.countLogsUpTo({}, total)).toEqual({ count: total, exact: true });
      });
    });

    describe('rollups', () => {
      const minute = (n: number) => new Date(T0 + n * 60_000);
      const rollup = (start: Date, model: string | null, counts: Record<string, number>): RollupRow => ({ size: 60, start, model, counts });

      test('writers racing to create the same rollup all count (one at a time once it exists)', async () => {
        await Promise.all(Array.from({ length: 10 }, () => store.addRollups([rollup(minute(9), 'new', { n: 1 })])));
        const [row] = await store.readRollups({ size: 60, from: minute(9), to: minute(10) });
        // On FerretDB the increments racing with each other may be lost (see below); the creation race must not fail.
        expect(row?.counts.n).toBeGreaterThanOrEqual(name === 'mongodb' && isFerretDb ? 1 : 10);
        for (let i = 0; i < 5; i++) await store.addRollups([rollup(minute(9), 'new', { n: 1 })]);
        const [after] = await store.readRollups({ size: 60, from: minute(9), to: minute(10) });
        expect(after!.counts.n).toBe(row!.counts.n! + 5);
      });

      test('counts of the same size, start and model add up; a null model is its own key and reads back as null', async () => {
        await store.addRollups([rollup(minute(0), 'gpt-4o', { n: 2, s2: 2, pt: 10, dsum: 12.5, d7: 2 })]);
        await store.addRollups([rollup(minute(0), 'gpt-4o', { n: 1, s5: 1, dsum: 0.25, d7: 1, t3: 1 }), rollup(minute(0), null, { n: 4, s4: 4 })]);
        await store.addRollups([{ size: 3600, start: minute(0), model: 'gpt-4o', counts: { n: 9 } }]);
        const rows = await store.readRollups({ size: 60, from: minute(0), to: minute(1) });
        const byModel = new Map(rows.map((r) => [r.model, r]));
        expect(rows.length).toBe(2);
        expect(byModel.get('gpt-4o')).toEqual(rollup(minute(0), 'gpt-4o', { n: 3, s2: 2, s5: 1, pt: 10, dsum: 12.75, d7: 3, t3: 1 }));
        expect(byModel.get(null)).toEqual(rollup(minute(0), null, { n: 4, s4: 4 }));
        expect(await store.readRollups({ size: 3600, from: minute(0), to: minute(60) })).toEqual([{ size: 3600, start: minute(0), model: 'gpt-4o', counts: { n: 9 } }]);
      });

      test('deleteRollups removes one size before a time and nothing else', async () => {
        await store.addRollups([0, 1, 2].map((n) => rollup(minute(n), 'm', { n: 1 })));
        await store.addRollups([{ size: 3600, start: minute(0), model: 'm', counts: { n: 3 } }]);
        expect(await store.deleteRollups({ size: 60, before: minute(2) })).toBe(2);
        expect((await store.readRollups({ size: 60, from: minute(0), to: minute(10) })).map((r) => r.start)).toEqual([minute(2)]);
        expect(await store.readRollups({ size: 3600, from: minute(0), to: minute(60) })).toHaveLength(1);
      });

      test('client keys\' rollups (all-time size 0 too) are kept apart from the models\', add up, and read back with byKey', async () => {
        const key = (size: 0 | 60 | 3600, start: Date, apiKeyId: string, counts: Record<string, number>): RollupRow => ({ size, start, model: null, apiKeyId, counts });
        await store.addRollups([rollup(minute(0), 'gpt-4o', { n: 1, cost: 0.5 }), key(60, minute(0), 'k1', { n: 1, pt: 10, cost: 0.25 }), key(0, new Date(0), 'k1', { n: 1, cost: 0.25 })]);
        await store.addRollups([key(60, minute(0), 'k1', { n: 2, ct: 5, cost: 0.125 }), key(60, minute(0), 'k2', { n: 1 }), key(0, new Date(0), 'k1', { n: 2, cost: 0.125 })]);
        expect(await store.readRollups({ size: 60, from: minute(0), to: minute(1) })).toEqual([rollup(minute(0), 'gpt-4o', { n: 1, cost: 0.5 })]);
        const keyed = await store.readRollups({ size: 60, from: minute(0), to: minute(1), byKey: true });
        expect(keyed.sort((a, b) => (a.apiKeyId! < b.apiKeyId! ? -1 : 1))).toEqual([
          key(60, minute(0), 'k1', { n: 3, pt: 10, ct: 5, cost: 0.375 }), key(60, minute(0), 'k2', { n: 1 }),
        ]);
        expect(await store.readRollups({ size: 0, from: new Date(0), to: new Date(1), byKey: true })).toEqual([key(0, new Date(0), 'k1', { n: 3, cost: 0.375 })]);
        // deleteRollups prunes both kinds of one size; putRollups sets values (migration).
        expect(await store.deleteRollups({ size: 60, before: minute(1) })).toBe(3);
        await store.putRollups([key(0, new Date(0), 'k1', { n: 7 })]);
        expect(await store.readRollups({ size: 0, from: new Date(0), to: new Date(1), byKey: true })).toEqual([key(0, new Date(0), 'k1', { n: 7 })]);
      });

      test('reads cover [from, to): the start is included, the end is not', async () => {
        await store.addRollups([0, 1, 2, 3].map((n) => rollup(minute(n), 'm', { n: n + 1 })));
        const rows = await store.readRollups({ size: 60, from: minute(1), to: minute(3) });
        expect(rows.map((r) => r.counts.n).sort()).toEqual([2, 3]);
      });

      // FerretDB 1.24 (SQLite handler) applies $inc as a read-modify-write: with 20 concurrent updates
      // of one document it kept 6. MongoDB's $inc is atomic per document. Lite Proxy writes rollups
      // from one serialised writer per process, so one instance counts right on both.
      test.skipIf(name === 'mongodb' && isFerretDb)('concurrent writers of the same rollup lose no increment', async () => {
        await Promise.all(Array.from({ length: 20 }, () => store.addRollups([rollup(minute(5), 'race', { n: 1, d3: 1 })])));
        const [row] = await store.readRollups({ size: 60, from: minute(5), to: minute(6) });
        expect(row?.counts).toEqual({ n: 20, d3: 20 });
      });
    });

    describe('lifecycle', () => {
      test('ping succeeds on a reachable store', async () => {
        expect(await store.ping()).toBeUndefined();
      });

      test('a second init keeps the data and the store working', async () => {
        await store.insertConfig(makeConfig({ id: 'cfg-1' }));
        await store.insertLogs([makeLog({ id: 'a' })]);
        await store.init();
        expect(await store.getConfig('cfg-1')).toEqual(makeConfig({ id: 'cfg-1' }));
        expect(await store.getLog('a')).toEqual(makeLog({ id: 'a' }));
        await store.insertLogs([makeLog({ id: 'b' })]);
        expect(await store.countLogs({})).toBe(2);
      });

      test('init on a store at the current schema has nothing to upgrade and reports nothing', async () => {
        await store.insertLogs([makeLog({ id: 'a' })]);
        const messages: string[] = [];
        await store.init({ report: (m) => messages.push(m) });
        expect(messages).toEqual([]);
        expect(await store.getLog('a')).toEqual(makeLog({ id: 'a' }));
      });
    });

    describe('export, retention and import support', () => {
      /** A row as getLog gives it: bodies handed out as JsonText parsed. */
      const parsed = (row: LogRow): LogRow => {
        const out: Record<string, unknown> = { ...row };
        for (const key of DETAIL_KEYS) if (out[key] instanceof JsonText) out[key] = (out[key] as JsonText).parse();
        return out as unknown as LogRow;
      };
      const oldestFirst = (a: LogSummary, b: LogSummary) => -newestFirst(a, b);

      test('queryLogRows gives full rows, newest first, equal to getLog after parsing; bodies as JsonText', async () => {
        const hostile = makeLog({
          id: 'log-zz-hostile', timestamp: at(60_000), stream: true, streamContent: 'Hi 👋 世界', chunks: [{ a: 1 }, '[DONE]'],
          requestBody: { $where: 1, 'a.b': 'x', text: 'line\nbreak "quoted"' }, responseBody: 'plain text',
          requestHeaders: { 'x-a.b': 'v' },
        });
        const nullBodies = makeLog({ id: 'log-zz-nulls', timestamp: at(61_000), requestBody: null, responseBody: null, requestHeaders: null });
        await store.insertLogs([...FILTER_ROWS, hostile, nullBodies]);
        const rows = await store.queryLogRows({ filter: {}, limit: 100 });
        expect(ids(rows)).toEqual(ids([...FILTER_ROWS, hostile, nullBodies].map(summaryOf).sort(newestFirst)));
        for (const row of rows) expect(parsed(row)).toEqual((await store.getLog(row.id))!);
        const h = rows.find((r) => r.id === hostile.id)!;
        expect(h.requestBody).toBeInstanceOf(JsonText);
        expect(h.responseBody).toBeInstanceOf(JsonText);
        expect((h.requestBody as JsonText).parse()).toEqual(hostile.requestBody as never);
        // JSON.stringify writes the values, not the wrappers.
        expect(JSON.parse(JSON.stringify(h))).toEqual(JSON.parse(JSON.stringify(hostile)));
        const n = rows.find((r) => r.id === nullBodies.id)!;
        expect([n.requestBody, n.responseBody, n.requestHeaders]).toEqual([null, null, null]);
      });

      test('queryLogRows pages with a cursor and applies the filter', async () => {
        await store.insertLogs(FILTER_ROWS);
        const filter: LogFilter = { method: 'post' };
        const expected = FILTER_ROWS.map(summaryOf).filter((r) => matches(r, filter)).sort(newestFirst);
        const pages: LogRow[][] = [];
        let after: LogCursor | null = null;
        for (let round = 0; round < 10; round++) {
          const page: LogRow[] = await store.queryLogRows({ filter, limit: 6, after });
          if (page.length === 0) break;
          pages.push(page);
          const last = page[page.length - 1]!;
          after = { timestamp: last.timestamp, id: last.id };
        }
        expect(pages.slice(0, -1).every((p) => p.length === 6)).toBe(true);
        expect(pages.flat().map(summaryOf)).toEqual(expected);
        expect(await store.queryLogRows({ filter: {}, limit: 0 })).toEqual([]);
      });

      test('deleteLogs deletes the oldest first, at most limit, and returns the count', async () => {
        await store.insertLogs(FILTER_ROWS);
        const byAge = FILTER_ROWS.map(summaryOf).sort(oldestFirst);
        expect(await store.deleteLogs({}, 6)).toBe(6);
        expect(ids(await store.queryLogs({ filter: {}, limit: 100 }))).toEqual(ids(byAge.slice(6).sort(newestFirst)));
        expect(await store.deleteLogs({}, 100)).toBe(34);
        expect(await store.countLogs({})).toBe(0);
        expect(await store.deleteLogs({}, 10)).toBe(0);
      });

      test('deleteLogs deletes only matching entries', async () => {
        await store.insertLogs(FILTER_ROWS);
        const filter: LogFilter = { model: 'llama-3', statusClass: 5 };
        const matching = FILTER_ROWS.map(summaryOf).filter((r) => matches(r, filter)).sort(oldestFirst);
        expect(matching.length).toBeGreaterThan(1);
        expect(await store.deleteLogs(filter, 1)).toBe(1);
        expect(await store.getLog(matching[0]!.id)).toBeNull();
        expect(await store.deleteLogs(filter, 100)).toBe(matching.length - 1);
        expect(ids(await store.queryLogs({ filter: {}, limit: 100 }))).toEqual(
          ids(FILTER_ROWS.map(summaryOf).filter((r) => !matches(r, filter)).sort(newestFirst)),
        );
        expect(await store.deleteLogs({ from: at(3000), to: at(3999) }, 100)).toBe(
          FILTER_ROWS.filter((r) => !matches(r, filter) && r.timestamp.getTime() === at(3000).getTime()).length,
        );
      });

      test('size counts log entries exactly; bytes is a positive number or null', async () => {
        expect((await store.size()).logRows).toBe(0);
        await store.insertLogs(FILTER_ROWS);
        const full = await store.size();
        expect(full.logRows).toBe(40);
        expect(full.bytes === null || (typeof full.bytes === 'number' && full.bytes > 0)).toBe(true);
        await store.deleteLogs({}, 15);
        expect((await store.size()).logRows).toBe(25);
        // Rows already stored (a retried batch) are not counted twice; new ones are.
        await store.insertLogs([...FILTER_ROWS.slice(20), makeLog({ id: 'one-more' })]);
        expect((await store.size()).logRows).toBe(26);
        expect(await store.countLogs({})).toBe(26);
      });

      test('applyConfigChanges inserts, updates and removes together', async () => {
        const [c1, c2, c3] = [makeConfig({ id: 'c1', proxyModelName: 'a' }), makeConfig({ id: 'c2', proxyModelName: 'b' }), makeConfig({ id: 'c3', proxyModelName: 'c' })];
        for (const c of [c1, c2, c3]) await store.insertConfig(c);
        const c4 = makeConfig({ id: 'c4', proxyModelName: 'd', apiKey: null });
        await store.applyConfigChanges({
          insert: [c4],
          update: [{ id: 'c1', patch: { baseUrl: 'https://new.example/v1', apiKey: null, enabled: false, updatedAt: at(9000) } }],
          remove: ['c2'],
        });
        expect(await store.listConfigs()).toEqual([
          { ...c1, baseUrl: 'https://new.example/v1', apiKey: null, enabled: false, updatedAt: at(9000) }, c3, c4,
        ]);
        await store.applyConfigChanges({ insert: [], update: [], remove: [] });
        expect(ids(await store.listConfigs())).toEqual(['c1', 'c3', 'c4']);
      });

      test('a failing step of applyConfigChanges leaves the configs exactly as before', async () => {
        const before = [makeConfig({ id: 'c1', proxyModelName: 'a' }), makeConfig({ id: 'c2', proxyModelName: 'b', apiKey: null })];
        for (const c of before) await store.insertConfig(c);
        // An update of an id that is not there, after an insert and a good update.
        await expect(store.applyConfigChanges({
          insert: [makeConfig({ id: 'c5', proxyModelName: 'e' })],
          update: [{ id: 'c1', patch: { apiKey: 'sk-new', timeoutMs: null, updatedAt: at(1) } }, { id: 'missing', patch: { enabled: false, updatedAt: at(1) } }],
          remove: ['c2'],
        })).rejects.toThrow();
        expect(await store.listConfigs()).toEqual(before);
        // An insert of an id that exists, after another insert.
        await expect(store.applyConfigChanges({
          insert: [makeConfig({ id: 'c6', proxyModelName: 'f' }), makeConfig({ id: 'c2', proxyModelName: 'dup' })],
          update: [],
          remove: ['c1'],
        })).rejects.toThrow();
        expect(await store.listConfigs()).toEqual(before);
      });

      test('putRollups sets values instead of adding; a rerun changes nothing; added counts go on top', async () => {
        const minute = (n: number) => new Date(T0 + n * 60_000);
        const read = (size: 60 | 3600) => store.readRollups({ size, from: minute(0), to: minute(600) });
        const byKey = (rows: RollupRow[]) => new Map(rows.map((r) => [`${r.start.getTime()}:${r.model}`, r.counts]));
        await store.addRollups([{ size: 60, start: minute(1), model: 'm', counts: { n: 2, s2: 2, d4: 2 } }]);
        const put: RollupRow[] = [
          { size: 60, start: minute(1), model: 'm', counts: { n: 5, s5: 5, dsum: 12.5 } },
          { size: 60, start: minute(2), model: null, counts: { n: 1, s4: 1 } },
          { size: 3600, start: minute(0), model: 'm', counts: { n: 6 } },
        ];
        for (let run = 0; run < 2; run++) {
          await store.putRollups(put);
          const minutes = byKey(await read(60));
          expect(minutes.size).toBe(2);
          expect(minutes.get(`${minute(1).getTime()}:m`)).toEqual({ n: 5, s5: 5, dsum: 12.5 });
          expect(minutes.get(`${minute(2).getTime()}:null`)).toEqual({ n: 1, s4: 1 });
          expect(await read(3600)).toEqual([put[2]!]);
        }
        await store.putRollups([]);
        await store.addRollups([{ size: 60, start: minute(2), model: null, counts: { n: 1, s4: 1 } }]);
        expect(byKey(await read(60)).get(`${minute(2).getTime()}:null`)).toEqual({ n: 2, s4: 2 });
      });
    });
  });
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'lp-store-contract-'));
let sqliteFiles = 0;
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));
contract('sqlite', async () => new SqliteStore(join(sqliteDir, `store-${++sqliteFiles}.sqlite`)));

const mongoUri = process.env.MONGODB_URI;
let isFerretDb = false;
if (mongoUri) {
  // One database per run, emptied before each test so every test starts from nothing, dropped at the end.
  const databaseName = `lp_contract_${randomBytes(6).toString('hex')}`;
  const admin = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 5000 });
  afterAll(async () => {
    await admin.db(databaseName).dropDatabase();
    await admin.close();
  });
  const info = await admin.db('admin').command({ buildInfo: 1 });
  isFerretDb = 'ferretdbVersion' in info;
  contract('mongodb', async () => {
    await admin.db(databaseName).dropDatabase();
    return new MongoStore(mongoUri, databaseName);
  });
}

describe('MongoDB documents stay under the 16 MiB limit', () => {
  test('when the heavy fields together pass it, the largest become markers and the rest stay as logged', async () => {
    const { docFromLog, logFromDoc } = await import('../server/store/mongo-docs.ts');
    const MiB = 1024 * 1024;
    const row = makeLog({
      id: 'big', stream: true,
      requestBody: new JsonText(JSON.stringify({ prompt: 'p'.repeat(7 * MiB) })),
      chunks: [{ text: 'c'.repeat(5 * MiB) }, '[DONE]'],
      streamContent: 's'.repeat(4 * MiB),
    });
    const doc = docFromLog(row);
    const bytes = (v: string | null) => (v === null ? 0 : Buffer.byteLength(v));
    expect(bytes(doc.requestBody) + bytes(doc.chunks) + bytes(doc.streamContent)).toBeLessThanOrEqual(15 * MiB);
    const back = logFromDoc(doc);
    // The largest (the request body) went first; that was enough.
    expect(back.requestBody).toEqual({ _truncated: true, bytes: 7 * MiB + 13, reason: 'entry exceeded the MongoDB document size limit' });
    expect(back.chunks).toEqual(row.chunks);
    expect(back.streamContent).toBe(row.streamContent);
    expect(back.responseBody).toEqual(row.responseBody);

    const huge = docFromLog(makeLog({ id: 'huge', streamContent: 's'.repeat(9 * MiB), chunks: ['c'.repeat(8 * MiB)] }));
    expect(huge.streamContent).toBe(`[truncated: ${9 * MiB} bytes exceeded the MongoDB document size limit]`);
    expect(JSON.parse(huge.chunks!)).toEqual(['c'.repeat(8 * MiB)]);
    // A chunks marker is still a list of chunks.
    const both = docFromLog(makeLog({ id: 'both', streamContent: 's'.repeat(8 * MiB), chunks: ['c'.repeat(9 * MiB)] }));
    expect(JSON.parse(both.chunks!)).toEqual([{ _truncated: true, bytes: 9 * MiB + 4, reason: 'entry exceeded the MongoDB document size limit' }]);
    expect(both.streamContent).toBe('s'.repeat(8 * MiB));
  });
});
