/**
 * The log API over real proxied exchanges, on every store: newest-first order, cursor paging,
 * totalCount, every filter, argument errors, and the heavy fields of one entry.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chat, sseData } from './helpers/chat-request.ts';
import { startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SUMMARY = 'id timestamp method path model statusCode stream userAgent';
const LOGS = `query($filter: LogFilter, $first: Int, $after: String) {
  logs(filter: $filter, first: $first, after: $after) { totalCount nodes { ${SUMMARY} } pageInfo { endCursor hasNextPage } }
}`;

/** What each exchange is, in the order sent; `ua` tags it (userAgent is a summary field). */
interface Sent {
  ua: string;
  method: 'GET' | 'POST';
  path: string;
  model: string | null;
  status: number;
  stream: boolean;
}

// alpha/beta answer JSON, e429/e500 answer errors, streamy streams, nope is not configured.
const PLAN: ('alpha' | 'beta' | 'e429' | 'e500' | 'streamy' | 'nope' | 'models' | 'embed')[] = [
  'alpha', 'beta', 'e429', 'streamy', 'models', 'alpha', 'nope', 'e500', 'embed', 'beta', 'alpha', 'e429',
  'streamy', 'alpha', 'models', 'beta', 'e500', 'alpha', 'nope', 'embed', 'beta', 'alpha', 'e429',
];

const mock = startMockUpstream();
afterAll(() => mock.stop());

