/**
 * The live tail (`logTail`) over GraphQL-over-SSE, on every store: entries arrive promptly, the
 * filter is applied server-side, a closed connection releases its pubsub listener, and a bad
 * filter ends the stream with an error event.
 * Listeners are read from the app's pubsub, which counts them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { chat } from './helpers/chat-request.ts';
import { ADMIN_TOKEN, startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';
import { subscribe, type GraphQLSubscription } from './helpers/graphql-sse.ts';
import { type ListenerCounter, watchListeners } from './helpers/listener-count.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TAIL = 'subscription($filter: LogFilter) { logTail(filter: $filter) { id model statusCode stream timestamp streamContent } }';

const mock = startMockUpstream();
afterAll(() => mock.stop());

for (const kind of STORE_KINDS) {
  describe(`logTail over SSE (${kind})`, () => {
    let app: TestApp;
    let listeners: ListenerCounter;
    const open: GraphQLSubscription[] = [];
    beforeAll(async () => {
      app = await startApp({ kind });
      listeners = watchListeners(() => app.pubsub.listenerCount());
      await app.addConfig({ proxyModelName: 'tail-a', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await app.addConfig({ proxyModelName: 'tail-b', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await app.addConfig({ proxyModelName: 'tail-404', baseUrl: mock.baseUrl, backendModelName: 'status:404' });
      await app.addConfig({ proxyModelName: 'tail-stream', baseUrl: mock.baseUrl, backendModelName: 'slow:3:5' });
    });
    afterEach(async () => {
      // Every closed subscription must let go of its listener before the next test counts them.
      for (const sub of open.splice(0)) sub.close();
      await listeners.waitFor(0);
    });
    afterAll(() => app.stop());

    /** Subscribes and waits until the server really listens, so no entry can slip past. */
    async function tail(filter?: Record<string, unknown>) {
      const before = listeners.count;
      const sub = await subscribe({ url: app.url, query: TAIL, variables: { filter }, token: ADMIN_TOKEN });
      open.push(sub);
      expect(sub.status).toBe(200);
      expect(sub.contentType).toContain('text/event-stream');
      await listeners.waitFor(before + 1);
      return sub;
    }

    const send = (model: string, stream = false) => chat({ baseUrl: app.baseUrl, model, stream });
    const tailed = (ev: unknown) => (ev as { data: { data: { logTail: Record<string, unknown> } } }).data.data.logTail;

    test('a new entry arrives within 1 s of a JSON exchange finishing, and matches the stored row', async () => {
      const sub = await tail();
      expect((await send('tail-a')).status).toBe(200);
      const finished = performance.now();
      const ev = await sub.next(1_000);
      expect(performance.now() - finished).toBeLessThan(1_000);
      expect(ev).toEqual({
        event: 'next',
        data: { data: { logTail: { id: expect.any(String), model: 'tail-a', statusCode: 200, stream: false, timestamp: expect.stringMatching(ISO), streamContent: null } } },
      });
      const stored = await app.store.getLog(tailed(ev).id as string);
      expect(stored).toMatchObject({ model: 'tail-a', statusCode: 200 });
      expect(stored!.timestamp.toISOString()).toBe(tailed(ev).timestamp as string);
      sub.close();
    });

    test('a new entry arrives within 1 s of a stream finishing, with its assembled text', async () => {
      const sub = await tail();
      const r = await send('tail-stream', true);
      expect(r.status).toBe(200);
      const finished = performance.now();
      const ev = await sub.next(1_000);
      expect(performance.now() - finished).toBeLessThan(1_000);
      expect(tailed(ev)).toMatchObject({ model: 'tail-stream', statusCode: 200, stream: true, streamContent: 't0 t1 t2 ' });
      sub.close();
    });

    test('a tail filtered by model gets only that model', async () => {
      const sub = await tail({ model: 'tail-b' });
      for (const model of ['tail-a', 'tail-b', 'tail-a', 'tail-404', 'tail-b', 'tail-a']) await send(model);
      await app.drain();
      const want = (await app.gql('{ logs(first: 2, filter: { model: "tail-b" }) { nodes { id } } }')).data.logs.nodes
        .map((n: { id: string }) => n.id).reverse();
      const got = [tailed(await sub.next()), tailed(await sub.next())];
      expect(got.map((e) => e.model)).toEqual(['tail-b', 'tail-b']);
      expect(got.map((e) => e.id)).toEqual(want);
      expect(await sub.nextWithin(300)).toBe('timeout');
      sub.close();
    });

    test('a tail filtered by statusClass 4 gets only 4xx entries', async () => {
      const sub = await tail({ statusClass: 4 });
      const statuses: number[] = [];
      for (const model of ['tail-a', 'tail-404', 'not-configured', 'tail-b']) statuses.push((await send(model)).status);
      expect(statuses).toEqual([200, 404, 404, 200]);
      await app.drain();
      const got = [tailed(await sub.next()), tailed(await sub.next())];
      expect(got.map(({ model, statusCode }) => ({ model, statusCode }))).toEqual([
        { model: 'tail-404', statusCode: 404 },
        { model: 'not-configured', statusCode: 404 },
      ]);
      expect(await sub.nextWithin(300)).toBe('timeout');
      sub.close();
    });

    test('each subscriber gets every entry; closing one does not disturb the others', async () => {
      const [one, two] = [await tail(), await tail()];
      await send('tail-a');
      expect(tailed(await one.next()).model).toBe('tail-a');
      expect(tailed(await two.next()).model).toBe('tail-a');
      one.close();
      await send('tail-b');
      expect(tailed(await two.next()).model).toBe('tail-b');
      two.close();
    });

    test('a client that disconnects releases its pubsub listener, also when no event ever came', async () => {
      const base = listeners.count;
      const subs = [await tail(), await tail({ model: 'never-used' }), await tail({ statusClass: 5 })];
      expect(listeners.count).toBe(base + 3);
      subs[1]!.close();
      await listeners.waitFor(base + 2);
      subs[0]!.close();
      subs[2]!.close();
      await listeners.waitFor(base);
      // The pubsub still works for whoever subscribes next.
      const sub = await tail();
      await send('tail-a');
      expect(tailed(await sub.next()).model).toBe('tail-a');
      sub.close();
      await listeners.waitFor(base);
    });

    test.each([
      ['statusClass 9', 'subscription { logTail(filter: { statusClass: 9 }) { id } }', 'BAD_USER_INPUT'],
      ['statusCode 42', 'subscription { logTail(filter: { statusCode: 42 }) { id } }', 'BAD_USER_INPUT'],
      ['a string statusClass', 'subscription { logTail(filter: { statusClass: "x" }) { id } }', 'GRAPHQL_VALIDATION_FAILED'],
      ['an unknown filter field', 'subscription { logTail(filter: { colour: "red" }) { id } }', 'GRAPHQL_VALIDATION_FAILED'],
    ])('a bad filter (%s) ends the stream with an error event, not a crash', async (_, query, code) => {
      const base = listeners.count;
      const sub = await subscribe({ url: app.url, query, token: ADMIN_TOKEN });
      open.push(sub);
      expect(sub.status).toBe(200);
      const ev = await sub.next();
      expect(ev?.event).toBe('next');
      expect(ev?.data.data ?? null).toBeNull();
      expect(ev?.data.errors).toHaveLength(1);
      expect(ev?.data.errors[0].extensions.code).toBe(code);
      if (code === 'BAD_USER_INPUT') expect(ev?.data.errors[0].message).toMatch(/statusClass|statusCode/);
      expect(await sub.next()).toEqual({ event: 'complete', data: null });
      expect(await sub.next()).toBeNull();
      expect(listeners.count).toBe(base);
      // The server is fine and a good subscription still works.
      const good = await tail();
      await send('tail-a');
      expect(tailed(await good.next()).model).toBe('tail-a');
      good.close();
    });
  });
}
