/**
 * Route selection, pure and synchronous: the hot path asks an in-memory table, never the store.
 * The table is rebuilt from the store by ConfigService after every change.
 *
 * A group (the configs that share a proxy model name) is split into tiers by `priority` (lower
 * first). A request goes to the first tier with a member that may take it (breaker.ts: healthy,
 * or half-open with no probe out), and inside the tier to the member smooth weighted round-robin
 * picks (nginx's algorithm: deterministic, weights 3 and 1 give exactly 75 and 25 of 100). A
 * member of weight 0 serves only when nothing else in its tier can. A RoutePlan hands out the
 * next config for each attempt: another member of the tier not tried yet, then the next tier,
 * then the group's fallback groups (theirs in turn, each group once); when every member is
 * cooling, the one whose cooldown ends first. A context_length_exceeded answer switches the plan
 * to the group's context fallbacks instead.
 */
import { ModelNotFoundError } from '../errors.ts';
import type { ConfigRow, ModelGroupRow } from '../store/types.ts';
import { type Availability, type Breakers, type BreakerState, MemoryBreakers } from './breaker.ts';

/** A group's routing settings (schema version 5; the defaults where nothing is stored). */
export interface GroupSettings {
  fallbacks: readonly string[];
  contextFallbacks: readonly string[];
  maxAttempts: number;
  retryOnStatus: ReadonlySet<number>;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
/** Statuses that are the backend's trouble: tried elsewhere (by default), and counted by the breaker. */
export const DEFAULT_RETRY_ON_STATUS: readonly number[] = [408, 429, 500, 502, 503, 504, 529];
export const DEFAULT_GROUP_SETTINGS: GroupSettings = Object.freeze({
  fallbacks: [], contextFallbacks: [], maxAttempts: DEFAULT_MAX_ATTEMPTS, retryOnStatus: new Set(DEFAULT_RETRY_ON_STATUS),
});

const names = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The settings a stored row gives (lists that are not lists read as empty; null: the default). */
export function groupSettingsOf(row: ModelGroupRow | undefined): GroupSettings {
  if (!row) return DEFAULT_GROUP_SETTINGS;
  const statuses = Array.isArray(row.retryOnStatus) ? row.retryOnStatus.filter((x): x is number => typeof x === 'number') : null;
  return {
    fallbacks: names(row.fallbacks),
    contextFallbacks: names(row.contextFallbacks),
    maxAttempts: row.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryOnStatus: statuses ? new Set(statuses) : DEFAULT_GROUP_SETTINGS.retryOnStatus,
  };
}

export type Resolution = { config: ConfigRow } | { missing: 'unknown' | 'disabled' };

interface Member {
  config: ConfigRow;
  weight: number;
  /** Smooth weighted round-robin's running weight. */
  current: number;
}

interface Group {
  name: string;
  /** Enabled members by tier, lowest priority first. */
  tiers: Member[][];
  /** Every enabled member, tier by tier. */
  members: Member[];
  settings: GroupSettings;
  /** The groups a request of this one may go to, in order: itself, then its fallbacks (theirs in turn). */
  chain: Group[];
  /** The groups a context_length_exceeded answer goes to (each with its fallbacks); empty: back to the client. */
  contextChain: Group[];
}

export const DEFAULT_WEIGHT = 1;
export const DEFAULT_PRIORITY = 0;

export class RouteTable {
  private groups = new Map<string, Group>();
  private all: ConfigRow[] = [];

  constructor(readonly breakers: Breakers = new MemoryBreakers()) {}

