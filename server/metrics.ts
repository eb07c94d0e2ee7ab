/**
 * Prometheus metrics (prom-client) for GET /metrics. The proxy reports each exchange once, when it
 * ends; queue, store and retention figures are read when Prometheus scrapes. Label values are
 * bounded: proxy and backend model names come from configs (requests that no config routed count
 * as "unrouted"), and status is the HTTP status code. No ids, paths or client text become labels.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthReport } from './health.ts';
import type { LogSummary } from './store/types.ts';

const HEALTH_LEVEL = { ok: 0, degraded: 1, unavailable: 2 } as const;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

export interface MetricsSources {
  /** Read at scrape time: the log queue, the store's state and size. */
  health: () => HealthReport;
  /** Read at scrape time: each enabled config's breaker state. */
  backends?: () => { configId: string; model: string; state: 'HEALTHY' | 'COOLING' | 'HALF_OPEN' }[];
}

/** What the proxy reports about one exchange. */
export type ExchangeReport = Pick<LogSummary, 'model' | 'backendModel' | 'configId' | 'statusCode' | 'durationMs' | 'ttftMs' | 'promptTokens' | 'completionTokens' | 'costUsd'>;

const BACKEND_LEVEL = { HEALTHY: 0, HALF_OPEN: 1, COOLING: 2 } as const;

/** The error codes of admit.ts's refusals. */
const REFUSALS = new Set(['invalid_api_key', 'model_not_allowed', 'rate_limit_exceeded', 'insufficient_quota']);

