/**
 * The admin's `chat` subscription: it runs the /v1/chat/completions pipeline in-process, so a chat
 * is routed, streamed and logged like client traffic. Events come in order (STARTED, DELTA…, DONE or
 * ERROR); ending the subscription cancels the backend request; configId pins one config.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CHAT_USER_AGENT } from '../server/admin/chat.ts';
import { ADMIN_TOKEN, startApp, STORE_KINDS, type TestApp } from './helpers/app.ts';
import { subscribe } from './helpers/graphql-sse.ts';
import { fixtureEvents, startMockUpstream } from './helpers/mock-upstream.ts';

const CHAT = `subscription($input: ChatInput!) {
  chat(input: $input) {
    type logId content reasoning status finishReason ttftMs durationMs error
    usage { promptTokens completionTokens totalTokens }
  }
}`;

interface ChatEvent {
  type: 'STARTED' | 'DELTA' | 'DONE' | 'ERROR';
  logId: string;
  content: string | null;
  reasoning: string | null;
  status: number | null;
  finishReason: string | null;
  error: string | null;
  usage: { promptTokens: number | null; completionTokens: number | null; totalTokens: number | null } | null;
}

const user = (content: string) => ({ role: 'USER', content });

const mock = startMockUpstream();
afterAll(() => mock.stop());

/** Fixture text as a client would assemble it from the deltas. */
function fixtureText(name: string, field: 'content' | 'reasoning_content'): string {
  return fixtureEvents(name)
    .map((line) => (JSON.parse(line) as { choices?: { delta?: Record<string, string | null> }[] }).choices?.[0]?.delta?.[field] ?? '')
    .join('');
}

