/**
 * Client keys' budgets: tokens and/or USD per period (DAY, WEEK, MONTH from 00:00 UTC, weeks from
 * Monday, months from the 1st; TOTAL for ever). Held in memory, so that a request never waits on
 * the store:
 * - use is what the key's exchanges recorded (every entry of the key, as its rollups count it:
 *   requests, prompt and completion tokens, cost), added when each exchange ends;
 * - at start (and when a key's period changes) the period's use so far is read back from the
 *   store's per-key rollups, so a restart forgets nothing that was written;
 * - a request is let in while use and reservations are below the budget, and reserves its estimate
 *   (capped at what is left) until it ends: with N requests in flight when the budget runs out, the
 *   overshoot is at most what those N used beyond their reservations.
 */
import { HttpError, NO_RETRY } from '../errors.ts';
import type { ApiKeyRow, BudgetPeriod, LogSummary, RollupRow, Store } from '../store/types.ts';

export interface KeyUsage {
  /** The period's bounds; null for TOTAL (and for a key with no period). */
  periodStart: Date | null;
  periodEnd: Date | null;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

/** The bounds of the period `now` falls in (UTC), or nulls for all time. */
export function periodOf(period: string | null, now: number): { start: number | null; end: number | null } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (period as BudgetPeriod | null) {
    case 'DAY':
      return { start: Date.UTC(y, m, day), end: Date.UTC(y, m, day + 1) };
    case 'WEEK': {
      // getUTCDay: Sunday 0 … Saturday 6; weeks start on Monday.
      const back = (d.getUTCDay() + 6) % 7;
      return { start: Date.UTC(y, m, day - back), end: Date.UTC(y, m, day - back + 7) };
    }
    case 'MONTH':
      return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
    default:
      return { start: null, end: null };
  }
}

/** 429 insufficient_quota: not worth retrying before the period ends (x-should-retry: false, no retry-after). */
export class BudgetExceededError extends HttpError {
  constructor(what: 'tokens' | 'USD', budget: number, periodEnd: number | null) {
    const amount = what === 'USD' ? `$${budget}` : `${budget} tokens`;
    const until = periodEnd === null ? 'This budget has no period: raise it in the admin (Keys) to go on.' : `It renews at ${new Date(periodEnd).toISOString()}.`;
    super(`This API key has used its budget of ${amount}${periodEnd === null ? '' : ' for this period'}. ${until}`, 429, 'insufficient_quota', {
      type: 'insufficient_quota', headers: NO_RETRY,
    });
  }
}

/** A request's hold on a key's budget, given back when it ends. */
export interface BudgetHold {
  release(): void;
}

interface Ledger {
  /** The budget period and bounds this ledger counts. */
  period: string | null;
  start: number | null;
  end: number | null;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  reservedTokens: number;
  reservedUsd: number;
  /** The period's stored use has been read back (false until then, and after a failed read). */
  loaded: boolean;
  reading: boolean;
}

const FREE: BudgetHold = { release() {} };

export class BudgetLedger {
  private readonly ledgers = new Map<string, Ledger>();

  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {}

  /**
   * Follows the key table (after each reload): a key seen for the first time, or whose period
   * changed, has its period's use so far read back from the store. Awaited at start, so that the
   * first requests meet the right figures; later reads happen in the background.
   */
  async sync(rows: readonly ApiKeyRow[]): Promise<void> {
    const stale = rows.filter((row) => {
      const l = this.current(row);
      return !l.loaded && !l.reading;
    });
    if (stale.length > 0) await this.readBack(stale);
  }

