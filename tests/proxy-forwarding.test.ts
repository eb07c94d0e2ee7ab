/**
 * What the proxy sends upstream and hands back: model rewriting with every other body byte kept,
 * headers both ways, endpoint-agnostic routing, multipart, /models, round-robin, binary and gzip
 * answers, the log row of a plain exchange, and secrets kept out of the store.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import OpenAI, { toFile } from 'openai';
import { MongoStore } from '../server/store/mongo.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import type { LogRow, Store } from '../server/store/types.ts';
import { STORE_KINDS, startApp, tempDir, type StoreKind, type TestApp } from './helpers/app.ts';
import { completion, startMockUpstream, type MockUpstream } from './helpers/mock-upstream.ts';

const CONFIG_KEY = 'sk-config-secret-7f3a9c2e1b4d';
const CLIENT_KEY = 'sk-client-secret-55d1e0aa93c7';
const CLIENT_COOKIE = 'client-cookie-secret-d81f';
const BACKEND_COOKIE = 'secret-cookie'; // what the echo mock sets

/** A store this file can read behind the app's back: the SQLite file, or the MongoDB database by name. */
function ownStore(kind: StoreKind) {
  if (kind === 'sqlite') {
    const dir = tempDir();
    const store = new SqliteStore(join(dir, 'proxy.sqlite'));
    return { store: store as Store, dir, dbName: null };
  }
  const dbName = `lp_fwd_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  return { store: new MongoStore(process.env.MONGODB_URI!, dbName) as Store, dir: null, dbName };
}

/** Every row of every SQLite table, or every document of every MongoDB collection, as JSON text per table. */
async function dumpStore(own: ReturnType<typeof ownStore>): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  if (own.dir) {
    // Every table of every file the store keeps: the main file and the log file beside it.
    for (const file of ['proxy.sqlite', 'proxy-logs.sqlite']) {
      const db = new Database(join(own.dir, file), { readonly: true });
      const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      for (const { name } of tables) out[name] = [...(out[name] ?? []), ...(db.query(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[])];
      db.close();
    }
    return out;
  }
  const client = new MongoClient(process.env.MONGODB_URI!);
  try {
    const db = client.db(own.dbName!);
    for (const { name } of await db.listCollections().toArray()) out[name] = await db.collection(name).find().toArray();
  } finally {
    await client.close();
  }
  return out;
}

/** Sends raw HTTP/1.1 bytes and returns everything the server answered (it closes: Connection: close). */
function rawHttp(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(request));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe.each(STORE_KINDS)('proxy forwarding (%s)', (kind) => {
  let mock: MockUpstream;
  let app: TestApp;
  let own: ReturnType<typeof ownStore>;
  let sdk: OpenAI;
  const configIds: Record<string, string> = {};
  const enabledModels = new Set<string>();

  async function config(proxyModelName: string, backendModelName: string, extra: Record<string, unknown> = {}) {
    const { id } = await app.addConfig({ proxyModelName, baseUrl: mock.baseUrl, backendModelName, ...extra });
    if (extra.enabled !== false) enabledModels.add(proxyModelName);
    configIds[backendModelName] = id;
  }
  const lastSeen = () => mock.requests.at(-1)!;
  async function logWhere(pred: (row: LogRow) => boolean): Promise<LogRow> {
    await app.drain();
    for (const s of await app.store.queryLogs({ filter: {}, limit: 50 })) {
      const row = await app.store.getLog(s.id);
      if (row && pred(row)) return row;
    }
    throw new Error('no matching log row');
  }

  beforeAll(async () => {
    mock = startMockUpstream();
    own = ownStore(kind);
    app = await startApp({ store: own.store });
    sdk = new OpenAI({ baseURL: app.baseUrl, apiKey: CLIENT_KEY, maxRetries: 0 });
    await config('fwd-keyed', 'echo-keyed', { apiKey: CONFIG_KEY });
    await config('fwd-open', 'echo-open');
    await config('fwd-audio', 'echo-audio');
    await config('fwd-log', 'echo-log');
    await config('rr', 'rr-a');
    await config('rr', 'rr-b');
    await config('rr', 'rr-off', { enabled: false });
    await config('fwd-off', 'echo-off', { enabled: false });
    await config('fwd-gzip', 'gzip');
    await config('fwd-binary', 'binary');
  });

  afterAll(async () => {
    await app.stop();
    mock.stop();
    if (own.dbName) {
      const client = new MongoClient(process.env.MONGODB_URI!);
      await client.db(own.dbName).dropDatabase().catch(() => {});
      await client.close();
    }
  });

  test('an SDK chat completion reaches the backend model, path and query string intact', async () => {
    const messages = [{ role: 'user' as const, content: 'hello' }];
    const answer = await sdk.chat.completions.create({ model: 'fwd-open', messages }, { query: { 'api-version': '2024-10-21', tag: 'a b' } });
    const seen = lastSeen();
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/v1/chat/completions');
    expect(new URLSearchParams(seen.search).getAll('api-version')).toEqual(['2024-10-21']);
    expect(new URLSearchParams(seen.search).getAll('tag')).toEqual(['a b']);
    expect(JSON.parse(seen.body)).toEqual({ model: 'echo-open', messages });
    expect(answer.model).toBe('echo-open');
  });

  test('every body byte but the model value is forwarded unchanged', async () => {
    const sent = '{ "messages" :[ {"role":"user","content":"caf\\u00e9 \\"model\\""} ],\n\t"model"  :  "fwd-open" ,"seed":12345678901234567890,"temperature":1.50,"a":{"model":"inner"} }';
    const res = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
    expect(res.status).toBe(200);
    // Byte-exactness is the point here, so the texts themselves are compared.
    expect(lastSeen().body).toBe(sent.replace('"fwd-open"', '"echo-open"'));
  });

  test("Authorization is the config's key when it has one, else the client's own", async () => {
    await sdk.chat.completions.create({ model: 'fwd-keyed', messages: [] });
    expect(lastSeen().headers.authorization).toBe(`Bearer ${CONFIG_KEY}`);
    await sdk.chat.completions.create({ model: 'fwd-open', messages: [] });
    expect(lastSeen().headers.authorization).toBe(`Bearer ${CLIENT_KEY}`);
  });

  test('hop-by-hop headers stay behind; custom client headers go through', async () => {
    const body = '{"model":"fwd-open","x":1}';
    const { host } = new URL(app.url);
    const answer = await rawHttp(app.url, [
      'POST /v1/chat/completions HTTP/1.1', `Host: ${host}`, 'Content-Type: application/json', 'Connection: close',
      'Keep-Alive: timeout=99', 'Transfer-Encoding: chunked', 'X-Custom-Trace: trace-42', 'OpenAI-Organization: org-test',
      '', `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ].join('\r\n'));
    expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
    const seen = lastSeen();
    expect(seen.headers['keep-alive']).toBeUndefined();
    expect(seen.headers['transfer-encoding']).toBeUndefined();
    // fetch writes a connection header of its own; the client's value must not be it.
    expect(seen.headers.connection).not.toBe('close');
    expect(seen.headers['content-length']).toBe(String('{"model":"echo-open","x":1}'.length));
    expect(seen.headers['x-custom-trace']).toBe('trace-42');
    expect(seen.headers['openai-organization']).toBe('org-test');
    expect(JSON.parse(seen.body)).toEqual({ model: 'echo-open', x: 1 });
  });

  test('every endpoint is routed by its model with no per-endpoint code', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['/embeddings', () => sdk.embeddings.create({ model: 'fwd-open', input: 'hi' })],
      ['/completions', () => sdk.completions.create({ model: 'fwd-open', prompt: 'hi' })],
      ['/responses', () => sdk.responses.create({ model: 'fwd-open', input: 'hi' })],
      ['/moderations', () => sdk.moderations.create({ model: 'fwd-open', input: 'hi' })],
      ['/images/generations', () => sdk.images.generate({ model: 'fwd-open', prompt: 'a cat' })],
      ['/some/new/endpoint', () => sdk.post('/some/new/endpoint', { body: { model: 'fwd-open', anything: [1, 2] } })],
    ];
    for (const [path, call] of calls) {
      await call();
      expect(lastSeen().path).toBe(`/v1${path}`);
      expect(JSON.parse(lastSeen().body).model).toBe('echo-open');
    }
    expect(JSON.parse(lastSeen().body)).toEqual({ model: 'echo-open', anything: [1, 2] });
  });

  test('multipart audio is routed by its form model; the log keeps fields and file facts, not bytes', async () => {
    const marker = 'AUDIO-BYTES-MARKER-93b1';
    const bytes = new Uint8Array([...new TextEncoder().encode(marker), 0, 255, 128, 7, 13, 10]);
    await sdk.audio.transcriptions.create({
      file: await toFile(bytes, 'speech.mp3', { type: 'audio/mpeg' }), model: 'fwd-audio', language: 'en', prompt: 'names',
    });
    const form = lastSeen().form!;
    expect(form.get('model')).toBe('echo-audio');
    expect(form.get('language')).toBe('en');
    expect(form.get('prompt')).toBe('names');
    const file = form.get('file') as File;
    expect(file.name).toBe('speech.mp3');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);

    const row = await logWhere((r) => r.model === 'fwd-audio');
    expect(row.requestBody).toEqual({
      fields: { model: 'fwd-audio', language: 'en', prompt: 'names' },
      files: [{ field: 'file', name: 'speech.mp3', type: 'audio/mpeg', size: bytes.byteLength }],
    });
    expect(JSON.stringify(row)).not.toContain(marker);
  });

  test('/models and /models/{id} answer from the enabled configs without calling the backend', async () => {
    const before = mock.requests.length;
    const list = await sdk.models.list();
    expect(list.data.map((m) => m.id).sort()).toEqual([...enabledModels].sort());
    for (const m of list.data) expect(m).toEqual({ id: m.id, object: 'model', created: expect.any(Number), owned_by: expect.any(String) });
    expect(list.data.map((m) => m.id)).not.toContain('fwd-off');
    const one = await sdk.models.retrieve('fwd-log');
    expect(one).toEqual({ id: 'fwd-log', object: 'model', created: expect.any(Number), owned_by: expect.any(String) });

    const res = await fetch(`${app.baseUrl}/models/no-such-model`);
    expect(res.status).toBe(404);
    const body: unknown = await res.json();
    expect(body).toEqual({ error: { message: expect.stringContaining('no-such-model'), type: expect.any(String), param: expect.anything(), code: expect.any(String) } });
    expect(mock.requests.length).toBe(before);
  });

  test('round-robin alternates between the enabled configs of one model and skips a disabled one', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      await sdk.chat.completions.create({ model: 'rr', messages: [] });
      seen.push(JSON.parse(lastSeen().body).model);
    }
    expect(new Set(seen)).toEqual(new Set(['rr-a', 'rr-b']));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  });

  test('backend headers come back, content-encoding does not, and a gzip answer arrives readable', async () => {
    const echo = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', body: '{"model":"fwd-open"}' });
    expect(echo.headers.get('x-mock')).toBe('yes');
    await echo.arrayBuffer();

    // decompress: false, so that a forwarded content-encoding could not be hidden by the client.
    const res = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', body: '{"model":"fwd-gzip"}', decompress: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(JSON.parse(await res.text())).toEqual(completion('compressed'));
  });

  test('a binary answer arrives byte-exact and its log keeps only type and size', async () => {
    const res = await fetch(`${app.baseUrl}/audio/speech`, { method: 'POST', body: '{"model":"fwd-binary","input":"hi"}' });
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(4096).fill(7));
    const row = await logWhere((r) => r.model === 'fwd-binary');
    expect(row.statusCode).toBe(200);
    expect(row.responseBody).toEqual({ _binary: true, type: 'audio/mpeg', bytes: 4096 });
  });

  test('the overhead header is present and numeric', async () => {
    const res = await fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', body: '{"model":"fwd-open"}' });
    await res.arrayBuffer();
    const overhead = res.headers.get('x-lite-proxy-overhead-ms');
    expect(overhead).toMatch(/^\d+(\.\d+)?$/);
    expect(Number(overhead)).toBeGreaterThanOrEqual(0);
  });

  test('the log row of a non-stream exchange holds every field', async () => {
    const sent = { model: 'fwd-log', messages: [{ role: 'user', content: 'log me' }], temperature: 0 };
    const res = await fetch(`${app.baseUrl}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'fwd-log-agent/1.0' }, body: JSON.stringify(sent),
    });
    const answer = await res.json();
    const row = await logWhere((r) => r.userAgent === 'fwd-log-agent/1.0');
    expect(row).toMatchObject({
      method: 'POST', path: '/v1/chat/completions', model: 'fwd-log', backendModel: 'echo-log', configId: configIds['echo-log'],
      upstreamUrl: `${mock.baseUrl}/chat/completions`, statusCode: 200, stream: false, error: null,
      promptTokens: 5, completionTokens: 7, totalTokens: 12, clientIp: '127.0.0.1', userAgent: 'fwd-log-agent/1.0',
      streamContent: null, chunks: null,
    });
    expect(row.durationMs).toBeGreaterThan(0);
    expect(row.ttftMs).toBeGreaterThan(0);
    expect(row.ttftMs!).toBeLessThanOrEqual(row.durationMs);
    expect(row.requestBody).toEqual(sent);
    expect(row.responseBody).toEqual(answer);
    expect(row.responseHeaders).toMatchObject({ 'x-mock': 'yes', 'content-type': expect.stringContaining('application/json') });
  });

  test('secret headers are redacted and no key reaches the store or the admin API', async () => {
    const res = await fetch(`${app.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'user-agent': 'fwd-redact', authorization: `Bearer ${CLIENT_KEY}`,
        'x-api-key': CLIENT_KEY, 'api-key': CLIENT_KEY, cookie: `sid=${CLIENT_COOKIE}`,
      },
      body: '{"model":"fwd-keyed"}',
    });
    expect(res.headers.get('set-cookie')).toContain(BACKEND_COOKIE);
    await res.arrayBuffer();
    const row = await logWhere((r) => r.userAgent === 'fwd-redact');
    expect(row.requestHeaders).toMatchObject({ authorization: '[redacted]', 'x-api-key': '[redacted]', 'api-key': '[redacted]', cookie: '[redacted]' });
    expect(row.responseHeaders).toMatchObject({ 'set-cookie': '[redacted]' });

    const secrets = [CONFIG_KEY, CLIENT_KEY, CLIENT_COOKIE, BACKEND_COOKIE];
    const dump = await dumpStore(own);
    expect(dump.logs!.length).toBeGreaterThan(10);
    for (const [table, rows] of Object.entries(dump)) {
      for (const r of rows) {
        // The config's own key column is the one place a key must be kept: the proxy sends it upstream.
        const rest = { ...r };
        if (table === 'configs') (delete rest.api_key, delete rest.apiKey);
        const text = JSON.stringify(rest);
        for (const s of secrets) expect(text).not.toContain(s);
      }
    }
    expect((dump.configs ?? []).filter((c) => (c.api_key ?? c.apiKey) === CONFIG_KEY)).toHaveLength(1);
    if (own.dir) {
      // Nothing of the client's, in any page of the database or its write-ahead log.
      const files = readdirSync(own.dir).filter((f) => f.startsWith('proxy.sqlite') || f.startsWith('proxy-logs.sqlite'));
      const bytes = files.map((f) => readFileSync(join(own.dir!, f)).toString('latin1')).join('');
      for (const s of [CLIENT_KEY, CLIENT_COOKIE, BACKEND_COOKIE]) expect(bytes).not.toContain(s);
      expect(files).toContain('proxy.sqlite');
    }

    const gql = await app.gql(`{
      configs { id proxyModelName baseUrl backendModelName hasApiKey apiKeyPreview ignoreSslVerify enabled timeoutMs createdAt updatedAt }
      logs(first: 100) { nodes { id upstreamUrl error } }
    }`);
    expect(gql.errors).toBeUndefined();
    // Bodies and headers one entry at a time, as the admin page reads them (an operation reads those of at most 20).
    const details = [];
    for (const { id } of gql.data.logs.nodes as { id: string }[]) {
      const one = await app.gql('query($id: ID!) { log(id: $id) { requestHeaders requestBody responseHeaders responseBody } }', { id });
      expect(one.errors).toBeUndefined();
      details.push(one.data.log);
    }
    const text = JSON.stringify([gql.data, details]);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(gql.data.configs.find((c: { backendModelName: string }) => c.backendModelName === 'echo-keyed')).toMatchObject({ hasApiKey: true });
  });
});
