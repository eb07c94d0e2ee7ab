/**
 * OpenAI's streams: SseReader decodes bytes (with eventsource-parser) into events for a consumer;
 * StreamAssembler is the log's consumer, which keeps the parsed data events and assembles the reply
 * text, the final response object and the token usage. It knows the three OpenAI stream shapes:
 * chat completions, legacy completions and the responses API.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { Json } from '../json.ts';
import { isObj, type Obj, reasoningOf, str } from './chunks.ts';
import { readUsage, type Usage } from './usage.ts';

/** Takes the events of one stream, then gives its result. */
export interface SseConsumer<R> {
  /** One SSE event: its `data:` text and its `event:` name, if any. */
  addEvent(data: string, eventName?: string): void;
  finish(): R;
}

interface ToolCallAcc { index: number; id?: string; type?: string; name: string; arguments: string }
interface ChoiceAcc {
  index: number;
  role: string;
  content: string | null;
  reasoning: string | null;
  refusal: string | null;
  text: string;
  toolCalls: Map<number, ToolCallAcc>;
  finishReason: Json;
}

export interface StreamResult {
  chunks: Json[];
  chunksTruncated: boolean;
  /** The assembled reply text (first choice), or null for a stream shape with no text. */
  text: string | null;
  /** chat.completion / text_completion object assembled from the deltas, or the responses API's final response. */
  body: Json;
  usage: Usage | null;
  /** An `error` the stream itself carried. */
  error: string | null;
}

export class StreamAssembler implements SseConsumer<StreamResult> {
  private chunks: Json[] = [];
  private chunkBytes = 0;
  private chunksTruncated = false;
  private kind: 'chat' | 'completion' | 'responses' | null = null;
  private head: Obj = {};
  private choices = new Map<number, ChoiceAcc>();
  private usage: Json = null;
  private responseText: string | null = null;
  private response: Json = null;
  private error: string | null = null;

  constructor(private readonly chunkBudgetBytes: number) {}

  /** Feeds one SSE event (its `event:` name, if any, and its `data:` text). */
  addEvent(data: string, eventName?: string): void {
    if (data === '[DONE]') return;
    let parsed: Json;
    try {
      parsed = JSON.parse(data) as Json;
    } catch {
      parsed = data;
    }
    this.keepChunk(parsed, data.length);
    if (!isObj(parsed)) return;
    const type = str(parsed.type) ?? eventName;
    if (type?.startsWith('response.')) this.addResponsesEvent(type, parsed);
    else if (Array.isArray(parsed.choices) || isObj(parsed.usage)) this.addChoicesChunk(parsed);
    if (isObj(parsed.error)) this.error = str(parsed.error.message) ?? JSON.stringify(parsed.error);
  }

  private keepChunk(chunk: Json, bytes: number): void {
    if (this.chunksTruncated) return;
    if (this.chunkBytes + bytes > this.chunkBudgetBytes) {
      this.chunksTruncated = true;
      return;
    }
    this.chunkBytes += bytes;
    this.chunks.push(chunk);
  }

  private addResponsesEvent(type: string, event: Obj): void {
    this.kind = 'responses';
    if (type === 'response.output_text.delta') {
      this.responseText = (this.responseText ?? '') + (str(event.delta) ?? '');
    }
    if (isObj(event.response)) {
      this.response = event.response;
      if (isObj(event.response.usage)) this.usage = event.response.usage;
      if (isObj(event.response.error)) this.error = str(event.response.error.message) ?? JSON.stringify(event.response.error);
    }
  }

  private addChoicesChunk(chunk: Obj): void {
    if (this.kind === null) {
      this.kind = chunk.object === 'text_completion' ? 'completion' : 'chat';
      for (const key of ['id', 'created', 'model', 'system_fingerprint', 'service_tier'] as const) {
        if (chunk[key] !== undefined && chunk[key] !== null) this.head[key] = chunk[key];
      }
    }
    if (isObj(chunk.usage)) this.usage = chunk.usage;
    else if (isObj(chunk.x_groq) && isObj(chunk.x_groq.usage) && this.usage === null) this.usage = chunk.x_groq.usage;
    if (!Array.isArray(chunk.choices)) return;
    for (const c of chunk.choices) {
      if (!isObj(c)) continue;
      const index = typeof c.index === 'number' ? c.index : 0;
      let acc = this.choices.get(index);
      if (!acc) {
        acc = { index, role: 'assistant', content: null, reasoning: null, refusal: null, text: '', toolCalls: new Map(), finishReason: null };
        this.choices.set(index, acc);
      }
      if (c.finish_reason !== undefined && c.finish_reason !== null) acc.finishReason = c.finish_reason;
      if (typeof c.text === 'string') acc.text += c.text;
      if (isObj(c.delta)) this.addDelta(acc, c.delta);
    }
  }

