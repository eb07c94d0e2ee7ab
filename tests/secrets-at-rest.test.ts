/**
 * Backend keys sealed at rest (issue 12): AES-256-GCM under SECRET_KEY or DATA_DIR/secret-key; a
 * byte search of everything the server keeps (SQLite file and WAL, the last-known snapshot, every
 * MongoDB document) finds no key; plaintext keys of an older release are sealed at start; a server
 * with another secret key says so and serves nothing with a wrong key; rotate-secret re-seals.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../server/cli/main.ts';
import { SecretBox, SecretMismatchError, parseSecretKey } from '../server/store/secret-box.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import { tempDir } from './helpers/app.ts';
import { createConfig } from './helpers/chaos.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';
import { killAll, startServer } from './helpers/server-process.ts';

const TOKEN = 'secrets-test-token-0123456789';
const KEY = 'sk-live-backend-secret-key-0123456789abcdef';
const mock = startMockUpstream();
afterAll(async () => {
  await killAll();
  mock.stop();
});

/** Every byte under `dir` (files of subfolders too). */
function everyFile(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}
const holding = (dir: string, secret: string) => everyFile(dir).filter((f) => f.bytes.includes(Buffer.from(secret))).map((f) => f.path);

/** A proxied request to `model`; the Authorization the mock then saw. */
async function keySeenByBackend(url: string, model: string): Promise<{ status: number; authorization: string | undefined }> {
  const before = mock.requests.length;
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
  await res.arrayBuffer();
  return { status: res.status, authorization: mock.requests.slice(before).at(-1)?.headers.authorization };
}

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));
  test('seals with a fresh nonce each time and opens what it sealed; a plaintext value opens as itself', () => {
    const a = box.seal(KEY);
    const b = box.seal(KEY);
    expect(a).not.toBe(b);
    expect(a).toStartWith(`lp-sealed:v1:${box.keyId}:`);
    expect(a).not.toContain(KEY);
    expect(box.open(a)).toBe(KEY);
    expect(box.open(b)).toBe(KEY);
    expect(box.open('sk-plain-from-0.1.0')).toBe('sk-plain-from-0.1.0');
  });
  test('a value sealed under another key, or tampered with, does not open', () => {
    const other = new SecretBox(Buffer.alloc(32, 8));
    expect(() => other.open(box.seal(KEY))).toThrow(SecretMismatchError);
    const sealed = box.seal(KEY);
    const data = Buffer.from(sealed.split(':')[3]!, 'base64url');
    data[14]! ^= 1;
    expect(() => box.open(`lp-sealed:v1:${box.keyId}:${data.toString('base64url')}`)).toThrow(SecretMismatchError);
    expect(() => box.open(`lp-sealed:v1:${box.keyId}:AAAA`)).toThrow(SecretMismatchError);
  });
  test('SECRET_KEY is read as base64 or hex, and must hold 32 bytes', () => {
    expect(parseSecretKey(Buffer.alloc(32, 1).toString('base64')).byteLength).toBe(32);
    expect(parseSecretKey('ab'.repeat(32)).byteLength).toBe(32);
    expect(() => parseSecretKey('too-short')).toThrow('at least 32 bytes');
  });
});

