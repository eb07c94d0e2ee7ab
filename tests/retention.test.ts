/**
 * Keeping the store bounded and its state visible, on every store: LOG_RETENTION_DAYS and
 * LOG_MAX_ROWS enforced by the background sweep in batches (dashboard rollups survive it), the
 * store's size in /health and the admin API, and /health turning 503 once logs are at risk.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import type { LogRow, Store } from '../server/store/types.ts';
import { makeStore, startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';

const DAY = 86_400_000;

function row(i: number, ageMs: number): LogRow {
  return {
    id: `r-${String(i).padStart(6, '0')}`, timestamp: new Date(Date.now() - ageMs), method: 'POST', path: '/v1/chat/completions',
    model: 'kept', backendModel: 'b', configId: 'c1', upstreamUrl: null, statusCode: 200, stream: false, durationMs: 10,
    ttftMs: 5, promptTokens: 1, completionTokens: 1, totalTokens: 2, error: null, clientIp: null, userAgent: null, apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null,
    requestHeaders: {}, requestBody: { i }, responseHeaders: {}, responseBody: null, streamContent: null, chunks: null, attempts: null,
  };
}

const STATS = `query($from: DateTime!, $to: DateTime!) { stats(from: $from, to: $to, bucket: DAY) { total { requests } } }`;
const HEALTH = '{ health { status store { ok downSince logRows bytes sizeCheckedAt retentionDays maxRows retentionDeleted } logQueue { depth } } }';

for (const kind of STORE_KINDS) {
  describe(`retention and size (${kind})`, () => {
    let app: TestApp | null = null;
    afterEach(async () => {
      await app?.stop();
      app = null;
    });

    test('entries older than LOG_RETENTION_DAYS are deleted in batches; newer ones and the dashboard rollups stay', async () => {
      app = await startApp({ kind, logRetentionDays: 30, upkeep: undefined });
      // Through the recorder, so that the rollups are written as in real traffic.
      for (let i = 0; i < 250; i++) app.recorder.record(row(i, 40 * DAY));
      for (let i = 250; i < 260; i++) app.recorder.record(row(i, 29 * DAY));
      await app.drain();
      await app.upkeep.sweep();
      expect(await app.store.countLogs({})).toBe(10);
      const oldest = await app.store.queryLogs({ filter: {}, limit: 100 });
      expect(oldest.every((r) => r.timestamp.getTime() > Date.now() - 30 * DAY)).toBe(true);
      const stats = await app.gql(STATS, { from: new Date(Date.now() - 45 * DAY).toISOString(), to: new Date().toISOString() });
      expect(stats.data.stats.total.requests).toBe(260);
      const health = await app.gql(HEALTH);
      expect(health.data.health.store).toMatchObject({ logRows: 10, retentionDays: 30, maxRows: null, retentionDeleted: 250 });
      expect(health.data.health.store.sizeCheckedAt).toBeString();
    });

    test('per-minute rollups older than 21 days are pruned; hourly ones stay', async () => {
      app = await startApp({ kind, logRetentionDays: 0 });
      for (let i = 0; i < 5; i++) app.recorder.record(row(i, 30 * DAY));
      for (let i = 5; i < 7; i++) app.recorder.record(row(i, DAY));
      await app.drain();
      await app.upkeep.sweep();
      const since = (days: number) => ({ from: new Date(Date.now() - days * DAY), to: new Date() });
      const minutes = await app.store.readRollups({ size: 60, ...since(40) });
      expect(minutes.reduce((n, r) => n + (r.counts.n ?? 0), 0)).toBe(2);
      const hours = await app.store.readRollups({ size: 3600, ...since(40) });
      expect(hours.reduce((n, r) => n + (r.counts.n ?? 0), 0)).toBe(7);
      expect(await app.store.countLogs({})).toBe(7);
    });

    test('LOG_RETENTION_DAYS=0 keeps everything', async () => {
      app = await startApp({ kind, logRetentionDays: 0 });
      for (let i = 0; i < 20; i++) app.recorder.record(row(i, 400 * DAY));
      await app.drain();
      await app.upkeep.sweep();
      expect(await app.store.countLogs({})).toBe(20);
    });

    test('LOG_MAX_ROWS keeps the newest entries, deleting the oldest a batch at a time', async () => {
      const handle = makeStore(kind);
      const deletes: number[] = [];
      // Counts the batches the sweep uses, through the Store interface.
      // Every other call runs on `counting` itself, so the store's own state stays in one object.
      const counting: Store = Object.create(handle.store, {
        deleteLogs: {
          value(this: Store, f: never, limit: number) {
            deletes.push(limit);
            return handle.store.deleteLogs.call(this, f, limit);
          },
        },
      });
      app = await startApp({ store: counting, logRetentionDays: 0, logMaxRows: 100, upkeep: { batchSize: 40, pauseMs: 0 } });
      for (let i = 0; i < 230; i++) app.recorder.record(row(i, (230 - i) * 1000));
      await app.drain();
      await app.upkeep.sweep();
      expect(await app.store.countLogs({})).toBe(100);
      const kept = await app.store.queryLogs({ filter: {}, limit: 200 });
      expect(kept.at(-1)!.id).toBe('r-000130');
      expect(deletes).toEqual([40, 40, 40, 10]);
      const h = await (await fetch(`${app.url}/health`)).json();
      expect(h.store.logRows).toBe(100);
      if (kind === 'sqlite') expect(h.store.bytes).toBeGreaterThan(0);
      await handle.destroy();
    });

    test('a sweep asked for while one runs is a new sweep that sees what was written since', async () => {
      const handle = makeStore(kind);
      // The first size() (the sweep at start) measures the empty store, then waits until the test
      // lets it go, so that it is still running when the rows are written and a sweep is asked for.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let sizes = 0;
      const slow: Store = Object.create(handle.store, {
        size: {
          async value(this: Store) {
            const measured = await handle.store.size.call(this);
            if (sizes++ === 0) await gate;
            return measured;
          },
        },
      });
      app = await startApp({ store: slow, logRetentionDays: 0, logMaxRows: 10, upkeep: { batchSize: 40, pauseMs: 0 } });
      for (let i = 0; i < 30; i++) app.recorder.record(row(i, (30 - i) * 1000));
      await app.drain();
      const asked = app.upkeep.sweep();
      release();
      await asked;
      expect(await app.store.countLogs({})).toBe(10);
      expect(sizes).toBeGreaterThanOrEqual(2);
      await handle.destroy();
    });

    // SQLite only: FerretDB writes 6,000 entries too slowly for a test.
    if (kind === 'sqlite') test('a backlog goes in one sweep: no cap on the batches of a sweep', async () => {
      // 0.2.0 stopped a sweep after 500 batches: with 10 per batch, 1,000 of these 6,000 would have stayed.
      app = await startApp({ kind, logRetentionDays: 30, upkeep: { batchSize: 10, pauseMs: 0, sweepEveryMs: 3_600_000 } });
      const old = Array.from({ length: 6_000 }, (_, i) => row(i, 40 * DAY));
      for (let i = 0; i < old.length; i += 1_000) await app.store.insertLogs(old.slice(i, i + 1_000));
      await app.store.insertLogs([row(9_999, DAY)]);
      await app.upkeep.sweep();
      expect(await app.store.countLogs({})).toBe(1);
    }, 60_000);

    test('the sweep runs on its own in the background', async () => {
      app = await startApp({ kind, logRetentionDays: 1, upkeep: { sweepEveryMs: 50, pingEveryMs: 50 } });
      for (let i = 0; i < 30; i++) app.recorder.record(row(i, 2 * DAY));
      await app.drain();
      const deadline = Date.now() + 5_000;
      while ((await app.store.countLogs({})) > 0 && Date.now() < deadline) await Bun.sleep(25);
      expect(await app.store.countLogs({})).toBe(0);
    });
  });
}

describe('/health when the store fails', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.stop();
    app = null;
  });

  /** A real store whose ping and log writes can be made to fail. */
  function flakyStore() {
    const handle = makeStore('sqlite');
    const state = { down: false };
    const fail = () => Promise.reject(new Error('connection refused'));
    const store: Store = Object.create(handle.store, {
      ping: { value: () => (state.down ? fail() : handle.store.ping()) },
      insertLogs: { value: (rows: LogRow[]) => (state.down ? fail() : handle.store.insertLogs(rows)) },
    });
    return { store, state, handle };
  }

  test('a short outage is "degraded" (200); a long one is 503; recovery is "ok" again', async () => {
    const { store, state, handle } = flakyStore();
    app = await startApp({ store, unhealthyAfterMs: 300 });
    state.down = true;
    await app.upkeep.ping();
    let res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'degraded', store: { ok: false } });
    // /metrics reads the same policy: 0 ok, 1 degraded, 2 unavailable.
    const healthGauge = async () => (await (await fetch(`${app!.url}/metrics`)).text()).match(/^lite_proxy_health (\d)$/m)?.[1];
    expect(await healthGauge()).toBe('1');
    await Bun.sleep(350);
    res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.status).toBe('unavailable');
    expect(await healthGauge()).toBe('2');
    expect(body.store.downSince).toBeString();
    expect(JSON.stringify(body)).not.toContain('connection refused'); // no error text in public
    const viaApi = await app.gql('{ health { status store { ok downSince lastError } } }');
    expect(viaApi.data.health).toMatchObject({ status: 'unavailable', store: { ok: false, lastError: 'Error: connection refused' } });
    state.down = false;
    await app.upkeep.ping();
    res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('ok');
    expect(await healthGauge()).toBe('0');
    await handle.destroy();
  });

  test('a store that answers pings but refuses every write turns 503 too (disk full, read-only)', async () => {
    const handle = makeStore('sqlite');
    let refuse = true;
    const refusing: Store = Object.create(handle.store, {
      insertLogs: { value: (rows: LogRow[]) => (refuse ? Promise.reject(new Error('attempt to write a readonly database')) : handle.store.insertLogs(rows)) },
    });
    app = await startApp({ store: refusing, unhealthyAfterMs: 300 });
    app.recorder.record(row(1, 0));
    await Bun.sleep(100);
    await app.upkeep.ping();
    let res = await fetch(`${app.url}/health`);
    expect(await res.json()).toMatchObject({ status: 'degraded', store: { ok: false } });
    // Retries keep failing; the failure's start, not its latest attempt, decides.
    await Bun.sleep(700);
    res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(503);
    expect((await res.json()).store.downSince).toBeString();
    // A read-only file is an outage: its entries wait (they are not dropped), and go in once it is writable.
    expect((await (await fetch(`${app.url}/health`)).json()).logQueue.dropped).toBe(0);
    refuse = false;
    await app.stop();
    app = null;
    await handle.destroy();
  });

  test('a log queue near its bound answers 503 at once', async () => {
    const { store, state, handle } = flakyStore();
    app = await startApp({ store, logQueueMax: 100 });
    state.down = true;
    for (let i = 0; i < 85; i++) app.recorder.record(row(i, 0));
    await Bun.sleep(50);
    const res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(503);
    expect((await res.json()).logQueue.depth).toBeGreaterThanOrEqual(80);
    state.down = false;
    await app.drain();
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
    await handle.destroy();
  });
});
