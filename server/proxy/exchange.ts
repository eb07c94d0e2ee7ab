/**
 * One `/v1` exchange from its first byte to its log entry: the only writer of a LogRow. The
 * pipeline's steps report to it (what was asked, where it went, what came back, how a stream
 * ended) and it ends exactly once, with metrics always and a log entry when logging is on.
 */
import type { Json, LoggedJson } from '../json.ts';
import type { LogRecorder } from '../logs/recorder.ts';
import type { ProxyMetrics } from '../metrics.ts';
import { type HeaderRecord, redactHeaders, redactUrl } from '../redact.ts';
import type { Usage } from '../openai/usage.ts';
import type { PriceBook } from '../cost/prices.ts';
import { completionText, promptText, type TokenCounter } from '../cost/tokens.ts';
import { NULL_LOG_FIELDS } from '../store/schema.ts';
import type { ConfigRow, LogRow, LogSummary } from '../store/types.ts';

/** What the admit step grants (admit.ts): held for the length of an exchange, released when it ends. */
export interface Admission {
  /** Headers the answer carries (a client key's x-ratelimit-*). */
  readonly headers?: Record<string, string>;
  /** The exchange ended: its real use (tokens null when unknown, cost null when unpriced), and whether it failed. */
  release(outcome: ExchangeUse): void;
}

export interface ExchangeUse {
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  costUsd: number | null;
  failed: boolean;
}

/** Where an exchange ends up: the proxy's deps, shared by every exchange. */
export interface ExchangeSinks {
  recorder: LogRecorder;
  metrics: ProxyMetrics;
  /** logRequests false: nothing is captured or stored; metrics still count. */
  settings: { readonly logRequests: boolean };
  /** Prices each exchange (cost/prices.ts); none: costUsd stays null. */
  prices?: PriceBook;
  /** Counts each client key's exchanges toward its budget (keys/budgets.ts). */
  usage?: { record(row: LogSummary): void };
  /** Counts the tokens of answers that came without usage; none: their tokens stay unknown. */
  tokens?: TokenCounter;
}

export interface ExchangeStart {
  request: Request;
  pathname: string;
  ip: string | null;
  /** The log entry's id, when the caller chose it up front (the admin's chat). */
  logId?: string;
}

/** How an exchange ended; what is not given keeps the value an earlier step reported. */
export interface ExchangeOutcome {
  statusCode?: number;
  error?: string | null;
  responseBody?: LoggedJson;
  responseHeaders?: Json;
  usage?: Usage | null;
  /** When the answer's last byte went out; now, when not given. */
  durationMs?: number;
}

