/**
 * Limits a user meets on long or large exchanges: bodies past LOG_BODY_BYTES are stored cut with a
 * marker, a backend that is silent for longer than the connection idle timeout is not cut off, and
 * a backend with a self-signed certificate works only with ignoreSslVerify.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STORE_KINDS, startApp, tempDir, type TestApp } from './helpers/app.ts';
import { completion, startMockUpstream } from './helpers/mock-upstream.ts';

const mock = startMockUpstream();
afterAll(() => mock.stop());

const post = (app: TestApp, body: unknown) =>
  fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function lastLog(app: TestApp) {
  await app.drain();
  const [summary] = await app.store.queryLogs({ filter: {}, limit: 1 });
  return (await app.store.getLog(summary!.id))!;
}

for (const kind of STORE_KINDS) {
  describe(`log body budget (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind, logBodyBytes: 2048 });
      await app.addConfig({ proxyModelName: 'echo', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await app.addConfig({ proxyModelName: 'long-stream', baseUrl: mock.baseUrl, backendModelName: 'slow:200:0' });
    });
    afterAll(() => app.stop());

    test('a request body over the budget is forwarded whole but stored cut, with a marker', async () => {
      const big = 'x'.repeat(10_000);
      const res = await post(app, { model: 'echo', messages: [{ role: 'user', content: big }] });
      expect(res.status).toBe(200);
      expect(JSON.parse(mock.requests.at(-1)!.body).messages[0].content).toBe(big);
      const log = await lastLog(app);
      const body = log.requestBody as { _truncated: boolean; bytes: number; preview: string };
      expect(body._truncated).toBe(true);
      expect(body.bytes).toBeGreaterThan(10_000);
      expect(body.preview.length).toBe(2048);
      expect(body.preview.startsWith('{"model":"echo"')).toBe(true);
      // The answer was small, so it is stored whole.
      expect(log.responseBody).toMatchObject({ object: 'chat.completion' });
    });

    test('a long stream keeps its text, but its chunk list stops at the budget with a marker', async () => {
      const res = await post(app, { model: 'long-stream', stream: true, messages: [] });
      const text = await res.text();
      expect(text.split('\n\n').filter((e) => e.startsWith('data: {')).length).toBe(200);
      const log = await lastLog(app);
      const chunks = log.chunks as Record<string, unknown>[];
      expect(chunks.length).toBeLessThan(200);
      expect(chunks.at(-1)).toMatchObject({ _truncated: true });
      expect(chunks.at(-1)!.bytes as number).toBeGreaterThan(2048);
      expect(log.streamContent!.startsWith('t0 t1 t2 ')).toBe(true);
    });
  });
}

describe('long silences are not cut by the connection idle timeout', () => {
  let app: TestApp;
  beforeAll(async () => {
    // A 1 s idle timeout makes the test short; the server's real one is 30 s.
    app = await startApp({ idleTimeout: 1 });
    await app.addConfig({ proxyModelName: 'slow-json', baseUrl: mock.baseUrl, backendModelName: 'delay:2500' });
    await app.addConfig({ proxyModelName: 'pause', baseUrl: mock.baseUrl, backendModelName: 'silent-after-first:2500' });
  });
  afterAll(() => app.stop());

  test('a backend that answers after 2.5 s of silence still reaches the client', async () => {
    const res = await post(app, { model: 'slow-json', messages: [] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(completion('delayed'));
  });

  test('a stream that pauses 2.5 s after its first chunk arrives whole', async () => {
    const res = await post(app, { model: 'pause', stream: true, messages: [] });
    const text = await res.text();
    expect(text).toContain('"first "');
    expect(text).toContain('"second"');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('a backend with a self-signed certificate', () => {
  const dir = tempDir('lite-proxy-tls-');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const tls = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') },
    fetch: () => Response.json(completion('over tls')),
  });
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
    const baseUrl = `https://127.0.0.1:${tls.port}/v1`;
    await app.addConfig({ proxyModelName: 'strict', baseUrl, backendModelName: 'm' });
    await app.addConfig({ proxyModelName: 'lenient', baseUrl, backendModelName: 'm', ignoreSslVerify: true });
  });
  afterAll(async () => {
    await app.stop();
    tls.stop(true);
  });

  test('is refused with 502 while the certificate is verified', async () => {
    const res = await post(app, { model: 'strict', messages: [] });
    expect(res.status).toBe(502);
    expect((await res.json()).error.code).toBe('upstream_unreachable');
  });

  test('answers with ignoreSslVerify', async () => {
    const res = await post(app, { model: 'lenient', messages: [] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(completion('over tls'));
  });
});

describe('LOG_REQUESTS=false', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ logRequests: false });
    await app.addConfig({ proxyModelName: 'echo', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    await app.addConfig({ proxyModelName: 'stream', baseUrl: mock.baseUrl, backendModelName: 'slow:3:5' });
  });
  afterAll(() => app.stop());

  test('proxies JSON, streams and errors as usual and stores no log entry', async () => {
    expect((await post(app, { model: 'echo', messages: [] })).status).toBe(200);
    const stream = await post(app, { model: 'stream', stream: true, messages: [] });
    expect(await stream.text()).toBe(mock.sent.get('slow:3:5')!);
    expect((await post(app, { model: 'missing', messages: [] })).status).toBe(404);
    await app.drain();
    expect(await app.store.countLogs({})).toBe(0);
    expect(app.recorder.status().written).toBe(0);
  });
});

describe('a client that stops reading', () => {
  test('holds back the backend instead of filling the proxy memory', async () => {
    const chunk = new TextEncoder().encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x'.repeat(60_000) } }] })}\n\n`);
    let produced = 0;
    const endless = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      idleTimeout: 0,
      fetch: () => new Response(new ReadableStream({
        pull(c) {
          produced += chunk.byteLength;
          c.enqueue(chunk);
        },
      }), { headers: { 'content-type': 'text/event-stream' } }),
    });
    const app = await startApp();
    try {
      await app.addConfig({ proxyModelName: 'endless', baseUrl: `http://127.0.0.1:${endless.port}/v1`, backendModelName: 'x' });
      const res = await post(app, { model: 'endless', stream: true });
      expect(res.status).toBe(200);
      await Bun.sleep(1_000);
      // Socket buffers take a few MB; a copy that ignores backpressure read hundreds in this second.
      expect(produced).toBeLessThan(32 * 1024 * 1024);
      await res.body!.cancel();
    } finally {
      await app.stop();
      endless.stop(true);
    }
  });
});

describe('data at rest', () => {
  test('the SQLite file is readable by its owner only, even when ADMIN_TOKEN means no token file is made', async () => {
    const { statSync } = await import('node:fs');
    const { SqliteStore } = await import('../server/store/sqlite.ts');
    const dir = join(tempDir(), 'fresh-data');
    const store = new SqliteStore(join(dir, 'lite-proxy.sqlite'));
    await store.init();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'lite-proxy.sqlite')).mode & 0o777).toBe(0o600);
    await store.close();
  });
});

describe('multipart text fields over the budget', () => {
  test('are forwarded whole and stored cut, even when the model is unknown', async () => {
    const app = await startApp({ logBodyBytes: 2048 });
    try {
      await app.addConfig({ proxyModelName: 'whisper', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      for (const model of ['whisper', 'no-such-model']) {
        const form = new FormData();
        form.append('model', model);
        form.append('prompt', 'p'.repeat(50_000));
        form.append('file', new Blob([new Uint8Array(10)], { type: 'audio/wav' }), 'a.wav');
        await fetch(`${app.baseUrl}/audio/transcriptions`, { method: 'POST', body: form });
      }
      expect((mock.requests.at(-1)!.form!.get('prompt') as string).length).toBe(50_000);
      await app.drain();
      const rows = await app.store.queryLogs({ filter: { path: '/audio/transcriptions' }, limit: 10 });
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        const log = await app.store.getLog(row.id);
        const prompt = (log!.requestBody as { fields: Record<string, { _truncated: boolean; bytes: number; preview: string }> }).fields.prompt!;
        expect(prompt).toMatchObject({ _truncated: true, bytes: 50_000 });
        // LOG_BODY_BYTES bounds the form as a whole: the fields before it (model) take their share.
        expect(prompt.preview.length).toBeGreaterThan(2000);
        expect(prompt.preview.length).toBeLessThanOrEqual(2048);
      }
    } finally {
      await app.stop();
    }
  });
});
