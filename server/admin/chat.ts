/**
 * The admin's chat: a streamed chat completion sent through the proxy pipeline in-process (the same
 * handler as POST /v1/chat/completions, so it is routed, forwarded and logged like client traffic),
 * turned into a few typed events. Ending the event stream aborts the request, and with it the backend.
 */
import { Repeater } from 'graphql-yoga';
import { InputError } from '../errors.ts';
import { tryParse } from '../json.ts';
import { chatDelta, errorMessageOf, firstChoice, isObj, reasoningOf, str } from '../openai/chunks.ts';
import { type SseConsumer, SseReader } from '../openai/stream.ts';
import { readUsage, type Usage, usageOfBody } from '../openai/usage.ts';
import type { Caller } from '../proxy/admit.ts';

export interface ChatInput {
  model: string;
  configId?: string | null;
  messages: readonly { role: 'SYSTEM' | 'USER' | 'ASSISTANT'; content: string }[];
  temperature?: number | null;
  maxTokens?: number | null;
}

export type ChatEvent =
  | { type: 'STARTED'; logId: string }
  | { type: 'DELTA'; logId: string; content: string | null; reasoning: string | null }
  | { type: 'DONE'; logId: string; status: number; finishReason: string | null; usage: Usage | null; ttftMs: number | null; durationMs: number }
  | { type: 'ERROR'; logId: string; status: number | null; error: string; ttftMs: number | null; durationMs: number };

type Proxy = (request: Request, caller: Caller) => Promise<Response>;

export const CHAT_USER_AGENT = 'lite-proxy-admin-chat';
const MAX_MESSAGES = 500;

export function validateChatInput(input: ChatInput): void {
  if (!input.model.trim()) throw new InputError('Pick a model', 'model');
  if (input.messages.length === 0) throw new InputError('A chat needs at least one message', 'messages');
  if (input.messages.length > MAX_MESSAGES) throw new InputError(`A chat may hold at most ${MAX_MESSAGES} messages`, 'messages');
  const { temperature, maxTokens } = input;
  if (temperature != null && !(temperature >= 0 && temperature <= 2)) throw new InputError('temperature must be between 0 and 2', 'temperature');
  if (maxTokens != null && !(Number.isInteger(maxTokens) && maxTokens >= 1)) throw new InputError('maxTokens must be a whole number above 0', 'maxTokens');
}

function requestBody(input: ChatInput): string {
  return JSON.stringify({
    model: input.model,
    messages: input.messages.map((m) => ({ role: m.role.toLowerCase(), content: m.content })),
    stream: true,
    stream_options: { include_usage: true },
    ...(input.temperature != null ? { temperature: input.temperature } : {}),
    ...(input.maxTokens != null ? { max_tokens: input.maxTokens } : {}),
  });
}

const errorMessage = (body: unknown, status: number): string => errorMessageOf(body) ?? `The proxy answered ${status}`;

type Delta = Extract<ChatEvent, { type: 'DELTA' }>;

/** The chat's consumer of the SSE answer: deltas as they come, and how the answer ended. */
class ChatStream implements SseConsumer<void> {
  readonly deltas: Delta[] = [];
  finishReason: string | null = null;
  usage: Usage | null = null;
  error: string | null = null;

  constructor(private readonly logId: string, private readonly status: number) {}

  addEvent(data: string): void {
    if (data === '[DONE]') return;
    const chunk = tryParse(data);
    if (!isObj(chunk)) return;
    if (chunk.error) this.error = errorMessage(chunk, this.status);
    this.usage = readUsage(chunk.usage) ?? this.usage;
    const delta = chatDelta(chunk);
    this.finishReason = delta.finishReason ?? this.finishReason;
    if (delta.content || delta.reasoning) {
      this.deltas.push({ type: 'DELTA', logId: this.logId, content: delta.content || null, reasoning: delta.reasoning || null });
    }
  }

  finish(): void {}
}

/**
 * Runs one chat. `signal` aborts it from outside (server shutdown); returning from the repeater
 * (the subscriber went away, e.g. the Stop button) aborts it too.
 */
export function runChat(proxy: Proxy, input: ChatInput, signal: AbortSignal): Repeater<ChatEvent> {
  validateChatInput(input);
  const logId = Bun.randomUUIDv7();
  return new Repeater<ChatEvent>(async (push, stop) => {
    const controller = new AbortController();
    const abort = () => controller.abort();
    void stop.then(abort);
    signal.addEventListener('abort', abort, { once: true });
    const startedAt = performance.now();
    let ttftMs: number | null = null;
    const elapsed = () => Math.round((performance.now() - startedAt) * 100) / 100;
    try {
      await push({ type: 'STARTED', logId });
      const request = new Request('http://lite-proxy.admin/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'user-agent': CHAT_USER_AGENT },
        body: requestBody(input),
        signal: controller.signal,
      });
      const response = await proxy(request, { ip: null, logId, configId: input.configId ?? undefined, internal: true });
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream') || !response.body) {
        // An error from the proxy or the backend, or a backend that ignored stream: true.
        const text = await response.text();
        const body = tryParse(text) ?? null;
        ttftMs = elapsed();
        if (response.status >= 400) {
          await push({ type: 'ERROR', logId, status: response.status, error: errorMessage(body, response.status), ttftMs, durationMs: elapsed() });
        } else {
          const choice = firstChoice(body);
          const message = isObj(choice?.message) ? choice.message : null;
          await push({ type: 'DELTA', logId, content: str(message?.content) ?? text, reasoning: reasoningOf(message) });
          await push({ type: 'DONE', logId, status: response.status, finishReason: str(choice?.finish_reason), usage: usageOfBody(body), ttftMs, durationMs: elapsed() });
        }
        return;
      }
      const answer = new ChatStream(logId, response.status);
      const sse = new SseReader(answer);
      const reader = response.body.getReader();
      void stop.then(() => reader.cancel().catch(() => {}));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        sse.push(value);
        for (const d of answer.deltas.splice(0)) {
          ttftMs ??= elapsed();
          await push(d);
        }
      }
      sse.end();
      for (const d of answer.deltas.splice(0)) await push(d);
      if (answer.error) await push({ type: 'ERROR', logId, status: response.status, error: answer.error, ttftMs, durationMs: elapsed() });
      else await push({ type: 'DONE', logId, status: response.status, finishReason: answer.finishReason, usage: answer.usage, ttftMs, durationMs: elapsed() });
    } catch (err) {
      if (!controller.signal.aborted) {
        await push({ type: 'ERROR', logId, status: null, error: `The chat failed: ${(err as Error).message}`, ttftMs, durationMs: elapsed() });
      }
    } finally {
      signal.removeEventListener('abort', abort);
      stop();
    }
  });
}
