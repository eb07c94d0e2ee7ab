/**
 * Realistic log entries for the logs scenario, made up deterministically (a seeded generator): the
 * same N gives the same entries but for their ids. Self-contained (no imports), because it also runs
 * inside a checkout of 0.1.0, where bench/fill-0.1.0.ts hands the rows to 0.1.0's own recorder.
 *
 * The mix: 4 chat models and an embedding model, each behind a config; paths mostly
 * /v1/chat/completions, ~15 % /v1/embeddings, some /v1/completions and /v1/responses, a few
 * GET /v1/models; ~95 % 200, ~3 % 4xx, ~2 % 5xx; 40 % streams (10–30 chunks, the reply text and the
 * assembled answer); request and response bodies of 1–3 KB; redacted request headers.
 */

/** Bump when the entries change: cached fills of another version are made again. */
export const LOG_ROWS_VERSION = 1;

/** Any JSON value, as 0.1.0's store types say it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface FillConfig {
  id: string;
  proxyModelName: string;
  baseUrl: string;
  backendModelName: string;
}

/** A log entry in 0.1.0's LogRow shape, its bodies as JSON text (the filler wraps them in JsonText). */
export interface FillRow {
  id: string;
  timestamp: Date;
  method: string;
  path: string;
  model: string | null;
  backendModel: string | null;
  configId: string | null;
  upstreamUrl: string | null;
  statusCode: number;
  stream: boolean;
  durationMs: number;
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  error: string | null;
  clientIp: string | null;
  userAgent: string | null;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  streamContent: string | null;
  chunks: JsonObject[] | null;
}

interface Model { name: string; backend: string; host: string; weight: number }

/** Chat models with their share of chat, completion and responses traffic. */
const CHAT_MODELS: Model[] = [
  { name: 'gpt-4o-mini', backend: 'gpt-4o-mini-2024-07-18', host: 'openai.invalid', weight: 0.35 },
  { name: 'gpt-4o', backend: 'gpt-4o-2024-11-20', host: 'openai.invalid', weight: 0.25 },
  { name: 'llama-3.3-70b', backend: 'llama-3.3-70b-versatile', host: 'groq.invalid', weight: 0.25 },
  { name: 'deepseek-chat', backend: 'deepseek-chat', host: 'deepseek.invalid', weight: 0.15 },
];
const EMBEDDING_MODEL: Model = { name: 'text-embedding-3-small', backend: 'text-embedding-3-small', host: 'openai.invalid', weight: 1 };

/** The model the scenario's model filters use: a quarter of the chat traffic. */
export const FILTER_MODEL = 'gpt-4o';

const WORDS = (
  'the a of to and in is it you that for on with as are this be at or have from by not but what all were when we there can ' +
  'an your which their said if do will each about how up out them then she many some so these would other into has more her two ' +
  'like him see time could no make than first been its who now people my made over did down only way find use may water long ' +
  'little very after words called just where most know get through back much before go good new write our used me man too any ' +
  'day same right look think also around another came come work three word must because does part even place well such here take ' +
  'why things help put years different away again off went old number great tell men say small every found still between name ' +
  'should home big give air line set own under read last never us left end along while might next sound below saw something ' +
  'thought both few those always looked show large often together asked house world going want school important until form food ' +
  'keep children feet land side without boy once animals life enough took sometimes four head above kind began almost live page ' +
  'got earth need far hand high year mother light parts country father let night following picture being study second eyes soon ' +
  'times story boys since white days ever paper hard near sentence better best across during today others however sure means knew ' +
  'invoice refund shipping customer order account password database query index latency cache server deploy kubernetes function ' +
  'python typescript error exception stack trace summary translate german french recipe weather schedule meeting budget report'
).split(' ');

const SYSTEM_PROMPTS = [
  'You are a helpful assistant. Answer concisely and cite the documents you were given.',
  'You are a customer support agent for an online shop. Be polite, never promise refunds without an order number.',
  'You translate the user\'s text into English, keeping the formatting and the tone.',
  'You are a senior engineer reviewing code. Point out bugs first, style last.',
  'Extract the fields requested by the user as JSON. Output nothing else.',
];
const USER_AGENTS = ['OpenAI/Python 1.54.3', 'OpenAI/JS 4.73.0', 'langchain-openai/0.2.10', 'curl/8.5.0', 'LiteLLM/1.55.2'];
const CLIENT_IPS = ['10.0.3.17', '10.0.3.18', '10.0.7.42', '172.18.0.5', '192.168.1.20', '127.0.0.1'];