export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'model' | 'backend_model' | 'status'>;
  private readonly duration: Histogram<'model'>;
  private readonly ttft: Histogram<'model'>;
  private readonly tokens: Counter<'model' | 'type'>;
  private readonly cost: Counter<'model'>;
  private readonly refusals: Counter<'reason'>;
  private readonly failedAttempts: Counter<'model'>;
  private readonly overhead: Histogram;
  private readonly inFlight: Gauge;
  private readonly openStreams: Gauge;
  /** The health report of the scrape in progress. */
  private scraped: HealthReport | null = null;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'lite_proxy_requests_total', help: 'Finished /v1 exchanges by proxy model, backend model and HTTP status.',
      labelNames: ['model', 'backend_model', 'status'], registers,
    });
    this.duration = new Histogram({
      name: 'lite_proxy_request_duration_seconds', help: 'Time from a request arriving to its answer\'s last byte.',
      labelNames: ['model'], buckets: LATENCY_BUCKETS, registers,
    });
    this.ttft = new Histogram({
      name: 'lite_proxy_ttft_seconds', help: 'Time to the backend\'s first byte (first chunk of a stream, headers otherwise).',
      labelNames: ['model'], buckets: LATENCY_BUCKETS, registers,
    });
    this.tokens = new Counter({
      name: 'lite_proxy_tokens_total', help: 'Tokens the backends reported, by proxy model; type is prompt or completion.',
      labelNames: ['model', 'type'], registers,
    });
    this.cost = new Counter({
      name: 'lite_proxy_cost_usd_total', help: 'US dollars the exchanges cost (config prices or the price list), by proxy model; unpriced ones add nothing.',
      labelNames: ['model'], registers,
    });
    this.refusals = new Counter({
      name: 'lite_proxy_refusals_total',
      help: 'Requests Lite Proxy refused for their client key, by reason: invalid_api_key, model_not_allowed, rate_limit_exceeded, insufficient_quota.',
      labelNames: ['reason'], registers,
    });
    for (const reason of REFUSALS) this.refusals.inc({ reason }, 0);
    this.failedAttempts = new Counter({
      name: 'lite_proxy_attempt_failures_total',
      help: 'Backend attempts that failed (refused connection, timeout, a retried status) and were tried elsewhere or answered the client, by proxy model.',
      labelNames: ['model'], registers,
    });
    const backends = sources.backends;
    if (backends) {
      new Gauge({
        name: 'lite_proxy_backend_state', help: 'Each config\'s breaker: 0 healthy, 1 half-open (one probe may go), 2 cooling down.',
        labelNames: ['config', 'model'], registers,
        collect() {
          this.reset();
          for (const b of backends()) this.set({ config: b.configId, model: b.model }, BACKEND_LEVEL[b.state]);
        },
      });
    }
    this.overhead = new Histogram({
      name: 'lite_proxy_overhead_seconds', help: 'Time the proxy spent before sending a request upstream.',
      buckets: OVERHEAD_BUCKETS, registers,
    });
    this.inFlight = new Gauge({ name: 'lite_proxy_requests_in_flight', help: '/v1 exchanges not finished yet.', registers });
    this.openStreams = new Gauge({ name: 'lite_proxy_open_streams', help: 'SSE answers being passed to clients now.', registers });

    // Read once per scrape by every gauge below (render() takes it).
    const health = () => (this.scraped ??= sources.health());
    const recorder = () => health().recorder;
    new Gauge({
      name: 'lite_proxy_health', help: 'What /health says: 0 ok, 1 degraded (the store fails), 2 unavailable (log entries at risk; /health answers 503).', registers,
      collect() {
        this.set(HEALTH_LEVEL[health().status]);
      },
    });
    new Gauge({
      name: 'lite_proxy_log_queue_depth', help: 'Log entries waiting for the store.', registers,
      collect() {
        this.set(recorder().queueDepth);
      },
    });
    new Gauge({
      name: 'lite_proxy_log_spool_entries', help: 'Log entries in the spool on disk, waiting to be replayed into the store.', registers,
      collect() {
        this.set(recorder().spooled);
      },
    });
    totalFrom(registers, 'lite_proxy_log_writes_total', 'Log entries written to the store.', () => recorder().written);
    totalFrom(registers, 'lite_proxy_log_write_failures_total', 'Failed log batch writes.', () => recorder().writeFailures);
    totalFrom(registers, 'lite_proxy_log_dropped_total', 'Log entries dropped (queue full, or refused by the store).', () => recorder().dropped);
    totalFrom(registers, 'lite_proxy_log_retention_deleted_total', 'Log entries deleted by retention.', () => health().retention.retentionDeleted);
    new Gauge({
      name: 'lite_proxy_store_up', help: '1 while the store answers and takes writes.', labelNames: ['kind'], registers,
      collect() {
        const h = health();
        this.set({ kind: h.storeKind }, h.storeOk ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lite_proxy_store_log_rows', help: 'Log entries in the store at the last size check.', registers,
      collect() {
        const size = health().retention.size;
        if (size) this.set(size.logRows);
      },
    });
    new Gauge({
      name: 'lite_proxy_store_bytes', help: 'Bytes the store uses on disk at the last size check, when known.', registers,
      collect() {
        const bytes = health().retention.size?.bytes;
        if (bytes != null) this.set(bytes);
      },
    });
  }

  started(): void {
    this.inFlight.inc();
  }

  sent(overheadMs: number): void {
    this.overhead.observe(overheadMs / 1000);
  }

  streamOpened(): void {
    this.openStreams.inc();
  }

  streamClosed(): void {
    this.openStreams.dec();
  }

  ended(r: ExchangeReport): void {
    this.inFlight.dec();
    const model = r.configId !== null && r.model !== null ? r.model : 'unrouted';
    this.requests.inc({ model, backend_model: r.backendModel ?? 'none', status: String(r.statusCode) });
    this.duration.observe({ model }, r.durationMs / 1000);
    if (r.ttftMs !== null) this.ttft.observe({ model }, r.ttftMs / 1000);
    if (r.promptTokens) this.tokens.inc({ model, type: 'prompt' }, r.promptTokens);
    if (r.completionTokens) this.tokens.inc({ model, type: 'completion' }, r.completionTokens);
    if (r.costUsd) this.cost.inc({ model }, r.costUsd);
  }

  /** An attempt at a backend failed (attempts.ts). */
  attemptFailed(model: string | null): void {
    this.failedAttempts.inc({ model: model ?? 'unrouted' });
  }

  /** A request refused for its client key (admit.ts), by its error code. */
  refused(code: string): void {
    if (REFUSALS.has(code)) this.refusals.inc({ reason: code });
  }

  async render(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      this.scraped = null;
    }
  }
}

/** A counter whose value another component keeps (it only ever grows); read at scrape time. */
function totalFrom(registers: Registry[], name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name, help, registers,
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}