  /** Admits the request against the key's budgets, or throws BudgetExceededError; the hold reserves its estimate. */
  acquire(key: ApiKeyRow, estimate: { tokens: number; usd: number }): BudgetHold {
    if (key.budgetTokens === null && key.budgetUsd === null) return FREE;
    const l = this.current(key);
    let tokens = 0;
    let usd = 0;
    if (key.budgetTokens !== null) {
      const left = key.budgetTokens - (l.promptTokens + l.completionTokens) - l.reservedTokens;
      if (left <= 0) throw new BudgetExceededError('tokens', key.budgetTokens, l.end);
      tokens = Math.min(left, Math.max(0, estimate.tokens));
    }
    if (key.budgetUsd !== null) {
      const left = key.budgetUsd - l.costUsd - l.reservedUsd;
      if (left <= 0) throw new BudgetExceededError('USD', key.budgetUsd, l.end);
      usd = Math.min(left, Math.max(0, estimate.usd));
    }
    l.reservedTokens += tokens;
    l.reservedUsd += usd;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        // Reserved in this ledger; a period that ended since has a new one, which never held it.
        l.reservedTokens -= tokens;
        l.reservedUsd -= usd;
      },
    };
  }

  /** An exchange of a key ended (whatever its status): counted as its rollups count it. */
  record(row: Pick<LogSummary, 'apiKeyId' | 'promptTokens' | 'completionTokens' | 'costUsd'>): void {
    if (!row.apiKeyId) return;
    const l = this.ledgers.get(row.apiKeyId);
    if (!l) return;
    const now = this.now();
    const live = l.end !== null && now >= l.end ? this.roll(row.apiKeyId, l, now) : l;
    live.requests++;
    live.promptTokens += row.promptTokens ?? 0;
    live.completionTokens += row.completionTokens ?? 0;
    live.costUsd += row.costUsd ?? 0;
  }

  usage(key: ApiKeyRow): KeyUsage {
    const l = this.current(key);
    return {
      periodStart: l.start === null ? null : new Date(l.start),
      periodEnd: l.end === null ? null : new Date(l.end),
      requests: l.requests,
      promptTokens: l.promptTokens,
      completionTokens: l.completionTokens,
      costUsd: l.costUsd,
    };
  }

  /** The key's ledger for the period now, a new one when the last has ended. */
  private current(key: ApiKeyRow): Ledger {
    const now = this.now();
    let l = this.ledgers.get(key.id);
    if (!l || l.period !== key.budgetPeriod) {
      // New to this process, or its period changed: what is stored is read back at the next sync.
      l = this.fresh(key.budgetPeriod, now, false);
      this.ledgers.set(key.id, l);
    } else if (l.end !== null && now >= l.end) l = this.roll(key.id, l, now);
    return l;
  }

  /** A new period begins: this process has counted everything since the last began. */
  private roll(id: string, old: Ledger, now: number): Ledger {
    const l = this.fresh(old.period, now, old.loaded);
    this.ledgers.set(id, l);
    return l;
  }

  private fresh(period: string | null, now: number, loaded: boolean): Ledger {
    const { start, end } = periodOf(period, now);
    return { period, start, end, requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, reservedTokens: 0, reservedUsd: 0, loaded, reading: false };
  }

  /**
   * Sets each key's use to what the store holds for its current period, plus what this process
   * recorded while reading: hourly rollups from the period's start (periods start on a whole hour),
   * or the all-time rollup for TOTAL. One read per distinct period start.
   */
  private async readBack(rows: readonly ApiKeyRow[]): Promise<void> {
    const byStart = new Map<number | null, Map<string, Ledger>>();
    for (const row of rows) {
      const l = this.ledgers.get(row.id)!;
      l.reading = true;
      const group = byStart.get(l.start) ?? new Map<string, Ledger>();
      group.set(row.id, l);
      byStart.set(l.start, group);
    }
    for (const [start, group] of byStart) {
      const before = new Map([...group].map(([id, l]) => [id, counts(l)]));
      let stored: RollupRow[];
      try {
        stored = start === null
          ? await this.store.readRollups({ size: 0, from: new Date(0), to: new Date(1), byKey: true })
          : await this.store.readRollups({ size: 3600, from: new Date(start), to: new Date(8.64e15), byKey: true });
      } catch (err) {
        console.error(`[keys] could not read the client keys' use so far from the store: ${String(err)}; tried again with the next reload`);
        for (const l of group.values()) l.reading = false;
        continue;
      }
      const sums = new Map<string, Counts>();
      for (const r of stored) {
        if (!r.apiKeyId || !group.has(r.apiKeyId)) continue;
        const sum = sums.get(r.apiKeyId) ?? { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
        sum.requests += r.counts.n ?? 0;
        sum.promptTokens += r.counts.pt ?? 0;
        sum.completionTokens += r.counts.ct ?? 0;
        sum.costUsd += r.counts.cost ?? 0;
        sums.set(r.apiKeyId, sum);
      }
      for (const [id, l] of group) {
        l.reading = false;
        // A ledger replaced meanwhile (its period ended or changed) is left to its own read.
        if (this.ledgers.get(id) !== l) continue;
        const was = before.get(id)!;
        const sum = sums.get(id) ?? { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
        // What was recorded before the read began is in the store or on its way there (the store's figures
        // are the ones that survive); what came during the read is added.
        const now = counts(l);
        l.requests = sum.requests + now.requests - was.requests;
        l.promptTokens = sum.promptTokens + now.promptTokens - was.promptTokens;
        l.completionTokens = sum.completionTokens + now.completionTokens - was.completionTokens;
        l.costUsd = sum.costUsd + now.costUsd - was.costUsd;
        l.loaded = true;
      }
    }
  }
}

type Counts = Pick<Ledger, 'requests' | 'promptTokens' | 'completionTokens' | 'costUsd'>;
const counts = (l: Ledger): Counts => ({ requests: l.requests, promptTokens: l.promptTokens, completionTokens: l.completionTokens, costUsd: l.costUsd });