/** What the log keeps of a stream that ended (cleanly or not). */
export interface StreamEnd {
  ttftMs: number | null;
  durationMs: number;
  text: string | null;
  chunks: Json[];
  body: LoggedJson;
  usage: Usage | null;
  error: string | null;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export class Exchange {
  readonly startedAt = performance.now();
  /** The client's headers, read once. */
  readonly incoming: HeaderRecord;
  private readonly row: LogRow;
  private finished = false;
  private streaming = false;
  private admission: Admission | null = null;
  private config: ConfigRow | null = null;
  /** Attempts that failed before the one that answered (attempts.ts); null until one fails. */
  private failedAttempts: Json[] | null = null;
  /** Whether a backend's answer reached responseHead (the last attempt answered). */
  private answered = false;
  /** An attempt was sent and has neither answered nor been recorded as failed (the client left, say). */
  private inFlight = false;

  private constructor(private readonly sinks: ExchangeSinks, start: ExchangeStart) {
    this.incoming = start.request.headers.toJSON();
    this.row = newRow(start, this.incoming, sinks.settings.logRequests);
  }

  static start(sinks: ExchangeSinks, start: ExchangeStart): Exchange {
    const ex = new Exchange(sinks, start);
    sinks.metrics.started();
    return ex;
  }

  get id(): string {
    return this.row.id;
  }

  get logging(): boolean {
    return this.sinks.settings.logRequests;
  }

  /** ms since the exchange began. */
  elapsed(): number {
    return performance.now() - this.startedAt;
  }

  /** The model the client asked for (also for GET /v1/models/{id}). */
  requestedModel(model: string): void {
    this.row.model = model;
  }

  /** The request body as the log keeps it (also a refused one: it is what a user debugging a 400 needs). */
  requestBody(body: LoggedJson): void {
    this.row.requestBody = body;
  }

  /** What the admit step granted; released when the exchange finishes. */
  /** Who sent it: a client key, or the admin (chat, Test button). */
  client(key: { id: string; name: string } | null, internal: boolean): void {
    if (key) {
      this.row.apiKeyId = key.id;
      this.row.apiKeyName = key.name;
    } else if (internal) this.row.apiKeyName = 'admin';
  }

  /** Lite Proxy answered with an error of its own (counted by reason when it is a key's refusal). */
  refused(code: string): void {
    this.sinks.metrics.refused(code);
  }

  admitted(admission: Admission): void {
    this.admission = admission;
  }

  /** The config an attempt goes to. */
  routed(config: ConfigRow, upstreamUrl: string): void {
    this.config = config;
    this.inFlight = true;
    this.row.configId = config.id;
    this.row.backendModel = config.backendModelName;
    this.row.upstreamUrl = redactUrl(upstreamUrl);
  }

  /** An attempt that failed and was followed by another, or that was the last and answered nothing. */
  attemptFailed(config: ConfigRow, error: string, statusCode: number | null, startedAtMs: number): void {
    const now = this.elapsed();
    this.inFlight = false;
    this.sinks.metrics.attemptFailed(config.proxyModelName);
    (this.failedAttempts ??= []).push({
      configId: config.id, model: config.proxyModelName, backendModel: config.backendModelName, upstreamUrl: this.row.upstreamUrl, statusCode, error,
      ttftMs: statusCode === null ? null : round(now - startedAtMs), durationMs: round(now - startedAtMs),
    });
  }

  /**
   * Fills attemptCount, and attempts when there was more than one or a fallback group's config
   * answered (the last: the one that answered, or the one the client left during).
   */
  private countAttempts(row: LogRow): void {
    const last = this.answered || this.inFlight ? 1 : 0;
    row.attemptCount = (this.failedAttempts?.length ?? 0) + last;
    const fellBack = last === 1 && this.config !== null && row.model !== null && this.config.proxyModelName !== row.model;
    if (!this.failedAttempts && !fellBack) return;
    const failed = (this.failedAttempts ??= []);
    if (last === 1) {
      failed.push({
        configId: row.configId, model: this.config?.proxyModelName ?? null, backendModel: row.backendModel, upstreamUrl: row.upstreamUrl, statusCode: row.statusCode, error: row.error,
        ttftMs: row.ttftMs, durationMs: row.durationMs,
      });
    }
    row.attempts = failed;
  }

  /** How many attempts failed so far. */
  get attemptCount(): number {
    return this.failedAttempts?.length ?? 0;
  }

  /** The backend's status and headers arrived. */
  responseHead(status: number, headers: HeaderRecord): void {
    this.answered = true;
    this.inFlight = false;
    this.row.statusCode = status;
    this.row.ttftMs = round(this.elapsed());
    if (this.sinks.settings.logRequests) this.row.responseHeaders = redactHeaders(headers);
  }

  /** An SSE answer starts: counted in the open-streams gauge until the exchange finishes. */
  streamStarted(): void {
    this.row.stream = true;
    this.streaming = true;
    this.sinks.metrics.streamOpened();
  }

  streamEnded(end: StreamEnd): void {
    Object.assign(this.row, {
      ttftMs: end.ttftMs === null ? this.row.ttftMs : round(end.ttftMs),
      durationMs: round(end.durationMs),
      streamContent: end.text,
      chunks: end.chunks,
      responseBody: end.body,
    });
    this.finish({ usage: end.usage, error: end.error });
  }

  /** Ends the exchange exactly once. */
  finish(outcome: ExchangeOutcome = {}): void {
    if (this.finished) return;
    this.finished = true;
    const row = this.row;
    if (outcome.statusCode !== undefined) row.statusCode = outcome.statusCode;
    if (outcome.error !== undefined) row.error = outcome.error;
    if (outcome.responseBody !== undefined) row.responseBody = outcome.responseBody;
    if (outcome.responseHeaders !== undefined) row.responseHeaders = outcome.responseHeaders;
    if (outcome.durationMs !== undefined) row.durationMs = round(outcome.durationMs);
    else if (row.durationMs === 0) row.durationMs = round(this.elapsed());
    if (outcome.usage === undefined) return this.close(row, undefined);
    // A text answer that came without usage: its tokens are counted (in the tokenizer's Worker) before
    // the exchange is closed, so that stats, costs and the key's budget see it.
    const texts = outcome.usage === null && this.config && row.statusCode >= 200 && row.statusCode < 300 && this.sinks.tokens ? this.textsOf(row) : null;
    if (!texts) return this.close(row, outcome.usage);
    row.usageEstimated = true;
    const estimated = ([promptTokens, completionTokens]: number[]) =>
      this.close(row, { promptTokens: promptTokens!, completionTokens: completionTokens!, totalTokens: promptTokens! + completionTokens! });
    const counted = this.sinks.tokens!.count(texts);
    if (Array.isArray(counted)) estimated(counted);
    else void counted.then(estimated);
  }

  /** The request's and the answer's text, when there is any to count (cost/tokens.ts). */
  private textsOf(row: LogRow): [string, string] | null {
    const prompt = promptText(row.requestBody);
    const completion = completionText(row.streamContent, row.responseBody);
    return prompt === '' && completion === '' ? null : [prompt, completion];
  }

  /** The exchange's end told to everyone: its usage and cost, the admission, the key's use, metrics, the log. */
  private close(row: LogRow, usage: Usage | null | undefined): void {
    if (usage !== undefined) {
      row.promptTokens = usage?.promptTokens ?? null;
      row.completionTokens = usage?.completionTokens ?? null;
      row.totalTokens = usage?.totalTokens ?? null;
      if (this.sinks.prices) row.costUsd = this.sinks.prices.costOf(this.config, usage);
    }
    this.admission?.release({
      promptTokens: row.promptTokens, completionTokens: row.completionTokens, totalTokens: row.totalTokens, costUsd: row.costUsd,
      failed: row.statusCode === 0 || row.statusCode >= 400,
    });
    this.countAttempts(row);
    if (row.apiKeyId) this.sinks.usage?.record(row);
    if (this.streaming) this.sinks.metrics.streamClosed();
    this.sinks.metrics.ended(row);
    if (this.sinks.settings.logRequests) this.sinks.recorder.record(row);
  }
}

/** A new row: every nullable field null (store/schema.ts), the rest known from the request. */
function newRow(start: ExchangeStart, incoming: HeaderRecord, logging: boolean): LogRow {
  return {
    ...NULL_LOG_FIELDS,
    id: start.logId ?? Bun.randomUUIDv7(),
    timestamp: new Date(),
    method: start.request.method,
    path: start.pathname,
    statusCode: 0,
    stream: false,
    durationMs: 0,
    clientIp: start.ip,
    userAgent: (incoming['user-agent'] as string | undefined) ?? null,
    // Redacted only when it will be stored.
    requestHeaders: logging ? redactHeaders(incoming) : null,
  };
}
