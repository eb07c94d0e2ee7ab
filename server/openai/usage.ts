/** Token usage as OpenAI's three APIs report it. */
import { isObj } from './chunks.ts';

export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads chat/completions usage (`prompt_tokens`…) and responses usage (`input_tokens`…). */
export function readUsage(usage: unknown): Usage | null {
  if (!isObj(usage)) return null;
  const promptTokens = num(usage.prompt_tokens) ?? num(usage.input_tokens);
  const completionTokens = num(usage.completion_tokens) ?? num(usage.output_tokens);
  const totalTokens = num(usage.total_tokens) ?? (promptTokens !== null && completionTokens !== null ? promptTokens + completionTokens : null);
  if (promptTokens === null && completionTokens === null && totalTokens === null) return null;
  return { promptTokens, completionTokens, totalTokens };
}

/** The usage of a whole (non-streamed) answer body. */
export const usageOfBody = (body: unknown): Usage | null => (isObj(body) ? readUsage(body.usage) : null);
