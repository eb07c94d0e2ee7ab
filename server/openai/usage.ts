/** Token usage as OpenAI's three APIs report it. */
import { isObj } from './chunks.ts';

export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  /** The part of the prompt read from the backend's cache (priced lower); absent when not reported. */
  cachedTokens?: number | null;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads chat/completions usage (`prompt_tokens`…) and responses usage (`input_tokens`…). */
export function readUsage(usage: unknown): Usage | null {
  if (!isObj(usage)) return null;
  const promptTokens = num(usage.prompt_tokens) ?? num(usage.input_tokens);
  const completionTokens = num(usage.completion_tokens) ?? num(usage.output_tokens);
  const totalTokens = num(usage.total_tokens) ?? (promptTokens !== null && completionTokens !== null ? promptTokens + completionTokens : null);
  if (promptTokens === null && completionTokens === null && totalTokens === null) return null;
  // OpenAI's chat and responses APIs, and DeepSeek's own field.
  const details = isObj(usage.prompt_tokens_details) ? usage.prompt_tokens_details : isObj(usage.input_tokens_details) ? usage.input_tokens_details : null;
  const cachedTokens = num(details?.cached_tokens) ?? num(usage.prompt_cache_hit_tokens);
  return cachedTokens === null ? { promptTokens, completionTokens, totalTokens } : { promptTokens, completionTokens, totalTokens, cachedTokens };
}

/** The usage of a whole (non-streamed) answer body. */
export const usageOfBody = (body: unknown): Usage | null => (isObj(body) ? readUsage(body.usage) : null);

/**
 * The usage of a JSON answer known only by its end (the answer was too large to keep): the last
 * `"usage"` key whose value is a whole object in `tail`. OpenAI-compatible servers write it last.
 */
export function usageOfTail(tail: string | null): Usage | null {
  if (!tail) return null;
  for (let at = tail.lastIndexOf('"usage"'); at >= 0; at = tail.lastIndexOf('"usage"', at - 1)) {
    const open = tail.indexOf('{', at);
    if (open < 0 || tail.slice(at + 7, open).trim() !== ':') continue;
    const close = objectEnd(tail, open);
    if (close < 0) continue;
    try {
      return readUsage(JSON.parse(tail.slice(open, close)));
    } catch {
      // Not JSON after all (the key inside a string): try an earlier one.
    }
  }
  return null;
}

/** Index just past the object that opens at `open`, or -1 when it does not close in the text. */
function objectEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}
