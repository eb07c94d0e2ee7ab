/**
 * Token counts for an exchange whose backend reported no usage (some local servers, some
 * gateways): counted with gpt-tokenizer (o200k_base, the encoding of OpenAI's current models) from
 * the request's text and the answer's text, so that stats, costs and client-key budgets never miss
 * an exchange. The entry is marked `usageEstimated`. The counting runs in a Worker (the proxy's
 * event loop never waits on it); at most COUNTED_CHARS of each side are counted and the rest is
 * scaled.
 */
import { isObj } from '../openai/chunks.ts';
import { type Json, JsonText, type LoggedJson } from '../json.ts';

/** Characters counted exactly on each side; beyond them the count is scaled. */
const COUNTED_CHARS = 32 * 1024;
/** How long a count may take before 4 characters a token is used instead. */
const COUNT_WAIT_MS = 5_000;

/** The first COUNTED_CHARS of a text, and how much longer the whole is. */
const sample = (text: string) => (text.length > COUNTED_CHARS ? { part: text.slice(0, COUNTED_CHARS), scale: text.length / COUNTED_CHARS } : { part: text, scale: 1 });
const roughly = (text: string) => Math.ceil(text.length / 4);

/**
 * Counts tokens in a Worker of its own (token-worker.ts), started on the first count: most
 * installations never need it (their backends report usage), and its tables cost memory.
 */
export class TokenCounter {
  private worker: (Worker & { ref(): void; unref(): void }) | null = null;
  private readonly waiting = new Map<number, (counts: number[] | null) => void>();
  private nextId = 1;
  private broken = false;
  private loaded = false;
  private loading: Promise<void> | null = null;

  /**
   * Tokens in each text. Until the tables have loaded (in the Worker, started by the first count,
   * about two seconds) and when the Worker fails, 4 characters a token, at once: an exchange is
   * never held back by the loading.
   */
  count(texts: string[]): number[] | Promise<number[]> {
    if (!this.loaded || this.broken) {
      if (!this.broken) void this.ready();
      return texts.map(roughly);
    }
    const samples = texts.map(sample);
    return this.ask(samples.map((x) => x.part)).then((counts) => texts.map((t, i) => (counts ? Math.round(counts[i]! * samples[i]!.scale) : roughly(t))));
  }

  /** Resolves once the tables have loaded (or failed to): starts the Worker if needed. */
  ready(): Promise<void> {
    this.loading ??= this.ask(['']).then(() => {
      this.loaded = true;
    });
    return this.loading;
  }

  close(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private ask(texts: string[]): Promise<number[] | null> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const done = (counts: number[] | null) => {
        clearTimeout(timer);
        if (!this.waiting.delete(id)) return;
        if (this.waiting.size === 0) worker.unref();
        resolve(counts);
      };
      const timer = setTimeout(() => done(null), COUNT_WAIT_MS);
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, done);
      worker.postMessage({ id, texts });
    });
  }

  private start(): Worker & { ref(): void; unref(): void } {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./token-worker.ts', import.meta.url)) as Worker & { ref(): void; unref(): void };
    worker.onmessage = (m: MessageEvent<{ id: number; counts?: number[]; error?: string }>) => {
      if (m.data.error && !this.broken) {
        this.broken = true;
        console.error(`[cost] the tokenizer failed; token estimates count 4 characters a token: ${m.data.error}`);
      }
      this.waiting.get(m.data.id)?.(m.data.counts ?? null);
    };
    worker.onerror = (e) => {
      this.broken = true;
      console.error(`[cost] the tokenizer stopped; token estimates count 4 characters a token: ${e.message}`);
      for (const done of [...this.waiting.values()]) done(null);
    };
    worker.unref();
    this.worker = worker;
    return worker;
  }
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
