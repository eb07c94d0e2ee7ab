/**
 * LogRecorder against an in-test Store double (the interface, not a module mock): batching,
 * never throwing, riding out an outage without loss or duplicates, dropping only a refused row,
 * the bounded queue, drain() and onWritten.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonText } from '../server/json.ts';
import { LogSpool } from '../server/logs/spool.ts';
import { LogRecorder, type RecorderOptions } from '../server/logs/recorder.ts';
import { isStoreOutage } from '../server/store/outage.ts';
import { rollupKey } from '../server/stats/rollup.ts';
import { PartialRollupWrite, type RollupRow } from '../server/store/types.ts';
import type { ConfigRow, LogRow, LogSummary, Store } from '../server/store/types.ts';

/** A Store whose log writes can be made to fail, hang or refuse rows. */
class FakeStore implements Store {
  readonly kind = 'sqlite' as const;
  /** insertLogs and ping both fail, as when the database is unreachable. */
  down = false;
  /** Throw synchronously rather than reject. */
  throwSync = false;
  /** Answers ping but refuses every write, as a read-only or full database does. */
  refuseAll = false;
  /** Rows the store refuses while it is otherwise fine. */
  readonly poisoned = new Set<string>();
  /** Each insertLogs call waits for this, when set. */
  gate: Promise<void> | null = null;
  delayMs = 0;
  readonly stored = new Map<string, LogRow>();
  /** Every successful insertLogs call, in order. */
  readonly batches: string[][] = [];
  attempts = 0;

  private fail(what: string): never {
    throw new Error(`${what}: connection refused`);
  }

  insertLogs(rows: LogRow[]): Promise<void> {
    this.attempts++;
    if (this.throwSync && this.down) this.fail('insertLogs');
    return (async () => {
      if (this.gate) await this.gate;
      if (this.delayMs) await Bun.sleep(this.delayMs);
      if (this.down) this.fail('insertLogs');
      if (this.refuseAll) throw new Error('attempt to write a readonly database');
      // A disk with room for small rows only: the larger ones fail as SQLite fails (through its Worker, by message).
      const tooBig = this.diskRoomBytes === null ? undefined : rows.find((r) => JSON.stringify(r).length > this.diskRoomBytes!);
      if (tooBig) throw new Error('database or disk is full');
      const bad = rows.find((r) => this.poisoned.has(r.id));
      if (bad) throw new Error(`document ${bad.id} is invalid`);
      for (const row of rows) if (!this.stored.has(row.id)) this.stored.set(row.id, row);
      this.batches.push(rows.map((r) => r.id));
    })();
  }

  /** While set, rows whose JSON is longer than this fail with SQLite's "database or disk is full". */
  diskRoomBytes: number | null = null;

  /** addRollups fails while set (logs still go in). */
  rollupsDown = false;
  /** Requests counted into rollups, per rollup key: must equal the rows stored, once each. */
  readonly rollupRequests = new Map<string, number>();
  /** Models whose rollups the store refuses while it adds the others (as an unordered bulk write does). */
  readonly poisonedModels = new Set<string>();
  async addRollups(list: RollupRow[]): Promise<void> {
    if (this.down || this.rollupsDown) throw new Error('addRollups: connection refused');
    const refused = list.filter((r) => this.poisonedModels.has(r.model ?? ''));
    for (const r of list) {
      if (!refused.includes(r)) this.rollupRequests.set(rollupKey(r), (this.rollupRequests.get(rollupKey(r)) ?? 0) + (r.counts.n ?? 0));
    }
    if (refused.length > 0) throw new PartialRollupWrite('cannot apply $inc to a non-numeric field', refused);
  }
  async readRollups(): Promise<RollupRow[]> {
    return [];
  }
  async putRollups() {}
  async deleteRollups() {
    return 0;
  }
  async queryLogRows(): Promise<LogRow[]> {
    return [];
  }
  async exportPage() {
    return { bytes: new Uint8Array(), rows: 0, last: null };
  }
  async deleteLogs() {
    return 0;
  }
  async size() {
    return { logRows: this.stored.size, bytes: null };
  }
  async applyConfigChanges() {}
  /** Requests counted in the per-minute rollups. */
  minuteRequests(): number {
    return [...this.rollupRequests].filter(([k]) => k.startsWith('60:')).reduce((sum, [, n]) => sum + n, 0);
  }

  ping(): Promise<void> {
    if (this.throwSync && this.down) this.fail('ping');
    return this.down ? Promise.reject(new Error('ping: connection refused')) : Promise.resolve();
  }