describe('backend keys at rest (SQLite)', () => {
  test('no file the server keeps holds the key, the secret key file is owner-only, and the backend gets the key', async () => {
    const dataDir = tempDir('lp-secrets-');
    const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
    await createConfig(server.url, TOKEN, { proxyModelName: 'sealed', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY });
    expect(await keySeenByBackend(server.url, 'sealed')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    // While it runs (the WAL holds the last writes) and after it stopped.
    await Bun.sleep(5_500); // the last-known snapshot is written with the next refresh
    expect(holding(dataDir, KEY)).toEqual([]);
    expect(everyFile(dataDir).map((f) => f.path)).toContain(join(dataDir, 'configs-last-known.json'));
    expect(await server.stop()).toBe(0);
    expect(holding(dataDir, KEY)).toEqual([]);
    expect(statSync(join(dataDir, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(server.stdout()).not.toContain(readFileSync(join(dataDir, 'secret-key'), 'utf8').trim());

    const again = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
    expect(await keySeenByBackend(again.url, 'sealed')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    await again.stop();
  }, 30_000);

  test("an older release's plaintext keys are sealed once at start", async () => {
    const dataDir = tempDir('lp-secrets-legacy-');
    const legacy = new SqliteStore(join(dataDir, 'lite-proxy.sqlite'));
    await legacy.init();
    const now = new Date();
    await legacy.insertConfig({ id: 'legacy-1', proxyModelName: 'legacy', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY, ignoreSslVerify: false, enabled: true, timeoutMs: null, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: now, updatedAt: now });
    await legacy.close();
    expect(holding(dataDir, KEY).length).toBeGreaterThan(0);

    const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
    expect(server.stdout() + server.stderr()).toContain('sealed the backend keys of 1 configs');
    expect(await keySeenByBackend(server.url, 'legacy')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    expect(await server.stop()).toBe(0);
    // VACUUM is not needed for the search: SQLite overwrote the row in place or in the WAL, checkpointed at close.
    expect(holding(dataDir, KEY)).toEqual([]);
  }, 30_000);

  test('another SECRET_KEY: said at start with the fix, the config serves nothing, and the API shows why', async () => {
    const dataDir = tempDir('lp-secrets-mismatch-');
    const first = Buffer.alloc(32, 1).toString('base64');
    const second = Buffer.alloc(32, 2).toString('base64');
    const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, SECRET_KEY: first } });
    await createConfig(server.url, TOKEN, { proxyModelName: 'locked', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY });
    await server.stop();

    const wrong = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, SECRET_KEY: second } });
    await wrong.waitForOutput(/cannot be read/);
    expect(wrong.stderr()).toContain('SECRET_KEY');
    const seen = await keySeenByBackend(wrong.url, 'locked');
    expect(seen.status).toBe(404);
    expect(seen.authorization).toBeUndefined();
    const res = await fetch(`${wrong.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: '{ configs { proxyModelName hasApiKey apiKeyUnreadable } }' }),
    });
    const { data } = (await res.json()) as { data: { configs: { apiKeyUnreadable: string | null; hasApiKey: boolean }[] } };
    expect(data.configs[0]).toMatchObject({ hasApiKey: true, apiKeyUnreadable: expect.stringContaining('another secret key') });
    await wrong.stop();

    // The right key serves again: nothing was lost.
    const right = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, SECRET_KEY: first } });
    expect(await keySeenByBackend(right.url, 'locked')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    await right.stop();
  }, 40_000);

  test('rotate-secret re-seals every key under a new secret key (file and SECRET_KEY), and the server serves with it', async () => {
    const dataDir = tempDir('lp-secrets-rotate-');
    const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
    await createConfig(server.url, TOKEN, { proxyModelName: 'rotated', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY });
    await createConfig(server.url, TOKEN, { proxyModelName: 'keyless', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    await server.stop();
    const oldKey = readFileSync(join(dataDir, 'secret-key'), 'utf8');
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    expect(await runCli(['rotate-secret'], { DATA_DIR: dataDir }, io)).toBe(0);
    expect(out.join('\n')).toContain('re-sealed 1 backend key');
    expect(readFileSync(join(dataDir, 'secret-key'), 'utf8')).not.toBe(oldKey);
    expect(readFileSync(join(dataDir, 'secret-key.old'), 'utf8')).toBe(oldKey);
    expect(holding(dataDir, KEY)).toEqual([]);
    const after = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
    expect(await keySeenByBackend(after.url, 'rotated')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    await after.stop();

    // With SECRET_KEY: the new one comes as NEW_SECRET_KEY.
    const envDir = tempDir('lp-secrets-rotate-env-');
    const a = Buffer.alloc(32, 3).toString('base64');
    const b = Buffer.alloc(32, 4).toString('hex');
    const s1 = await startServer({ env: { DATA_DIR: envDir, ADMIN_TOKEN: TOKEN, SECRET_KEY: a } });
    await createConfig(s1.url, TOKEN, { proxyModelName: 'rotated', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY });
    await s1.stop();
    out.length = 0;
    expect(await runCli(['rotate-secret'], { DATA_DIR: envDir, SECRET_KEY: a }, io)).toBe(1);
    expect(out.join('\n')).toContain('NEW_SECRET_KEY');
    expect(await runCli(['rotate-secret'], { DATA_DIR: envDir, SECRET_KEY: a, NEW_SECRET_KEY: b }, io)).toBe(0);
    const s2 = await startServer({ env: { DATA_DIR: envDir, ADMIN_TOKEN: TOKEN, SECRET_KEY: b } });
    expect(await keySeenByBackend(s2.url, 'rotated')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    await s2.stop();
  }, 60_000);

  test('export-configs --with-keys still writes the keys in clear, for moving between installations', async () => {
    const dataDir = tempDir('lp-secrets-export-');
    const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
    await createConfig(server.url, TOKEN, { proxyModelName: 'exported', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY });
    await server.stop();
    const file = join(tempDir('lp-secrets-export-out-'), 'configs.json');
    expect(await runCli(['export-configs', '--with-keys', '--out', file], { DATA_DIR: dataDir }, { out: () => {}, err: () => {} })).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(KEY);
    // And importing it elsewhere seals them there.
    const other = tempDir('lp-secrets-import-');
    writeFileSync(join(other, '.keep'), '');
    expect(await runCli(['import-configs', file], { DATA_DIR: other }, { out: () => {}, err: () => {} })).toBe(0);
    expect(holding(other, KEY)).toEqual([]);
  }, 30_000);
});

const MONGODB_URI = process.env.MONGODB_URI;
describe.skipIf(!MONGODB_URI)('backend keys at rest (MongoDB)', () => {
  test('no MongoDB document and no file in DATA_DIR holds the key', async () => {
    const { MongoClient } = await import('mongodb');
    const database = `lp_secrets_${Date.now()}`;
    const dataDir = tempDir('lp-secrets-mongo-');
    const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, MONGODB_URI: MONGODB_URI!, DATABASE_NAME: database } });
    await createConfig(server.url, TOKEN, { proxyModelName: 'sealed', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY });
    expect(await keySeenByBackend(server.url, 'sealed')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    await Bun.sleep(5_500);
    await server.stop();
    const client = new MongoClient(MONGODB_URI!);
    try {
      const db = client.db(database);
      let documents = 0;
      for (const { name } of await db.listCollections().toArray()) {
        for (const doc of await db.collection(name).find({}).toArray()) {
          documents++;
          expect(JSON.stringify(doc)).not.toContain(KEY);
        }
      }
      expect(documents).toBeGreaterThan(1);
      expect(JSON.stringify(await db.collection('configs').findOne({}))).toContain('lp-sealed:v1:');
      await db.dropDatabase();
    } finally {
      await client.close();
    }
    expect(holding(dataDir, KEY)).toEqual([]);
  }, 40_000);

  test("an older release's plaintext key in MongoDB is sealed at start, and still reaches the backend", async () => {
    const { MongoStore } = await import('../server/store/mongo.ts');
    const { MongoClient } = await import('mongodb');
    const database = `lp_secrets_legacy_${Date.now()}`;
    const legacy = new MongoStore(MONGODB_URI!, database);
    await legacy.init();
    const now = new Date();
    await legacy.insertConfig({ id: 'legacy-m', proxyModelName: 'legacy-m', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY, ignoreSslVerify: false, enabled: true, timeoutMs: null, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: now, updatedAt: now });
    await legacy.close();
    const server = await startServer({ env: { DATA_DIR: tempDir('lp-secrets-mongo-legacy-'), ADMIN_TOKEN: TOKEN, MONGODB_URI: MONGODB_URI!, DATABASE_NAME: database } });
    expect(server.stdout() + server.stderr()).toContain('sealed the backend keys of 1 configs');
    expect(await keySeenByBackend(server.url, 'legacy-m')).toEqual({ status: 200, authorization: `Bearer ${KEY}` });
    await server.stop();
    const client = new MongoClient(MONGODB_URI!);
    try {
      const doc = await client.db(database).collection('configs').findOne({});
      expect(JSON.stringify(doc)).not.toContain(KEY);
      expect(JSON.stringify(doc)).toContain('lp-sealed:v1:');
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  }, 40_000);
});
