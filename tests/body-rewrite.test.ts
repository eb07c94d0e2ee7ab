/** replaceModel changes only the value of the top-level "model" and leaves every other byte alone. */
import { describe, expect, test } from 'bun:test';
import { parseJsonBody, replaceModel } from '../server/proxy/body.ts';

const rewrite = (text: string, model = 'backend') => replaceModel(parseJsonBody(text), model);

describe('replaceModel', () => {
  test('replaces the top-level model and keeps spacing, key order and number precision', () => {
    const text = '{ "seed" : 12345678901234567890,\n  "model":   "front" , "temperature": 0.10 }';
    expect(rewrite(text)).toBe('{ "seed" : 12345678901234567890,\n  "model":   "backend" , "temperature": 0.10 }');
  });

  test('leaves "model" keys inside nested objects and strings untouched', () => {
    const text = '{"tools":[{"model":"inner","d":"a \\"model\\": \\"x\\" {["}],"model":"front","meta":{"model":"deep"}}';
    const out = rewrite(text);
    expect(JSON.parse(out)).toEqual({
      tools: [{ model: 'inner', d: 'a "model": "x" {[' }],
      model: 'backend',
      meta: { model: 'deep' },
    });
    expect(out.replace('"backend"', '"front"')).toBe(text);
  });

  test('a string value containing a backslash before the closing quote', () => {
    const text = '{"prompt":"ends with \\\\","model":"front"}';
    expect(JSON.parse(rewrite(text))).toEqual({ prompt: 'ends with \\', model: 'backend' });
  });

  test('escapes a backend model name that needs it', () => {
    expect(JSON.parse(rewrite('{"model":"front"}', 'a"b\\c'))).toEqual({ model: 'a"b\\c' });
  });

  test('replaces every duplicate top-level model key', () => {
    expect(rewrite('{"model":"a","x":1,"model":"front"}')).toBe('{"model":"backend","x":1,"model":"backend"}');
  });

  test('falls back to re-serialising when the key is written with escapes', () => {
    const out = rewrite('{"mod\\u0065l":"front","n":1}');
    expect(JSON.parse(out)).toEqual({ model: 'backend', n: 1 });
  });

  test('unicode around the model survives', () => {
    const text = '{"messages":[{"content":"你好 👋"}],"model":"front"}';
    expect(rewrite(text)).toBe('{"messages":[{"content":"你好 👋"}],"model":"backend"}');
  });
});

describe('parseJsonBody', () => {
  test.each([
    ['not json', 'invalid_json'],
    ['[1,2]', 'invalid_json'],
    ['"text"', 'invalid_json'],
    ['{}', 'missing_model'],
    ['{"model": 5}', 'missing_model'],
    ['{"model": ""}', 'missing_model'],
  ])('%p is refused with code %p', (text, code) => {
    expect(() => parseJsonBody(text)).toThrow(expect.objectContaining({ status: 400, code }));
  });
});

describe('a second model key spelt with escapes', () => {
  test('cannot smuggle a model past the rewrite', () => {
    const body = parseJsonBody('{"model":"zzz","m\\u006fdel":"cheap"}');
    expect(body.model).toBe('cheap');
    const out = replaceModel(body, 'backend');
    expect(JSON.parse(out)).toEqual({ model: 'backend' });
    expect(out).not.toContain('cheap');
  });
});