  async init() {}
  async close() {}
  async listConfigs(): Promise<ConfigRow[]> {
    return [];
  }
  async getConfig() {
    return null;
  }
  async insertConfig() {}
  async updateConfig() {
    return null;
  }
  async deleteConfig() {
    return false;
  }
  async listApiKeys() {
    return [];
  }
  async listModelGroups() {
    return [];
  }
  async putModelGroup() {}
  async insertApiKey() {}
  async updateApiKey() {
    return null;
  }
  async queryLogs(): Promise<LogSummary[]> {
    return [];
  }
  async countLogs() {
    return this.stored.size;
  }
  upgradePendingRows() {
    return 0;
  }
  async awaitUpgrade() {}
  async compact() {}
  async countLogsUpTo() {
    return { count: this.stored.size, exact: true };
  }
  async getLog(id: string) {
    return this.stored.get(id) ?? null;
  }
}

const T0 = Date.UTC(2025, 5, 1);
function row(n: number): LogRow {
  return {
    id: `log-${String(n).padStart(3, '0')}`, timestamp: new Date(T0 + n), method: 'POST', path: '/v1/chat/completions',
    model: 'gpt-4o', backendModel: 'gpt-4o', configId: 'c1', upstreamUrl: 'http://up/v1/chat/completions', statusCode: 200,
    stream: false, durationMs: 12.5, ttftMs: 3, promptTokens: 1, completionTokens: 2, totalTokens: 3, error: null,
    clientIp: '127.0.0.1', userAgent: 'test', apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null, requestHeaders: {}, requestBody: { n }, responseHeaders: {}, responseBody: null,
    streamContent: null, chunks: null, attempts: null,
  };
}
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => row(from + i));
const ids = (list: { id: string }[]) => list.map((r) => r.id);

function setup(opts: Partial<Omit<RecorderOptions, 'store'>> = {}) {
  const store = new FakeStore();
  const written: LogRow[] = [];
  const reports: string[] = [];
  const recorder = new LogRecorder({
    store, maxQueue: 1000, flushDelayMs: 5,
    onWritten: (batch) => written.push(...batch),
    report: (m) => reports.push(m),
    ...opts,
  });
  return { store, recorder, written, reports };
}

/** Polls a condition; the recorder works on timers, so tests wait for effects, not for fixed times. */
async function until(cond: () => boolean, timeoutMs = 3_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await Bun.sleep(5);
  }
}

