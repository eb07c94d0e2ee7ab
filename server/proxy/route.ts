/**
 * Route selection, pure and synchronous: the hot path asks an in-memory table, never the store.
 * The table is rebuilt from the store by ConfigService after every change.
 */
import { ModelNotFoundError } from '../errors.ts';
import type { ConfigRow } from '../store/types.ts';

export type Resolution = { config: ConfigRow } | { missing: 'unknown' | 'disabled' };

interface Group {
  enabled: ConfigRow[];
  next: number;
}

export class RouteTable {
  private groups = new Map<string, Group>();
  private all: ConfigRow[] = [];

  /** Replaces the table; round-robin positions survive for groups that still exist. */
  replace(configs: ConfigRow[]): void {
    const groups = new Map<string, Group>();
    for (const c of configs) {
      let g = groups.get(c.proxyModelName);
      if (!g) {
        g = { enabled: [], next: this.groups.get(c.proxyModelName)?.next ?? 0 };
        groups.set(c.proxyModelName, g);
      }
      // A config whose backend key cannot be read (another SECRET_KEY) serves nothing (store/sealed.ts).
      if (c.enabled && !c.apiKeyUnreadable) g.enabled.push(c);
    }
    this.groups = groups;
    this.all = configs;
  }

  resolve(model: string): Resolution {
    const g = this.groups.get(model);
    if (!g) return { missing: 'unknown' };
    if (g.enabled.length === 0) return { missing: 'disabled' };
    const config = pickRoundRobin(g.enabled, g.next);
    g.next = (g.next + 1) % g.enabled.length;
    return { config };
  }

  /**
   * One config of the model's group, chosen by id (the admin's Test button), enabled or not: a
   * config is worth testing before it is switched on. Round-robin positions are left alone.
   */
  resolvePinned(model: string, configId: string): Resolution {
    const config = this.all.find((c) => c.id === configId && c.proxyModelName === model && !c.apiKeyUnreadable);
    return config ? { config } : { missing: 'unknown' };
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

export function pickRoundRobin<T>(candidates: readonly T[], position: number): T {
  const item = candidates[position % candidates.length];
  if (item === undefined) throw new Error('pickRoundRobin needs at least one candidate');
  return item;
}

/**
 * The route step: the configs an exchange may try, in order. Today one (round-robin within the
 * group, or the pinned config of the admin's Test button); the routing issue adds tiers and fallbacks.
 */
export function route(routes: RouteTable, model: string, pinnedConfigId?: string): ConfigRow[] {
  const resolution = pinnedConfigId ? routes.resolvePinned(model, pinnedConfigId) : routes.resolve(model);
  if ('missing' in resolution) throw new ModelNotFoundError(model, resolution.missing);
  return [resolution.config];
}
