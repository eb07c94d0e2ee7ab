/**
 * Model groups (issue 13, second part): a group's fallback groups (tried in order once its own
 * configs are exhausted, theirs in turn, the model rewritten to each config's own), context
 * fallbacks for a 400 context_length_exceeded, per-group maxAttempts and retryOnStatus, the
 * validation of all of it, its export and import, and a client that leaves while a retry is on its
 * way. Driven with the official SDK at maxRetries 0 where the answer matters, so that only the proxy retries.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ConfigSnapshot } from '../server/configs/snapshot.ts';
import { MemoryBreakers } from '../server/proxy/breaker.ts';
import { RouteTable } from '../server/proxy/route.ts';
import type { ConfigRow, ModelGroupRow } from '../server/store/types.ts';
import { startApp, type TestApp } from './helpers/app.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';
import { freePort } from './helpers/server-process.ts';

let mock: MockUpstream;
beforeAll(() => {
  mock = startMockUpstream();
});
afterAll(() => mock.stop());

const stores: ('sqlite' | 'mongodb')[] = ['sqlite', ...(process.env.MONGODB_URI ? ['mongodb' as const] : [])];

const GROUP_FIELDS = 'name fallbacks contextFallbacks maxAttempts retryOnStatus updatedAt configs { id backendModelName }';
const UPDATE = `mutation($name: String!, $input: ModelGroupInput!) { updateModelGroup(name: $name, input: $input) { ${GROUP_FIELDS} } }`;

const ask = (app: TestApp, model: string, content = 'hi', signal?: AbortSignal) => fetch(`${app.baseUrl}/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content }] }), signal,
});

/** The backend models the mock was asked for, in order, since `from` requests. */
const modelsSeen = (from: number) => mock.requests.slice(from).map((r) => (JSON.parse(r.body || '{}') as { model?: string }).model);

async function lastLog(app: TestApp) {
  await app.drain();
  const r = await app.gql('{ logs(first: 1) { nodes { id model statusCode configId backendModel attemptCount attempts { configId model backendModel statusCode error } } } }');
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data.logs.nodes[0];
}

const dead = () => `http://127.0.0.1:${freePort()}/v1`;