describe('LogRecorder', () => {
  test('rows recorded together are written in one batch, in order', async () => {
    const { store, recorder, written } = setup({ flushDelayMs: 20 });
    for (const r of rows(0, 7)) recorder.record(r);
    expect(store.attempts).toBe(0); // record() only queues
    await until(() => store.stored.size === 7);
    expect(store.batches).toEqual([ids(rows(0, 7))]);
    expect(written).toEqual(rows(0, 7));
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 7, dropped: 0, writeFailures: 0, storeOk: true });
  });

  test('batches are at most batchSize rows', async () => {
    const { store, recorder } = setup({ batchSize: 4 });
    for (const r of rows(0, 10)) recorder.record(r);
    await recorder.drain();
    expect(store.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(store.batches.flat()).toEqual(ids(rows(0, 10)));
  });

  test('record() never throws, whether the store rejects, throws synchronously, or onWritten throws', async () => {
    const a = setup();
    a.store.down = true;
    expect(() => a.recorder.record(row(1))).not.toThrow();
    const b = setup();
    b.store.down = true;
    b.store.throwSync = true;
    expect(() => b.recorder.record(row(2))).not.toThrow();
    const c = setup({ onWritten: () => { throw new Error('subscriber blew up'); } });
    expect(() => c.recorder.record(row(3))).not.toThrow();
    await until(() => a.recorder.status().writeFailures > 0 && b.recorder.status().writeFailures > 0);
    await c.recorder.drain();
    // A failing live tail does not undo the write.
    expect(c.recorder.status()).toMatchObject({ written: 1, storeOk: true });
    expect(c.reports.some((m) => m.includes('subscriber blew up'))).toBe(true);
    for (const s of [a, b]) expect(s.recorder.status()).toMatchObject({ queueDepth: 1, storeOk: false, written: 0 });
    for (const s of [a, b]) s.store.down = false;
    await Promise.all([a.recorder.drain(), b.recorder.drain()]);
    expect([...a.store.stored.keys(), ...b.store.stored.keys()]).toEqual([row(1).id, row(2).id]);
  });

  test('while the store is down rows stay queued; once it is back each is written exactly once', async () => {
    const { store, recorder, written, reports } = setup({ batchSize: 3 });
    store.down = true;
    for (const r of rows(0, 5)) recorder.record(r);
    await until(() => recorder.status().writeFailures >= 1);
    for (const r of rows(5, 8)) recorder.record(r);
    const during = recorder.status();
    expect(during).toMatchObject({ queueDepth: 8, written: 0, dropped: 0, storeOk: false, lastError: expect.stringContaining('connection refused') });
    expect(during.lastErrorAt).toBeInstanceOf(Date);
    expect(store.stored.size).toBe(0);
    // Retries back off instead of spinning.
    await Bun.sleep(150);
    expect(store.attempts).toBeLessThan(5);

    store.down = false;
    await until(() => store.stored.size === 8);
    await recorder.drain();
    expect(store.batches.flat()).toEqual(ids(rows(0, 8)));
    expect(written).toEqual(rows(0, 8));
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 8, dropped: 0, storeOk: true });
    expect(reports.filter((m) => m.includes('will retry'))).toHaveLength(1);
    expect(reports.some((m) => m.includes('succeed again'))).toBe(true);
  });

  test('a row the store refuses while it is up is dropped alone; the rest of its batch is written', async () => {
    const { store, recorder, written, reports } = setup();
    store.poisoned.add(row(2).id);
    for (const r of rows(0, 5)) recorder.record(r);
    await recorder.drain();
    const good = rows(0, 5).filter((r) => r.id !== row(2).id);
    expect([...store.stored.keys()].sort()).toEqual(ids(good));
    expect(store.batches.flat()).toEqual(ids(good));
    expect(written).toEqual(good);
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 4, dropped: 1, writeFailures: 1, storeOk: true });
    expect(reports.some((m) => m.includes(row(2).id))).toBe(true);
    // Later rows go through as usual.
    recorder.record(row(9));
    await recorder.drain();
    expect(store.stored.has(row(9).id)).toBe(true);
  });

  test('a reachable store that refuses every write keeps the rows queued until it takes them again', async () => {
    const { store, recorder, written } = setup({ retryBaseMs: 1, maxBackoffMs: 20 });
    store.refuseAll = true;
    for (const r of rows(0, 3)) recorder.record(r);
    await until(() => store.attempts >= 8);
    expect(recorder.status()).toMatchObject({ queueDepth: 3, dropped: 0, storeOk: false });
    store.refuseAll = false;
    await recorder.drain();
    expect([...store.stored.keys()].sort()).toEqual(ids(rows(0, 3)));
    expect(written).toEqual(rows(0, 3));
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 3, dropped: 0, storeOk: true });
  });

  test('a disk that fills for a while loses no row: the larger ones that do not fit wait with the rest', async () => {
    const { store, recorder, reports } = setup({ retryBaseMs: 1, maxBackoffMs: 20 });
    store.diskRoomBytes = 800;
    const big = { ...row(1), requestBody: { pad: 'x'.repeat(2_000) } };
    for (const r of [row(0), big, row(2)]) recorder.record(r);
    await until(() => store.attempts >= 12);
    expect(recorder.status()).toMatchObject({ dropped: 0, storeOk: false });
    store.diskRoomBytes = null;
    await recorder.drain();
    expect([...store.stored.keys()].sort()).toEqual([row(0).id, row(1).id, row(2).id]);
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 3, dropped: 0, storeOk: true });
    expect(reports.some((m) => m.includes('dropped'))).toBe(false);
  });

  test('isStoreOutage: disk full, I/O errors, read-only files and lost connections; not a bad row', () => {
    for (const m of ['database or disk is full', 'disk I/O error', 'attempt to write a readonly database', 'SQLITE_FULL: x', 'write ENOSPC', 'connect ECONNREFUSED 127.0.0.1:27017', 'the SQLite writer stopped: x']) {
      expect(isStoreOutage(new Error(m))).toBe(true);
    }
    expect(isStoreOutage(Object.assign(new Error('x'), { name: 'MongoNetworkError' }))).toBe(true);
    for (const m of ['document log-1 is invalid', 'UNIQUE constraint failed: logs.id', 'Document exceeds maximum size']) expect(isStoreOutage(new Error(m))).toBe(false);
  });

  test('a refused row alone in its batch is dropped after its retries and does not block later rows', async () => {
    const { store, recorder, reports } = setup({ retryBaseMs: 1, maxBackoffMs: 20 });
    store.poisoned.add(row(0).id);
    recorder.record(row(0));
    await until(() => recorder.status().dropped === 1);
    recorder.record(row(1));
    await recorder.drain();
    expect([...store.stored.keys()]).toEqual([row(1).id]);
    expect(reports.some((m) => m.includes(row(0).id) && m.includes('dropped'))).toBe(true);
  });

  test('a stream of new rows does not cut the backoff short while the store is down', async () => {
    const { store, recorder } = setup({ batchSize: 10, retryBaseMs: 200, maxBackoffMs: 1_000 });
    store.down = true;
    for (let i = 0; i < 50; i++) {
      for (const r of rows(i * 20, i * 20 + 20)) recorder.record(r);
      await Bun.sleep(10);
    }
    // About 500 ms with backoffs of 400 ms and more: a handful of attempts, not one per full batch.
    expect(store.attempts).toBeLessThan(10);
    store.down = false;
    await recorder.drain();
    expect(store.stored.size).toBe(1000);
  });

  test('the queue is bounded by maxQueue: the oldest rows are dropped and counted', async () => {
    const { store, recorder, reports } = setup({ maxQueue: 5 });
    store.down = true;
    for (const r of rows(0, 8)) recorder.record(r);
    expect(recorder.status()).toMatchObject({ queueDepth: 5, dropped: 3 });
    expect(reports.filter((m) => m.includes('queue full'))).toHaveLength(1);
    store.down = false;
    await recorder.drain();
    expect(store.batches.flat()).toEqual(ids(rows(3, 8)));
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 5, dropped: 3 });
  });

  test('a failed batch put back beside newer rows still respects maxQueue', async () => {
    const { store, recorder } = setup({ maxQueue: 5, batchSize: 5 });
    let open!: () => void;
    store.gate = new Promise<void>((resolve) => (open = resolve));
    store.down = true;
    for (const r of rows(0, 5)) recorder.record(r);
    await until(() => store.attempts === 1); // the whole queue is now in flight
    for (const r of rows(5, 9)) recorder.record(r);
    expect(recorder.status()).toMatchObject({ queueDepth: 4, dropped: 0 });
    open();
    await until(() => recorder.status().writeFailures === 1);
    expect(recorder.status()).toMatchObject({ queueDepth: 5, dropped: 4 });
    store.gate = null;
    store.down = false;
    await recorder.drain();
    expect(store.batches.flat()).toEqual(ids(rows(4, 9)));
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 5, dropped: 4 });
  });

  test('a write the store leaves hanging is taken for an outage after writeTimeoutMs and retried; the late one changes nothing', async () => {
    const { store, recorder } = setup({ batchSize: 5, writeTimeoutMs: 50, retryBaseMs: 10, maxBackoffMs: 20 });
    let open!: () => void;
    store.gate = new Promise<void>((resolve) => (open = resolve));
    for (const r of rows(0, 3)) recorder.record(r);
    await until(() => recorder.status().writeFailures >= 2);
    expect(recorder.status().lastError).toContain('did not answer a log write within 0.05 s');
    expect(recorder.status()).toMatchObject({ written: 0, dropped: 0 });
    // The store answers again: the retry goes in, and the hung writes landing late store nothing twice.
    store.gate = null;
    await recorder.drain();
    open();
    await Bun.sleep(20);
    expect([...store.stored.keys()].sort()).toEqual(ids(rows(0, 3)).sort());
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 3, dropped: 0 });
  });

  test('drain() resolves only once everything queued and in flight is written', async () => {
    const { store, recorder } = setup({ batchSize: 3 });
    store.delayMs = 15;
    for (const r of rows(0, 10)) recorder.record(r);
    await recorder.drain();
    expect(store.stored.size).toBe(10);
    expect(recorder.status()).toMatchObject({ queueDepth: 0, written: 10 });
    await recorder.drain(); // nothing left: returns at once
  });

  test('drain() gives up after its timeout when the store stays down, and says so', async () => {
    const { store, recorder, reports } = setup();
    store.down = true;
    for (const r of rows(0, 3)) recorder.record(r);
    const started = Date.now();
    await recorder.drain(300);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(recorder.status()).toMatchObject({ queueDepth: 3, written: 0, storeOk: false });
    expect(reports.some((m) => m.includes('3 entries could not be written'))).toBe(true);
  });

  test('onWritten gets exactly the rows written, batch by batch', async () => {
    const batches: string[][] = [];
    const { store, recorder } = setup({ batchSize: 2, onWritten: (b) => batches.push(ids(b)) });
    store.poisoned.add(row(1).id);
    for (const r of rows(0, 5)) recorder.record(r);
    await recorder.drain();
    expect(batches).toEqual([[row(0).id], [row(2).id, row(3).id], [row(4).id]]);
    expect(batches).toEqual(store.batches);
  });

  test('stored rows are counted into rollups exactly once, across an outage and refused rows', async () => {
    const { store, recorder } = setup({ retryBaseMs: 5 });
    store.down = true;
    for (const r of rows(0, 30)) recorder.record(r);
    await until(() => store.attempts >= 3);
    store.down = false;
    store.poisoned.add('log-007');
    for (const r of rows(30, 40)) recorder.record(r);
    await recorder.drain();
    expect(store.stored.size).toBe(39);
    expect(store.minuteRequests()).toBe(39);
    // One hour rollup next to the minute rollup of the same rows.
    expect([...store.rollupRequests.keys()].sort()).toEqual([`3600:${T0 - (T0 % 3_600_000)}:gpt-4o`, `60:${T0 - (T0 % 60_000)}:gpt-4o`]);
  });

  test('rollups the store refuses wait for the next batch and are added once it takes them', async () => {
    const { store, recorder, reports } = setup();
    store.rollupsDown = true;
    for (const r of rows(0, 5)) recorder.record(r);
    await recorder.drain();
    expect(store.stored.size).toBe(5); // logs are not held back by rollups
    expect(store.minuteRequests()).toBe(0);
    expect(reports.some((m) => m.includes('rollup write failed'))).toBe(true);
    store.rollupsDown = false;
    for (const r of rows(5, 8)) recorder.record(r);
    await recorder.drain();
    expect(store.minuteRequests()).toBe(8);
    // And at shutdown, without a new batch.
    store.rollupsDown = true;
    for (const r of rows(8, 10)) recorder.record(r);
    await recorder.drain();
    store.rollupsDown = false;
    await recorder.drain();
    expect(store.minuteRequests()).toBe(10);
  });

  test('when the store takes some rollups and refuses others, only those are retried, and one refused for good is dropped', async () => {
    const { store, recorder, reports } = setup();
    store.poisonedModels.add('bad');
    const badRow = (n: number) => ({ ...row(n), model: 'bad' });
    recorder.record(row(0));
    recorder.record(badRow(1));
    await recorder.drain();
    expect(store.minuteRequests()).toBe(1);
    // Each later batch retries the refused rollup alongside its own; the good ones count once each.
    for (let i = 2; i < 16; i++) {
      recorder.record(row(i));
      await recorder.drain();
    }
    expect(store.minuteRequests()).toBe(15);
    expect(reports.some((m) => m.includes('refused rollup') && m.includes(':bad'))).toBe(true);
    store.poisonedModels.clear();
    recorder.record(row(16));
    await recorder.drain();
    // The dropped rollup does not come back.
    expect(store.minuteRequests()).toBe(16);
  });
});

