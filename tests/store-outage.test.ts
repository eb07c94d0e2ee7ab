/**
 * No log lost (issue 11): a SQLite store whose disk fills for a while, under steady proxied
 * traffic. Every request is answered; entries wait in the spool (DATA_DIR/spool) and in the queue;
 * when the disk has room again every entry is stored exactly once. /health shows the spool.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSpool } from '../server/logs/spool.ts';
import type { LogRow, Store } from '../server/store/types.ts';
import { makeStore, startApp } from './helpers/app.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a disk that fills for a while under steady traffic loses no entry, and stores none twice', async () => {
  const mock = startMockUpstream();
  const handle = makeStore('sqlite');
  const state = { full: false };
  // The real store, whose writes fail as SQLite's do on a full disk while `full` is set.
  const store: Store = Object.create(handle.store, {
    insertLogs: { value: (rows: LogRow[]) => (state.full ? Promise.reject(new Error('database or disk is full')) : handle.store.insertLogs(rows)) },
  });
  const dir = mkdtempSync(join(tmpdir(), 'lp-outage-'));
  dirs.push(dir);
  const spool = new LogSpool({ dir: join(dir, 'spool'), maxBytes: 64 * 1024 * 1024 });
  // A queue far smaller than the outage: without the spool most entries would be dropped.
  const app = await startApp({ store, spool, logQueueMax: 200 });
  try {
    await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json' });
    const send = async (n: number) => {
      const res = await fetch(`${app.baseUrl}/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', n, pad: 'p'.repeat(n % 3 === 0 ? 5_000 : 10) }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    };
    let n = 0;
    for (; n < 50; n++) await send(n);
    state.full = true;
    for (; n < 650; n++) await send(n);
    await Bun.sleep(300);
    const during = await (await fetch(`${app.url}/health`)).json();
    expect(during.logQueue.spooled).toBeGreaterThan(0);
    expect(during.logQueue.dropped).toBe(0);
    state.full = false;
    for (; n < 700; n++) await send(n);
    await app.drain();
    const stored = await app.store.countLogs({});
    expect(stored).toBe(700);
    const all = await app.store.queryLogs({ filter: {}, limit: 1_000 });
    expect(new Set(all.map((r) => r.id)).size).toBe(700);
    const after = await (await fetch(`${app.url}/health`)).json();
    expect(after.logQueue).toMatchObject({ spooled: 0, dropped: 0, spoolDropped: 0 });
  } finally {
    await app.stop();
    await spool.close();
    mock.stop();
  }
}, 60_000);
