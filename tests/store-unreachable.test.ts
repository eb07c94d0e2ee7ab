/**
 * MongoDB unreachable at start (issue 11): the server starts anyway and routes from the last
 * configs it saw (DATA_DIR/configs-last-known.json, owner-only), logs to the spool, and says so in
 * /health; with no configs seen before it starts with none. A SQLite file still has to open.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/app.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';
import { freePort, killAll, startServer } from './helpers/server-process.ts';

afterAll(() => killAll());

const ADMIN_TOKEN = 'unreachable-test-token-0123456789';
const CLOSED = () => `mongodb://127.0.0.1:${freePort()}/?serverSelectionTimeoutMS=300`;

test('with MongoDB out at start, the last known configs route and the entries wait in the spool', async () => {
  const mock = startMockUpstream();
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(join(dir, 'configs-last-known.json'), JSON.stringify({
    savedAt: now,
    configs: [{ id: 'c1', proxyModelName: 'kept', baseUrl: mock.baseUrl, backendModelName: 'json', apiKey: null, ignoreSslVerify: false, enabled: true, timeoutMs: null, createdAt: now, updatedAt: now }],
  }), { mode: 0o600 });
  const server = await startServer({ env: { DATA_DIR: dir, ADMIN_TOKEN, MONGODB_URI: CLOSED() } });
  try {
    expect(server.stdout() + server.stderr()).toContain('Serving the 1 configs last seen');
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kept', messages: [] }),
    });
    expect(res.status).toBe(200);
    let health: { status: string; configs: string; store: { ok: boolean }; logQueue: { spooled: number } } | null = null;
    for (let i = 0; i < 50 && !(health && health.logQueue.spooled > 0 && !health.store.ok); i++) {
      await Bun.sleep(100);
      const h = await fetch(`${server.url}/health`);
      expect(h.status).toBe(200);
      health = await h.json();
    }
    expect(health).toMatchObject({ status: 'degraded', configs: 'last-known', store: { ok: false } });
    expect(health!.logQueue.spooled).toBeGreaterThanOrEqual(1);
    expect(statSync(join(dir, 'spool')).mode & 0o077).toBe(0);
  } finally {
    server.proc.kill();
    await server.exited;
    mock.stop();
  }
}, 30_000);

test('with MongoDB out at start and no configs seen before, the server starts with none', async () => {
  const server = await startServer({ env: { DATA_DIR: tempDir(), ADMIN_TOKEN, MONGODB_URI: CLOSED() } });
  try {
    expect(server.stdout() + server.stderr()).toContain('No configs were seen before');
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'any', messages: [] }),
    });
    expect(res.status).toBe(404);
  } finally {
    server.proc.kill();
    await server.exited;
  }
}, 30_000);

test('a server that saw the store keeps its configs for the next start, readable by its owner only', async () => {
  const mock = startMockUpstream();
  const dir = tempDir();
  const server = await startServer({ env: { DATA_DIR: dir, ADMIN_TOKEN } });
  try {
    const r = await fetch(`${server.url}/graphql`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', variables: { i: { proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json', apiKey: 'sk-kept-0123456789' } } }),
    });
    expect(r.status).toBe(200);
    const file = join(dir, 'configs-last-known.json');
    expect(statSync(file).mode & 0o077).toBe(0);
    const kept = JSON.parse(await Bun.file(file).text()) as { configs: { proxyModelName: string }[] };
    expect(kept.configs.map((c) => c.proxyModelName)).toEqual(['m']);
  } finally {
    server.proc.kill();
    await server.exited;
    mock.stop();
  }
}, 30_000);