/** mulberry32: small, fast and good enough to pick words. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class LogRowGenerator {
  private readonly random: () => number;
  private readonly sentences: string[];
  readonly configs: FillConfig[];
  private readonly configOf = new Map<string, FillConfig>();
  private seq = 0;

  /** `uuid(ms)` makes an id for a time: Bun.randomUUIDv7, as 0.1.0 makes them. */
  constructor(private readonly opts: { seed: number; uuid: (ms: number) => string; configsCreatedAt: number }) {
    this.random = rng(opts.seed);
    this.sentences = Array.from({ length: 4_000 }, () => this.sentence());
    this.configs = [...CHAT_MODELS, EMBEDDING_MODEL].map((m) => ({
      id: opts.uuid(opts.configsCreatedAt),
      proxyModelName: m.name,
      baseUrl: `https://${m.host}/v1`,
      backendModelName: m.backend,
    }));
    for (const c of this.configs) this.configOf.set(c.proxyModelName, c);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  private sentence(): string {
    const n = this.int(5, 22);
    const words = Array.from({ length: n }, () => this.pick(WORDS));
    words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
    return `${words.join(' ')}${this.pick(['.', '.', '.', '?', '!'])}`;
  }

  /** Text of about `chars` characters, sentence by sentence. */
  private text(chars: number): string {
    let out = '';
    while (out.length < chars) out += (out ? ' ' : '') + this.pick(this.sentences);
    return out;
  }

  private hex(n: number): string {
    let s = '';
    while (s.length < n) s += Math.floor(this.random() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }

  private chatModel(): Model {
    let r = this.random();
    for (const m of CHAT_MODELS) {
      if ((r -= m.weight) < 0) return m;
    }
    return CHAT_MODELS[0]!;
  }

  /** The entry at `timestamp` (ms); call with increasing timestamps. */
  next(timestamp: number): FillRow {
    this.seq++;
    const r = this.random();
    const path = r < 0.7 ? '/v1/chat/completions' : r < 0.85 ? '/v1/embeddings' : r < 0.92 ? '/v1/completions' : r < 0.995 ? '/v1/responses' : '/v1/models';
    const method = path === '/v1/models' ? 'GET' : 'POST';
    const model = path === '/v1/embeddings' ? EMBEDDING_MODEL : this.chatModel();
    const s = this.random();
    const outcome = path === '/v1/models' ? 'ok' : s < 0.03 ? 'client-error' : s < 0.05 ? 'server-error' : 'ok';
    // 40 % of all entries stream: the chat-like paths (82 % of the traffic) stream half the time.
    const stream = (path === '/v1/chat/completions' || path === '/v1/completions' || path === '/v1/responses') && this.random() < 0.49;
    const ua = this.pick(USER_AGENTS);
    const requestBody = method === 'GET' ? null : this.requestBody(path, model, stream);
    const requestHeaders: Record<string, string> = {
      host: 'llm-proxy.internal:8080',
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      authorization: '[redacted]',
      'user-agent': ua,
      'x-stainless-lang': ua.startsWith('OpenAI/Python') ? 'python' : 'js',
      'x-request-trace': this.hex(16),
      ...(requestBody ? { 'content-length': String(requestBody.length) } : {}),
    };
    const base: FillRow = {
      id: this.opts.uuid(timestamp),
      timestamp: new Date(timestamp),
      method,
      path,
      model: method === 'GET' ? null : model.name,
      backendModel: null,
      configId: null,
      upstreamUrl: null,
      statusCode: 200,
      stream: false,
      durationMs: 0,
      ttftMs: null,
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
      error: null,
      clientIp: this.pick(CLIENT_IPS),
      userAgent: ua,
      requestHeaders,
      requestBody,
      responseHeaders: null,
      responseBody: null,
      streamContent: null,
      chunks: null,
    };
    if (path === '/v1/models') return this.modelsList(base);
    if (outcome === 'client-error' && this.random() < 0.4) return this.unknownModel(base);
    const config = this.configOf.get(model.name)!;
    Object.assign(base, {
      backendModel: model.backend,
      configId: config.id,
      upstreamUrl: `${config.baseUrl}${path.slice(3)}`,
      stream,
    });
    if (outcome === 'client-error') return this.backendError(base, this.pick([400, 400, 401, 429]));
    if (outcome === 'server-error') return this.backendError(base, this.pick([500, 502, 503, 503]));
    return stream ? this.streamed(base, path, model) : this.answered(base, path, model);
  }

  private requestBody(path: string, model: Model, stream: boolean): string {
    const size = this.int(1024, 3072);
    if (path === '/v1/embeddings') {
      const input: string[] = [];
      let n = 60;
      while (n < size) {
        const t = this.text(this.int(80, 400));
        input.push(t);
        n += t.length + 3;
      }
      return JSON.stringify({ model: model.name, input, encoding_format: 'float', ...(this.random() < 0.3 ? { dimensions: 512 } : {}) });
    }
    if (path === '/v1/completions') {
      return JSON.stringify({ model: model.name, prompt: this.text(size - 120), max_tokens: this.int(64, 512), temperature: this.int(0, 10) / 10, stream, ...(stream ? {} : { n: 1 }) });
    }
    if (path === '/v1/responses') {
      return JSON.stringify({
        model: model.name, instructions: this.pick(SYSTEM_PROMPTS), stream,
        input: [{ role: 'user', content: [{ type: 'input_text', text: this.text(size - 250) }] }],
        ...(this.random() < 0.3 ? { tools: [{ type: 'web_search_preview' }] } : {}),
      });
    }
    const messages: { role: string; content: string }[] = [{ role: 'system', content: this.pick(SYSTEM_PROMPTS) }];
    let n = 200;
    const turns = this.int(1, 3);
    for (let i = 0; i < turns; i++) {
      const content = this.text(Math.max(40, (size - n) / (turns - i) / (i < turns - 1 ? 2 : 1)));
      messages.push({ role: 'user', content });
      n += content.length + 30;
      if (i < turns - 1) {
        const reply = this.text(Math.max(40, (size - n) / (turns - i) / 2));
        messages.push({ role: 'assistant', content: reply });
        n += reply.length + 35;
      }
    }
    return JSON.stringify({
      model: model.name, messages, stream,
      ...(stream && this.random() < 0.7 ? { stream_options: { include_usage: true } } : {}),
      temperature: this.int(0, 12) / 10,
      ...(this.random() < 0.5 ? { max_tokens: this.int(128, 4096) } : {}),
      ...(this.random() < 0.2 ? {
        tools: [{ type: 'function', function: { name: 'lookup_order', description: 'Finds an order by its number', parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] } } }],
        tool_choice: 'auto',
      } : {}),
      ...(this.random() < 0.3 ? { user: `user-${this.int(1, 500)}` } : {}),
    });
  }

  private responseHeaders(contentType: string): Record<string, string> {
    return {
      'content-type': contentType,
      'x-request-id': `req_${this.hex(24)}`,
      'openai-processing-ms': String(this.int(80, 4000)),
      'x-ratelimit-remaining-requests': String(this.int(100, 9999)),
      'x-ratelimit-remaining-tokens': String(this.int(10_000, 2_000_000)),
      'cf-ray': `${this.hex(16)}-FRA`,
    };
  }

  private usage(row: FillRow, prompt: number, completion: number): void {
    row.promptTokens = prompt;
    row.completionTokens = completion;
    row.totalTokens = prompt + completion;
  }

  private answered(row: FillRow, path: string, model: Model): FillRow {
    const size = this.int(1024, 3072);
    const created = Math.floor(row.timestamp.getTime() / 1000);
    const prompt = Math.round((row.requestBody?.length ?? 0) / 4);
    row.durationMs = Math.round((150 + this.random() ** 2 * 6000) * 10) / 10;
    row.ttftMs = Math.round(row.durationMs * (0.85 + this.random() * 0.1) * 10) / 10;
    row.responseHeaders = this.responseHeaders('application/json');
    if (path === '/v1/embeddings') {
      const embedding = Array.from({ length: Math.round(size / 11) }, () => Math.round((this.random() - 0.5) * 2e6) / 1e7);
      row.responseBody = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding }], model: model.backend, usage: { prompt_tokens: prompt, total_tokens: prompt } });
      this.usage(row, prompt, 0);
      row.completionTokens = null;
      return row;
    }
    const content = this.text(size - 400);
    const completion = Math.round(content.length / 4);
    this.usage(row, prompt, completion);
    row.responseBody = JSON.stringify(this.assembled(path, model, created, content, prompt, completion));
    return row;
  }

  private assembled(path: string, model: Model, created: number, content: string, prompt: number, completion: number) {
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    if (path === '/v1/completions') {
      return { id: `cmpl-${this.hex(24)}`, object: 'text_completion', created, model: model.backend, choices: [{ index: 0, text: content, logprobs: null, finish_reason: 'stop' }], usage };
    }
    if (path === '/v1/responses') {
      return {
        id: `resp_${this.hex(32)}`, object: 'response', created_at: created, status: 'completed', model: model.backend,
        output: [{ type: 'message', id: `msg_${this.hex(32)}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: content, annotations: [] }] }],
        usage: { input_tokens: prompt, output_tokens: completion, total_tokens: prompt + completion },
      };
    }
    return {
      id: `chatcmpl-${this.hex(24)}`, object: 'chat.completion', created, model: model.backend, system_fingerprint: `fp_${this.hex(10)}`,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage,
    };
  }

  private streamed(row: FillRow, path: string, model: Model): FillRow {
    const created = Math.floor(row.timestamp.getTime() / 1000);
    const count = this.int(10, 30);
    const content = this.text(this.int(700, 2400));
    const prompt = Math.round((row.requestBody?.length ?? 0) / 4);
    const completion = Math.round(content.length / 4);
    // The reply cut into `count` pieces at word boundaries.
    const words = content.split(' ');
    const pieces: string[] = [];
    const per = Math.ceil(words.length / count);
    for (let i = 0; i < words.length; i += per) pieces.push(`${i > 0 ? ' ' : ''}${words.slice(i, i + per).join(' ')}`);
    const id = path === '/v1/responses' ? `resp_${this.hex(32)}` : `${path === '/v1/completions' ? 'cmpl' : 'chatcmpl'}-${this.hex(24)}`;
    let chunks: JsonObject[];
    if (path === '/v1/completions') {
      chunks = pieces.map((text, i) => ({ id, object: 'text_completion', created, model: model.backend, choices: [{ text, index: 0, logprobs: null, finish_reason: i === pieces.length - 1 ? 'stop' : null }] }));
    } else if (path === '/v1/responses') {
      const item = `msg_${this.hex(32)}`;
      chunks = [
        { type: 'response.created', sequence_number: 0, response: { id, object: 'response', created_at: created, status: 'in_progress', model: model.backend, output: [] } },
        ...pieces.map((delta, i) => ({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: item, output_index: 0, content_index: 0, delta })),
        { type: 'response.completed', sequence_number: pieces.length + 1, response: { id, object: 'response', created_at: created, status: 'completed', model: model.backend, usage: { input_tokens: prompt, output_tokens: completion, total_tokens: prompt + completion } } },
      ];
    } else {
      const chunk = (delta: JsonObject, finish: string | null): JsonObject => ({ id, object: 'chat.completion.chunk', created, model: model.backend, system_fingerprint: 'fp_bench', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
      chunks = [chunk({ role: 'assistant', content: '' }, null), ...pieces.map((c) => chunk({ content: c }, null)), chunk({}, 'stop')];
      if (this.random() < 0.7) chunks.push({ id, object: 'chat.completion.chunk', created, model: model.backend, choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } });
    }
    row.chunks = chunks;
    row.streamContent = content;
    row.responseBody = JSON.stringify(this.assembled(path, model, created, content, prompt, completion));
    row.responseHeaders = this.responseHeaders('text/event-stream; charset=utf-8');
    row.ttftMs = Math.round((120 + this.random() ** 2 * 2500) * 10) / 10;
    row.durationMs = Math.round((row.ttftMs + count * (20 + this.random() * 60)) * 10) / 10;
    this.usage(row, prompt, completion);
    return row;
  }

  private backendError(row: FillRow, status: number): FillRow {
    const messages: Record<number, [string, string]> = {
      400: ['invalid_request_error', "Invalid value for 'messages[1].content': expected a string or an array of content parts."],
      401: ['invalid_request_error', 'Incorrect API key provided: sk-proj-****************************Xq1A.'],
      429: ['rate_limit_error', 'Rate limit reached for requests per minute (RPM): Limit 500, Used 500, Requested 1.'],
      500: ['server_error', 'The server had an error while processing your request. Sorry about that!'],
      502: ['api_error', 'Backend unreachable: connect ECONNREFUSED'],
      503: ['server_error', 'The engine is currently overloaded, please try again later.'],
    };
    const [type, message] = messages[status]!;
    row.statusCode = status;
    row.stream = false;
    row.durationMs = Math.round((20 + this.random() * (status >= 500 ? 30_000 : 400)) * 10) / 10;
    row.ttftMs = status === 502 ? null : row.durationMs;
    row.error = `Backend answered ${status}: ${message}`;
    row.responseHeaders = this.responseHeaders('application/json');
    row.responseBody = JSON.stringify({ error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } });
    return row;
  }

  private unknownModel(row: FillRow): FillRow {
    const name = `${row.model}-${this.pick(['preview', 'latest', 'turbo', 'v2'])}`;
    row.model = name;
    row.statusCode = 404;
    row.durationMs = Math.round(this.random() * 30) / 100;
    row.error = `The model \`${name}\` does not exist or you do not have access to it.`;
    row.responseBody = JSON.stringify({ error: { message: row.error, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    row.responseHeaders = { 'content-type': 'application/json' };
    return row;
  }

  private modelsList(row: FillRow): FillRow {
    row.durationMs = Math.round(this.random() * 50) / 100;
    row.responseHeaders = { 'content-type': 'application/json' };
    row.responseBody = JSON.stringify({
      object: 'list',
      data: this.configs.map((c) => ({ id: c.proxyModelName, object: 'model', created: Math.floor(this.opts.configsCreatedAt / 1000), owned_by: 'lite-proxy' })),
    });
    return row;
  }
}