for (const kind of stores) {
  describe(`model groups (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind, cooldown: { failures: 3, baseMs: 300, maxMs: 2_000 } });
    });
    afterAll(() => app.stop());

    const update = async (name: string, input: Record<string, unknown>) => app.gql(UPDATE, { name, input });

    test('every group is listed with the defaults until its settings change; a change is stored and read back', async () => {
      const a = await app.addConfig({ proxyModelName: 'listed', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await app.addConfig({ proxyModelName: 'listed-b', baseUrl: mock.baseUrl, backendModelName: 'echo', enabled: false });
      const groups = (await app.gql(`{ modelGroups { ${GROUP_FIELDS} } }`)).data.modelGroups;
      expect(groups.find((g: { name: string }) => g.name === 'listed')).toEqual({
        name: 'listed', fallbacks: [], contextFallbacks: [], maxAttempts: 3, retryOnStatus: [408, 429, 500, 502, 503, 504, 529], updatedAt: null,
        configs: [{ id: a.id, backendModelName: 'echo' }],
      });
      // A group whose configs are all disabled is still a group (a fallback may name it).
      expect(groups.map((g: { name: string }) => g.name)).toContain('listed-b');
      const r = await update('listed', { fallbacks: ['listed-b'], maxAttempts: 5, retryOnStatus: [503, 429, 503] });
      expect(r.errors).toBeUndefined();
      expect(r.data.updateModelGroup).toMatchObject({ name: 'listed', fallbacks: ['listed-b'], maxAttempts: 5, retryOnStatus: [429, 503], updatedAt: expect.any(String) });
      // Fields left out keep their value; null resets one to the default.
      const again = (await update('listed', { retryOnStatus: null })).data.updateModelGroup;
      expect(again).toMatchObject({ fallbacks: ['listed-b'], maxAttempts: 5, retryOnStatus: [408, 429, 500, 502, 503, 504, 529] });
      const one = (await app.gql('{ modelGroup(name: "listed") { name fallbacks maxAttempts } }')).data.modelGroup;
      expect(one).toEqual({ name: 'listed', fallbacks: ['listed-b'], maxAttempts: 5 });
      expect((await app.gql('{ modelGroup(name: "no-such") { name } }')).data.modelGroup).toBeNull();
      const stored = (await app.store.listModelGroups()).find((g) => g.name === 'listed');
      expect(stored).toMatchObject({ fallbacks: ['listed-b'], contextFallbacks: [], maxAttempts: 5, retryOnStatus: null });
    });

    test('invalid settings are refused with a clear message, and nothing is stored', async () => {
      for (const name of ['cyc-a', 'cyc-b', 'cyc-c']) await app.addConfig({ proxyModelName: name, baseUrl: mock.baseUrl, backendModelName: 'echo' });
      expect((await update('cyc-a', { fallbacks: ['cyc-b'] })).errors).toBeUndefined();
      expect((await update('cyc-b', { fallbacks: ['cyc-c'] })).errors).toBeUndefined();
      const before = JSON.stringify(await app.store.listModelGroups());
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['cyc-c', { fallbacks: ['cyc-a'] }, /cycle: cyc-c → cyc-a → cyc-b → cyc-c/],
        ['cyc-a', { fallbacks: ['cyc-a'] }, /cannot fall back to itself/],
        ['cyc-a', { fallbacks: ['nobody'] }, /no config serves the model "nobody"/],
        ['cyc-a', { contextFallbacks: ['nobody'] }, /contextFallbacks: no config serves the model "nobody"/],
        ['cyc-a', { fallbacks: ['cyc-c', 'cyc-c'] }, /twice/],
        ['cyc-a', { maxAttempts: 0 }, /maxAttempts must be a whole number from 1 to 10/],
        ['cyc-a', { maxAttempts: 11 }, /maxAttempts must be a whole number from 1 to 10/],
        ['cyc-a', { retryOnStatus: [200] }, /retryOnStatus: 200 is not an error status/],
        ['cyc-a', { retryOnStatus: [600] }, /retryOnStatus: 600 is not an error status/],
        ['nobody', { maxAttempts: 2 }, /No config serves the model "nobody"/],
      ];
      for (const [name, input, message] of cases) {
        const r = await update(name, input);
        expect(r.status).toBe(200);
        expect(r.errors?.[0]?.message).toMatch(message);
        expect(r.data).toBeNull();
      }
      expect(JSON.stringify(await app.store.listModelGroups())).toBe(before);
      // Weights out of range on a config are refused the same way.
      const w = await app.gql('mutation { createConfig(input: { proxyModelName: "w", baseUrl: "http://x/v1", backendModelName: "m", weight: 1001 }) { id } }');
      expect(w.errors?.[0]?.message).toMatch(/weight must be a whole number from 0 to 1000/);
    });

    test('own tiers first, then the fallback group, its config\'s model in the body; the log and the headers say which answered', async () => {
      await app.addConfig({ proxyModelName: 'primary', baseUrl: dead(), backendModelName: 'primary-model', priority: 0 });
      await app.addConfig({ proxyModelName: 'primary', baseUrl: mock.baseUrl, backendModelName: 'status:503', priority: 1 });
      const backup = await app.addConfig({ proxyModelName: 'backup', baseUrl: mock.baseUrl, backendModelName: 'backup-echo' });
      expect((await update('primary', { fallbacks: ['backup'] })).errors).toBeUndefined();
      const from = mock.requests.length;
      const client = new OpenAI({ apiKey: 'x', baseURL: app.baseUrl, maxRetries: 0 });
      const { data, response } = await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(data.choices[0]!.message.content).toContain('echo');
      expect(response.headers.get('x-lite-proxy-attempts')).toBe('3');
      expect(response.headers.get('x-lite-proxy-config')).toBe(backup.id);
      // The dead one never reached the mock; the 503 did, then the fallback with its own model name.
      expect(modelsSeen(from)).toEqual(['status:503', 'backup-echo']);
      const log = await lastLog(app);
      expect(log).toMatchObject({ model: 'primary', statusCode: 200, configId: backup.id, backendModel: 'backup-echo', attemptCount: 3 });
      expect(log.attempts.map((a: { model: string; statusCode: number | null }) => [a.model, a.statusCode])).toEqual([['primary', null], ['primary', 503], ['backup', 200]]);
    });

    test('fallbacks of fallbacks are followed, each group once; maxAttempts bounds the whole chain', async () => {
      await app.addConfig({ proxyModelName: 'chain-a', baseUrl: mock.baseUrl, backendModelName: 'status:502' });
      await app.addConfig({ proxyModelName: 'chain-b', baseUrl: mock.baseUrl, backendModelName: 'status:504' });
      const c = await app.addConfig({ proxyModelName: 'chain-c', baseUrl: mock.baseUrl, backendModelName: 'chain-c-echo' });
      expect((await update('chain-b', { fallbacks: ['chain-c'] })).errors).toBeUndefined();
      expect((await update('chain-a', { fallbacks: ['chain-b'] })).errors).toBeUndefined();
      let res = await ask(app, 'chain-a');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-lite-proxy-config')).toBe(c.id);
      // Two attempts at most: the chain stops at B, whose 504 the client gets as it came.
      expect((await update('chain-a', { maxAttempts: 2 })).errors).toBeUndefined();
      const from = mock.requests.length;
      res = await ask(app, 'chain-a');
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: { code: 'mock_504' } });
      expect(modelsSeen(from)).toEqual(['status:502', 'status:504']);
      // One attempt: nothing is tried again.
      expect((await update('chain-a', { maxAttempts: 1 })).errors).toBeUndefined();
      res = await ask(app, 'chain-a');
      expect(res.status).toBe(502);
      expect(res.headers.get('x-lite-proxy-attempts')).toBe('1');
    });

    test('retryOnStatus decides what is tried again: an empty list sends a 503 back at once, a 404 in it goes elsewhere', async () => {
      await app.addConfig({ proxyModelName: 'statuses', baseUrl: mock.baseUrl, backendModelName: 'status:503', priority: 0 });
      await app.addConfig({ proxyModelName: 'statuses', baseUrl: mock.baseUrl, backendModelName: 'status:404', priority: 1 });
      const good = await app.addConfig({ proxyModelName: 'statuses', baseUrl: mock.baseUrl, backendModelName: 'statuses-echo', priority: 2 });
      expect((await update('statuses', { retryOnStatus: [] })).errors).toBeUndefined();
      let res = await ask(app, 'statuses');
      expect(res.status).toBe(503);
      expect(res.headers.get('x-lite-proxy-attempts')).toBe('1');
      expect((await update('statuses', { retryOnStatus: [503, 404] })).errors).toBeUndefined();
      res = await ask(app, 'statuses');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-lite-proxy-config')).toBe(good.id);
      expect(res.headers.get('x-lite-proxy-attempts')).toBe('3');
    });

    test('a 400 context_length_exceeded goes to the context fallbacks; short prompts stay; without them the client gets the 400', async () => {
      await app.addConfig({ proxyModelName: 'small', baseUrl: mock.baseUrl, backendModelName: 'context:200' });
      await app.addConfig({ proxyModelName: 'small-text', baseUrl: mock.baseUrl, backendModelName: 'context:200:text' });
      const large = await app.addConfig({ proxyModelName: 'large', baseUrl: mock.baseUrl, backendModelName: 'context:100000' });
      const long = 'x'.repeat(500);
      // No context fallbacks: the backend's 400 as it came.
      let res = await ask(app, 'small', long);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'context_length_exceeded' } });
      expect((await update('small', { contextFallbacks: ['large'] })).errors).toBeUndefined();
      expect((await update('small-text', { contextFallbacks: ['large'] })).errors).toBeUndefined();
      res = await ask(app, 'small', 'short');
      expect(res.status).toBe(200);
      expect((await res.json()).choices[0].message.content).toBe('fits 200');
      for (const model of ['small', 'small-text']) {
        res = await ask(app, model, long);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-lite-proxy-config')).toBe(large.id);
        expect((await res.json()).choices[0].message.content).toBe('fits 100000');
        const log = await lastLog(app);
        expect(log.attempts).toHaveLength(2);
        expect(log.attempts[0]).toMatchObject({ model, statusCode: 400, error: expect.stringContaining('context_length_exceeded') });
        expect(log.attempts[1]).toMatchObject({ model: 'large', statusCode: 200 });
      }
      // Another 400 is the client's: back at once, the context fallbacks untried.
      await app.addConfig({ proxyModelName: 'small-400', baseUrl: mock.baseUrl, backendModelName: 'status:400' });
      expect((await update('small-400', { contextFallbacks: ['large'] })).errors).toBeUndefined();
      res = await ask(app, 'small-400', long);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'mock_400' } });
      expect(res.headers.get('x-lite-proxy-attempts')).toBe('1');
    });

    test('stats count the requests a fallback answered', async () => {
      await app.drain();
      const now = Date.now();
      const stats = (await app.gql(`query($f: DateTime!, $t: DateTime!) { stats(from: $f, to: $t, bucket: HOUR) {
        total { fallbacks } models { model summary { requests fallbacks } } } }`,
      { f: new Date(now - 3_600_000).toISOString(), t: new Date(now + 60_000).toISOString() })).data.stats;
      const of = (model: string) => stats.models.find((m: { model: string }) => m.model === model)?.summary;
      expect(of('primary')).toEqual({ requests: 1, fallbacks: 1 });
      // B's 504 came from a fallback group too.
      expect(of('chain-a')).toEqual({ requests: 3, fallbacks: 2 });
      expect(of('small')).toEqual({ requests: 3, fallbacks: 1 });
      expect(of('listed')?.fallbacks ?? 0).toBe(0);
      expect(stats.total.fallbacks).toBe(5);
    });

    test('a client that leaves during the pause before a lone config is tried again: no second attempt reaches the backend', async () => {
      const name = `pause-${kind}`;
      await app.addConfig({ proxyModelName: 'lone', baseUrl: mock.baseUrl, backendModelName: `flaky:${name}:5:503` });
      const controller = new AbortController();
      const asked = ask(app, 'lone', 'hi', controller.signal).catch((err: Error) => err);
      await Bun.sleep(200);
      expect(mock.flaky.get(name)).toBe(1);
      controller.abort();
      expect(await asked).toBeInstanceOf(Error);
      await Bun.sleep(600);
      expect(mock.flaky.get(name)).toBe(1);
      const log = await lastLog(app);
      expect(log).toMatchObject({ model: 'lone', statusCode: 499, attemptCount: 1 });
      expect(log.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503]);
    });

    test('a client that leaves while a retry is in flight cancels it at the backend', async () => {
      const hang = `hang:retry-${kind}`;
      await app.addConfig({ proxyModelName: 'cancel-retry', baseUrl: mock.baseUrl, backendModelName: 'status:502', priority: 0 });
      await app.addConfig({ proxyModelName: 'cancel-retry', baseUrl: mock.baseUrl, backendModelName: hang, priority: 1 });
      const controller = new AbortController();
      const asked = ask(app, 'cancel-retry', 'hi', controller.signal).catch((err: Error) => err);
      for (let i = 0; i < 50 && !mock.requests.some((r) => r.body.includes(hang)); i++) await Bun.sleep(20);
      expect(mock.requests.some((r) => r.body.includes(hang))).toBe(true);
      controller.abort();
      expect(await asked).toBeInstanceOf(Error);
      for (let i = 0; i < 50 && !mock.cancelled.includes(hang); i++) await Bun.sleep(20);
      expect(mock.cancelled).toContain(hang);
      const log = await lastLog(app);
      expect(log).toMatchObject({ model: 'cancel-retry', statusCode: 499 });
      // Both attempts: the refused one, and the one the client left during.
      expect(log.attemptCount).toBe(2);
      expect(log.attempts.map((a: { backendModel: string; statusCode: number }) => [a.backendModel, a.statusCode])).toEqual([['status:502', 502], [hang, 499]]);
    });

    test('group settings export and import with the configs; a document with a bad group imports nothing', async () => {
      const doc = (await app.gql('{ exportConfigs }')).data.exportConfigs;
      expect(doc.groups).toEqual(expect.arrayContaining([
        { name: 'primary', fallbacks: ['backup'], contextFallbacks: [], maxAttempts: null, retryOnStatus: null },
        { name: 'statuses', fallbacks: [], contextFallbacks: [], maxAttempts: null, retryOnStatus: [404, 503] },
      ]));
      const other = await startApp({ kind });
      try {
        const IMPORT = 'mutation($d: JSON!, $r: Boolean) { importConfigs(document: $d, replace: $r) { created updated unchanged deleted groups } }';
        const bad = { ...doc, groups: [...doc.groups, { name: 'backup', fallbacks: ['primary'] }] };
        const refused = await other.gql(IMPORT, { d: bad });
        expect(refused.errors?.[0]?.message).toMatch(/groups\[\d+\] \("(primary|backup)"\): fallbacks would make a cycle: (primary → backup → primary|backup → primary → backup)/);
        expect(await other.store.listConfigs()).toHaveLength(0);
        expect(await other.store.listModelGroups()).toHaveLength(0);
        const unknown = await other.gql(IMPORT, { d: { ...doc, groups: [{ name: 'primary', fallbacks: ['gone'] }] } });
        expect(unknown.errors?.[0]?.message).toMatch(/no config serves the model "gone"/);
        const r = await other.gql(IMPORT, { d: doc });
        expect(r.errors).toBeUndefined();
        expect(r.data.importConfigs).toMatchObject({ created: doc.configs.length, groups: doc.groups.length });
        const groups = (await other.gql('{ modelGroups { name fallbacks contextFallbacks maxAttempts retryOnStatus } }')).data.modelGroups;
        expect(groups.find((g: { name: string }) => g.name === 'primary')).toMatchObject({ fallbacks: ['backup'], maxAttempts: 3 });
        expect(groups.find((g: { name: string }) => g.name === 'small')).toMatchObject({ contextFallbacks: ['large'] });
        // The imported settings route at once: primary falls back to backup there too.
        const res = await ask(other, 'primary');
        expect(res.status).toBe(200);
        expect(res.headers.get('x-lite-proxy-attempts')).toBe('3');
        // A document from before groups (none listed) leaves the stored settings alone; replace with an empty list resets them.
        const { groups: _, ...old } = doc;
        expect((await other.gql(IMPORT, { d: old })).data.importConfigs).toMatchObject({ groups: 0 });
        expect((await other.store.listModelGroups()).find((g) => g.name === 'primary')).toMatchObject({ fallbacks: ['backup'] });
        const reset = await other.gql(IMPORT, { d: { ...doc, groups: [] }, r: true });
        expect(reset.data.importConfigs.groups).toBe(doc.groups.length);
        expect((await other.gql('{ modelGroup(name: "primary") { fallbacks } }')).data.modelGroup.fallbacks).toEqual([]);
      } finally {
        await other.stop();
      }
    });
  });
}

describe('route table chains', () => {
  const now = new Date();
  const config = (id: string, model: string, extra: Partial<ConfigRow> = {}): ConfigRow => ({
    id, proxyModelName: model, baseUrl: 'http://x/v1', backendModelName: id, apiKey: null, ignoreSslVerify: false, enabled: true, timeoutMs: null,
    inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: now, updatedAt: now, ...extra,
  });
  const group = (name: string, fallbacks: string[], extra: Partial<ModelGroupRow> = {}): ModelGroupRow => ({
    name, fallbacks, contextFallbacks: [], maxAttempts: null, retryOnStatus: null, updatedAt: now, ...extra,
  });
  const order = (table: RouteTable, model: string) => {
    const plan = table.plan(model);
    const out: string[] = [];
    for (let c = plan.next(0); c; c = plan.next(0)) out.push(c.id);
    return out;
  };

  test('own tiers, then each fallback group\'s tiers, depth first, each group once, even when stored rows make a cycle', () => {
    const table = new RouteTable(new MemoryBreakers());
    table.replace(
      [config('a1', 'A', { priority: 1 }), config('a0', 'A', { priority: 0 }), config('b', 'B'), config('c', 'C'), config('d', 'D')],
      // A cycle can only come from an older or hand-edited store: the table still visits each group once. 'gone' has no configs.
      [group('A', ['B', 'gone', 'D']), group('B', ['C', 'A']), group('C', ['A'])],
    );
    expect(order(table, 'A')).toEqual(['a0', 'a1', 'b', 'c', 'd']);
    expect(order(table, 'B')).toEqual(['b', 'c', 'a0', 'a1', 'd']);
    expect(table.plan('A').size).toBe(5);
  });

  test('context fallbacks replace the chain once; what was tried is not tried again', () => {
    const table = new RouteTable(new MemoryBreakers());
    table.replace([config('s', 'S'), config('l', 'L'), config('xl', 'XL')], [group('S', ['XL'], { contextFallbacks: ['L'] }), group('L', ['XL'])]);
    const plan = table.plan('S');
    expect(plan.next(0)?.id).toBe('s');
    expect(plan.hasContextFallbacks).toBe(true);
    expect(plan.switchToContextFallbacks()).toBe(true);
    expect(plan.hasContextFallbacks).toBe(false);
    expect(plan.switchToContextFallbacks()).toBe(false);
    expect(plan.next(0)?.id).toBe('l');
    expect(plan.next(0)?.id).toBe('xl');
    expect(plan.next(0)).toBeNull();
    expect(table.plan('S').settings.maxAttempts).toBe(3);
    expect([...table.plan('S').settings.retryOnStatus]).toEqual([408, 429, 500, 502, 503, 504, 529]);
  });

  test('the last known configs keep the group settings; a snapshot from before them has none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-snapshot-'));
    try {
      const snapshot = new ConfigSnapshot(join(dir, 'configs.json'));
      snapshot.save([config('a', 'A')], [group('A', ['B'], { maxAttempts: 4 })]);
      const kept = snapshot.load()!;
      expect(kept.groups).toEqual([group('A', ['B'], { maxAttempts: 4 })]);
      expect(kept.groups[0]!.updatedAt).toBeInstanceOf(Date);
      writeFileSync(join(dir, 'old.json'), JSON.stringify({ savedAt: now.toISOString(), configs: [config('a', 'A')] }));
      expect(new ConfigSnapshot(join(dir, 'old.json')).load()!.groups).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
