/**
 * The log download (GET /export/logs) and the deleteLogs mutation, on every store: the token is
 * required, JSONL lines are the full entries matching the filter, CSV is quoted by RFC 4180 and safe
 * to open in a spreadsheet, a large export arrives in pieces and complete, bad parameters get 400.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { DownloadTickets } from '../server/admin/downloads.ts';
import { CSV_COLUMNS } from '../server/logs/export-formats.ts';
import { JsonText } from '../server/json.ts';
import { type LogExportFormat, type LogFilter, type LogQuery, type LogRow } from '../server/store/types.ts';
import { ADMIN_TOKEN, makeStore, startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';

const T0 = Date.UTC(2025, 2, 1, 8, 0, 0);
const at = (ms: number) => new Date(T0 + ms);

function makeLog(overrides: Partial<LogRow> & { id: string }): LogRow {
  return {
    timestamp: at(0), method: 'POST', path: '/v1/chat/completions', model: 'gpt-4o', backendModel: 'gpt-4o-2024-08-06',
    configId: 'cfg-1', upstreamUrl: 'https://upstream.example/v1/chat/completions', statusCode: 200, stream: false,
    durationMs: 1234.5, ttftMs: null, promptTokens: 10, completionTokens: 20, totalTokens: 30, error: null,
    clientIp: '127.0.0.1', userAgent: 'OpenAI/JS 7.0', apiKeyId: null, apiKeyName: null, costUsd: null, attemptCount: null, usageEstimated: null, requestHeaders: { 'content-type': 'application/json' },
    requestBody: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, responseHeaders: { 'content-type': 'application/json' },
    responseBody: { id: 'x' }, streamContent: null, chunks: null, attempts: null,
    ...overrides,
  };
}

/** 24 entries over 12 seconds across two models, four status codes and both stream flags. */
const ROWS = Array.from({ length: 24 }, (_, i) => makeLog({
  id: `log-${String(i).padStart(3, '0')}`,
  timestamp: at(Math.floor(i / 2) * 1000),
  model: i % 3 === 0 ? 'llama-3' : 'gpt-4o',
  statusCode: [200, 201, 429, 502][i % 4]!,
  stream: i % 2 === 1,
  method: i % 5 === 0 ? 'GET' : 'POST',
  path: i % 5 === 0 ? '/v1/models' : '/v1/chat/completions',
  ttftMs: i % 2 === 1 ? 87.25 : null,
  streamContent: i % 2 === 1 ? `text ${i}` : null,
  chunks: i % 2 === 1 ? [{ choices: [{ delta: { content: `text ${i}` } }] }, '[DONE]'] : null, attempts: null,
}));

const newestFirst = (a: LogRow, b: LogRow) => b.timestamp.getTime() - a.timestamp.getTime() || (a.id < b.id ? 1 : -1);

function matches(r: LogRow, f: LogFilter): boolean {
  return (!f.from || r.timestamp >= f.from) && (!f.to || r.timestamp <= f.to)
    && (!f.method || r.method === f.method.toUpperCase())
    && (f.statusCode == null || r.statusCode === f.statusCode)
    && (f.statusClass == null || Math.floor(r.statusCode / 100) === f.statusClass)
    && (!f.path || r.path.includes(f.path)) && (!f.model || r.model === f.model)
    && (f.stream == null || r.stream === f.stream);
}

/** An entry as JSON gives it: dates as ISO text, JsonText as its value. */
const asJson = (row: LogRow) => JSON.parse(JSON.stringify(row)) as Record<string, unknown>;