  private addDelta(acc: ChoiceAcc, delta: Obj): void {
    if (typeof delta.role === 'string') acc.role = delta.role;
    if (typeof delta.content === 'string') acc.content = (acc.content ?? '') + delta.content;
    const reasoning = reasoningOf(delta);
    if (reasoning !== null) acc.reasoning = (acc.reasoning ?? '') + reasoning;
    if (typeof delta.refusal === 'string') acc.refusal = (acc.refusal ?? '') + delta.refusal;
    if (!Array.isArray(delta.tool_calls)) return;
    for (const t of delta.tool_calls) {
      if (!isObj(t)) continue;
      const index = typeof t.index === 'number' ? t.index : acc.toolCalls.size;
      let call = acc.toolCalls.get(index);
      if (!call) {
        call = { index, name: '', arguments: '' };
        acc.toolCalls.set(index, call);
      }
      // Some providers repeat `"id": ""` and the type in every later delta of a call: the first
      // non-empty value is the call's.
      if (typeof t.id === 'string' && t.id !== '') call.id ??= t.id;
      if (typeof t.type === 'string' && t.type !== '') call.type ??= t.type;
      if (isObj(t.function)) {
        if (typeof t.function.name === 'string') call.name += t.function.name;
        if (typeof t.function.arguments === 'string') call.arguments += t.function.arguments;
      }
    }
  }

  finish(): StreamResult {
    return {
      chunks: this.chunks,
      chunksTruncated: this.chunksTruncated,
      text: this.text(),
      body: this.body(),
      usage: readUsage(this.usage),
      error: this.error,
    };
  }

  private sortedChoices(): ChoiceAcc[] {
    return [...this.choices.values()].sort((a, b) => a.index - b.index);
  }

  private text(): string | null {
    if (this.kind === 'responses') return this.responseText;
    const first = this.sortedChoices()[0];
    if (!first) return null;
    return this.kind === 'completion' ? first.text : first.content;
  }

  private body(): Json {
    if (this.kind === 'responses') return this.response;
    if (this.kind === 'completion') {
      return {
        ...this.head,
        object: 'text_completion',
        choices: this.sortedChoices().map((c) => ({ index: c.index, text: c.text, finish_reason: c.finishReason })),
        usage: this.usage,
      };
    }
    if (this.kind === 'chat') {
      return {
        ...this.head,
        object: 'chat.completion',
        choices: this.sortedChoices().map((c) => ({ index: c.index, message: message(c), finish_reason: c.finishReason })),
        usage: this.usage,
      };
    }
    return null;
  }
}

function message(c: ChoiceAcc): Obj {
  const m: Obj = { role: c.role, content: c.content };
  if (c.reasoning !== null) m.reasoning_content = c.reasoning;
  if (c.refusal !== null) m.refusal = c.refusal;
  if (c.toolCalls.size > 0) {
    m.tool_calls = [...c.toolCalls.values()]
      .sort((a, b) => a.index - b.index)
      .map((t) => ({ id: t.id ?? null, type: t.type ?? 'function', function: { name: t.name, arguments: t.arguments } }));
  }
  return m;
}

/** Decodes bytes (split anywhere, even inside a UTF-8 sequence) into SSE events for a consumer. */
export class SseReader<R> {
  private decoder = new TextDecoder();
  private parser: EventSourceParser;

  constructor(readonly consumer: SseConsumer<R>) {
    this.parser = createParser({ onEvent: (e) => consumer.addEvent(e.data, e.event) });
  }

  push(bytes: Uint8Array): void {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
  }

  end(): R {
    // A last event without its closing blank line still counts (as the OpenAI SDKs count it);
    // after a clean end the extra blank lines dispatch nothing.
    this.parser.feed(`${this.decoder.decode()}\n\n`);
    return this.consumer.finish();
  }
}
