/**
 * Requests that misbehave (issue 11): paths that hide a separator behind percent-encoding are
 * refused before any backend sees them, and secrets in a query string never reach the log.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { TrustedProxies } from '../server/client-ip.ts';
import { redactUrl } from '../server/redact.ts';
import { loadSettings } from '../server/settings.ts';
import type { LogRow } from '../server/store/types.ts';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';
import { JsonText } from '../server/json.ts';
import { type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';

/** A request sent byte for byte: fetch() would resolve dot segments before sending. */
function rawRequest(port: number, opts: { method: string; path: string; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = opts.body ?? '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${opts.method} ${opts.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, ...rest] = out.split('\r\n\r\n');
      resolve({ status: Number(head!.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
  });
}

describe('encoded separators and dot segments', () => {
  let app: TestApp;
  let mock: MockUpstream;
  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp();
    await app.addConfig({ proxyModelName: 'm', baseUrl: `${mock.baseUrl}`, backendModelName: 'json' });
  });
  afterAll(async () => {
    await app.stop();
    mock.stop();
  });
  const port = () => Number(new URL(app.url).port);
  const chat = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

  for (const path of ['/v1/chat%2Fcompletions', '/v1/chat%2fcompletions', '/v1/x%5C..%5Cadmin', '/v1/x%5c%2e%2e%5cadmin', '/v1/a%2F..%2F..%2Fsecret']) {
    test(`${path} is a 400 in OpenAI's shape and reaches no backend`, async () => {
      const before = mock.requests.length;
      const res = await rawRequest(port(), { method: 'POST', path, body: chat });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid_path', type: 'invalid_request_error' } });
      expect(mock.requests.length).toBe(before);
    });
  }

  test('dot segments, plain or encoded, never reach a backend: out of /v1 is a 404, inside it is resolved', async () => {
    const out = await rawRequest(port(), { method: 'POST', path: '/v1/%2e%2E/admin', body: chat });
    expect(out.status).toBe(404);
    const before = mock.requests.length;
    const inside = await rawRequest(port(), { method: 'POST', path: '/v1/x/.%2E/chat/completions', body: chat });
    expect(inside.status).toBe(200);
    expect(mock.requests.slice(before).map((r) => r.path)).toEqual(['/v1/chat/completions']);
  });
});