for (const kind of STORE_KINDS) {
  describe(`chat subscription (${kind})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp({ kind });
      await app.addConfig({ proxyModelName: 'chat-text', baseUrl: mock.baseUrl, backendModelName: 'fixture:openai-chat-text' });
      await app.addConfig({ proxyModelName: 'chat-reasoning', baseUrl: mock.baseUrl, backendModelName: 'fixture:deepseek-chat-reasoning' });
      await app.addConfig({ proxyModelName: 'chat-slow', baseUrl: mock.baseUrl, backendModelName: 'slow:40:50' });
      await app.addConfig({ proxyModelName: 'chat-json', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      await app.addConfig({ proxyModelName: 'chat-500', baseUrl: mock.baseUrl, backendModelName: 'status:500' });
      await app.addConfig({ proxyModelName: 'chat-repeat', baseUrl: mock.baseUrl, backendModelName: 'repeat' });
    });
    afterAll(() => app.stop());

    async function run(input: Record<string, unknown>): Promise<ChatEvent[]> {
      const sub = await subscribe({ url: app.url, query: CHAT, variables: { input }, token: ADMIN_TOKEN });
      expect(sub.status).toBe(200);
      const events: ChatEvent[] = [];
      for (;;) {
        const ev = await sub.next(5_000);
        if (!ev || ev.event === 'complete') break;
        if (ev.data.errors) throw new Error(JSON.stringify(ev.data.errors));
        events.push(ev.data.data.chat);
      }
      return events;
    }

    test('a streamed answer arrives as STARTED, DELTAs and DONE with usage, and is logged like client traffic', async () => {
      const events = await run({ model: 'chat-text', messages: [user('Hi')], temperature: 0.5, maxTokens: 64 });
      expect(events[0]!.type).toBe('STARTED');
      const done = events.at(-1)!;
      expect(done.type).toBe('DONE');
      expect(done.status).toBe(200);
      expect(done.finishReason).toBe('stop');
      expect(done.usage?.totalTokens).toBeGreaterThan(0);
      expect(new Set(events.map((e) => e.logId)).size).toBe(1);
      const deltas = events.filter((e) => e.type === 'DELTA');
      expect(deltas.length).toBeGreaterThan(1);
      const text = deltas.map((e) => e.content ?? '').join('');
      expect(text).toBe(fixtureText('openai-chat-text', 'content'));

      await app.drain();
      const log = await app.store.getLog(done.logId);
      expect(log).toMatchObject({ path: '/v1/chat/completions', model: 'chat-text', statusCode: 200, stream: true, userAgent: CHAT_USER_AGENT, streamContent: text });
      expect(log!.totalTokens).toBe(done.usage!.totalTokens);
      const sent = JSON.parse(mock.requests.at(-1)!.body);
      expect(sent).toEqual({
        model: 'fixture:openai-chat-text', messages: [{ role: 'user', content: 'Hi' }], stream: true,
        stream_options: { include_usage: true }, temperature: 0.5, max_tokens: 64,
      });
      // The admin's token never travels to a backend.
      expect(mock.requests.at(-1)!.headers.authorization).toBeUndefined();
    });

    test('reasoning deltas come apart from the answer', async () => {
      const events = await run({ model: 'chat-reasoning', messages: [{ role: 'SYSTEM', content: 'Be brief.' }, user('Why?')] });
      const deltas = events.filter((e) => e.type === 'DELTA');
      expect(deltas.map((e) => e.reasoning ?? '').join('')).toBe(fixtureText('deepseek-chat-reasoning', 'reasoning_content'));
      expect(deltas.map((e) => e.content ?? '').join('')).toBe(fixtureText('deepseek-chat-reasoning', 'content'));
      expect(events.at(-1)!.type).toBe('DONE');
    });

    test('deltas arrive as the backend sends them, not at the end', async () => {
      const sub = await subscribe({ url: app.url, query: CHAT, variables: { input: { model: 'chat-repeat', messages: [user('one two three four five six seven eight nine ten')] } }, token: ADMIN_TOKEN });
      const started = performance.now();
      expect((await sub.next())!.data.data.chat.type).toBe('STARTED');
      const first = (await sub.next())!.data.data.chat as ChatEvent;
      expect(first).toMatchObject({ type: 'DELTA', content: 'one ' });
      // Ten words 20 ms apart: the first must not wait for the last.
      expect(performance.now() - started).toBeLessThan(150);
      const rest: ChatEvent[] = [];
      for (let ev = await sub.next(); ev && ev.event !== 'complete'; ev = await sub.next()) rest.push(ev.data.data.chat);
      expect(rest.at(-1)).toMatchObject({ type: 'DONE', finishReason: 'stop', usage: { completionTokens: 10 } });
    });

    test('closing the subscription mid-stream cancels the backend request; the log keeps the partial answer', async () => {
      const cancelledBefore = mock.cancelled.length;
      const sub = await subscribe({ url: app.url, query: CHAT, variables: { input: { model: 'chat-slow', messages: [user('long answer')] } }, token: ADMIN_TOKEN });
      const started = (await sub.next())!.data.data.chat as ChatEvent;
      await sub.next();
      await sub.next();
      sub.close();
      const deadline = Date.now() + 3_000;
      while (mock.cancelled.length === cancelledBefore && Date.now() < deadline) await Bun.sleep(10);
      expect(mock.cancelled.slice(cancelledBefore)).toContain('slow:40:50');
      await app.drain();
      const log = await app.store.getLog(started.logId);
      expect(log?.stream).toBe(true);
      expect(log?.streamContent).toStartWith('t0 t1 ');
      expect(log?.streamContent).not.toContain('t39');
    });

    test('a backend that answers JSON gives one DELTA and DONE', async () => {
      const events = await run({ model: 'chat-json', messages: [user('Hi')] });
      expect(events.map((e) => e.type)).toEqual(['STARTED', 'DELTA', 'DONE']);
      expect(events[1]!.content).toStartWith('echo: ');
      expect(events[2]!.usage).toEqual({ promptTokens: 5, completionTokens: 7, totalTokens: 12 });
    });

    test('backend and proxy errors end the chat with a readable ERROR, and are logged', async () => {
      const failed = await run({ model: 'chat-500', messages: [user('Hi')] });
      expect(failed.at(-1)).toMatchObject({ type: 'ERROR', status: 500, error: 'mock error 500' });
      const unknown = await run({ model: 'no-such-model', messages: [user('Hi')] });
      expect(unknown.at(-1)).toMatchObject({ type: 'ERROR', status: 404 });
      expect(unknown.at(-1)!.error).toContain('no-such-model');
      await app.drain();
      expect((await app.store.getLog(unknown.at(-1)!.logId))?.statusCode).toBe(404);
    });

    test('configId pins one config of the group, disabled or not; a config of another model is not found', async () => {
      const a = await app.addConfig({ proxyModelName: 'pinned', baseUrl: mock.baseUrl, backendModelName: 'echo' });
      const b = await app.addConfig({ proxyModelName: 'pinned', baseUrl: mock.baseUrl, backendModelName: 'repeat', enabled: false });
      for (let i = 0; i < 3; i++) {
        const events = await run({ model: 'pinned', configId: b.id, messages: [user(`pinned ${i}`)] });
        expect(events.filter((e) => e.type === 'DELTA').map((e) => e.content).join('')).toBe(`pinned ${i}`);
      }
      const viaA = await run({ model: 'pinned', configId: a.id, messages: [user('x')] });
      expect(viaA[1]!.content).toStartWith('echo: ');
      const other = await run({ model: 'chat-json', configId: b.id, messages: [user('x')] });
      expect(other.at(-1)).toMatchObject({ type: 'ERROR', status: 404 });
    });

    test('bad input is refused with BAD_USER_INPUT before anything is sent', async () => {
      const before = mock.requests.length;
      for (const input of [
        { model: 'chat-json', messages: [] },
        { model: ' ', messages: [user('x')] },
        { model: 'chat-json', messages: [user('x')], temperature: 7 },
        { model: 'chat-json', messages: [user('x')], maxTokens: 0 },
      ]) {
        const sub = await subscribe({ url: app.url, query: CHAT, variables: { input }, token: ADMIN_TOKEN });
        const ev = await sub.next();
        const errors = ev?.data?.errors ?? [];
        expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        sub.close();
      }
      const badRole = await app.gql('subscription { chat(input: { model: "x", messages: [{ role: ROBOT, content: "x" }] }) { type } }');
      expect(badRole.errors?.[0]?.message).toContain('ROBOT');
      expect(mock.requests.length).toBe(before);
    });

    test('without the admin token a chat is refused', async () => {
      const sub = await subscribe({ url: app.url, query: CHAT, variables: { input: { model: 'chat-json', messages: [user('x')] } }, token: 'wrong-token-000000000' });
      expect(sub.status).toBe(401);
    });
  });
}
