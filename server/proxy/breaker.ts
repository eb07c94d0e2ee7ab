/**
 * Backend health per config, in memory: a circuit breaker. COOLDOWN_FAILURES consecutive failures,
 * or one 429, put a config in cooldown (a 429's for its retry-after; otherwise COOLDOWN_BASE_MS,
 * doubling at each new trip, up to COOLDOWN_MAX_MS). When the cooldown is over the config is
 * half-open: exactly one live request goes to it as a probe while the others go elsewhere; success
 * closes the breaker, failure opens it again for twice as long. Only the backend's failures count
 * (connection errors, timeouts, 5xx, 408, 429): client errors and disconnects never do.
 *
 * `Breakers` is the interface the route and attempt steps use; `MemoryBreakers` keeps the state in
 * this process (a later issue shares it across replicas). Synchronous: nothing here waits.
 */

export type BreakerState = 'HEALTHY' | 'COOLING' | 'HALF_OPEN';
export type Availability = 'yes' | 'probe' | 'cooling' | 'probing';

export interface BackendHealth {
  state: BreakerState;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** When a cooling config may be probed; null unless cooling. */
  cooldownUntil: Date | null;
}

export interface BreakerSettings {
  failures: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { failures: 3, baseMs: 5_000, maxMs: 300_000 };

export interface Breakers {
  /**
   * Whether a request may go to the config now: 'yes' (healthy), 'probe' (half-open with no probe
   * out: taking it makes this request the probe), 'cooling', or 'probing' (half-open, its probe out).
   */
  availability(configId: string, now: number): Availability;
  /** This request is the half-open config's probe. */
  takeProbe(configId: string): void;
  /** When a cooling config's cooldown ends (0 when it is not cooling). */
  cooldownEnd(configId: string): number;
  succeeded(configId: string, now: number): void;
  /** A failure of the backend; `retryAfterMs` from a 429's retry-after. */
  failed(configId: string, failure: { error: string; status: number | null; retryAfterMs: number | null }, now: number): void;
  health(configId: string, now: number): BackendHealth;
}

interface State {
  failures: number;
  /** Cooling until this time (ms); 0 when closed. */
  openUntil: number;
  /** The last cooldown's length, doubled by the next trip. */
  lastCooldownMs: number;
  probing: boolean;
  lastError: string | null;
  lastErrorAt: number | null;
  /** When the breaker last closed (ms). */
  closedAt: number;
}

const HEALTHY: BackendHealth = { state: 'HEALTHY', consecutiveFailures: 0, lastError: null, lastErrorAt: null, cooldownUntil: null };

export class MemoryBreakers implements Breakers {
  private readonly states = new Map<string, State>();

  constructor(private readonly settings: BreakerSettings = DEFAULT_BREAKER) {}

  availability(configId: string, now: number): Availability {
    const s = this.states.get(configId);
    if (!s || s.openUntil === 0) return 'yes';
    if (now < s.openUntil) return 'cooling';
    return s.probing ? 'probing' : 'probe';
  }

  takeProbe(configId: string): void {
    const s = this.states.get(configId);
    if (s) s.probing = true;
  }

  cooldownEnd(configId: string): number {
    return this.states.get(configId)?.openUntil ?? 0;
  }

  succeeded(configId: string, now: number): void {
    // The common case (a healthy config) costs one map lookup.
    const s = this.states.get(configId);
    if (!s) return;
    if (s.lastCooldownMs === 0) {
      this.states.delete(configId);
      return;
    }
    // Closed; the last cooldown's length is kept so that a config that keeps tripping waits longer
    // each time (forgotten once it has stayed healthy for COOLDOWN_MAX_MS).
    s.failures = 0;
    s.openUntil = 0;
    s.probing = false;
    s.closedAt = now;
  }

  failed(configId: string, failure: { error: string; status: number | null; retryAfterMs: number | null }, now: number): void {
    let s = this.states.get(configId);
    if (!s) {
      s = { failures: 0, openUntil: 0, lastCooldownMs: 0, probing: false, lastError: null, lastErrorAt: null, closedAt: 0 };
      this.states.set(configId, s);
    }
    if (s.openUntil === 0 && s.lastCooldownMs > 0 && now - s.closedAt > this.settings.maxMs) s.lastCooldownMs = 0;
    s.failures++;
    s.lastError = failure.error;
    s.lastErrorAt = now;
    const wasProbe = s.probing;
    s.probing = false;
    const { baseMs, maxMs } = this.settings;
    if (failure.status === 429) {
      s.lastCooldownMs = Math.min(maxMs, failure.retryAfterMs ?? baseMs);
      s.openUntil = now + s.lastCooldownMs;
    } else if (wasProbe || s.openUntil !== 0) {
      // A failed probe (or a failure while open): twice as long as the last time.
      s.lastCooldownMs = Math.min(maxMs, Math.max(baseMs, s.lastCooldownMs * 2));
      s.openUntil = now + s.lastCooldownMs;
    } else if (s.failures >= this.settings.failures) {
      s.lastCooldownMs = s.lastCooldownMs === 0 ? baseMs : Math.min(maxMs, s.lastCooldownMs * 2);
      s.openUntil = now + s.lastCooldownMs;
    }
  }

  health(configId: string, now: number): BackendHealth {
    const s = this.states.get(configId);
    if (!s) return HEALTHY;
    const state: BreakerState = s.openUntil === 0 ? 'HEALTHY' : now < s.openUntil ? 'COOLING' : 'HALF_OPEN';
    return {
      state, consecutiveFailures: s.failures, lastError: s.lastError, lastErrorAt: s.lastErrorAt === null ? null : new Date(s.lastErrorAt),
      cooldownUntil: state === 'COOLING' ? new Date(s.openUntil) : null,
    };
  }
}
