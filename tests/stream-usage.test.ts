/**
 * Stream usage always recorded (issue 13): a client streaming a chat or text completion without
 * stream_options.include_usage gets every byte the backend sent except exactly the usage-only
 * event the proxy asked for, for every recorded provider stream; the log gets the usage. A client
 * that asked for usage gets everything; a config with injectStreamUsage false asks nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { UsageEventDropper } from '../server/proxy/usage-event.ts';
import { startApp, type TestApp } from './helpers/app.ts';
import { fixtureSse, type MockUpstream, startMockUpstream } from './helpers/mock-upstream.ts';

const CHAT_FIXTURES = ['openai-chat-text', 'deepseek-chat-reasoning', 'deepseek-chat-tool-call', 'groq-chat-tool-call', 'moonshot-chat-reasoning', 'qwen-chat-tool-call-empty-ids'];

/** The stream without its usage-only events (empty choices, a usage object), computed apart from the proxy's code. */
function withoutUsageEvents(sse: string): { text: string; dropped: number } {
  let dropped = 0;
  const kept = sse.split('\n\n').filter((event) => {
    if (!event.startsWith('data: {')) return true;
    const data = JSON.parse(event.slice(6)) as { choices?: unknown[]; usage?: unknown };
    const usageOnly = Array.isArray(data.choices) && data.choices.length === 0 && typeof data.usage === 'object' && data.usage !== null;
    if (usageOnly) dropped++;
    return !usageOnly;
  });
  return { text: kept.join('\n\n'), dropped };
}

let mock: MockUpstream;
let app: TestApp;
beforeAll(async () => {
  mock = startMockUpstream();
  app = await startApp();
  for (const name of [...CHAT_FIXTURES, 'openai-completions-text']) {
    await app.addConfig({ proxyModelName: name, baseUrl: mock.baseUrl, backendModelName: `fixture:${name}` });
  }
  await app.addConfig({ proxyModelName: 'no-inject', baseUrl: mock.baseUrl, backendModelName: 'fixture:openai-chat-text', injectStreamUsage: false });
});
afterAll(async () => {
  await app.stop();
  mock.stop();
});

