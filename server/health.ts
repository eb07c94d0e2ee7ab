/**
 * Whether logs are safe: the store's reachability (a ping every few seconds, so that a store that
 * went down is known even while nothing is written) and the at-risk policy that /health, the
 * GraphQL `health` query and /metrics all read.
 */
import type { LogRecorder, RecorderStatus } from './logs/recorder.ts';
import type { Retention, RetentionStatus } from './logs/retention.ts';
import type { Store } from './store/types.ts';
import { VERSION } from './version.ts';

/** Writes failing this long, or a queue this full, put logs at risk: /health answers 503. */
export const STORE_DOWN_UNHEALTHY_MS = 30_000;
const QUEUE_AT_RISK = 0.8;
const SPOOL_AT_RISK = 0.9;

export interface PingStatus {
  reachable: boolean;
  downSince: Date | null;
  lastError: string | null;
}

/** Pings the store in the background and remembers since when it fails. */
export class StoreWatch {
  private timer: Timer | null = null;
  private readonly state: PingStatus = { reachable: true, downSince: null, lastError: null };
  private readonly report: (message: string) => void;

  constructor(private readonly opts: { store: Store; everyMs?: number; report?: (message: string) => void }) {
    this.report = opts.report ?? ((m) => console.error(m));
  }

  start(): void {
    void this.ping();
    this.timer = setInterval(() => void this.ping(), this.opts.everyMs ?? 5_000);
    // Housekeeping alone must not keep the process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  status(): PingStatus {
    return { ...this.state };
  }

  async ping(): Promise<void> {
    try {
      await this.opts.store.ping();
      if (!this.state.reachable) this.report('[store] reachable again');
      this.state.reachable = true;
      this.state.downSince = null;
    } catch (err) {
      if (this.state.reachable) this.report(`[store] unreachable: ${String(err)}`);
      this.state.reachable = false;
      this.state.downSince ??= new Date();
      this.state.lastError = String(err);
    }
  }
}

export interface HealthReport {
  /** degraded: the store fails but logs are not at risk yet; unavailable: they are (503). */
  status: 'ok' | 'degraded' | 'unavailable';
  version: string;
  storeKind: string;
  /** The store answers pings and takes writes. */
  storeOk: boolean;
  /** Since when pings or writes have been failing, whichever began first. */
  failingSince: Date | null;
  recorder: RecorderStatus;
  ping: PingStatus;
  retention: RetentionStatus;
  retentionDays: number;
  maxRows: number | null;
  /** Entries an upgrade still moves to the current layout (0: none). */
  upgradePendingRows: number;
}

export interface HealthSources {
  store: Store;
  recorder: LogRecorder;
  watch: StoreWatch;
  retention: Retention;
  logQueueMax: number;
  retentionDays: number;
  maxRows: number | null;
  /** How long failing writes or pings may last before logs count as at risk (tests shorten it). */
  unhealthyAfterMs?: number;
}

export function assessHealth(s: HealthSources, now = Date.now()): HealthReport {
  const recorder = s.recorder.status();
  const ping = s.watch.status();
  // Unreachable (pings fail) or refusing writes while it answers pings (disk full, read-only).
  const since = [ping.downSince, recorder.failingSince].filter((d): d is Date => d !== null);
  const failingSince = since.length > 0 ? new Date(Math.min(...since.map((d) => d.getTime()))) : null;
  // With a spool, entries are safe on disk however long the outage: at risk only when it is nearly
  // full, or when its disk refuses it too (its entries then wait in memory).
  const atRisk = recorder.spoolMaxBytes !== null
    ? recorder.spoolBytes >= SPOOL_AT_RISK * recorder.spoolMaxBytes || recorder.spoolFailing !== null
    : (failingSince !== null && now - failingSince.getTime() >= (s.unhealthyAfterMs ?? STORE_DOWN_UNHEALTHY_MS))
      || recorder.queueDepth >= QUEUE_AT_RISK * s.logQueueMax;
  const storeOk = recorder.storeOk && ping.reachable;
  return {
    status: atRisk ? 'unavailable' : storeOk ? 'ok' : 'degraded',
    version: VERSION,
    storeKind: s.store.kind,
    storeOk,
    failingSince,
    recorder,
    ping,
    retention: s.retention.status(),
    retentionDays: s.retentionDays,
    maxRows: s.maxRows,
    upgradePendingRows: s.store.upgradePendingRows(),
  };
}