describe('the log spool', () => {
  const dirs: string[] = [];
  const spoolDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'lp-spool-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('appends are fsynced in batches; replay gives rows back in order, as they were, and goes on after a restart', async () => {
    const dir = spoolDir();
    const spool = new LogSpool({ dir, maxBytes: 64 * 1024 * 1024 });
    const big = { ...row(1), requestBody: new JsonText('{"pad":"é€😀"}') };
    spool.append([row(0), big, row(2)]);
    expect(spool.status().rows).toBe(3);
    await spool.flush();
    const first = (await spool.next())!;
    expect(first.rows).toEqual([row(0), { ...big, requestBody: { pad: 'é€😀' } as never }, row(2)]);
    expect(first.rows[0]!.timestamp).toBeInstanceOf(Date);
    // Not acknowledged: a restart gives the same rows again.
    await spool.close();
    const again = new LogSpool({ dir, maxBytes: 64 * 1024 * 1024 });
    const second = (await again.next())!;
    expect(ids(second.rows)).toEqual(ids(rows(0, 3)));
    second.ack();
    again.append([row(3)]);
    await again.close();
    const third = new LogSpool({ dir, maxBytes: 64 * 1024 * 1024 });
    expect(third.status().rows).toBe(1);
    const rest = (await third.next())!;
    expect(ids(rest.rows)).toEqual([row(3).id]);
    rest.ack();
    expect(await third.next()).toBeNull();
    expect(third.empty).toBe(true);
    await third.close();
  });

  test('a line cut by a crash, or garbled, is skipped and said; the rest replays', async () => {
    const dir = spoolDir();
    const spool = new LogSpool({ dir, maxBytes: 64 * 1024 * 1024 });
    spool.append([row(0), row(1)]);
    await spool.close();
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    appendFileSync(join(dir, file!), 'not json\n{"id":"cut-off","timest');
    const reports: string[] = [];
    const reopened = new LogSpool({ dir, maxBytes: 64 * 1024 * 1024, report: (m) => reports.push(m) });
    const chunk = (await reopened.next())!;
    expect(ids(chunk.rows)).toEqual(ids(rows(0, 2)));
    chunk.ack();
    const tail = (await reopened.next())!;
    expect(tail.rows).toEqual([]);
    tail.ack();
    expect(reports.join('\n')).toContain('could not be read');
    expect(await reopened.next()).toBeNull();
    await reopened.close();
  });

  test('SPOOL_MAX_BYTES bounds it: past it the oldest entries go, counted', async () => {
    const dir = spoolDir();
    const spool = new LogSpool({ dir, maxBytes: 1024 * 1024 });
    const padded = (n: number) => ({ ...row(n), requestBody: { pad: 'x'.repeat(10_000) } });
    for (let i = 0; i < 300; i++) {
      spool.append([padded(i)]);
      if (i % 20 === 19) await spool.flush();
    }
    await spool.flush();
    const s = spool.status();
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.rows + s.dropped).toBe(300);
    expect(s.bytes).toBeLessThanOrEqual(1024 * 1024 + 200_000);
    const chunk = (await spool.next())!;
    // The oldest still kept comes first.
    expect(chunk.rows[0]!.id).toBe(padded(s.dropped).id);
    await spool.close();
  });

  test('while the store is down entries go to the spool; when it answers, every one is stored once, with its rollups', async () => {
    const spool = new LogSpool({ dir: spoolDir(), maxBytes: 64 * 1024 * 1024 });
    const { store, recorder } = setup({ spool, batchSize: 10, retryBaseMs: 5, maxBackoffMs: 50 });
    store.down = true;
    for (const r of rows(0, 100)) recorder.record(r);
    await until(() => recorder.status().spooled >= 90);
    expect(recorder.status().queueDepth).toBeLessThanOrEqual(10);
    for (const r of rows(100, 150)) recorder.record(r);
    expect(recorder.status().queueDepth).toBeLessThanOrEqual(10);
    store.down = false;
    await until(() => store.stored.size === 150, 5_000);
    await recorder.drain();
    expect(recorder.status()).toMatchObject({ spooled: 0, dropped: 0, queueDepth: 0, written: 150 });
    // Each entry counts once in its minute's rollup (and once in its hour's).
    const counted = (size: number) => [...store.rollupRequests].filter(([k]) => k.startsWith(`${size}:`)).reduce((a, [, n]) => a + n, 0);
    expect([counted(60), counted(3600)]).toEqual([150, 150]);
    // New entries go straight to the store again.
    const before = store.batches.length;
    recorder.record(row(150));
    await recorder.drain();
    expect(store.batches.length).toBe(before + 1);
    await spool.close();
  });

  test('a queue past its high-water mark spills to the spool instead of dropping entries', async () => {
    const spool = new LogSpool({ dir: spoolDir(), maxBytes: 64 * 1024 * 1024 });
    const { store, recorder } = setup({ spool, maxQueue: 100, batchSize: 50 });
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    for (const r of rows(0, 300)) recorder.record(r);
    expect(recorder.status().queueDepth).toBeLessThanOrEqual(80);
    expect(recorder.status().spooled).toBeGreaterThan(200);
    store.gate = null;
    open();
    await until(() => store.stored.size === 300, 5_000);
    await recorder.drain();
    expect(recorder.status()).toMatchObject({ dropped: 0, spooled: 0 });
    await spool.close();
  });

  test('a spool left by an earlier run is replayed at start', async () => {
    const dir = spoolDir();
    const first = new LogSpool({ dir, maxBytes: 64 * 1024 * 1024 });
    first.append(rows(0, 25));
    await first.close();
    const spool = new LogSpool({ dir, maxBytes: 64 * 1024 * 1024 });
    const { store, recorder } = setup({ spool, retryBaseMs: 5 });
    await until(() => store.stored.size === 25);
    expect(recorder.status().spooled).toBe(0);
    await spool.close();
  });
});
