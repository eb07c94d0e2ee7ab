/**
 * Token counts for an exchange whose backend reported no usage (some local servers, some
 * gateways): counted with gpt-tokenizer (o200k_base, the encoding of OpenAI's current models) from
 * the request's text and the answer's text, so that stats, costs and client-key budgets never miss
 * an exchange. The entry is marked `usageEstimated`. Counting runs on the event loop, so at most
 * COUNTED_CHARS of each side are counted and the rest is scaled; until the tokenizer has loaded
 * (in the background, at start) a text counts 4 characters a token.
 */
import { isObj } from '../openai/chunks.ts';
import { type Json, JsonText, type LoggedJson } from '../json.ts';

/** Characters counted exactly on each side; beyond them the count is scaled (a few ms at most). */
const COUNTED_CHARS = 32 * 1024;

let countTokens: ((text: string) => number) | null = null;
let loading: Promise<void> | null = null;

/** Loads the tokenizer in the background (its tables take a moment and some memory); idempotent. */
export function preloadTokenizer(): Promise<void> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base')
    .then((m) => {
      countTokens = m.countTokens;
    })
    .catch((err: unknown) => console.error(`[cost] the tokenizer did not load; estimates count 4 characters a token: ${String(err)}`));
  return loading;
}

/** Tokens in `text`: exact up to COUNTED_CHARS, scaled past it. */
export function tokensIn(text: string): number {
  if (text === '') return 0;
  const part = text.length > COUNTED_CHARS ? text.slice(0, COUNTED_CHARS) : text;
  const counted = countTokens ? countTokens(part) : Math.ceil(part.length / 4);
  return part.length === text.length ? counted : Math.round((counted * text.length) / part.length);
}

const valueOf = (body: LoggedJson | null | undefined): Json | null => {
  if (body instanceof JsonText) {
    try {
      return body.parse();
    } catch {
      return null;
    }
  }
  return body ?? null;
};

/** The text a request sends the model: its messages' contents, its prompt, its input, its instructions. */
export function promptText(body: LoggedJson | null | undefined): string {
  const value = valueOf(body);
  if (!isObj(value)) return '';
  const out: string[] = [];
  collect(value.messages, out);
  collect(value.prompt, out);
  collect(value.input, out);
  collect(value.instructions, out);
  collect(value.system, out);
  return out.join('\n');
}

/** The text of an answer: a stream's assembled text, or a body's choices' contents and texts. */
export function completionText(streamContent: string | null, body: LoggedJson | null | undefined): string {
  if (streamContent) return streamContent;
  const value = valueOf(body);
  if (!isObj(value)) return '';
  const out: string[] = [];
  if (Array.isArray(value.choices)) {
    for (const c of value.choices) {
      if (!isObj(c)) continue;
      if (typeof c.text === 'string') out.push(c.text);
      if (isObj(c.message)) {
        collect(c.message.content, out);
        collect(c.message.reasoning_content, out);
        if (Array.isArray(c.message.tool_calls)) collect(c.message.tool_calls, out);
      }
    }
  }
  collect(value.output, out);
  return out.join('\n');
}

/** Every string under a value (message contents, parts' texts, tool call arguments); keys are not counted. */
function collect(v: unknown, out: string[], depth = 0): void {
  if (depth > 20) return;
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) collect(x, out, depth + 1);
  else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      // Images and audio are not text: their data would count as many tokens as it has characters.
      if (k === 'image_url' || k === 'input_audio' || k === 'b64_json' || k === 'type' || k === 'role' || k === 'id') continue;
      collect(x, out, depth + 1);
    }
  }
}