describe('secret query parameters', () => {
  test('redactUrl masks each secret parameter in any case and spelling, and keeps the rest as sent', () => {
    expect(redactUrl('https://b.example/v1/chat?key=abc&Api-Key=def&api_key=x&TOKEN=t&access_token=a&sig=s&Signature=z&password=p&model=m%20x'))
      .toBe('https://b.example/v1/chat?key=[redacted]&Api-Key=[redacted]&api_key=[redacted]&TOKEN=[redacted]&access_token=[redacted]&sig=[redacted]&Signature=[redacted]&password=[redacted]&model=m%20x');
    // An encoded name is still the name; a value-less parameter is masked too; other names are kept.
    expect(redactUrl('http://h/v1/x?%6Bey=1&token&keys=2&monkey=3')).toBe('http://h/v1/x?%6Bey=[redacted]&token=[redacted]&keys=2&monkey=3');
    expect(redactUrl('http://user:pw@h/v1/x?api-key=1')).toBe('http://h/v1/x?api-key=[redacted]');
    expect(redactUrl('http://h/v1/x')).toBe('http://h/v1/x');
  });

  test("a client's query secrets reach the backend but not the log", async () => {
    const mock = startMockUpstream();
    const app = await startApp();
    try {
      await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json' });
      const res = await fetch(`${app.baseUrl}/chat/completions?api-key=sk-secret-1&Token=sk-secret-2&trace=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(mock.requests.at(-1)!.search).toBe('?api-key=sk-secret-1&Token=sk-secret-2&trace=1');
      await app.drain();
      const [row] = (await app.store.queryLogRows({ filter: {}, limit: 1 })) as LogRow[];
      expect(row!.upstreamUrl).toBe(`${mock.baseUrl}/chat/completions?api-key=[redacted]&Token=[redacted]&trace=1`);
      // (The mock's answer echoes the URL it got: that is the backend's body, logged as it came.)
      expect(JSON.stringify([row!.upstreamUrl, row!.path, row!.requestHeaders])).not.toContain('sk-secret');
    } finally {
      await app.stop();
      mock.stop();
    }
  });
});

/** A backend that keeps each request's exact bytes and answers a completion. */
function startByteBackend() {
  const bodies: Uint8Array[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      bodies.push(await req.bytes());
      return Response.json({ id: 'x', object: 'chat.completion', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    },
  });
  return { bodies, baseUrl: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
}

describe('bodies that misbehave', () => {
  let app: TestApp;
  let backend: ReturnType<typeof startByteBackend>;
  const MAX = 1024 * 1024;
  beforeAll(async () => {
    backend = startByteBackend();
    app = await startApp({ maxBodyBytes: MAX, logBodyBytes: 2048 });
    await app.addConfig({ proxyModelName: 'm', baseUrl: backend.baseUrl, backendModelName: 'backend-m' });
  });
  afterAll(async () => {
    await app.stop();
    backend.stop();
  });
  const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${app.baseUrl}/chat/completions`, { method: 'POST', headers, body });

  for (const times of [1.5, 3, 20]) {
    test(`a body ${times} × MAX_BODY_BYTES gets the 413 in OpenAI's shape`, async () => {
      const before = backend.bodies.length;
      const res = await post(`{"model":"m","x":"${'a'.repeat(Math.round(MAX * times))}"}`);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
      expect(backend.bodies.length).toBe(before);
    });
  }

  test('invalid UTF-8 in a JSON body reaches the backend byte for byte; only the model is rewritten', async () => {
    const head = new TextEncoder().encode('{"model":"m","messages":[{"role":"user","content":"a');
    const tail = new TextEncoder().encode('b"}],"n":1.50}');
    const invalid = new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]);
    const res = await post(Buffer.concat([head, invalid, tail]));
    expect(res.status).toBe(200);
    const want = Buffer.concat([new TextEncoder().encode('{"model":"backend-m","messages":[{"role":"user","content":"a'), invalid, tail]);
    expect(Buffer.from(backend.bodies.at(-1)!).equals(want)).toBe(true);
  });

  test('JSON nested deeper than 1,000 levels is a 400 invalid_json; 1,000 levels pass', async () => {
    const nest = (n: number) => `{"model":"m","x":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    const deep = await post(nest(1001));
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: 'invalid_json', type: 'invalid_request_error' } });
    expect((await post(nest(1000))).status).toBe(200);
  });

  test('the log API answers for a stored body too deep to serve as JSON: it is served as text', async () => {
    const text = `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    expect((await post('{"model":"m"}')).status).toBe(200);
    await app.drain();
    const row = (await app.store.queryLogRows({ filter: {}, limit: 1 }))[0]!;
    await app.store.insertLogs([{ ...row, id: "deep-1", requestBody: new JsonText(text), chunks: new JsonText(`[${text}]`) as never }]);
    const r = await app.gql<{ log: { requestBody: unknown; chunks: unknown[] } }>('{ log(id: "deep-1") { requestBody chunks } }');
    expect(r.errors).toBeUndefined();
    expect(r.data!.log.requestBody).toBe(text);
    expect(r.data!.log.chunks).toEqual([`[${text}]`]);
  });

  test('more than 1,000 multipart parts is a 400; LOG_BODY_BYTES bounds the logged summary as a whole', async () => {
    const many = new FormData();
    many.append('model', 'm');
    for (let i = 0; i < 1000; i++) many.append(`f${i}`, 'x');
    const refused = await fetch(`${app.baseUrl}/audio/transcriptions`, { method: 'POST', body: many });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_multipart' } });

    const form = new FormData();
    form.append('model', 'm');
    for (let i = 0; i < 20; i++) form.append(`field${i}`, 'y'.repeat(1000));
    form.append('file', new File(['z'.repeat(5000)], 'a.wav', { type: 'audio/wav' }));
    const res = await fetch(`${app.baseUrl}/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    await app.drain();
    const [logged] = await app.store.queryLogRows({ filter: { path: 'transcriptions' }, limit: 1 });
    const summary = JSON.parse(JSON.stringify(logged!.requestBody)) as { fields: Record<string, unknown>; files: { field: string; name: string; type: string; size: number }[] };
    expect(JSON.stringify(summary.fields).length).toBeLessThan(2048 + 20 * 80);
    expect(summary.fields.field0).toBe('y'.repeat(1000));
    expect(summary.fields.field19).toMatchObject({ _truncated: true, bytes: 1000 });
    expect(summary.files).toEqual([expect.objectContaining({ field: 'file', name: '', size: 5000 })]);
  });

  test('a GraphQL body must declare its length, within MAX_BODY_BYTES', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const big = await fetch(`${app.url}/graphql`, { method: 'POST', headers: auth, body: JSON.stringify({ query: `{ health { status } }${' '.repeat(MAX)}` }) });
    expect(big.status).toBe(413);
    const chunks = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{"query":"{ health { status } }"}')); c.close(); } });
    const chunked = await fetch(`${app.url}/graphql`, { method: 'POST', headers: auth, body: chunks });
    expect(chunked.status).toBe(411);
    const ok = await app.gql('{ health { status } }');
    expect(ok.status).toBe(200);
  });
});

describe('client addresses (TRUSTED_PROXIES)', () => {
  test('X-Forwarded-For is read only behind a trusted proxy, and then its right-most untrusted hop', () => {
    const none = new TrustedProxies([]);
    expect(none.clientIp('127.0.0.1', '1.2.3.4')).toBe('127.0.0.1');
    const lb = new TrustedProxies(['10.0.0.0/8', '::1', '::ffff:192.168.0.0/112']);
    // The peer is trusted: the right-most hop that is not, however many trusted ones follow it.
    expect(lb.clientIp('10.1.2.3', '6.6.6.6, 1.2.3.4, 10.9.9.9')).toBe('1.2.3.4');
    expect(lb.clientIp('::ffff:10.1.2.3', '1.2.3.4')).toBe('1.2.3.4');
    expect(lb.clientIp('::1', '2001:db8::1')).toBe('2001:db8::1');
    expect(lb.clientIp('192.168.5.5', '1.2.3.4')).toBe('1.2.3.4');
    // Every hop trusted: the left-most; a hop that is no address ends the chain at the last trusted one.
    expect(lb.clientIp('10.0.0.1', '10.0.0.2, 10.0.0.3')).toBe('10.0.0.2');
    expect(lb.clientIp('10.0.0.1', 'not-an-ip, 10.0.0.3')).toBe('10.0.0.3');
    // An untrusted peer is the client, whatever it claims.
    expect(lb.clientIp('8.8.8.8', '1.2.3.4')).toBe('8.8.8.8');
    expect(lb.clientIp('10.0.0.1', null)).toBe('10.0.0.1');
    expect(() => new TrustedProxies(['10.0.0.0/99'])).toThrow('"10.0.0.0/99" is not an IP address or CIDR range');
    expect(() => loadSettings({ TRUSTED_PROXIES: 'localhost' })).toThrow('TRUSTED_PROXIES');
  });

  test('the log takes the forwarded address only when the peer is trusted', async () => {
    const mock = startMockUpstream();
    for (const [trusted, want] of [[[], '127.0.0.1'], [['127.0.0.0/8'], '203.0.113.7']] as const) {
      const app = await startApp({ trustedProxies: [...trusted] });
      try {
        await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json' });
        await fetch(`${app.baseUrl}/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1, 203.0.113.7' },
          body: JSON.stringify({ model: 'm', messages: [] }),
        });
        await app.drain();
        const [row] = await app.store.queryLogs({ filter: {}, limit: 1 });
        expect(row!.clientIp).toBe(want);
      } finally {
        await app.stop();
      }
    }
    mock.stop();
  });
});

