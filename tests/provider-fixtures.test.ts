/**
 * Every recorded provider stream replayed through the proxy: the client gets the exact bytes, and
 * the log holds the parsed events and an assembled answer. Expected values are worked out here from
 * the fixture lines themselves, and the distinctive ones are also pinned as literals.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import type { LogRow } from '../server/store/types.ts';
import { STORE_KINDS, startApp, type TestApp } from './helpers/app.ts';
import { FIXTURES_DIR, fixtureEvents, fixtureSse, startMockUpstream, type MockUpstream } from './helpers/mock-upstream.ts';

type Obj = Record<string, any>;

const FIXTURES = readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -'.jsonl'.length)).sort();

/** The API each fixture speaks, read from its first event. */
function apiOf(events: Obj[]): 'chat' | 'completion' | 'responses' {
  const first = events[0]!;
  if (typeof first.type === 'string' && first.type.startsWith('response.')) return 'responses';
  return first.object === 'text_completion' ? 'completion' : 'chat';
}

const lastDefined = <T>(values: (T | null | undefined)[]): T | null => values.filter((v) => v !== null && v !== undefined).at(-1) ?? null;
/** Join of the string pieces, or null when there was none at all. */
const joinOrNull = (pieces: unknown[]): string | null => {
  const strings = pieces.filter((p): p is string => typeof p === 'string');
  return strings.length === 0 ? null : strings.join('');
};

/** What a chat stream adds up to, computed from its events alone. */
function expectedChat(events: Obj[]) {
  const choices = events.flatMap((e) => (e.choices ?? []) as Obj[]).filter((c) => c.index === 0);
  const deltas = choices.map((c) => (c.delta ?? {}) as Obj);
  const calls = new Map<number, { id: string | null; type: string; function: { name: string; arguments: string } }>();
  for (const t of deltas.flatMap((d) => (d.tool_calls ?? []) as Obj[])) {
    const call = calls.get(t.index) ?? { id: null, type: 'function', function: { name: '', arguments: '' } };
    if (t.id) call.id = t.id;
    if (t.type) call.type = t.type;
    call.function.name += t.function?.name ?? '';
    call.function.arguments += t.function?.arguments ?? '';
    calls.set(t.index, call);
  }
  return {
    content: joinOrNull(deltas.map((d) => d.content)),
    reasoning: joinOrNull(deltas.map((d) => d.reasoning_content)),
    toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c),
    finishReason: lastDefined(choices.map((c) => c.finish_reason)),
    usage: lastDefined(events.map((e) => e.usage)) as Obj | null,
  };
}

/** Literal facts about each recording, so that a wrong reading of the files cannot pass unnoticed. */
const PINNED: Record<string, { tokens: [number, number, number]; text?: string; reasoning?: string; finish?: string }> = {
  'deepseek-chat-reasoning': { tokens: [18, 219, 237], text: 'The word "strawberry" contains three "r"s.', finish: 'stop' },
  'deepseek-chat-tool-call': { tokens: [339, 83, 422], finish: 'tool_calls' },
  'groq-chat-tool-call': { tokens: [210, 15, 225], finish: 'tool_calls' },
  'moonshot-chat-reasoning': { tokens: [9, 12, 21], text: 'Hello!', reasoning: 'Thinking aloud. ', finish: 'stop' },
  'openai-chat-text': { tokens: [16, 300, 316], finish: 'stop' },
  'openai-completions-text': { tokens: [14, 16, 30], text: 'The holiday is called "Gratitude Day" and it is a day dedicated to', finish: 'length' },
  'openai-responses-web-search': { tokens: [31073, 4416, 35489] },
  'qwen-chat-tool-call-empty-ids': { tokens: [276, 48, 324], finish: 'tool_calls' },
};

