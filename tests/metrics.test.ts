/**
 * GET /metrics: Prometheus text with the figures a team's monitoring expects, bounded labels, and an
 * optional METRICS_TOKEN. Values are read back by parsing the exposition text.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startApp, type TestApp } from './helpers/app.ts';
import { chat } from './helpers/chat-request.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const mock = startMockUpstream();
afterAll(() => mock.stop());

/** Parses `name{labels} value` lines into a lookup; labels as written, sorted by prom-client already. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(app: TestApp, token?: string) {
  const res = await fetch(`${app.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('/metrics', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
    await app.addConfig({ proxyModelName: 'm-ok', baseUrl: mock.baseUrl, backendModelName: 'echo' });
    await app.addConfig({ proxyModelName: 'm-500', baseUrl: mock.baseUrl, backendModelName: 'status:500' });
    await app.addConfig({ proxyModelName: 'm-stream', baseUrl: mock.baseUrl, backendModelName: 'slow:3:5' });
  });
  afterAll(() => app.stop());

  test('counts requests by model, backend model and status, with durations, TTFT, tokens and overhead', async () => {
    for (let i = 0; i < 3; i++) await chat({ baseUrl: app.baseUrl, model: 'm-ok' });
    await chat({ baseUrl: app.baseUrl, model: 'm-500' });
    await chat({ baseUrl: app.baseUrl, model: 'm-stream', stream: true });
    await app.drain();
    await app.upkeep.sweep();
    const m = await scrape(app);
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    const v = parse(m.text);
    expect(v.get('lite_proxy_requests_total{model="m-ok",backend_model="echo",status="200"}')).toBe(3);
    expect(v.get('lite_proxy_requests_total{model="m-500",backend_model="status:500",status="500"}')).toBe(1);
    expect(v.get('lite_proxy_requests_total{model="m-stream",backend_model="slow:3:5",status="200"}')).toBe(1);
    expect(v.get('lite_proxy_request_duration_seconds_count{model="m-ok"}')).toBe(3);
    expect(v.get('lite_proxy_ttft_seconds_count{model="m-stream"}')).toBe(1);
    // The echo mock reports 5 prompt and 7 completion tokens per answer.
    expect(v.get('lite_proxy_tokens_total{model="m-ok",type="prompt"}')).toBe(15);
    expect(v.get('lite_proxy_tokens_total{model="m-ok",type="completion"}')).toBe(21);
    // One per request: the 500 was tried once more (its group has one config), which is no overhead of the proxy's.
    expect(v.get('lite_proxy_overhead_seconds_count')).toBe(5);
    expect(v.get('lite_proxy_attempt_failures_total{model="m-500"}')).toBe(1);
    expect(v.get('lite_proxy_requests_in_flight')).toBe(0);
    expect(v.get('lite_proxy_open_streams')).toBe(0);
    expect(v.get('lite_proxy_log_queue_depth')).toBe(0);
    expect(v.get('lite_proxy_log_writes_total')).toBe(5);
    expect(v.get('lite_proxy_log_write_failures_total')).toBe(0);
    expect(v.get('lite_proxy_store_up{kind="sqlite"}')).toBe(1);
    expect(v.get('lite_proxy_store_log_rows')).toBe(5);
    expect(v.get('lite_proxy_store_bytes')).toBeGreaterThan(0);
  });

  test('in-flight requests and open streams are counted while they last', async () => {
    await app.addConfig({ proxyModelName: 'm-long', baseUrl: mock.baseUrl, backendModelName: 'slow:30:20' });
    const res = await fetch(`${app.baseUrl}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm-long', stream: true, messages: [] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const during = parse((await scrape(app)).text);
    expect(during.get('lite_proxy_requests_in_flight')).toBe(1);
    expect(during.get('lite_proxy_open_streams')).toBe(1);
    while (!(await reader.read()).done);
    await app.drain();
    const after = parse((await scrape(app)).text);
    expect(after.get('lite_proxy_requests_in_flight')).toBe(0);
    expect(after.get('lite_proxy_open_streams')).toBe(0);
  });

  test('label values stay bounded: made-up model names count as "unrouted"', async () => {
    for (let i = 0; i < 20; i++) await chat({ baseUrl: app.baseUrl, model: `random-${i}-${crypto.randomUUID()}` });
    const m = await scrape(app);
    expect(m.text).not.toContain('random-');
    expect(parse(m.text).get('lite_proxy_requests_total{model="unrouted",backend_model="none",status="404"}')).toBe(20);
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ metricsToken: 'metrics-token-0123456789' });
  });
  afterAll(() => app.stop());

  test('needs the token; the admin token is not enough', async () => {
    expect((await scrape(app)).status).toBe(401);
    expect((await scrape(app, 'test-admin-token-0123456789')).status).toBe(401);
    const ok = await scrape(app, 'metrics-token-0123456789');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('lite_proxy_requests_in_flight');
  });
});
