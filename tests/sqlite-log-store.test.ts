/**
 * The SQLite log store's own promises (schema version 2): admin reads run in a Worker and never
 * hold the proxy's thread; deletes and inserts run in small pieces; deleted space goes back to the
 * disk; an older file's entries are read beside the new ones while they are moved in the background.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deleteLogs } from '../server/logs/delete.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import { legacyCodec, logsFileOf } from '../server/store/sqlite-logs.ts';
import { createTablesSql } from '../server/store/sqlite-schema.ts';
import type { LogFilter, LogRow } from '../server/store/types.ts';
import { tempDir } from './helpers/app.ts';

const T0 = Date.parse('2026-11-30T00:00:00Z');
const BIG = 'x'.repeat(20_000);

function row(i: number, o: { body?: string; path?: string } = {}): LogRow {
  return {
    id: `s-${String(i).padStart(7, '0')}`, timestamp: new Date(T0 + i * 10), method: i % 50 === 0 ? 'GET' : 'POST',
    path: o.path ?? (i % 7 === 0 ? '/v1/embeddings' : '/v1/chat/completions'), model: `m${i % 4}`, backendModel: 'b', configId: 'c',
    upstreamUrl: null, statusCode: i % 20 === 0 ? 503 : 200, stream: i % 5 < 2, durationMs: 12.5, ttftMs: 3, promptTokens: 10,
    completionTokens: 20, totalTokens: 30, error: null, clientIp: '127.0.0.1', userAgent: 'test', apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null,
    requestHeaders: { a: 'b' }, requestBody: { i, pad: o.body ?? '' }, responseHeaders: null, responseBody: { ok: true },
    streamContent: i % 5 < 2 ? 'streamed' : null, chunks: i % 5 < 2 ? [{ n: 1 }, { n: 2 }] : null, attempts: null,
  };
}

/** The longest the event loop went without running a 1 ms timer while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ value: T; stallMs: number; tookMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  try {
    const value = await work();
    return { value, stallMs: Math.max(stallMs, performance.now() - last), tookMs: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function open(path = join(tempDir(), 'lite-proxy.sqlite')) {
  const store = new SqliteStore(path);
  await store.init();
  stores.push(store);
  return store;
}

describe('SQLite log store, schema version 2', () => {
  test('logs live in their own file beside the main file', async () => {
    const store = await open();
    await store.insertLogs([row(1)]);
    expect(existsSync(logsFileOf(store.path))).toBe(true);
    expect(logsFileOf('/data/lite-proxy.sqlite')).toBe('/data/lite-proxy-logs.sqlite');
    const db = new Database(logsFileOf(store.path), { readonly: true });
    expect((db.query('SELECT count(*) AS n FROM logs').get() as { n: number }).n).toBe(1);
    expect((db.query('SELECT count(*) AS n FROM log_bodies').get() as { n: number }).n).toBe(1);
    expect((db.query('PRAGMA auto_vacuum').get() as { auto_vacuum: number }).auto_vacuum).toBe(2);
    db.close();
  });

  test('an admin read runs off the proxy\'s thread: a long export holds the event loop far less than it takes', async () => {
    const store = await open();
    const rows = Array.from({ length: 3_000 }, (_, i) => row(i, { body: BIG }));
    for (let i = 0; i < rows.length; i += 500) await store.insertLogs(rows.slice(i, i + 500));
    const count = await longestStall(() => store.countLogs({ path: 'completions', stream: false, statusClass: 2 }));
    expect(count.value).toBe(rows.filter((r) => r.path.includes('completions') && !r.stream && r.statusCode < 300).length);
    // Whole entries with their 20 KB bodies, filtered on columns no single index answers: the reader
    // works for tens of milliseconds, the proxy's thread only takes the answer.
    const page = await longestStall(() => store.queryLogRows({ filter: { path: 'completions', stream: true, method: 'POST' }, limit: 900 }));
    expect(page.value).toHaveLength(900);
    expect(page.value[0]!.requestBody).toMatchObject({ text: expect.stringContaining(BIG) });
    console.log(`count: ${count.tookMs.toFixed(1)} ms (loop stalled ${count.stallMs.toFixed(1)} ms); 900 × 20 KB entries: ${page.tookMs.toFixed(1)} ms (stalled ${page.stallMs.toFixed(1)} ms)`);
    expect(page.stallMs).toBeLessThan(page.tookMs / 2);
    expect(count.stallMs).toBeLessThan(25);
  }, 60_000);

  test('deletes run in pieces: deleting thousands of entries never holds the loop for long', async () => {
    const store = await open();
    const rows = Array.from({ length: 6_000 }, (_, i) => row(i, { body: 'y'.repeat(2_000) }));
    for (let i = 0; i < rows.length; i += 1_000) await store.insertLogs(rows.slice(i, i + 1_000));
    const { value, stallMs } = await longestStall(() => store.deleteLogs({ model: 'm2' }, 1_000_000));
    expect(value).toBe(1_500);
    expect(await store.countLogs({ model: 'm2' })).toBe(0);
    expect(await store.countLogs({})).toBe(4_500);
    expect(stallMs).toBeLessThan(30);
  }, 60_000);

  test('space freed by deletes goes back to the disk after compact()', async () => {
    const store = await open();
    const rows = Array.from({ length: 2_000 }, (_, i) => row(i, { body: BIG }));
    for (let i = 0; i < rows.length; i += 500) await store.insertLogs(rows.slice(i, i + 500));
    const db = new Database(logsFileOf(store.path));
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const before = statSync(logsFileOf(store.path)).size;
    await store.deleteLogs({ to: new Date(T0 + 1_800 * 10) }, 1_000_000);
    await store.compact();
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
    const after = statSync(logsFileOf(store.path)).size;
    expect(await store.countLogs({})).toBe(199);
    expect(before).toBeGreaterThan(40_000_000);
    expect(after).toBeLessThan(before * 0.2);
  }, 60_000);

  test('the deleteLogs mutation gives the space back at once', async () => {
    const store = await open();
    const rows = Array.from({ length: 1_000 }, (_, i) => row(i, { body: BIG }));
    for (let i = 0; i < rows.length; i += 500) await store.insertLogs(rows.slice(i, i + 500));
    const fileSize = () => {
      const db = new Database(logsFileOf(store.path));
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      db.close();
      return statSync(logsFileOf(store.path)).size;
    };
    const before = fileSize();
    expect(await deleteLogs(store, { from: new Date(0) })).toBe(1_000);
    expect(fileSize()).toBeLessThan(before * 0.1);
  }, 60_000);

  test('a path substring is answered over the distinct paths, including many of them', async () => {
    const store = await open();
    const many = Array.from({ length: 200 }, (_, i) => row(10_000 + i, { path: `/v1/things/${i}` }));
    await store.insertLogs([...Array.from({ length: 50 }, (_, i) => row(i)), ...many]);
    const page = (f: LogFilter) => store.queryLogs({ filter: f, limit: 1_000 });
    expect((await page({ path: 'embeddings' })).map((r) => r.id)).toEqual(
      Array.from({ length: 50 }, (_, i) => row(i)).filter((r) => r.path.includes('embeddings')).map((r) => r.id).reverse(),
    );
    // More matching paths than are queried one by one: answered by a scan, same result.
    expect(await page({ path: '/things/' })).toHaveLength(200);
    expect(await store.countLogsUpTo({ path: '/things/' }, 150)).toEqual({ count: 150, exact: false });
    expect((await page({ path: '/things/19' })).map((r) => r.path).sort()).toEqual(['/v1/things/19', '/v1/things/190', '/v1/things/191',
      '/v1/things/192', '/v1/things/193', '/v1/things/194', '/v1/things/195', '/v1/things/196', '/v1/things/197', '/v1/things/198', '/v1/things/199']);
  });
});

describe('upgrade from the 0.1.0 / 0.2.0 layout', () => {
  /** A file in the layout 0.1.0 and 0.2.0 wrote (schema version 1), holding `n` entries. */
  function legacyFile(n: number): string {
    const path = join(tempDir(), 'lite-proxy.sqlite');
    const db = new Database(path, { create: true });
    db.exec(`PRAGMA journal_mode = WAL; ${createTablesSql(1)} PRAGMA user_version = 1;`);
    const insert = db.query(`INSERT INTO logs (${legacyCodec.columns}) VALUES (${legacyCodec.placeholders})`);
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(...legacyCodec.values(row(i, { body: 'z'.repeat(1_000) })));
    })();
    db.close();
    return path;
  }

  test('while old entries move in the background, every read sees each entry exactly once', async () => {
    const n = 8_000;
    const store = await open(legacyFile(n));
    await store.insertLogs([row(n), row(n + 1)]);
    let checks = 0;
    while (store.upgradePendingRows() > 0 || checks === 0) {
      checks++;
      const all = await store.queryLogs({ filter: {}, limit: n + 10 });
      expect(all).toHaveLength(n + 2);
      expect(new Set(all.map((r) => r.id)).size).toBe(n + 2);
      expect(all[0]!.id).toBe(row(n + 1).id);
      expect(await store.countLogs({ model: 'm1' })).toBe(Math.ceil((n + 2 - 1) / 4));
      expect((await store.getLog(row(3).id))?.requestBody).toEqual({ i: 3, pad: 'z'.repeat(1_000) });
      expect(await store.countLogsUpTo({ statusClass: 5 }, 100_000)).toEqual({ count: Math.floor((n + 1) / 20) + 1, exact: true });
    }
    await store.awaitUpgrade();
    expect(store.upgradePendingRows()).toBe(0);
    expect(await store.countLogs({})).toBe(n + 2);
    const main = new Database(store.path, { readonly: true });
    expect(main.query("SELECT name FROM sqlite_master WHERE name = 'logs'").get()).toBeNull();
    main.close();
  }, 60_000);

  test('deletes during the move take each entry once, wherever it is at the time', async () => {
    const n = 8_000;
    const store = await open(legacyFile(n));
    while (store.upgradePendingRows() === 0) await Bun.sleep(1);
    expect(await store.deleteLogs({ model: 'm1' }, 1_000_000)).toBe(n / 4);
    expect(await store.deleteLogs({ statusClass: 5, model: 'm0' }, 1_000_000)).toBe(n / 20);
    await store.awaitUpgrade();
    expect(await store.countLogs({ model: 'm1' })).toBe(0);
    expect(await store.countLogs({})).toBe(n - n / 4 - n / 20);
    expect((await store.size()).logRows).toBe(n - n / 4 - n / 20);
  }, 60_000);

  test('a restart during the move goes on where it stopped; nothing is lost or doubled', async () => {
    const n = 6_000;
    const path = legacyFile(n);
    const first = new SqliteStore(path);
    await first.init();
    while (first.upgradePendingRows() === 0) await Bun.sleep(1);
    await Bun.sleep(20);
    await first.close();
    const second = await open(path);
    await second.awaitUpgrade();
    const all = await second.queryLogs({ filter: {}, limit: n + 10 });
    expect(all).toHaveLength(n);
    expect(new Set(all.map((r) => r.id)).size).toBe(n);
  }, 60_000);
});
