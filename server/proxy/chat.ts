/**
 * The admin's chat: a streamed chat completion sent through the proxy pipeline in-process (the same
 * handler as POST /v1/chat/completions, so it is routed, forwarded and logged like client traffic),
 * turned into a few typed events. Ending the event stream aborts the request, and with it the backend.
 */
import { createParser } from 'eventsource-parser';
import { Repeater } from 'graphql-yoga';
import { InputError } from '../errors.ts';
import type { ClientInfo } from './handler.ts';
import { readUsage, type Usage } from './sse.ts';

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

type Proxy = (request: Request, client: ClientInfo) => Promise<Response>;

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

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function errorMessage(body: unknown, status: number): string {
  const message = str(obj(obj(body)?.error)?.message) ?? str(obj(body)?.error);
  return message ?? `The proxy answered ${status}`;
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
      const response = await proxy(request, { ip: null, logId, configId: input.configId ?? undefined });
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream') || !response.body) {
        // An error from the proxy or the backend, or a backend that ignored stream: true.
        const text = await response.text();
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {}
        ttftMs = elapsed();
        if (response.status >= 400) {
          await push({ type: 'ERROR', logId, status: response.status, error: errorMessage(body, response.status), ttftMs, durationMs: elapsed() });
        } else {
          const choice = obj((obj(body)?.choices as unknown[] | undefined)?.[0]);
          const message = obj(choice?.message);
          await push({ type: 'DELTA', logId, content: str(message?.content) ?? text, reasoning: str(message?.reasoning_content) });
          await push({ type: 'DONE', logId, status: response.status, finishReason: str(choice?.finish_reason), usage: readUsage(obj(body)?.usage), ttftMs, durationMs: elapsed() });
        }
        return;
      }
      let finishReason: string | null = null;
      let usage: Usage | null = null;
      let streamError: string | null = null;
      const deltas: ChatEvent[] = [];
      const parser = createParser({
        onEvent(e) {
          if (e.data === '[DONE]') return;
          let chunk: Obj | null;
          try {
            chunk = obj(JSON.parse(e.data));
          } catch {
            return;
          }
          if (!chunk) return;
          if (chunk.error) streamError = errorMessage(chunk, response.status);
          usage = readUsage(chunk.usage) ?? usage;
          const choice = obj((chunk.choices as unknown[] | undefined)?.[0]);
          finishReason = str(choice?.finish_reason) ?? finishReason;
          const delta = obj(choice?.delta);
          const content = str(delta?.content);
          const reasoning = str(delta?.reasoning_content) ?? str(delta?.reasoning);
          if (content || reasoning) deltas.push({ type: 'DELTA', logId, content: content || null, reasoning: reasoning || null });
        },
      });
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      void stop.then(() => reader.cancel().catch(() => {}));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        for (const d of deltas.splice(0)) {
          ttftMs ??= elapsed();
          await push(d);
        }
      }
      parser.feed(`${decoder.decode()}\n\n`);
      for (const d of deltas.splice(0)) await push(d);
      if (streamError) await push({ type: 'ERROR', logId, status: response.status, error: streamError, ttftMs, durationMs: elapsed() });
      else await push({ type: 'DONE', logId, status: response.status, finishReason, usage, ttftMs, durationMs: elapsed() });
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
