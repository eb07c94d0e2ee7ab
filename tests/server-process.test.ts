/**
 * The real `bun server/main.ts` in a child process: start-up messages, the admin token file,
 * ADMIN_TOKEN, /health, one server per port, restart persistence, graceful shutdown mid-stream,
 * and refusing invalid settings.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sseData } from './helpers/chat-request.ts';
import { STORE_KINDS, tempDir } from './helpers/app.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';
import { subscribe } from './helpers/graphql-sse.ts';
import { killAll, spawnServer, startServer, type ServerProcess } from './helpers/server-process.ts';

const mock = startMockUpstream();
const dirs: string[] = [];
const newDir = () => {
  const dir = tempDir('lite-proxy-proc-');
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await killAll();
  mock.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function gql(server: ServerProcess, token: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: unknown[] } };
}

const HEALTHY = (kind: string) => ({
  status: 'ok',
  version: (JSON.parse(readFileSync(join(import.meta.dir, '../package.json'), 'utf8')) as { version: string }).version,
  // logRows and bytes: measured by the first sweep right after start (null until then).
  store: expect.objectContaining({ kind, ok: true, lastErrorAt: null, downSince: null }),
  logQueue: { depth: 0, written: expect.any(Number), dropped: 0, writeFailures: 0, spooled: 0, spoolBytes: 0, spoolDropped: 0, spoolFailing: null },
  configs: 'store',
});

describe('generated admin token, /health and the port', () => {
  const dataDir = newDir();
  let first: ServerProcess;
  let token = '';
  beforeAll(async () => {
    first = await startServer({ env: { DATA_DIR: dataDir } });
    await first.waitForOutput(/it is not shown again/);
  });

  test('the first start prints where it listens, the store and the new token, kept 0600 in DATA_DIR', async () => {
    const out = first.stdout();
    expect(out).toContain(`Lite Proxy listening on http://127.0.0.1:${first.port}`);
    expect(out).toContain(`OpenAI base URL: http://127.0.0.1:${first.port}/v1`);
    expect(out).toMatch(new RegExp(`store:\\s+SQLite at ${join(dataDir, 'lite-proxy.sqlite')}`));
    token = out.match(/admin token:\s+(lp_admin_\S+)/)?.[1] ?? '';
    expect(token.length).toBeGreaterThanOrEqual(16);
    const file = join(dataDir, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(out + first.stderr()).not.toContain('WARNING');
  });

  test('the printed token works for /graphql; another does not', async () => {
    expect(await gql(first, token, '{ configs { id } }')).toEqual({ status: 200, body: { data: { configs: [] } } });
    expect((await gql(first, 'lp_admin_not-the-right-token', '{ configs { id } }')).status).toBe(401);
  });

  test('/health answers 200 with the store status', async () => {
    const res = await fetch(`${first.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(HEALTHY('sqlite'));
  });

  test('a second server on the same port fails to start, and the first keeps serving', async () => {
    const second = spawnServer({ port: first.port, env: { DATA_DIR: newDir(), ADMIN_TOKEN: 'another-token-0123456789' } });
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.stdout()).not.toContain('listening');
    expect(second.stderr()).toMatch(/Lite Proxy failed to start: .*(in use|EADDRINUSE)/i);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    expect((await gql(first, token, '{ configs { id } }')).status).toBe(200);
  });

  test('a second start names the token file and does not print the token', async () => {
    expect(await first.stop()).toBe(0);
    const again = await startServer({ env: { DATA_DIR: dataDir } });
    const out = again.stdout() + again.stderr();
    expect(out).toMatch(new RegExp(`admin token:\\s+in ${join(dataDir, 'admin-token')}`));
    expect(out).not.toContain(token);
    expect(readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()).toBe(token);
    expect((await gql(again, token, '{ configs { id } }')).status).toBe(200);
    expect(await again.stop()).toBe(0);
  });

  test('ADMIN_TOKEN overrides the token file, and no file is made for it', async () => {
    const envToken = 'env-admin-token-0123456789';
    const withFile = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: envToken } });
    expect(withFile.stdout()).toMatch(/admin token:\s+from ADMIN_TOKEN/);
    expect(withFile.stdout() + withFile.stderr()).not.toContain(envToken);
    expect((await gql(withFile, envToken, '{ configs { id } }')).status).toBe(200);
    expect((await gql(withFile, token, '{ configs { id } }')).status).toBe(401);
    expect(await withFile.stop()).toBe(0);

    const fresh = newDir();
    const noFile = await startServer({ env: { DATA_DIR: fresh, ADMIN_TOKEN: envToken } });
    expect(existsSync(join(fresh, 'admin-token'))).toBe(false);
    expect(await noFile.stop()).toBe(0);
  });
});

for (const kind of STORE_KINDS) {
  describe(`restart and graceful shutdown (${kind})`, () => {
    const TOKEN = 'process-test-token-0123456789';
    const database = `lp_proc_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    const env: Record<string, string> = { DATA_DIR: newDir(), ADMIN_TOKEN: TOKEN };
    if (kind === 'mongodb') Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI!, DATABASE_NAME: database });
    afterAll(async () => {
      if (kind !== 'mongodb') return;
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(process.env.MONGODB_URI!);
      await client.db(database).dropDatabase().catch(() => {});
      await client.close();
    });

    const CONFIGS = '{ configs { id proxyModelName baseUrl backendModelName hasApiKey enabled timeoutMs createdAt updatedAt } }';
    const LOGS = '{ logs { nodes { id model statusCode stream error streamContent responseBody } } }';
    let configsBefore: unknown;
    let echoLog: unknown;

    test('a stream in flight at SIGTERM is finished, logged, and the process exits 0', async () => {
      const server = await startServer({ env });
      const store = kind === 'sqlite' ? /store:\s+SQLite at / : new RegExp(`store:\\s+MongoDB at .*database ${database}`);
      expect(server.stdout()).toMatch(store);
      const create = 'mutation($input: CreateConfigInput!) { createConfig(input: $input) { id } }';
      for (const [name, backend] of [['echo-m', 'echo'], ['slow-m', 'slow:20:50']]) {
        const r = await gql(server, TOKEN, create, { input: { proxyModelName: name, baseUrl: mock.baseUrl, backendModelName: backend, apiKey: 'sk-process-key-000000' } });
        expect(r.body.errors).toBeUndefined();
      }
      configsBefore = (await gql(server, TOKEN, CONFIGS)).body.data.configs;
      const post = (model: string, stream: boolean) => fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const echo = await post('echo-m', false);
      expect(echo.status).toBe(200);
      await echo.arrayBuffer();
      // The entry is written within a few ms; wait for it so that it can be compared after the restart.
      for (let i = 0; i < 100 && !echoLog; i++) {
        echoLog = (await gql(server, TOKEN, LOGS)).body.data.logs.nodes[0];
        if (!echoLog) await Bun.sleep(20);
      }
      expect(echoLog).toMatchObject({ model: 'echo-m', statusCode: 200 });

      const res = await post('slow-m', true);
      expect(res.status).toBe(200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('t1 ')) text += (await reader.read()).value ?? '';
      server.proc.kill('SIGTERM');
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
      const events = sseData(text);
      expect(events.at(-1)).toBe('[DONE]');
      const content = events.slice(0, -1).map((d) => JSON.parse(d).choices[0].delta.content).join('');
      expect(content).toBe(Array.from({ length: 20 }, (_, i) => `t${i} `).join(''));
      expect(await server.exited).toBe(0);
      expect(server.stdout()).toContain('SIGTERM');
      expect(server.stdout()).toContain('stopped');
    });

    test('after a restart the configs and logs of the first run are there, the stream entry complete', async () => {
      const server = await startServer({ env });
      expect((await gql(server, TOKEN, CONFIGS)).body.data.configs).toEqual(configsBefore);
      const nodes = (await gql(server, TOKEN, LOGS)).body.data.logs.nodes;
      expect(nodes).toHaveLength(2);
      expect(nodes[1]).toEqual(echoLog);
      expect(nodes[0]).toMatchObject({
        model: 'slow-m', statusCode: 200, stream: true, error: null,
        streamContent: Array.from({ length: 20 }, (_, i) => `t${i} `).join(''),
      });
      const health = await fetch(`${server.url}/health`);
      expect(await health.json()).toEqual(HEALTHY(kind));
      // The restarted server routes with the stored configs, key included.
      const r = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'echo-m', messages: [] }),
      });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      expect(mock.requests.at(-1)!.headers.authorization).toBe('Bearer sk-process-key-000000');
      expect(await server.stop()).toBe(0);
    });
  });
}

describe('shutdown with an admin tab open', () => {
  test('an open logTail subscription does not hold SIGTERM for the whole grace period', async () => {
    const token = 'tail-shutdown-token-0123456789';
    // A live tail never ends by itself; only /v1 exchanges in flight deserve the grace period.
    const server = await startServer({ env: { DATA_DIR: newDir(), ADMIN_TOKEN: token, SHUTDOWN_GRACE_MS: '5000' } });
    const tail = await subscribe({ url: server.url, query: 'subscription { logTail { id } }', token });
    expect(tail.status).toBe(200);
    const started = Date.now();
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_500);
    tail.close();
  });
});

describe('start-up refusals and warnings', () => {
  test.each([
    ['PORT=abc', { PORT: 'abc' }, 'Invalid setting: PORT must be a whole number, got "abc"'],
    ['MONGODB_URI=http://x', { MONGODB_URI: 'http://x' }, 'Invalid setting: MONGODB_URI must start with mongodb:// or mongodb+srv://'],
    ['ADMIN_TOKEN=short', { ADMIN_TOKEN: 'short' }, 'Invalid setting: ADMIN_TOKEN must be at least 16 characters long'],
  ])('%s exits non-zero with a clear message', async (_, bad, message) => {
    const server = spawnServer({ env: { DATA_DIR: newDir(), ...bad } });
    expect(await server.exited).not.toBe(0);
    expect(server.stderr()).toContain(message);
    expect(server.stdout()).not.toContain('listening');
  });

  test('the banner says who may call /v1: a non-loopback HOST in auto mode serves only this machine until a key exists; CLIENT_AUTH=off warns', async () => {
    const server = await startServer({ env: { DATA_DIR: newDir(), HOST: '0.0.0.0', ADMIN_TOKEN: 'warn-test-token-0123456789' } });
    expect(server.stdout()).toContain(`Lite Proxy listening on http://0.0.0.0:${server.port}`);
    expect(server.stdout()).toContain(`OpenAI base URL: http://localhost:${server.port}/v1`);
    await server.waitForOutput(/client keys: {5}none yet \(CLIENT_AUTH=auto\): only clients on this machine/);
    await server.waitForOutput(/in a container, clients are not on loopback/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await server.stop()).toBe(0);

    const open = await startServer({ env: { DATA_DIR: newDir(), HOST: '0.0.0.0', ADMIN_TOKEN: 'warn-test-token-0123456789', CLIENT_AUTH: 'off' } });
    await open.waitForOutput(/WARNING: CLIENT_AUTH=off: \/v1 is open to anyone/);
    expect(await open.stop()).toBe(0);
    const bad = spawnServer({ env: { DATA_DIR: newDir(), CLIENT_AUTH: 'sometimes' } });
    expect(await bad.exited).not.toBe(0);
    expect(bad.stderr()).toContain('CLIENT_AUTH must be one of auto, required, off');
  });
});

describe('many backend requests at once', () => {
  test('`bun run server` lets 300 slow backend requests run at the same time (Bun alone queues past 256)', async () => {
    const token = 'concurrency-token-0123456789';
    const server = spawnServer({ viaScript: true, env: { DATA_DIR: newDir(), ADMIN_TOKEN: token, BUN_CONFIG_MAX_HTTP_REQUESTS: '' } });
    await server.waitForOutput(/backend requests: up to 16384 at once/);
    expect(server.stdout() + server.stderr()).not.toContain('WARNING: Bun lets only');
    const created = await gql(server, token, 'mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', {
      i: { proxyModelName: 'slow', baseUrl: mock.baseUrl, backendModelName: 'delay:1500' },
    });
    expect(created.body.errors).toBeUndefined();
    mock.inflight.peak = 0;
    // `bun test` keeps its own fetch at 256 at once whatever the environment says, so the 300
    // clients run in a child process that is allowed more.
    const client = Bun.spawn([process.execPath, '-e', `
      const statuses = await Promise.all(Array.from({ length: 300 }, () =>
        fetch('${server.url}/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"slow"}' })
          .then((r) => r.status)));
      console.log(JSON.stringify(statuses));`], { env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '16384' }, stdout: 'pipe', stderr: 'inherit' });
    const statuses = JSON.parse(await new Response(client.stdout).text()) as number[];
    expect(statuses).toEqual(Array.from({ length: 300 }, () => 200));
    expect(mock.inflight.peak).toBe(300);
    expect(await server.stop()).toBe(0);
  });

  test('started without the package script, the server warns that backend requests will queue', async () => {
    const server = await startServer({ env: { DATA_DIR: newDir(), ADMIN_TOKEN: 'queue-warn-token-0123456789', BUN_CONFIG_MAX_HTTP_REQUESTS: '' } });
    await server.waitForOutput(/WARNING: Bun lets only 256 backend requests run at once/);
    expect(await server.stop()).toBe(0);
  });
});
