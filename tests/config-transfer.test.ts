/**
 * Configs export and import through the admin API, on every store: a round trip keeps the content
 * (ids are local), keys travel only on request, a second import changes nothing, replace deletes,
 * a malformed document is refused whole naming its bad entry, and imported routes work at once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { planImport } from '../server/configs/transfer.ts';
import type { ConfigRow } from '../server/store/types.ts';
import { ADMIN_TOKEN, startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const EXPORT = 'query($withKeys: Boolean) { exportConfigs(withKeys: $withKeys) }';
const IMPORT = 'mutation($document: JSON!, $replace: Boolean) { importConfigs(document: $document, replace: $replace) { created updated unchanged deleted } }';

const mock = startMockUpstream();
afterAll(() => mock.stop());

/** What a config is, without what is local to one store. */
const content = (rows: ConfigRow[]) => rows.map(({ id: _i, createdAt: _c, updatedAt: _u, ...rest }) => rest);

const entry = (overrides: Record<string, unknown> = {}) => ({
  proxyModelName: 'm-entry', baseUrl: mock.baseUrl, backendModelName: 'echo', ignoreSslVerify: false, enabled: true, timeoutMs: null,
  inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, ...overrides,
});
const doc = (configs: unknown[]) => ({ format: 'lite-proxy-configs', version: 1, exportedAt: new Date().toISOString(), configs });

