/**
 * Config management through the admin API, on every store: every ProxyConfig field, validation,
 * the write-only API key, and that a change applies to routing at once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chat } from './helpers/chat-request.ts';
import { startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const FIELDS = 'id proxyModelName baseUrl backendModelName hasApiKey apiKeyPreview ignoreSslVerify enabled timeoutMs createdAt updatedAt';
const CREATE = `mutation($input: CreateConfigInput!) { createConfig(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateConfigInput!) { updateConfig(id: $id, input: $input) { ${FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteConfig(id: $id) }';
const GET = `query($id: ID!) { config(id: $id) { ${FIELDS} } }`;
const LIST = `{ configs { ${FIELDS} } }`;

const KEY = 'sk-proj-SECRETabcdefghijklmnop0123456789';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const mock = startMockUpstream();
const mock2 = startMockUpstream();
afterAll(() => {
  mock.stop();
  mock2.stop();
});

const valid = () => ({ proxyModelName: 'm-valid', baseUrl: mock.baseUrl, backendModelName: 'echo' });

/** [what is wrong, the input, the field the message must name] */
const INVALID: [string, Record<string, unknown>, string][] = [
  ['ftp baseUrl', { baseUrl: 'ftp://x' }, 'baseUrl'],
  ['baseUrl without a scheme', { baseUrl: 'localhost:8080' }, 'baseUrl'],
  ['empty baseUrl', { baseUrl: '' }, 'baseUrl'],
  ['relative baseUrl', { baseUrl: '/v1' }, 'baseUrl'],
  ['baseUrl with user and password', { baseUrl: 'https://svc:pa55word@gateway.example/v1' }, 'baseUrl'],
  ['baseUrl with a user name', { baseUrl: 'https://svc@gateway.example/v1' }, 'baseUrl'],
  ['empty proxyModelName', { proxyModelName: '' }, 'proxyModelName'],
  ['blank proxyModelName', { proxyModelName: '   ' }, 'proxyModelName'],
  ['empty backendModelName', { backendModelName: '' }, 'backendModelName'],
  ['blank backendModelName', { backendModelName: ' \t ' }, 'backendModelName'],
  ['negative timeoutMs', { timeoutMs: -5 }, 'timeoutMs'],
  ['zero timeoutMs', { timeoutMs: 0 }, 'timeoutMs'],
  ['non-integer timeoutMs', { timeoutMs: 1.5 }, 'timeoutMs'],
];