  /** Replaces the table; the running weights survive for configs that are still there. */
  replace(configs: ConfigRow[], groupRows: readonly ModelGroupRow[] = []): void {
    const before = new Map<string, number>();
    for (const g of this.groups.values()) for (const m of g.members) before.set(m.config.id, m.current);
    const byName = new Map<string, Member[]>();
    for (const c of configs) {
      let list = byName.get(c.proxyModelName);
      if (!list) byName.set(c.proxyModelName, (list = []));
      // A config whose backend key cannot be read (another SECRET_KEY) serves nothing (store/sealed.ts).
      if (c.enabled && !c.apiKeyUnreadable) list.push({ config: c, weight: c.weight ?? DEFAULT_WEIGHT, current: before.get(c.id) ?? 0 });
    }
    const stored = new Map(groupRows.map((g) => [g.name, g]));
    const groups = new Map<string, Group>();
    for (const [name, members] of byName) {
      const priorities = [...new Set(members.map((m) => m.config.priority ?? DEFAULT_PRIORITY))].sort((a, b) => a - b);
      const tiers = priorities.map((p) => members.filter((m) => (m.config.priority ?? DEFAULT_PRIORITY) === p));
      groups.set(name, { name, tiers, members: tiers.flat(), settings: groupSettingsOf(stored.get(name)), chain: [], contextChain: [] });
    }
    // Fallbacks that name no group (its configs deleted since) are passed over; each group is in a chain once.
    const chainOf = (starts: readonly string[], seen: Set<string>): Group[] => {
      const out: Group[] = [];
      const visit = (name: string) => {
        const g = groups.get(name);
        if (!g || seen.has(name)) return;
        seen.add(name);
        out.push(g);
        for (const f of g.settings.fallbacks) visit(f);
      };
      for (const s of starts) visit(s);
      return out;
    };
    for (const g of groups.values()) {
      g.chain = chainOf([g.name], new Set());
      g.contextChain = chainOf(g.settings.contextFallbacks, new Set([g.name]));
    }
    this.groups = groups;
    this.all = configs;
  }


  /** The plan of attempts for a request of `model` (ModelNotFoundError when nothing can serve it). */
  plan(model: string): RoutePlan {
    const g = this.groups.get(model);
    if (!g) throw new ModelNotFoundError(model, 'unknown');
    // A group whose configs are all disabled is switched off, its fallbacks with it (as GET /v1/models says).
    if (g.members.length === 0) throw new ModelNotFoundError(model, 'disabled');
    return new RoutePlan(g, this.breakers);
  }

  /** The first config a request of `model` would go to (tests; the plan itself is what routes). */
  resolve(model: string): Resolution {
    try {
      const config = this.plan(model).next(Date.now());
      return config ? { config } : { missing: 'disabled' };
    } catch (err) {
      if (err instanceof ModelNotFoundError) return { missing: this.groups.has(model) ? 'disabled' : 'unknown' };
      throw err;
    }
  }

  /**
   * One config of the model's group, chosen by id (the admin's Test button), enabled or not: a
   * config is worth testing before it is switched on. Weights and health are left alone.
   */
  resolvePinned(model: string, configId: string): Resolution {
    const config = this.all.find((c) => c.id === configId && c.proxyModelName === model && !c.apiKeyUnreadable);
    return config ? { config } : { missing: 'unknown' };
  }

  /** Each enabled config's breaker state (for /metrics). */
  backendStates(now: number): { configId: string; model: string; state: BreakerState }[] {
    const out: { configId: string; model: string; state: BreakerState }[] = [];
    for (const [model, g] of this.groups) for (const m of g.members) out.push({ configId: m.config.id, model, state: this.breakers.health(m.config.id, now).state });
    return out;
  }

  /** Proxy model names that have at least one enabled config, with the earliest creation time. */
  models(): { id: string; created: Date }[] {
    const out = new Map<string, Date>();
    for (const c of this.all) {
      if (!c.enabled || c.apiKeyUnreadable) continue;
      const seen = out.get(c.proxyModelName);
      if (!seen || c.createdAt < seen) out.set(c.proxyModelName, c.createdAt);
    }
    return [...out].map(([id, created]) => ({ id, created })).sort((a, b) => a.id.localeCompare(b.id));
  }
}

/**
 * The configs one request may try, in order, handed out one at a time (`next`), so that the breaker
 * state each choice sees is the state at that moment. `tried` holds what was handed out.
 */
export class RoutePlan {
  readonly tried: ConfigRow[] = [];
  /** The groups still to go through, the request's own first. */
  private chain: readonly Group[];
  private switched = false;

  constructor(private readonly group: Group | null, private readonly breakers: Breakers, private readonly pinned: ConfigRow | null = null) {
    this.chain = group ? group.chain : [];
  }

  /** A plan of one config (the admin's Test button): no other is tried. */
  static only(config: ConfigRow, breakers: Breakers): RoutePlan {
    return new RoutePlan(null, breakers, config);
  }

