/**
 * Readers for the pieces of OpenAI's protocol that every consumer needs: the JSON objects of a
 * body or a stream event, a chat delta, and the error message of an error body. They accept any
 * value and never throw: answers come from backends and may be anything.
 */
import type { Json } from '../json.ts';

export type Obj = { [key: string]: Json };

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** What one chat-completions chunk adds to its first choice. */
export interface ChatDelta {
  content: string | null;
  /** DeepSeek and Moonshot say reasoning_content; vLLM and OpenRouter say reasoning. */
  reasoning: string | null;
  finishReason: string | null;
}

export function firstChoice(body: unknown): Obj | null {
  if (!isObj(body) || !Array.isArray(body.choices)) return null;
  const choice = body.choices[0];
  return isObj(choice) ? choice : null;
}

/** The reasoning text of a delta or message, under either of its names. */
export const reasoningOf = (o: Obj | null): string | null => str(o?.reasoning_content) ?? str(o?.reasoning);

export function chatDelta(chunk: unknown): ChatDelta {
  const choice = firstChoice(chunk);
  const delta = isObj(choice?.delta) ? choice.delta : null;
  return { content: str(delta?.content), reasoning: reasoningOf(delta), finishReason: str(choice?.finish_reason) };
}

/**
 * The message of an error body in OpenAI's shape (`{"error":{"message":…}}`), or of the plainer
 * `{"error":"…"}` some servers send; null when the body carries none.
 */
export function errorMessageOf(body: unknown): string | null {
  if (!isObj(body)) return null;
  if (isObj(body.error)) return str(body.error.message);
  return str(body.error);
}