describe.each(STORE_KINDS)('provider fixtures (%s)', (kind) => {
  let mock: MockUpstream;
  let app: TestApp;
  const received = new Map<string, string>();
  const rows = new Map<string, LogRow>();

  beforeAll(async () => {
    mock = startMockUpstream();
    app = await startApp({ kind });
    for (const name of FIXTURES) {
      await app.addConfig({ proxyModelName: `fx-${name}`, baseUrl: mock.baseUrl, backendModelName: `fixture:${name}` });
      const path = name.includes('responses') ? '/responses' : name.includes('completions') ? '/completions' : '/chat/completions';
      const res = await fetch(`${app.baseUrl}${path}`, {
        // Recorded with usage asked for, as these clients asked: the stream comes back whole (a client that
        // did not ask gets it without the usage event: stream-usage.test.ts).
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: `fx-${name}`, stream: true, ...(path === '/responses' ? {} : { stream_options: { include_usage: true } }) }),
      });
      received.set(name, await res.text());
    }
    await app.drain();
    for (const name of FIXTURES) {
      const [summary] = await app.store.queryLogs({ filter: { model: `fx-${name}` }, limit: 1 });
      if (summary) rows.set(name, (await app.store.getLog(summary.id))!);
    }
  });

  afterAll(async () => {
    await app.stop();
    mock.stop();
  });

  test('the fixtures folder holds every recording this suite pins', () => {
    expect(FIXTURES).toEqual(Object.keys(PINNED).sort());
  });

  describe.each(FIXTURES)('%s', (name) => {
    const events = () => fixtureEvents(name).map((line) => JSON.parse(line) as Obj);
    const row = () => {
      const r = rows.get(name);
      expect(r).toBeDefined();
      return r!;
    };

    test('the client receives the recorded stream byte for byte', () => {
      // Byte-exactness is the point here, so the texts themselves are compared.
      expect(received.get(name)).toBe(fixtureSse(name));
    });

    test('the log keeps every event parsed, [DONE] excluded, and the usage as token counts', () => {
      const r = row();
      expect(r).toMatchObject({ stream: true, statusCode: 200, error: null });
      expect(r.chunks).toEqual(events());
      const [prompt, completion, total] = PINNED[name]!.tokens;
      expect({ p: r.promptTokens, c: r.completionTokens, t: r.totalTokens }).toEqual({ p: prompt, c: completion, t: total });
    });

    test('the log assembles the answer', () => {
      const r = row();
      const evs = events();
      const pinned = PINNED[name]!;
      const body = r.responseBody as Obj;
      const api = apiOf(evs);

      if (api === 'responses') {
        const completed = evs.find((e) => e.type === 'response.completed')!;
        expect(body).toEqual(completed.response);
        const text = evs.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta as string).join('');
        expect(r.streamContent).toBe(text);
        expect(text).toBe(evs.find((e) => e.type === 'response.output_text.done')!.text);
        const u = completed.response.usage;
        expect([u.input_tokens, u.output_tokens, u.total_tokens]).toEqual(pinned.tokens);
        return;
      }

      expect(body.id).toBe(evs[0]!.id);
      expect(body.model).toBe(evs[0]!.model);
      const usage = lastDefined(evs.map((e) => e.usage)) as Obj;
      expect(body.usage).toEqual(usage);
      expect([usage.prompt_tokens, usage.completion_tokens, usage.total_tokens]).toEqual(pinned.tokens);

      if (api === 'completion') {
        const text = evs.flatMap((e) => e.choices as Obj[]).map((c) => c.text as string).join('');
        expect(body.object).toBe('text_completion');
        expect(body.choices[0].text).toBe(text);
        expect(body.choices[0].text).toBe(pinned.text!);
        expect(body.choices[0].finish_reason).toBe(pinned.finish!);
        expect(r.streamContent).toBe(text);
        return;
      }

      const want = expectedChat(evs);
      const message = body.choices[0].message as Obj;
      expect(body.object).toBe('chat.completion');
      expect(body.choices).toHaveLength(1);
      expect(message.role).toBe('assistant');
      expect(message.content).toBe(want.content);
      expect(r.streamContent).toBe(want.content);
      expect(message.reasoning_content).toBe(want.reasoning ?? undefined);
      if (want.toolCalls.length > 0) expect(message.tool_calls).toEqual(want.toolCalls);
      else expect(message.tool_calls).toBeUndefined();
      expect(body.choices[0].finish_reason).toBe(want.finishReason);
      expect(want.finishReason).toBe(pinned.finish!);
      if (pinned.text !== undefined) expect(message.content).toBe(pinned.text);
      if (pinned.reasoning !== undefined) expect(message.reasoning_content).toBe(pinned.reasoning);
    });
  });

  test('DeepSeek tool call arguments split over many deltas add up to the whole JSON', () => {
    const call = ((rows.get('deepseek-chat-tool-call')!.responseBody as Obj).choices[0].message.tool_calls as Obj[])[0]!;
    expect(call).toMatchObject({ id: 'call_00_ioIn7yN9p1ZOMNpDLwd4MgAF', type: 'function', function: { name: 'weather' } });
    expect(JSON.parse(call.function.arguments)).toEqual(expect.any(Object));
    expect(Object.keys(JSON.parse(call.function.arguments)).length).toBeGreaterThan(0);
    expect((rows.get('deepseek-chat-reasoning')!.responseBody as Obj).choices[0].message.reasoning_content).toStartWith(
      'We need to count the number of the letter "r" in the word "strawberry".',
    );
  });

  test('a Groq tool call sent whole in one delta is kept whole', () => {
    const message = (rows.get('groq-chat-tool-call')!.responseBody as Obj).choices[0].message;
    expect(message.tool_calls).toEqual([{ id: 'tk85n1k4m', type: 'function', function: { name: 'weather', arguments: '{}' } }]);
    expect(message.content).toBeNull();
  });

  test('tool calls whose later deltas repeat "id": "" keep the first id (and their name)', () => {
    const message = (rows.get('qwen-chat-tool-call-empty-ids')!.responseBody as Obj).choices[0].message;
    expect(message.tool_calls).toEqual([
      { id: 'call_0b7f2c9e4d1a4c0f8e3b5a61', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Hangzhou", "unit": "celsius"}' } },
      { id: 'call_6d21e8a0f3b94e7aa1c25d0e', type: 'function', function: { name: 'get_time', arguments: '{"timezone":"Asia/Shanghai"}' } },
    ]);
  });

  test('OpenAI usage in a final chunk with empty choices, Moonshot usage in its last content chunk', () => {
    const openai = fixtureEvents('openai-chat-text').map((l) => JSON.parse(l) as Obj);
    expect(openai.at(-1)!.choices).toEqual([]);
    expect((rows.get('openai-chat-text')!.responseBody as Obj).usage).toEqual(openai.at(-1)!.usage);
    const moonshot = fixtureEvents('moonshot-chat-reasoning').map((l) => JSON.parse(l) as Obj);
    expect(moonshot.at(-1)!.choices[0].delta.content).toBe('!');
    expect((rows.get('moonshot-chat-reasoning')!.responseBody as Obj).usage).toEqual(moonshot.at(-1)!.usage);
  });
});