const stream = (path: string, body: Record<string, unknown>) => fetch(`${app.baseUrl}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});

describe('usage asked for and its event kept from the client', () => {
  for (const name of CHAT_FIXTURES) {
    test(`${name}: the client gets the backend's bytes minus exactly the usage event; the log gets the usage`, async () => {
      const res = await stream('/chat/completions', { model: name, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBe(200);
      const text = await res.text();
      const sent = JSON.parse(mock.requests.at(-1)!.body);
      expect(sent.stream_options).toEqual({ include_usage: true });
      expect(sent.model).toBe(`fixture:${name}`);
      const want = withoutUsageEvents(fixtureSse(name));
      expect(text).toBe(want.text);
      await app.drain();
      const log = (await app.gql('{ logs(first: 1) { nodes { model promptTokens completionTokens streamContent } } }')).data.logs.nodes[0];
      expect(log.model).toBe(name);
      if (want.dropped > 0) expect(log.promptTokens).toBeGreaterThan(0);
    });
  }

  test('a text completion stream too', async () => {
    const res = await stream('/completions', { model: 'openai-completions-text', stream: true, prompt: 'hi' });
    expect(await res.text()).toBe(withoutUsageEvents(fixtureSse('openai-completions-text')).text);
    expect(JSON.parse(mock.requests.at(-1)!.body).stream_options).toEqual({ include_usage: true });
  });

  test('a client that asked for usage gets every byte, and its body goes on as it sent it', async () => {
    const body = { model: 'openai-chat-text', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] };
    const res = await stream('/chat/completions', body);
    expect(await res.text()).toBe(fixtureSse('openai-chat-text'));
    expect(JSON.parse(mock.requests.at(-1)!.body)).toEqual({ ...body, model: 'fixture:openai-chat-text' });
  });

  test('a config with injectStreamUsage false asks for nothing and drops nothing', async () => {
    const res = await stream('/chat/completions', { model: 'no-inject', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(await res.text()).toBe(fixtureSse('openai-chat-text'));
    expect(JSON.parse(mock.requests.at(-1)!.body).stream_options).toBeUndefined();
    const config = (await app.gql('{ configs { proxyModelName injectStreamUsage } }')).data.configs;
    expect(config.find((c: { proxyModelName: string }) => c.proxyModelName === 'no-inject').injectStreamUsage).toBe(false);
    expect(config.find((c: { proxyModelName: string }) => c.proxyModelName === 'openai-chat-text').injectStreamUsage).toBe(true);
  });

  test('a backend that refuses stream_options is asked again at once without it, and never asked for it again', async () => {
    await app.addConfig({ proxyModelName: 'refuses-options', baseUrl: mock.baseUrl, backendModelName: 'no-stream-options' });
    const body = { model: 'refuses-options', stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const from = mock.requests.length;
    const res = await stream('/chat/completions', body);
    expect(res.status).toBe(200);
    // The client gets the stream as the backend sent it (its usage event included: the proxy did not ask for it).
    expect(await res.text()).toBe(fixtureSse('openai-chat-text'));
    expect(mock.requests.slice(from).map((r) => JSON.parse(r.body).stream_options)).toEqual([{ include_usage: true }, undefined]);
    await app.drain();
    const log = (await app.gql('{ logs(first: 1) { nodes { statusCode attemptCount promptTokens attempts { statusCode error } } } }')).data.logs.nodes[0];
    expect(log).toMatchObject({ statusCode: 200, attemptCount: 2 });
    expect(log.attempts[0]).toMatchObject({ statusCode: 400, error: expect.stringContaining('stream_options') });
    expect(log.promptTokens).toBeGreaterThan(0);
    const again = mock.requests.length;
    expect((await stream('/chat/completions', body)).status).toBe(200);
    expect(mock.requests.slice(again).map((r) => JSON.parse(r.body).stream_options)).toEqual([undefined]);
  });

  test('a request that does not stream is left alone', async () => {
    await stream('/chat/completions', { model: 'openai-chat-text', messages: [{ role: 'user', content: 'hi' }] }).then((r) => r.arrayBuffer());
    expect(JSON.parse(mock.requests.at(-1)!.body).stream_options).toBeUndefined();
  });
});

describe('a backend that reports no usage at all', () => {
  test('its tokens are counted from the request and the answer (gpt-tokenizer), the entry says so, and it is priced', async () => {
    await app.addConfig({ proxyModelName: 'no-usage', baseUrl: mock.baseUrl, backendModelName: 'no-usage', inputPrice: 1, outputPrice: 2 });
    await app.addConfig({ proxyModelName: 'no-usage-stream', baseUrl: mock.baseUrl, backendModelName: 'slow:3:1' });
    // Until the tokenizer's tables have loaded (its Worker starts on the first such answer), 4 characters count a token.
    const first = await stream('/chat/completions', { model: 'no-usage', messages: [{ role: 'user', content: 'Say a pangram, please.' }] });
    await first.arrayBuffer();
    await app.drain();
    const rough = (await app.gql('{ logs(first: 1) { nodes { promptTokens completionTokens usageEstimated } } }')).data.logs.nodes[0];
    expect(rough).toEqual({ promptTokens: Math.ceil('Say a pangram, please.'.length / 4), completionTokens: Math.ceil('The quick brown fox jumps over the lazy dog.'.length / 4), usageEstimated: true });
    await app.tokens.ready();
    const json = await stream('/chat/completions', { model: 'no-usage', messages: [{ role: 'user', content: 'Say a pangram, please.' }] });
    expect((await json.json()).usage).toBeUndefined();
    await app.drain();
    const q = '{ logs(first: 1) { nodes { model promptTokens completionTokens totalTokens usageEstimated costUsd } } }';
    const entry = (await app.gql(q)).data.logs.nodes[0];
    // o200k_base: "Say a pangram, please." is 7 tokens; "The quick brown fox jumps over the lazy dog." 10.
    expect(entry).toMatchObject({ model: 'no-usage', promptTokens: 7, completionTokens: 10, totalTokens: 17, usageEstimated: true });
    expect(entry.costUsd).toBeCloseTo((7 * 1 + 10 * 2) / 1e6, 12);
    const s = await stream('/chat/completions', { model: 'no-usage-stream', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(await s.text()).toContain('t2 ');
    await app.drain();
    const streamed = (await app.gql(q)).data.logs.nodes[0];
    expect(streamed).toMatchObject({ model: 'no-usage-stream', usageEstimated: true, promptTokens: 1 });
    expect(streamed.completionTokens).toBeGreaterThan(2);
    // A backend that reports usage is taken at its word.
    await stream('/chat/completions', { model: 'openai-chat-text', messages: [{ role: 'user', content: 'hi' }] }).then((r) => r.arrayBuffer());
    await app.drain();
    expect((await app.gql(q)).data.logs.nodes[0]).toMatchObject({ usageEstimated: false, promptTokens: 16, completionTokens: 300 });
  });
});

describe('UsageEventDropper', () => {
  const usage = 'data: {"id":"x","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}';
  const content = 'data: {"id":"x","choices":[{"index":0,"delta":{"content":"hi"}}]}';
  const enc = (s: string) => new TextEncoder().encode(s);
  const run = (chunks: string[]) => {
    const d = new UsageEventDropper();
    let out = '';
    for (const c of chunks) out += new TextDecoder().decode(d.push(enc(c)));
    const rest = d.end();
    return out + (rest ? new TextDecoder().decode(rest) : '');
  };

  test('drops the usage event whatever the chunking and line endings; keeps everything else byte for byte', () => {
    const lf = `${content}\n\n${usage}\n\ndata: [DONE]\n\n`;
    expect(run([lf])).toBe(`${content}\n\ndata: [DONE]\n\n`);
    // Split at every byte.
    expect(run([...lf])).toBe(`${content}\n\ndata: [DONE]\n\n`);
    const crlf = `${content}\r\n\r\n${usage}\r\n\r\ndata: [DONE]\r\n\r\n`;
    expect(run([crlf.slice(0, 50), crlf.slice(50, 130), crlf.slice(130)])).toBe(`${content}\r\n\r\ndata: [DONE]\r\n\r\n`);
    // Comments and an unterminated last event pass as they came.
    expect(run([`: ping\n\n${usage}\n\n`, 'data: tail'])).toBe(': ping\n\ndata: tail');
    // A chunk with usage AND choices is not usage-only: it stays.
    const both = 'data: {"choices":[{"index":0,"delta":{}}],"usage":{"total_tokens":3}}\n\n';
    expect(run([both])).toBe(both);
  });

  test('a chunk of whole events without a "usage" key goes on as the same bytes; one that ends mid-event, or says usage, is looked into', () => {
    const d = new UsageEventDropper();
    for (const whole of [`${content}\n\n`, `${content}\r\n\r\n`, `${content}\r\r`, `${content}\n\n${content}\n\n`]) {
      const chunk = enc(whole);
      expect(d.push(chunk)).toBe(chunk);
    }
    // Ends mid-event: held back until its end comes (it might be the usage event).
    expect(d.push(enc(`${content}\n\ndata: {"choices":[],`)).byteLength).toBe(content.length + 2);
    expect(new TextDecoder().decode(d.push(enc('"usage":{"total_tokens":3}}\n\n')))).toBe('');
    expect(d.dropped).toBe(1);
    // "usage" in the text of an answer is not the usage event: kept byte for byte.
    const said = 'data: {"choices":[{"index":0,"delta":{"content":"the \\"usage\\" of"}}]}\n\n';
    expect(new TextDecoder().decode(d.push(enc(said)))).toBe(said);
    expect(d.end()).toBeNull();
  });
});