for (const kind of STORE_KINDS) {
  describe(`GraphQL logs (${kind})`, () => {
    let app: TestApp;
    const sent: Sent[] = [];
    /** Newest first, as the API returned it with no filter. */
    let all: { id: string; timestamp: string; userAgent: string }[] = [];
    let alphaId = '';
    let startedAt = 0;
    let endedAt = 0;
    const firstChat = { sent: {} as Record<string, unknown>, body: null as unknown };
    const firstStream = { text: '' };

    beforeAll(async () => {
      app = await startApp({ kind });
      alphaId = (await app.addConfig({ proxyModelName: 'alpha', baseUrl: mock.baseUrl, backendModelName: 'echo' })).id;
      await app.addConfig({ proxyModelName: 'beta', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await app.addConfig({ proxyModelName: 'e429', baseUrl: mock.baseUrl, backendModelName: 'status:429' });
      await app.addConfig({ proxyModelName: 'e500', baseUrl: mock.baseUrl, backendModelName: 'status:500' });
      await app.addConfig({ proxyModelName: 'streamy', baseUrl: mock.baseUrl, backendModelName: 'slow:3:5' });

      startedAt = Date.now();
      for (const [i, step] of PLAN.entries()) {
        const ua = `client-${String(i).padStart(2, '0')}`;
        let status: number;
        if (step === 'models') {
          const r = await fetch(`${app.baseUrl}/models`, { headers: { 'user-agent': ua } });
          await r.arrayBuffer();
          status = r.status;
          sent.push({ ua, method: 'GET', path: '/v1/models', model: null, status, stream: false });
        } else if (step === 'embed') {
          const r = await fetch(`${app.baseUrl}/embeddings`, {
            method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': ua }, body: JSON.stringify({ model: 'alpha', input: 'x' }),
          });
          await r.arrayBuffer();
          status = r.status;
          sent.push({ ua, method: 'POST', path: '/v1/embeddings', model: 'alpha', status, stream: false });
        } else {
          const r = await chat({ baseUrl: app.baseUrl, model: step, stream: step === 'streamy', userAgent: ua, headers: { authorization: 'Bearer client-secret' } });
          status = r.status;
          if (i === 0) Object.assign(firstChat, { sent: r.sent, body: r.body });
          if (step === 'streamy' && !firstStream.text) firstStream.text = r.text;
          sent.push({ ua, method: 'POST', path: '/v1/chat/completions', model: step, status, stream: step === 'streamy' });
        }
        const expected = { e429: 429, e500: 500, nope: 404 }[step as string] ?? 200;
        if (status !== expected) throw new Error(`${step} answered ${status}, expected ${expected}`);
      }
      await app.drain();
      endedAt = Date.now();
      all = (await app.gql(LOGS, { first: 100 })).data.logs.nodes;
    });
    afterAll(() => app.stop());

    const expectedUas = (keep: (s: Sent, i: number) => boolean) => sent.filter(keep).map((s) => s.ua).reverse();

    test('logs returns every exchange, newest first, with ISO-8601 timestamps', async () => {
      const r = await app.gql(LOGS, { first: 100 });
      expect(r.errors).toBeUndefined();
      expect(r.data.logs.totalCount).toBe(PLAN.length);
      expect(r.data.logs.pageInfo).toEqual({ endCursor: expect.any(String), hasNextPage: false });
      const nodes = r.data.logs.nodes as (Record<string, unknown> & { timestamp: string })[];
      expect(nodes.map((n) => n.userAgent)).toEqual(expectedUas(() => true));
      expect(nodes.map(({ method, path, model, statusCode, stream }) => ({ method, path, model, statusCode, stream }))).toEqual(
        [...sent].reverse().map((s) => ({ method: s.method, path: s.path, model: s.model, statusCode: s.status, stream: s.stream })),
      );
      for (const n of nodes) {
        expect(n.timestamp).toMatch(ISO);
        expect(new Date(n.timestamp).toISOString()).toBe(n.timestamp);
        expect(Date.parse(n.timestamp)).toBeGreaterThanOrEqual(startedAt - 1);
        expect(Date.parse(n.timestamp)).toBeLessThanOrEqual(endedAt + 1);
      }
    });

    test('the default page size is 50', async () => {
      const r = await app.gql(`{ logs { totalCount nodes { id } } }`);
      expect(r.data.logs.nodes.map((n: { id: string }) => n.id)).toEqual(all.map((n) => n.id));
    });

    const pageThrough = async (filter: Record<string, unknown> | null, first: number) => {
      const ids: string[] = [];
      const sizes: number[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const r: any = await app.gql(LOGS, { filter, first, after });
        expect(r.errors).toBeUndefined();
        const page = r.data.logs;
        ids.push(...page.nodes.map((n: { id: string }) => n.id));
        sizes.push(page.nodes.length);
        if (!page.pageInfo.hasNextPage) return { ids, sizes, totalCount: page.totalCount as number };
        after = page.pageInfo.endCursor;
      }
      throw new Error('paging did not end');
    };

    test('paging with first 5 and after gives every entry exactly once, in order', async () => {
      const { ids, sizes, totalCount } = await pageThrough(null, 5);
      expect(sizes).toEqual([5, 5, 5, 5, 3]);
      expect(ids).toEqual(all.map((n) => n.id));
      expect(new Set(ids).size).toBe(PLAN.length);
      expect(totalCount).toBe(PLAN.length);
    });

    test('paging a filtered list keeps the filter on every page', async () => {
      const { ids, totalCount } = await pageThrough({ statusClass: 2 }, 4);
      const want = expectedUas((s) => s.status < 300);
      expect(ids).toEqual(all.filter((n) => want.includes(n.userAgent)).map((n) => n.id));
      expect(totalCount).toBe(want.length);
    });

    const FILTERS: [string, Record<string, unknown>, (s: Sent) => boolean][] = [
      ['method GET', { method: 'GET' }, (s) => s.method === 'GET'],
      ['method post (any case)', { method: 'post' }, (s) => s.method === 'POST'],
      ['statusCode 429', { statusCode: 429 }, (s) => s.status === 429],
      ['statusCode 404', { statusCode: 404 }, (s) => s.status === 404],
      ['statusClass 2', { statusClass: 2 }, (s) => s.status >= 200 && s.status < 300],
      ['statusClass 4', { statusClass: 4 }, (s) => s.status >= 400 && s.status < 500],
      ['statusClass 5', { statusClass: 5 }, (s) => s.status >= 500],
      ['path substring "embed"', { path: 'embed' }, (s) => s.path.includes('embed')],
      ['path substring "/v1/"', { path: '/v1/' }, () => true],
      ['path that matches nothing', { path: 'nothing-here' }, () => false],
      ['model alpha', { model: 'alpha' }, (s) => s.model === 'alpha'],
      ['model nope', { model: 'nope' }, (s) => s.model === 'nope'],
      ['stream true', { stream: true }, (s) => s.stream],
      ['stream false', { stream: false }, (s) => !s.stream],
      ['model beta and statusClass 2', { model: 'beta', statusClass: 2 }, (s) => s.model === 'beta' && s.status < 300],
      ['POST and statusClass 4 and not stream', { method: 'POST', statusClass: 4, stream: false }, (s) => s.method === 'POST' && s.status >= 400 && s.status < 500],
    ];

    test.each(FILTERS)('filter %s returns exactly the matching entries', async (_, filter, keep) => {
      const r = await app.gql(LOGS, { filter, first: 100 });
      expect(r.errors).toBeUndefined();
      const want = expectedUas(keep);
      expect(r.data.logs.nodes.map((n: { userAgent: string }) => n.userAgent)).toEqual(want);
      expect(r.data.logs.totalCount).toBe(want.length);
    });

    test('from and to are inclusive bounds on the timestamp', async () => {
      const oldestFirst = [...all].reverse();
      const from = oldestFirst[5]!.timestamp;
      const to = oldestFirst[15]!.timestamp;
      const within = (lo: string | null, hi: string | null) =>
        all.filter((n) => (!lo || Date.parse(n.timestamp) >= Date.parse(lo)) && (!hi || Date.parse(n.timestamp) <= Date.parse(hi))).map((n) => n.id);
      for (const filter of [{ from, to }, { from }, { to }, { from: to, to }]) {
        const r = await app.gql(LOGS, { filter, first: 100 });
        const want = within(filter.from ?? null, filter.to ?? null);
        expect(r.data.logs.nodes.map((n: { id: string }) => n.id)).toEqual(want);
        expect(r.data.logs.totalCount).toBe(want.length);
      }
      expect(within(from, to).length).toBeGreaterThanOrEqual(11);
      const future = await app.gql(LOGS, { filter: { from: new Date(endedAt + 60_000).toISOString() } });
      expect(future.data.logs).toEqual({ totalCount: 0, nodes: [], pageInfo: { endCursor: null, hasNextPage: false } });
    });

    test.each([
      ['a cursor that is not one', { after: 'not-a-cursor!!' }],
      ['a cursor of the wrong shape', { after: Buffer.from(JSON.stringify({ a: 1 })).toString('base64url') }],
      ['first 0', { first: 0 }],
      ['first -1', { first: -1 }],
      ['first 10000', { first: 10_000 }],
      ['statusClass 9', { filter: { statusClass: 9 } }],
      ['statusClass 0', { filter: { statusClass: 0 } }],
      ['statusCode 42', { filter: { statusCode: 42 } }],
      ['from later than to', { filter: { from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' } }],
    ])('%s is a BAD_USER_INPUT error, not a crash', async (_, vars) => {
      const r = await app.gql(LOGS, vars);
      expect(r.status).toBe(200);
      expect(r.data?.logs ?? null).toBeNull();
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).not.toMatch(/unexpected/i);
      expect((await app.gql(LOGS, { first: 1 })).data.logs.totalCount).toBe(PLAN.length);
    });

    test('a malformed DateTime in the filter is a GraphQL error', async () => {
      const r = await app.gql(LOGS, { filter: { from: 'yesterday' } });
      expect(r.data?.logs ?? null).toBeNull();
      expect(r.errors?.length).toBeGreaterThan(0);
    });

    test('log(id) returns the summary and the heavy fields of a JSON exchange', async () => {
      const id = all.find((n) => n.userAgent === 'client-00')!.id;
      const r = await app.gql(`query($id: ID!) { log(id: $id) {
        id timestamp method path model backendModel configId upstreamUrl statusCode stream durationMs ttftMs
        promptTokens completionTokens totalTokens error clientIp userAgent
        requestHeaders requestBody responseHeaders responseBody streamContent chunks } }`, { id });
      expect(r.errors).toBeUndefined();
      const log = r.data.log;
      expect(log).toMatchObject({
        id, timestamp: expect.stringMatching(ISO), method: 'POST', path: '/v1/chat/completions', model: 'alpha', backendModel: 'echo',
        configId: alphaId, upstreamUrl: `${mock.baseUrl}/chat/completions`, statusCode: 200, stream: false,
        promptTokens: 5, completionTokens: 7, totalTokens: 12, error: null, clientIp: '127.0.0.1', userAgent: 'client-00',
        streamContent: null, chunks: null,
      });
      expect(log.durationMs).toBeGreaterThan(0);
      expect(log.ttftMs).toBeGreaterThan(0);
      expect(log.requestBody).toEqual(firstChat.sent);
      expect(log.responseBody).toEqual(firstChat.body);
      expect(log.requestHeaders).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'client-00', authorization: '[redacted]' });
      expect(log.responseHeaders).toMatchObject({ 'content-type': expect.stringContaining('application/json'), 'x-mock': 'yes', 'set-cookie': '[redacted]' });
      expect(JSON.stringify(log)).not.toContain('client-secret');
    });

    test('log(id) of a stream has its chunks, the assembled text and the assembled body', async () => {
      const id = all.find((n) => n.userAgent === 'client-03')!.id;
      const r = await app.gql(`query($id: ID!) { log(id: $id) { stream statusCode streamContent chunks responseBody requestBody error } }`, { id });
      const log = r.data.log;
      const clientChunks = sseData(firstStream.text).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
      expect(clientChunks).toHaveLength(3);
      expect(log).toMatchObject({ stream: true, statusCode: 200, streamContent: 't0 t1 t2 ', error: null });
      expect(log.chunks).toEqual(clientChunks);
      expect(log.requestBody).toMatchObject({ model: 'streamy', stream: true });
      expect(log.responseBody).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { content: 't0 t1 t2 ' } }] });
    });

    test('heavy fields asked for in a list match log(id)', async () => {
      const list = (await app.gql(`{ logs(first: 4, filter: { stream: true }) { nodes { id chunks streamContent responseBody } } }`)).data.logs.nodes;
      expect(list).toHaveLength(2);
      for (const node of list) {
        const one = (await app.gql(`query($id: ID!) { log(id: $id) { id chunks streamContent responseBody } }`, { id: node.id })).data.log;
        expect(node).toEqual(one);
      }
    });

    test('log(id) of an unknown id is null, not an error', async () => {
      const r = await app.gql('query($id: ID!) { log(id: $id) { id requestBody } }', { id: '00000000-0000-7000-8000-000000000000' });
      expect(r.errors).toBeUndefined();
      expect(r.data).toEqual({ log: null });
    });

    test('an exchange the proxy refused records its error', async () => {
      const id = all.find((n) => n.userAgent === 'client-06')!.id;
      const log = (await app.gql('query($id: ID!) { log(id: $id) { model statusCode error responseBody } }', { id })).data.log;
      expect(log).toMatchObject({ model: 'nope', statusCode: 404, error: expect.stringContaining('does not exist') });
      expect(log.responseBody).toMatchObject({ error: { code: 'model_not_found' } });
    });
  });
}