for (const kind of STORE_KINDS) {
  describe(`config export and import (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind });
    });
    afterAll(async () => {
      await app.stop();
    });

    async function exportDoc(withKeys?: boolean) {
      const r = await app.gql<{ exportConfigs: any }>(EXPORT, { withKeys });
      expect(r.errors).toBeUndefined();
      return r.data!.exportConfigs;
    }
    async function importDoc(document: unknown, replace?: boolean) {
      return app.gql<{ importConfigs: { created: number; updated: number; unchanged: number; deleted: number } }>(IMPORT, { document, replace });
    }
    async function wipe() {
      for (const c of await app.store.listConfigs()) await app.configs.delete(c.id);
    }
    beforeEach(wipe);

    /** Three configs: two share a proxy model name, one has no key and is disabled. */
    async function seed() {
      await app.addConfig({ proxyModelName: 'alpha', baseUrl: `${mock.baseUrl}/`, backendModelName: 'echo', apiKey: 'sk-alpha-1234567890', timeoutMs: 1000, ignoreSslVerify: true });
      await app.addConfig({ proxyModelName: 'alpha', baseUrl: 'https://second.example/v1', backendModelName: 'gpt-4o', apiKey: 'sk-second-0987654321' });
      await app.addConfig({ proxyModelName: 'beta', baseUrl: 'http://beta.example:8080/v1', backendModelName: 'llama', enabled: false });
      return app.store.listConfigs();
    }

    test('export, wipe, import: the same configs come back; keys only with withKeys; a second import changes nothing', async () => {
      const before = await seed();
      const plain = await exportDoc();
      expect(plain.format).toBe('lite-proxy-configs');
      expect(plain.version).toBe(1);
      expect(Math.abs(Date.parse(plain.exportedAt) - Date.now())).toBeLessThan(60_000);
      expect(plain.configs).toEqual(content(before).map(({ apiKey: _k, ...rest }) => rest));
      expect(plain.configs.some((c: object) => 'apiKey' in c)).toBe(false);

      const withKeys = await exportDoc(true);
      expect(withKeys.configs).toEqual(content(before));
      expect(withKeys.configs.map((c: { apiKey: string | null }) => c.apiKey)).toEqual(['sk-alpha-1234567890', 'sk-second-0987654321', null]);

      await wipe();
      const first = await importDoc(withKeys);
      expect(first.errors).toBeUndefined();
      expect(first.data!.importConfigs).toEqual({ created: 3, updated: 0, unchanged: 0, deleted: 0 });
      const imported = await app.store.listConfigs();
      expect(content(imported)).toEqual(content(before));
      expect(imported.map((c) => c.id)).not.toEqual(before.map((c) => c.id));

      const second = await importDoc(withKeys);
      expect(second.data!.importConfigs).toEqual({ created: 0, updated: 0, unchanged: 3, deleted: 0 });
      expect(await app.store.listConfigs()).toEqual(imported);
      // Without keys, the stored keys stay.
      expect((await importDoc(plain)).data!.importConfigs).toEqual({ created: 0, updated: 0, unchanged: 3, deleted: 0 });
      expect(await app.store.listConfigs()).toEqual(imported);

      // Into an empty store, an export without keys makes configs without keys.
      await wipe();
      expect((await importDoc(plain)).data!.importConfigs).toEqual({ created: 3, updated: 0, unchanged: 0, deleted: 0 });
      expect(content(await app.store.listConfigs())).toEqual(content(before).map((c) => ({ ...c, apiKey: null })));
    });

    test('a matched entry updates the fields that differ; no apiKey field keeps the key, null clears it', async () => {
      await app.addConfig({ proxyModelName: 'm-entry', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: 'sk-keep-1234567890' });
      const changed = entry({ backendModelName: 'repeat', timeoutMs: 5000, enabled: false });
      expect((await importDoc(doc([changed]))).data!.importConfigs).toEqual({ created: 0, updated: 1, unchanged: 0, deleted: 0 });
      let [row] = await app.store.listConfigs();
      expect(content([row!])).toEqual([{ ...changed, apiKey: 'sk-keep-1234567890' }]);

      expect((await importDoc(doc([{ ...changed, apiKey: 'sk-new-1234567890' }]))).data!.importConfigs.updated).toBe(1);
      expect((await app.store.listConfigs())[0]!.apiKey).toBe('sk-new-1234567890');
      expect((await importDoc(doc([{ ...changed, apiKey: null }]))).data!.importConfigs.updated).toBe(1);
      [row] = await app.store.listConfigs();
      expect(row!.apiKey).toBeNull();
      expect((await importDoc(doc([{ ...changed, apiKey: null }]))).data!.importConfigs).toEqual({ created: 0, updated: 0, unchanged: 1, deleted: 0 });
    });

    test('prices, weight and priority travel; a document without them (0.1.0) keeps the stored ones, null clears them', async () => {
      const set = entry({ proxyModelName: 'm-routed', inputPrice: 2.5, outputPrice: 10, weight: 3, priority: 1 });
      expect((await importDoc(doc([set]))).data!.importConfigs.created).toBe(1);
      const exported = (await exportDoc()).configs.find((c: { proxyModelName: string }) => c.proxyModelName === 'm-routed');
      expect(exported).toMatchObject({ inputPrice: 2.5, cachedInputPrice: null, outputPrice: 10, weight: 3, priority: 1 });
      const { inputPrice: _i, cachedInputPrice: _c, outputPrice: _o, weight: _w, priority: _p, ...old } = set;
      expect((await importDoc(doc([{ ...old, timeoutMs: 1000 }]))).data!.importConfigs.updated).toBe(1);
      const kept = (await app.store.listConfigs()).find((c) => c.proxyModelName === 'm-routed')!;
      expect(kept).toMatchObject({ timeoutMs: 1000, inputPrice: 2.5, outputPrice: 10, weight: 3, priority: 1 });
      expect((await importDoc(doc([{ ...old, timeoutMs: 1000, weight: null, inputPrice: null }]))).data!.importConfigs.updated).toBe(1);
      expect((await app.store.listConfigs()).find((c) => c.proxyModelName === 'm-routed')).toMatchObject({ weight: null, inputPrice: null, outputPrice: 10 });
      const bad = await importDoc(doc([{ ...old, weight: -1 }]));
      expect(bad.errors?.[0]?.message).toContain('configs[0].weight');
    });

    test('replace deletes stored configs the document does not have; without it they stay', async () => {
      const before = await seed();
      const keep = content([before[2]!]).map(({ apiKey: _k, ...rest }) => rest)[0]!;
      const added = entry({ proxyModelName: 'gamma' });
      expect((await importDoc(doc([keep, added]))).data!.importConfigs).toEqual({ created: 1, updated: 0, unchanged: 1, deleted: 0 });
      expect((await app.store.listConfigs()).length).toBe(4);
      expect((await importDoc(doc([keep, added]), true)).data!.importConfigs).toEqual({ created: 0, updated: 0, unchanged: 2, deleted: 2 });
      const after = await app.store.listConfigs();
      expect(after.map((c) => c.proxyModelName)).toEqual(['beta', 'gamma']);
      expect(after[0]).toEqual(before[2]!);
      // An empty document with replace empties the configs.
      expect((await importDoc(doc([]), true)).data!.importConfigs).toEqual({ created: 0, updated: 0, unchanged: 0, deleted: 2 });
      expect(await app.store.listConfigs()).toEqual([]);
    });

    const good = (i: number) => entry({ proxyModelName: `ok-${i}` });
    const MALFORMED: [string, unknown, RegExp][] = [
      ['not an object', [good(0)], /^document must be an object, got array$/],
      ['JSON text that does not parse', '{"format": ', /^document is not valid JSON/],
      ['another format', { ...doc([good(0)]), format: 'something-else' }, /^format: must be "lite-proxy-configs"$/],
      ['another version', { ...doc([good(0)]), version: 2 }, /^version: must be 1, got 2$/],
      ['configs not a list', { ...doc([]), configs: { a: 1 } }, /^configs: must be a list, got object$/],
      ['a bad URL in entry 3', doc([good(0), good(1), good(2), entry({ proxyModelName: 'bad', baseUrl: 'ftp://files.example' }), good(4)]), /^configs\[3\]\.baseUrl: must use http or https/],
      ['a URL with a query in entry 1', doc([good(0), entry({ baseUrl: `${mock.baseUrl}?x=1` })]), /^configs\[1\]\.baseUrl: must not carry a query string/],
      ['duplicates (a trailing slash is the same URL)', doc([good(0), good(1), { ...good(0), baseUrl: `${mock.baseUrl}/` }]), /^configs\[2\]: same proxyModelName, baseUrl and backendModelName as configs\[0\]/],
      ['a missing field', doc([good(0), { proxyModelName: 'x', baseUrl: mock.baseUrl }]), /^configs\[1\]\.backendModelName: missing$/],
      ['a blank name', doc([entry({ proxyModelName: '  ' })]), /^configs\[0\]\.proxyModelName: must not be empty$/],
      ['a field of the wrong type', doc([good(0), good(1), entry({ enabled: 'yes' })]), /^configs\[2\]\.enabled: must be boolean, got string$/],
      ['a bad timeout', doc([entry({ timeoutMs: -1 })]), /^configs\[0\]\.timeoutMs: must be a whole number/],
      ['an unknown field', doc([good(0), { ...good(1), apikey: 'sk-typo' }]), /^configs\[1\]: unknown field "apikey"$/],
      ['an entry that is not an object', doc([good(0), 'alpha']), /^configs\[1\]: must be an object, got string$/],
    ];

    test('a malformed document is refused whole, naming the bad entry, and nothing changes', async () => {
      const before = await seed();
      for (const [what, document, message] of MALFORMED) {
        for (const replace of [false, true]) {
          const r = await importDoc(document, replace);
          expect(r.data ?? null, what).toBeNull();
          expect(r.errors?.[0]?.message, what).toMatch(message);
          expect(r.errors?.[0]?.extensions?.code, what).toBe('BAD_USER_INPUT');
          expect(await app.store.listConfigs(), what).toEqual(before);
        }
      }
    });

    test('a URL with a user and password (saved before they were refused) is exported without them unless withKeys', async () => {
      const now = new Date();
      await app.store.insertConfig({
        id: 'legacy', proxyModelName: 'legacy', baseUrl: 'https://svc:pa55word@gateway.example/v1', backendModelName: 'm',
        apiKey: null, ignoreSslVerify: false, enabled: true, timeoutMs: null, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: now, updatedAt: now,
      });
      const plain = await exportDoc(false);
      expect(JSON.stringify(plain)).not.toContain('pa55word');
      expect(plain.configs[0].baseUrl).toBe('https://gateway.example/v1');
      expect((await exportDoc(true)).configs[0].baseUrl).toBe('https://svc:pa55word@gateway.example/v1');
    });

    test('a document given as JSON text is read as the document', async () => {
      const r = await importDoc(JSON.stringify(doc([good(0)])));
      expect(r.data!.importConfigs).toEqual({ created: 1, updated: 0, unchanged: 0, deleted: 0 });
    });

    test('the route table is rebuilt: an imported model answers through the proxy, a removed one is gone', async () => {
      await app.addConfig({ proxyModelName: 'old-model', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      expect((await chat({ baseUrl: app.baseUrl, model: 'imported-model' })).status).toBe(404);
      const r = await importDoc(doc([entry({ proxyModelName: 'imported-model' })]), true);
      expect(r.data!.importConfigs).toEqual({ created: 1, updated: 0, unchanged: 0, deleted: 1 });
      const answer = await chat({ baseUrl: app.baseUrl, model: 'imported-model' });
      expect(answer.status).toBe(200);
      expect(answer.body.choices[0].message.content).toStartWith('echo:');
      expect((await chat({ baseUrl: app.baseUrl, model: 'old-model' })).status).toBe(404);
      await app.drain();
    });

    test('both operations need the admin token', async () => {
      expect((await app.gql(EXPORT, {}, 'wrong-token-0123456789')).status).toBe(401);
      expect((await app.gql(IMPORT, { document: doc([]) }, 'wrong-token-0123456789')).status).toBe(401);
      expect((await app.gql(EXPORT, {}, ADMIN_TOKEN)).status).toBe(200);
    });
  });
}

describe('matching configs on import', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const row = (id: string, backendModelName: string, extra: Partial<ConfigRow> = {}): ConfigRow => ({
    id, proxyModelName: 'gpt', baseUrl: 'https://api.example.com/v1', backendModelName, apiKey: null, ignoreSslVerify: false, enabled: true, timeoutMs: null,
    inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: now, updatedAt: now, ...extra,
  });
  const entryOf = ({ id: _i, createdAt: _c, updatedAt: _u, apiKey: _k, ...rest }: ConfigRow) => rest;

  test('configs that share a name and URL (tiers of one provider) round-trip: each matches its own backend model', () => {
    const stored = [row('a', 'gpt-4o', { priority: 0 }), row('b', 'gpt-4o-mini', { priority: 1 })];
    const same = planImport(stored, stored.map(entryOf), { replace: true, now });
    expect(same.result).toEqual({ created: 0, updated: 0, unchanged: 2, deleted: 0, groups: 0 });
    // A weight changed on the second: that one is updated, not the first.
    const changed = planImport(stored, [entryOf(stored[0]!), { ...entryOf(stored[1]!), weight: 4 }], { replace: true, now });
    expect(changed.changes.update).toEqual([{ id: 'b', patch: { weight: 4, updatedAt: now } }]);
  });

  test('a lone config of a name and URL matches by them, so its backend model can change', () => {
    const stored = [row('a', 'gpt-4o')];
    const plan = planImport(stored, [{ ...entryOf(stored[0]!), backendModelName: 'gpt-4.1' }], { replace: true, now });
    expect(plan.result).toEqual({ created: 0, updated: 1, unchanged: 0, deleted: 0, groups: 0 });
    expect(plan.changes.update[0]).toEqual({ id: 'a', patch: { backendModelName: 'gpt-4.1', updatedAt: now } });
  });
});