/** RFC 4180, written the obvious way, to read what the endpoint wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' && cell === '') {
      const end = () => text[i] === '"' && text[i + 1] !== '"';
      i++;
      while (!end()) {
        if (i >= text.length) throw new Error('unterminated quote');
        if (text[i] === '"') i++;
        cell += text[i++];
      }
      i++;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 2;
    } else {
      cell += ch;
      i++;
    }
  }
  if (cell !== '' || row.length > 0) throw new Error('last line does not end with CRLF');
  return rows;
}

for (const kind of STORE_KINDS) {
  describe(`log download and deleteLogs (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind });
    });
    afterAll(async () => {
      await app.stop();
    });
    beforeEach(async () => {
      await app.store.deleteLogs({}, 1_000_000);
    });

    const download = (query: string, token: string | null = ADMIN_TOKEN) =>
      fetch(`${app.url}/export/logs${query ? `?${query}` : ''}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    test('without the admin token: 401 with a JSON error', async () => {
      await app.store.insertLogs(ROWS);
      for (const token of [null, 'wrong-token-0123456789']) {
        const res = await download('format=jsonl', token);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        const body = (await res.json()) as { error: { message: string; code: string } };
        expect(body.error.message).toContain('admin token');
        expect(body.error.code).toBe('unauthorized');
      }
    });

    test('JSONL: one full entry per line, newest first, exactly those matching the filter', async () => {
      await app.store.insertLogs(ROWS);
      const cases: [string, LogFilter][] = [
        ['', {}],
        ['format=jsonl&model=gpt-4o&statusClass=2', { model: 'gpt-4o', statusClass: 2 }],
        [`format=jsonl&from=${at(3000).toISOString()}&to=${at(8000).toISOString()}&stream=true`, { from: at(3000), to: at(8000), stream: true }],
        ['format=jsonl&method=get&path=models', { method: 'get', path: 'models' }],
        ['format=jsonl&statusCode=502&model=&path=', { statusCode: 502 }],
        ['format=jsonl&model=nobody', { model: 'nobody' }],
        // A date alone: `from` is the start of that day, `to` its end (inclusive, UTC).
        [`format=jsonl&from=${at(0).toISOString().slice(0, 10)}&to=${at(0).toISOString().slice(0, 10)}`, { from: new Date(`${at(0).toISOString().slice(0, 10)}T00:00:00Z`), to: new Date(`${at(0).toISOString().slice(0, 10)}T23:59:59.999Z`) }],
      ];
      for (const [query, filter] of cases) {
        const res = await download(query);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="lite-proxy-logs-\d{4}-\d\d-\d\d\.jsonl"$/);
        const text = await res.text();
        const expected = ROWS.filter((r) => matches(r, filter)).sort(newestFirst);
        expect(text === '' ? [] : text.split('\n').slice(0, -1).map((line) => JSON.parse(line)), query).toEqual(expected.map(asJson));
        if (expected.length > 0) expect(text.endsWith('\n')).toBe(true);
      }
    });

    test('JSONL: a body logged as pretty-printed JSON text still takes one line', async () => {
      const row = makeLog({
        id: 'pretty', requestBody: new JsonText('{\n  "model": "gpt-4o",\r\n  "text": "line\\nbreak 中文 \\"q\\""\n}'), responseBody: 'plain "text"\nwith a break',
      });
      await app.store.insertLogs([row]);
      const text = await (await download('format=jsonl')).text();
      expect(text.split('\n')).toEqual([expect.any(String), '']);
      const entry = JSON.parse(text);
      expect(entry.requestBody).toEqual({ model: 'gpt-4o', text: 'line\nbreak 中文 "q"' });
      expect(entry.responseBody).toBe('plain "text"\nwith a break');
      expect(entry).toEqual(asJson((await app.store.getLog('pretty'))!));
    });

    test('CSV: the summary columns, RFC 4180 quoting, and cells that would run as formulas made text', async () => {
      const hostile = [
        makeLog({ id: 'h1', timestamp: at(5000), error: '=HYPERLINK("http://evil.example","click")', userAgent: 'Mozilla/5.0 (X11, "quoted")', model: '+cmd' }),
        makeLog({ id: 'h2', timestamp: at(4000), error: 'line one\r\nline two, with comma', userAgent: '@SUM(A1)', backendModel: '-2+3', clientIp: null }),
        makeLog({ id: 'h3', timestamp: at(3000), error: '\tTAB', userAgent: '\rCR', model: null, backendModel: null, stream: true, ttftMs: 12.5, promptTokens: null }),
      ];
      await app.store.insertLogs(hostile);
      const res = await download('format=csv');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="lite-proxy-logs-\d{4}-\d\d-\d\d\.csv"$/);
      const text = await res.text();
      expect(text.startsWith(`${CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual([
        'id', 'timestamp', 'method', 'path', 'model', 'backendModel', 'statusCode', 'stream', 'durationMs', 'ttftMs',
        'promptTokens', 'completionTokens', 'totalTokens', 'error', 'clientIp', 'userAgent',
      ]);
      const cell = (row: string[], column: string) => row[header!.indexOf(column)];
      expect(rows.map((r) => cell(r, 'id'))).toEqual(['h1', 'h2', 'h3']);
      const [r1, r2, r3] = rows as [string[], string[], string[]];
      expect(r1).toEqual([
        'h1', at(5000).toISOString(), 'POST', '/v1/chat/completions', "'+cmd", 'gpt-4o-2024-08-06', '200', 'false', '1234.5', '',
        '10', '20', '30', `'=HYPERLINK("http://evil.example","click")`, '127.0.0.1', 'Mozilla/5.0 (X11, "quoted")',
      ]);
      expect([cell(r2, 'error'), cell(r2, 'userAgent'), cell(r2, 'backendModel'), cell(r2, 'clientIp')])
        .toEqual(['line one\r\nline two, with comma', "'@SUM(A1)", "'-2+3", '']);
      expect([cell(r3, 'error'), cell(r3, 'userAgent'), cell(r3, 'model'), cell(r3, 'stream'), cell(r3, 'ttftMs'), cell(r3, 'promptTokens')])
        .toEqual(["'\tTAB", "'\rCR", '', 'true', '12.5', '']);
      // Quoted exactly where RFC 4180 asks: the raw text of the first data line.
      expect(text.split('\r\n')[1]).toBe(
        `h1,${at(5000).toISOString()},POST,/v1/chat/completions,'+cmd,gpt-4o-2024-08-06,200,false,1234.5,,10,20,30,`
          + `"'=HYPERLINK(""http://evil.example"",""click"")",127.0.0.1,"Mozilla/5.0 (X11, ""quoted"")"`,
      );
    });

    test('CSV with no matching entry is the header alone', async () => {
      await app.store.insertLogs(ROWS);
      expect(await (await download('format=csv&model=nobody')).text()).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    });

    test('a large export (5,000 entries on SQLite) is read from the store as the client reads, and is complete', async () => {
      // The app's store, counting the pages it is asked for: a download that waits for its reader must stop asking.
      const handle = makeStore(kind);
      let pages = 0;
      const counting = new Proxy(handle.store, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (prop === 'exportPage') return (q: LogQuery, f: LogExportFormat) => (pages++, target.exportPage(q, f));
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const big = await startApp({ store: counting });
      try {
        // ~100 MB on SQLite, far more than loopback socket buffers and the client's read-ahead hold (up
        // to about 20 MB seen here), so that back-pressure shows. FerretDB scans and sorts the whole
        // collection for every page (MongoDB reads the time index): about 1.5 s per page at 5,000 entries.
        const total = kind === 'sqlite' ? 5_000 : 1_000;
        const pad = kind === 'sqlite' ? 20_000 : 200;
        const rows = Array.from({ length: total }, (_, i) => makeLog({
          id: `big-${String(i).padStart(5, '0')}`, timestamp: at(i * 10), requestBody: { model: 'gpt-4o', n: i, pad: 'x'.repeat(pad) },
        }));
        for (let i = 0; i < total; i += 500) await big.store.insertLogs(rows.slice(i, i + 500));
        for (const format of ['jsonl', 'csv'] as const) {
          pages = 0;
          const res = await fetch(`${big.url}/export/logs?format=${format}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
          expect(res.status).toBe(200);
          const reader = res.body!.getReader();
          const decoder = new TextDecoder();
          let text = '';
          let chunks = 0;
          let pagesWhilePaused = 0;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            if (++chunks === 1 && format === 'jsonl' && kind === 'sqlite') {
              // A reader that pauses holds the download back: the store is not read to the end.
              await Bun.sleep(300);
              pagesWhilePaused = pages;
            }
            text += decoder.decode(value, { stream: true });
          }
          if (format === 'jsonl' && kind === 'sqlite') expect(pagesWhilePaused).toBeLessThan(pages / 2);
          expect(chunks).toBeGreaterThanOrEqual(2);
          const lines = text.split(format === 'csv' ? '\r\n' : '\n').slice(format === 'csv' ? 1 : 0, -1);
          expect(lines.length).toBe(total);
          const ids = lines.map((l) => (format === 'csv' ? l.slice(0, l.indexOf(',')) : (JSON.parse(l) as { id: string }).id));
          expect(ids).toEqual(rows.map((r) => r.id).reverse());
          if (format === 'jsonl') expect(JSON.parse(lines[0]!)).toEqual(asJson(rows.at(-1)!));
        }
      } finally {
        await big.stop();
        await handle.destroy();
      }
    }, 60_000);

    test('bad parameters: 400 with a readable JSON error naming the parameter', async () => {
      const cases: [string, string, RegExp][] = [
        ['format=xml', 'format', /format must be jsonl or csv, got "xml"/],
        ['statusClass=9', 'statusClass', /statusClass must be 1 to 5/],
        ['statusClass=2x', 'statusClass', /statusClass must be a whole number, got "2x"/],
        ['statusCode=42', 'statusCode', /statusCode must be between 100 and 599/],
        ['from=yesterday', 'from', /from must be an ISO 8601 date/],
        ['to=2025-13-45', 'to', /to must be an ISO 8601 date/],
        [`from=${at(5000).toISOString()}&to=${at(1000).toISOString()}`, 'from', /from must not be later than to/],
        ['stream=maybe', 'stream', /stream must be true or false/],
        ['status=500', 'status', /unknown parameter "status"/],
      ];
      for (const [query, param, message] of cases) {
        const res = await download(query);
        expect(res.status, query).toBe(400);
        const body = (await res.json()) as { error: { message: string; param: string; code: string } };
        expect(body.error.message, query).toMatch(message);
        expect(body.error.param, query).toBe(param);
      }
    });

    test('a download link: issued with the token for a query, then works once without it, for that query only', async () => {
      await app.store.insertLogs(ROWS);
      const issue = (query: string, token: string | null = ADMIN_TOKEN) =>
        fetch(`${app.url}/export/logs/ticket?${query}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect((await issue('format=csv', null)).status).toBe(401);
      expect((await issue('format=csv', 'wrong-token-0123456789')).status).toBe(401);
      const bad = await issue('statusClass=9');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('statusClass');

      const ok = await issue('format=csv&statusClass=5');
      expect(ok.status).toBe(200);
      const { url, expiresInSeconds } = (await ok.json()) as { url: string; expiresInSeconds: number };
      expect(url).toMatch(/^\/export\/logs\?ticket=[\w-]{32}$/);
      expect(expiresInSeconds).toBe(60);
      const first = await fetch(`${app.url}${url}`);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-disposition')).toMatch(/\.csv"$/);
      const lines = (await first.text()).trim().split('\r\n');
      expect(lines.length - 1).toBe(ROWS.filter((r) => r.statusCode >= 500).length);
      // Once only.
      const again = await fetch(`${app.url}${url}`);
      expect(again.status).toBe(401);
      expect(((await again.json()) as { error: { message: string } }).error.message).toContain('used already or has expired');
      // Its query cannot be widened.
      const other = (await (await issue('format=jsonl')).json()) as { url: string };
      expect((await fetch(`${app.url}${other.url}&statusClass=2`)).status).toBe(400);
      expect((await fetch(`${app.url}/export/logs?ticket=made-up`)).status).toBe(401);
    });

    const DELETE = 'mutation($filter: LogFilter!) { deleteLogs(filter: $filter) }';

    test('deleteLogs deletes exactly the matching entries and returns how many', async () => {
      await app.store.insertLogs(ROWS);
      const filter = { model: 'gpt-4o', statusClass: 5 };
      const r = await app.gql<{ deleteLogs: number }>(DELETE, { filter });
      const matching = ROWS.filter((row) => matches(row, filter));
      expect(r.errors).toBeUndefined();
      expect(r.data!.deleteLogs).toBe(matching.length);
      const left = await app.store.queryLogs({ filter: {}, limit: 100 });
      expect(left.map((row) => row.id)).toEqual(ROWS.filter((row) => !matches(row, filter)).sort(newestFirst).map((row) => row.id));
      expect((await app.gql<{ deleteLogs: number }>(DELETE, { filter })).data!.deleteLogs).toBe(0);
      const everything = await app.gql<{ deleteLogs: number }>(DELETE, { filter: { from: '1970-01-01T00:00:00Z' } });
      expect(everything.data!.deleteLogs).toBe(left.length);
      expect(await app.store.countLogs({})).toBe(0);
    });

    test('deleteLogs goes through more than one batch', async () => {
      const rows = Array.from({ length: 2_300 }, (_, i) => makeLog({ id: `many-${String(i).padStart(5, '0')}`, timestamp: at(i), stream: i % 10 === 0 }));
      for (let i = 0; i < rows.length; i += 500) await app.store.insertLogs(rows.slice(i, i + 500));
      const r = await app.gql<{ deleteLogs: number }>(DELETE, { filter: { stream: false } });
      expect(r.data!.deleteLogs).toBe(2_070);
      expect(await app.store.countLogs({})).toBe(230);
      expect(await app.store.countLogs({ stream: false })).toBe(0);
    }, 60_000);

    test('deleteLogs needs at least one filter field, and a valid filter', async () => {
      await app.store.insertLogs(ROWS);
      for (const filter of [{}, { model: null, from: null }, { path: '' }]) {
        const r = await app.gql(DELETE, { filter });
        expect(r.data ?? null).toBeNull();
        expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(r.errors?.[0]?.message).toMatch(/give at least one filter field; to delete every entry, use from/);
      }
      const bad = await app.gql(DELETE, { filter: { statusClass: 9 } });
      expect(bad.errors?.[0]?.message).toMatch(/statusClass must be 1 to 5/);
      expect(await app.store.countLogs({})).toBe(ROWS.length);
    });
  });
}

describe('download tickets', () => {
  test('expire after a minute, and a flood of unused ones stays bounded', () => {
    const tickets = new DownloadTickets();
    const t0 = 1_000_000;
    const id = tickets.issue('format=csv', t0);
    expect(tickets.take(id, t0 + 60_001)).toBeNull();
    const fresh = tickets.issue('format=jsonl', t0);
    expect(tickets.take(fresh, t0 + 59_000)).toBe('format=jsonl');
    const ids = Array.from({ length: 1_500 }, (_, i) => tickets.issue(`n=${i}`, t0));
    expect(tickets.take(ids[0]!, t0)).toBeNull(); // pushed out by newer ones
    expect(tickets.take(ids.at(-1)!, t0)).toBe('n=1499');
  });
});
