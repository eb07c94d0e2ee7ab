/**
 * The Logs page's counts: exact up to a cap and "10,000+" past it, made once per filter by the first
 * page; later pages carry it in their cursor.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decodeCursor, encodeCursor, LOG_COUNT_CAP } from '../server/logs/filter.ts';
import type { LogFilter, LogRow, Store } from '../server/store/types.ts';
import { makeStore, startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';

const T0 = Date.parse('2026-11-30T00:00:00Z');

function row(i: number, model: string): LogRow {
  return {
    id: `c-${String(i).padStart(6, '0')}`, timestamp: new Date(T0 + i), method: 'POST', path: '/v1/chat/completions', model,
    backendModel: 'b', configId: 'c1', upstreamUrl: null, statusCode: i % 10 === 0 ? 500 : 200, stream: false, durationMs: 1, ttftMs: 1,
    promptTokens: null, completionTokens: null, totalTokens: null, error: null, clientIp: null, userAgent: null, apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null,
    requestHeaders: null, requestBody: null, responseHeaders: null, responseBody: null, streamContent: null, chunks: null, attempts: null,
  };
}

const PAGE = `query($filter: LogFilter, $after: String) {
  logs(filter: $filter, first: 20, after: $after) { totalCount totalCountExact nodes { id } pageInfo { endCursor hasNextPage } } }`;

test('a cursor carries its count; cursors without one (0.1.0 and 0.2.0 pages) still decode', () => {
  const at = { timestamp: new Date(T0), id: 'x' };
  expect(decodeCursor(encodeCursor({ ...at, total: { count: 10_000, exact: false } }))).toEqual({ ...at, total: { count: 10_000, exact: false } });
  expect(decodeCursor(encodeCursor(at))).toEqual(at);
  expect(() => decodeCursor(Buffer.from(JSON.stringify([T0, 'x', -1, true])).toString('base64url'))).not.toThrow();
  expect(decodeCursor(Buffer.from(JSON.stringify([T0, 'x', -1, true])).toString('base64url')).total).toBeUndefined();
});

for (const kind of STORE_KINDS) {
  describe(`Logs page counts (${kind})`, () => {
    let app: TestApp;
    const counted: LogFilter[] = [];
    let destroy: () => Promise<void>;
    beforeAll(async () => {
      const handle = makeStore(kind);
      destroy = handle.destroy;
      const counting: Store = Object.create(handle.store, {
        countLogsUpTo: {
          value(this: Store, f: LogFilter, cap: number) {
            counted.push(f);
            return handle.store.countLogsUpTo.call(this, f, cap);
          },
        },
      });
      app = await startApp({ store: counting });
      const rows = Array.from({ length: LOG_COUNT_CAP + 50 }, (_, i) => row(i, 'many'));
      for (let i = 0; i < rows.length; i += 2_000) await app.store.insertLogs(rows.slice(i, i + 2_000));
      await app.store.insertLogs(Array.from({ length: 30 }, (_, i) => row(20_000 + i, 'few')));
    }, 120_000);
    afterAll(async () => {
      await app.stop();
      await destroy();
    });

    test('past the cap the count is 10,000 and not exact; under it, exact', async () => {
      const many = await app.gql(PAGE, { filter: { model: 'many' } });
      expect(many.data.logs).toMatchObject({ totalCount: LOG_COUNT_CAP, totalCountExact: false });
      const few = await app.gql(PAGE, { filter: { model: 'few' } });
      expect(few.data.logs).toMatchObject({ totalCount: 30, totalCountExact: true });
      const errors = await app.gql(PAGE, { filter: { model: 'many', statusClass: 5 } });
      expect(errors.data.logs).toMatchObject({ totalCount: 1_005, totalCountExact: true });
    }, 60_000);

    test('"Older" and "Newer" do not count again; a first page counts afresh', async () => {
      counted.length = 0;
      const filter = { model: 'many', stream: false };
      const first = await app.gql(PAGE, { filter });
      expect(counted).toHaveLength(1);
      // The page keeps a stack of cursors: "Older" pushes the last page's endCursor, "Newer" pops.
      const cursors: string[] = [first.data.logs.pageInfo.endCursor];
      const seen = new Set<string>(first.data.logs.nodes.map((n: { id: string }) => n.id));
      // FerretDB pages through 10,000 entries slowly (seconds a page): fewer pages there.
      const pages = kind === 'mongodb' ? 2 : 5;
      for (let page = 0; page < pages; page++) {
        const next = await app.gql(PAGE, { filter, after: cursors.at(-1) });
        expect(next.data.logs).toMatchObject({ totalCount: LOG_COUNT_CAP, totalCountExact: false });
        for (const n of next.data.logs.nodes) seen.add(n.id);
        cursors.push(next.data.logs.pageInfo.endCursor);
      }
      expect(seen.size).toBe(20 * (pages + 1));
      for (const after of cursors.slice(0, -1).reverse()) {
        expect((await app.gql(PAGE, { filter, after })).data.logs.totalCount).toBe(LOG_COUNT_CAP);
      }
      expect(counted).toHaveLength(1);
      // Back on the first page the count is made again: it shows what is stored now.
      await app.store.insertLogs([row(30_000, 'few')]);
      expect((await app.gql(PAGE, { filter: { model: 'few' } })).data.logs.totalCount).toBe(31);
      expect(counted).toHaveLength(2);
    }, 60_000);
  });
}