for (const kind of STORE_KINDS) {
  describe(`GraphQL configs (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind });
    });
    afterAll(() => app.stop());

    const count = async () => (await app.store.listConfigs()).length;

    test('create returns every field; config(id) and configs return the same values', async () => {
      const before = Date.now();
      const r = await app.gql(CREATE, {
        input: { proxyModelName: 'gpt-x', baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY, ignoreSslVerify: true, enabled: false, timeoutMs: 12_345 },
      });
      expect(r.errors).toBeUndefined();
      const created = r.data.createConfig;
      expect(created).toEqual({
        id: expect.any(String), proxyModelName: 'gpt-x', baseUrl: mock.baseUrl, backendModelName: 'echo',
        hasApiKey: true, apiKeyPreview: expect.any(String), ignoreSslVerify: true, enabled: false, timeoutMs: 12_345,
        createdAt: expect.stringMatching(ISO), updatedAt: expect.stringMatching(ISO),
      });
      expect(created.updatedAt).toBe(created.createdAt);
      const createdAt = Date.parse(created.createdAt);
      expect(createdAt).toBeGreaterThanOrEqual(before - 1);
      expect(createdAt).toBeLessThanOrEqual(Date.now() + 1);

      expect((await app.gql(GET, { id: created.id })).data).toEqual({ config: created });
      const list = (await app.gql(LIST)).data.configs as { id: string }[];
      expect(list.find((c) => c.id === created.id)).toEqual(created);
    });

    test('fields left out get their defaults', async () => {
      const r = await app.gql(CREATE, { input: valid() });
      expect(r.data.createConfig).toMatchObject({ hasApiKey: false, apiKeyPreview: null, ignoreSslVerify: false, enabled: true, timeoutMs: null });
    });

    test('update changes the given fields, keeps the others and moves only updatedAt', async () => {
      const created = (await app.gql(CREATE, { input: { ...valid(), apiKey: KEY, timeoutMs: 1000 } })).data.createConfig;
      await Bun.sleep(5);
      const r = await app.gql(UPDATE, {
        id: created.id,
        input: { proxyModelName: 'renamed', baseUrl: mock2.baseUrl, backendModelName: 'echo-2', ignoreSslVerify: true, enabled: false, timeoutMs: 2000 },
      });
      expect(r.errors).toBeUndefined();
      const updated = r.data.updateConfig;
      expect(updated).toEqual({
        ...created, proxyModelName: 'renamed', baseUrl: mock2.baseUrl, backendModelName: 'echo-2',
        ignoreSslVerify: true, enabled: false, timeoutMs: 2000, updatedAt: expect.stringMatching(ISO),
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      expect((await app.gql(GET, { id: created.id })).data.config).toEqual(updated);

      const partial = (await app.gql(UPDATE, { id: created.id, input: { enabled: true } })).data.updateConfig;
      expect(partial).toEqual({ ...updated, enabled: true, updatedAt: expect.stringMatching(ISO) });
      const cleared = (await app.gql(UPDATE, { id: created.id, input: { timeoutMs: null } })).data.updateConfig;
      expect(cleared.timeoutMs).toBeNull();
    });

    test('delete removes the config; deleting it again or an unknown id gives false', async () => {
      const { id } = (await app.gql(CREATE, { input: valid() })).data.createConfig;
      expect((await app.gql(DELETE, { id })).data).toEqual({ deleteConfig: true });
      expect((await app.gql(GET, { id })).data).toEqual({ config: null });
      expect(((await app.gql(LIST)).data.configs as { id: string }[]).some((c) => c.id === id)).toBe(false);
      const again = await app.gql(DELETE, { id });
      expect(again.errors).toBeUndefined();
      expect(again.data).toEqual({ deleteConfig: false });
      expect((await app.gql(DELETE, { id: 'no-such-config' })).data).toEqual({ deleteConfig: false });
    });

    test.each(INVALID)('create with %s is BAD_USER_INPUT and stores nothing', async (_, bad, field) => {
      const before = await count();
      const r = await app.gql(CREATE, { input: { ...valid(), ...bad } });
      expect(r.data?.createConfig ?? null).toBeNull();
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toContain(field);
      expect(await count()).toBe(before);
    });

    test.each(INVALID)('update with %s is BAD_USER_INPUT and changes nothing', async (_, bad, field) => {
      const created = (await app.gql(CREATE, { input: valid() })).data.createConfig;
      const r = await app.gql(UPDATE, { id: created.id, input: bad });
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toContain(field);
      expect((await app.gql(GET, { id: created.id })).data.config).toEqual(created);
    });

    test.each([
      ['timeoutMs "abc"', { timeoutMs: 'abc' }],
      ['enabled "yes"', { enabled: 'yes' }],
      ['proxyModelName 42', { proxyModelName: 42 }],
      ['no baseUrl', { baseUrl: undefined }],
    ])('create with wrong type (%s) is a GraphQL error and stores nothing', async (_, bad) => {
      const before = await count();
      const r = await app.gql(CREATE, { input: { ...valid(), ...bad } });
      expect(r.data?.createConfig ?? null).toBeNull();
      expect(r.errors?.length).toBeGreaterThan(0);
      expect(r.errors![0]!.message).toMatch(/input/i);
      expect(await count()).toBe(before);
    });

    test('update of an unknown id is NOT_FOUND', async () => {
      const r = await app.gql(UPDATE, { id: 'no-such-config', input: { enabled: false } });
      expect(r.data?.updateConfig ?? null).toBeNull();
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions?.code).toBe('NOT_FOUND');
      expect(r.errors![0]!.message).toContain('no-such-config');
    });

    test('the API key is write-only: no field returns it, hasApiKey and apiKeyPreview describe it', async () => {
      const created = (await app.gql(CREATE, { input: { ...valid(), apiKey: KEY } })).data.createConfig;
      expect(created.hasApiKey).toBe(true);
      const preview = created.apiKeyPreview as string;
      expect(preview.length).toBeGreaterThan(0);
      expect(preview.length).toBeLessThanOrEqual(8);
      expect(KEY.includes(preview)).toBe(false);
      expect(preview).not.toContain('SECRET');

      // Ask for every field the schema has, whatever it is called.
      const type = (await app.gql('{ __type(name: "ProxyConfig") { fields { name type { kind ofType { kind } } } } }')).data.__type;
      const names = (type.fields as { name: string }[]).map((f) => f.name);
      expect(names.filter((n) => /key/i.test(n)).sort()).toEqual(['apiKeyPreview', 'apiKeyUnreadable', 'hasApiKey']);
      // Object fields (price) with a selection of their own.
      const fields = type.fields as { name: string; type: { kind: string; ofType: { kind: string } | null } }[];
      const selection = fields.map((f) => (f.type.kind === 'OBJECT' || f.type.ofType?.kind === 'OBJECT' ? `${f.name} { __typename }` : f.name)).join(' ');
      const all = await app.gql(`query($id: ID!) { config(id: $id) { ${selection} } configs { ${selection} } }`, { id: created.id });
      expect(all.errors).toBeUndefined();
      const text = JSON.stringify(all.data);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('SECRETabcdefgh');
    });

    test('update without apiKey keeps it, a new apiKey replaces it, apiKey: null clears it', async () => {
      const model = `keyed-${kind}`;
      const { id } = (await app.gql(CREATE, { input: { proxyModelName: model, baseUrl: mock.baseUrl, backendModelName: 'echo', apiKey: KEY } })).data.createConfig;
      const sentKey = async () => {
        const r = await chat({ baseUrl: app.baseUrl, model, headers: { authorization: 'Bearer client-key' } });
        expect(r.status).toBe(200);
        return mock.requests.at(-1)!.headers.authorization;
      };
      expect(await sentKey()).toBe(`Bearer ${KEY}`);

      const kept = (await app.gql(UPDATE, { id, input: { timeoutMs: 5000 } })).data.updateConfig;
      expect(kept).toMatchObject({ hasApiKey: true, apiKeyPreview: expect.any(String) });
      expect(await sentKey()).toBe(`Bearer ${KEY}`);

      const other = 'sk-other-0000000000000000zz';
      const replaced = (await app.gql(UPDATE, { id, input: { apiKey: other } })).data.updateConfig;
      expect(replaced.hasApiKey).toBe(true);
      expect(replaced.apiKeyPreview).not.toBe(kept.apiKeyPreview);
      expect(await sentKey()).toBe(`Bearer ${other}`);

      const cleared = (await app.gql(UPDATE, { id, input: { apiKey: null } })).data.updateConfig;
      expect(cleared).toMatchObject({ hasApiKey: false, apiKeyPreview: null });
      expect((await app.store.getConfig(id))!.apiKey).toBeNull();
      // Without a key of its own the config passes the client's Authorization through.
      expect(await sentKey()).toBe('Bearer client-key');
    });

    test('a config created or changed through GraphQL applies to routing at once', async () => {
      const model = `routed-${kind}`;
      expect((await chat({ baseUrl: app.baseUrl, model })).status).toBe(404);

      const { id } = (await app.gql(CREATE, { input: { proxyModelName: model, baseUrl: mock.baseUrl, backendModelName: 'echo' } })).data.createConfig;
      const ok = await chat({ baseUrl: app.baseUrl, model });
      expect(ok.status).toBe(200);
      expect(ok.body.model).toBe('echo');
      expect(JSON.parse(mock.requests.at(-1)!.body).model).toBe('echo');

      await app.gql(UPDATE, { id, input: { enabled: false } });
      const disabled = await chat({ baseUrl: app.baseUrl, model });
      expect(disabled.status).toBe(404);
      expect(disabled.body.error.code).toBe('model_not_found');
      expect(disabled.body.error.message).toContain('disabled');

      const seenByMock2 = mock2.requests.length;
      await app.gql(UPDATE, { id, input: { enabled: true, baseUrl: mock2.baseUrl, backendModelName: 'status:503' } });
      expect((await chat({ baseUrl: app.baseUrl, model })).status).toBe(503);
      // The group's only config answered 503: tried once more after 0.5 s (routing), then answered as it came.
      expect(mock2.requests.length).toBe(seenByMock2 + 2);

      await app.gql(DELETE, { id });
      const gone = await chat({ baseUrl: app.baseUrl, model });
      expect(gone.status).toBe(404);
      expect(gone.body.error.message).toContain('does not exist');
    });
  });
}

describe('apiKey values that cannot go into a header', () => {
  test('a key with a line break or a space is refused when it is saved, not when it is used', async () => {
    const app = await startApp();
    try {
      for (const apiKey of ['sk-abc\ndef', 'sk abc', 'sk-ключ']) {
        const r = await app.gql('mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', {
          i: { proxyModelName: 'k', baseUrl: 'http://127.0.0.1:9/v1', backendModelName: 'b', apiKey },
        });
        expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(r.errors?.[0]?.message).toContain('apiKey');
      }
      expect((await app.gql('{ configs { id } }')).data.configs).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});
