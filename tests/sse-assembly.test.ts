/** The log's SSE reader: byte boundaries anywhere, odd but legal SSE, and what it assembles. */
import { describe, expect, test } from 'bun:test';
import { SseReader, StreamAssembler } from '../server/openai/stream.ts';

const encoder = new TextEncoder();
const chat = (delta: object, extra: object = {}) =>
  JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra });

function readAll(text: string, splitEvery: number, budget = 1 << 20) {
  const reader = new SseReader(new StreamAssembler(budget));
  const bytes = encoder.encode(text);
  for (let i = 0; i < bytes.length; i += splitEvery) reader.push(bytes.subarray(i, i + splitEvery));
  return reader.end();
}

describe('SseReader', () => {
  const stream = `data: ${chat({ role: 'assistant', content: '你好' })}\n\n: keep-alive comment\n\ndata: ${chat({ content: ' 👋' })}\r\n\r\ndata: [DONE]\n\n`;

  test.each([1, 2, 3, 7, 1000])('gives the same result however the bytes are split (every %p bytes)', (n) => {
    const r = readAll(stream, n);
    expect(r.text).toBe('你好 👋');
    expect(r.chunks).toHaveLength(2);
  });

  test('a last event without its closing blank line still counts', () => {
    expect(readAll(`data: ${chat({ content: 'a' })}\n\ndata: ${chat({ content: 'b' })}`, 5).text).toBe('ab');
  });

  test('data split over several data: lines is joined with newlines', () => {
    const r = readAll('data: {"choices":[{"index":0,\ndata: "delta":{"content":"x"}}]}\n\n', 4);
    expect(r.text).toBe('x');
  });

  test('non-JSON data is kept as a string chunk', () => {
    expect(readAll('data: hello\n\n', 3).chunks).toEqual(['hello']);
  });

  test('an error event is recorded', () => {
    expect(readAll('data: {"error":{"message":"overloaded","type":"server_error"}}\n\n', 8).error).toBe('overloaded');
  });

  test('chunks past the budget are left out and flagged; the text is still assembled', () => {
    const many = Array.from({ length: 50 }, (_, i) => `data: ${chat({ content: `${i},` })}\n\n`).join('');
    const r = readAll(many, 64, 2000);
    expect(r.chunksTruncated).toBe(true);
    expect(r.chunks.length).toBeLessThan(50);
    expect(r.text).toBe(Array.from({ length: 50 }, (_, i) => `${i},`).join(''));
  });

  test('two choices and tool calls split over deltas are merged by index', () => {
    const events = [
      { choices: [{ index: 1, delta: { role: 'assistant', content: 'B' } }, { index: 0, delta: { content: 'A' } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: 't2', type: 'function', function: { name: 'g', arguments: '{"y"' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'f', arguments: '' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: ':2}' } }, { index: 0, function: { arguments: '{}' } }] }, finish_reason: 'tool_calls' }] },
    ];
    const r = readAll(events.map((e) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', ...e })}\n\n`).join(''), 9);
    expect(r.body).toEqual({
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant', content: 'A',
            tool_calls: [
              { id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } },
              { id: 't2', type: 'function', function: { name: 'g', arguments: '{"y":2}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
        { index: 1, message: { role: 'assistant', content: 'B' }, finish_reason: null },
      ],
      usage: null,
    });
  });
});