  /** The request's group's settings (the defaults for a pinned config). */
  get settings(): GroupSettings {
    return this.group?.settings ?? DEFAULT_GROUP_SETTINGS;
  }

  /** A config of the group without choosing (the first of the first tier): what prices a budget's estimate. */
  first(): ConfigRow | null {
    return this.pinned ?? this.group?.members[0]?.config ?? null;
  }

  /** Whether the group has context fallbacks the plan has not switched to yet. */
  get hasContextFallbacks(): boolean {
    return !this.switched && (this.group?.contextChain.length ?? 0) > 0;
  }

  /** A context_length_exceeded answer: from now on the plan goes through the context fallbacks (once). */
  switchToContextFallbacks(): boolean {
    if (!this.hasContextFallbacks) return false;
    this.switched = true;
    this.chain = this.group!.contextChain;
    return true;
  }

  /** Whether a config not tried yet remains (for deciding whether an answer is worth refusing). */
  hasUntried(now: number): boolean {
    for (const g of this.chain) {
      for (const m of g.members) {
        if (!this.wasTried(m.config) && this.breakers.availability(m.config.id, now) !== 'probing') return true;
      }
    }
    return false;
  }

  /** How many configs the plan could try at most. */
  get size(): number {
    if (!this.group) return 1;
    let n = 0;
    for (const g of this.chain) n += g.members.length;
    return n;
  }

  /**
   * The next config to try, or null when every one was tried. The first tier with a member that may
   * take the request wins, group by group along the chain; inside a tier weights decide. When none
   * may (all cooling), the one whose cooldown ends first is tried rather than none.
   */
  next(now: number): ConfigRow | null {
    if (!this.group) {
      if (this.tried.length > 0 || !this.pinned) return null;
      this.tried.push(this.pinned);
      return this.pinned;
    }
    for (const g of this.chain) {
      for (const tier of g.tiers) {
        const picked = this.pickIn(tier, now);
        if (picked) return this.take(picked, now);
      }
    }
    // Nothing may take it: the untried member whose cooldown ends first (not one whose probe is out).
    let soonest: Member | null = null;
    for (const g of this.chain) {
      for (const m of g.members) {
        if (this.wasTried(m.config) || this.breakers.availability(m.config.id, now) === 'probing') continue;
        if (!soonest || this.breakers.cooldownEnd(m.config.id) < this.breakers.cooldownEnd(soonest.config.id)) soonest = m;
      }
    }
    return soonest ? this.take(soonest, now) : null;
  }

  private take(m: Member, now: number): ConfigRow {
    if (this.breakers.availability(m.config.id, now) === 'probe') this.breakers.takeProbe(m.config.id);
    this.tried.push(m.config);
    return m.config;
  }

  private wasTried(c: ConfigRow): boolean {
    // A handful at most: a scan beats a Set.
    for (const t of this.tried) if (t === c) return true;
    return false;
  }

  /** Smooth weighted round-robin over the tier's members that may take the request (weight-0 ones only when no other may). */
  private pickIn(tier: Member[], now: number): Member | null {
    if (tier.length === 1) {
      const only = tier[0]!;
      return !this.wasTried(only.config) && mayTake(this.breakers.availability(only.config.id, now)) ? only : null;
    }
    let total = 0;
    let best: Member | null = null;
    let spare: Member | null = null;
    for (const m of tier) {
      if (this.wasTried(m.config) || !mayTake(this.breakers.availability(m.config.id, now))) continue;
      if (m.weight === 0) {
        spare ??= m;
        continue;
      }
      m.current += m.weight;
      total += m.weight;
      if (!best || m.current > best.current) best = m;
    }
    if (!best) return spare;
    best.current -= total;
    return best;
  }
}

const mayTake = (a: Availability) => a === 'yes' || a === 'probe';

/**
 * The route step: the plan of the configs an exchange may try (the pinned config alone for the
 * admin's Test button).
 */
export function route(routes: RouteTable, model: string, pinnedConfigId?: string): RoutePlan {
  if (!pinnedConfigId) return routes.plan(model);
  const resolution = routes.resolvePinned(model, pinnedConfigId);
  if ('missing' in resolution) throw new ModelNotFoundError(model, resolution.missing);
  return RoutePlan.only(resolution.config, routes.breakers);
}