describe('cross-origin requests', () => {
  const EVIL = 'https://evil.example';
  const APP = 'https://app.example';

  test('/graphql echoes no Origin unless ADMIN_ALLOWED_ORIGINS lists it; a listed one gets credentials', async () => {
    for (const [allowed, origin, want] of [[[], EVIL, null], [[APP], EVIL, null], [[APP], APP, APP]] as const) {
      const app = await startApp({ adminAllowedOrigins: [...allowed] });
      try {
        const res = await fetch(`${app.url}/graphql`, {
          method: 'POST', headers: { origin, authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ health { status } }' }),
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(want);
        expect(res.headers.get('access-control-allow-credentials')).toBe(want ? 'true' : null);
        const preflight = await fetch(`${app.url}/graphql`, {
          method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
        });
        expect(preflight.status).toBeLessThan(300);
        expect(preflight.headers.get('access-control-allow-origin')).toBe(want);
      } finally {
        await app.stop();
      }
    }
  });

  test('/v1 answers CORS only for CORS_ORIGINS, never with credentials', async () => {
    const mock = startMockUpstream();
    for (const [origins, origin, want] of [[[], APP, null], [[APP], EVIL, null], [[APP], APP, APP], [['*'], EVIL, '*']] as const) {
      const app = await startApp({ corsOrigins: [...origins] });
      try {
        await app.addConfig({ proxyModelName: 'm', baseUrl: mock.baseUrl, backendModelName: 'json' });
        const res = await fetch(`${app.baseUrl}/chat/completions`, {
          method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [] }),
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(want);
        expect(res.headers.get('access-control-allow-credentials')).toBeNull();
        const preflight = await fetch(`${app.baseUrl}/chat/completions`, {
          method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
        });
        if (origins.length > 0) {
          expect(preflight.status).toBe(204);
          expect(preflight.headers.get('access-control-allow-origin')).toBe(want);
          if (want) expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
        }
      } finally {
        await app.stop();
      }
    }
    mock.stop();
    expect(() => loadSettings({ CORS_ORIGINS: 'app.example' })).toThrow('CORS_ORIGINS');
    expect(() => loadSettings({ ADMIN_ALLOWED_ORIGINS: '*' })).toThrow('ADMIN_ALLOWED_ORIGINS');
    expect(loadSettings({ CORS_ORIGINS: 'https://A.example/, *' }).corsOrigins).toEqual(['https://a.example', '*']);
  });
});

describe('failed admin logins', () => {
  test('are throttled per client address: 429 with retry-after, doubling; the right token and other addresses pass', async () => {
    const reports: string[] = [];
    const app = await startApp({
      trustedProxies: ['127.0.0.0/8'], report: (m) => reports.push(m), loginThrottle: { failures: 3, windowSeconds: 60, blockSeconds: 1 },
    });
    try {
      const gql = (token: string, ip: string) => fetch(`${app.url}/graphql`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ query: '{ health { status } }' }),
      });
      const A = '198.51.100.10';
      for (let i = 0; i < 3; i++) expect((await gql('wrong', A)).status).toBe(401);
      const blocked = await gql('wrong', A);
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('1');
      expect((await blocked.json()).errors[0].extensions.code).toBe('TOO_MANY_REQUESTS');
      expect((await gql('wrong', A)).status).toBe(429);
      // The same throttle guards /metrics and /export, and the right token always passes.
      expect((await fetch(`${app.url}/export/logs`, { headers: { authorization: 'Bearer wrong', 'x-forwarded-for': A } })).status).toBe(429);
      expect((await gql(ADMIN_TOKEN, A)).status).toBe(200);
      expect((await gql('wrong', '203.0.113.9')).status).toBe(401);
      expect(reports.filter((r) => r.includes(A))).toEqual([`[admin] 3 failed logins within 60 s from ${A}: refused for 1 s`]);
      await Bun.sleep(1_100);
      for (let i = 0; i < 3; i++) expect((await gql('wrong', A)).status).toBe(401);
      const again = await gql('wrong', A);
      expect(again.status).toBe(429);
      expect(again.headers.get('retry-after')).toBe('2');
    } finally {
      await app.stop();
    }
  });
});
