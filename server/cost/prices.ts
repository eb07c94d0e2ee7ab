/**
 * What an exchange costs. A config's own prices (USD per million input, cached input and output
 * tokens) come first; a config without any is priced from the price list of @pydantic/genai-prices
 * (bundled with the package, never fetched at run time) by its backend model, the provider found by
 * its base URL (api.openai.com, api.deepseek.com, …) or, when the URL is no known provider's (a
 * company gateway, a local server), by the model name alone. A model the list does not know costs
 * null, not 0: a local model is free only when its config says so (prices 0).
 *
 * This runs when an exchange ends, on the event loop: a lookup is made once per (base URL, model)
 * and kept, and a plain price (no tiers, no time of day) is then a few multiplications.
 */
import { calcPrice, findProvider, type PriceCalculation } from '@pydantic/genai-prices';
import type { ConfigRow } from '../store/types.ts';

/** The tokens an exchange used (cached: the part of the prompt the backend read from its cache). */
export interface TokenUse {
  promptTokens: number | null;
  completionTokens: number | null;
  cachedTokens?: number | null;
}

/** USD per million tokens. */
export interface Rates {
  input: number;
  cachedInput: number;
  output: number;
}

/** Where a config's prices come from, for the admin. */
export interface PriceInfo extends Rates {
  source: 'config' | 'list';
  /** The price list's provider and model, when it priced it. */
  provider: string | null;
  model: string | null;
}

type Found =
  | { kind: 'none' }
  | { kind: 'plain'; rates: Rates; provider: string; model: string }
  /** Tiered or time-of-day prices: calcPrice on every exchange. */
  | { kind: 'dynamic'; providerId: string; rates: Rates; provider: string; model: string };

/** Kept lookups at most (one per base URL and model seen; a flood of made-up names cannot grow it). */
const MAX_LOOKUPS = 5_000;
/** A list lookup is made again after this long (prices by time of day change within a day). */
const LOOKUP_TTL_MS = 10 * 60_000;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const isPlain = (v: unknown) => v === undefined || typeof v === 'number';

export class PriceBook {
  private readonly lookups = new Map<string, { found: Found; at: number }>();
  /** The lookup of each config row (rows are replaced when configs reload, so this follows them). */
  private readonly byRow = new WeakMap<ConfigRow, { found: Found; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** What the exchange cost in USD, or null when its usage or its price is unknown. */
  costOf(config: ConfigRow | null, use: TokenUse | null): number | null {
    if (!config || !use || (use.promptTokens === null && use.completionTokens === null)) return null;
    const own = ownRates(config);
    if (own) return linear(own, use);
    const found = this.find(config);
    if (found.kind === 'none') return null;
    if (found.kind === 'plain') return linear(found.rates, use);
    const prompt = Math.max(0, use.promptTokens ?? 0);
    const cached = Math.min(prompt, Math.max(0, use.cachedTokens ?? 0));
    const priced = calcPrice({ input_tokens: prompt, cache_read_tokens: cached, output_tokens: Math.max(0, use.completionTokens ?? 0) }, config.backendModelName, {
      providerId: found.providerId,
    });
    return priced ? priced.total_price : linear(found.rates, use);
  }

  /** A cost to reserve before the answer (budgets): the prompt estimate and the most it may generate; 0 when unpriced. */
  estimate(config: ConfigRow | null, promptTokens: number, outputTokens: number): number {
    return this.costOf(config, { promptTokens, completionTokens: outputTokens, cachedTokens: 0 }) ?? 0;
  }

  /** The prices a config is charged at, and where they come from; null when nothing prices it. */
  info(config: ConfigRow): PriceInfo | null {
    const own = ownRates(config);
    if (own) return { source: 'config', ...own, provider: null, model: null };
    const found = this.find(config);
    if (found.kind === 'none') return null;
    return { source: 'list', ...found.rates, provider: found.provider, model: found.model };
  }

  private find(config: ConfigRow): Found {
    const now = this.now();
    const mine = this.byRow.get(config);
    if (mine && now - mine.at < LOOKUP_TTL_MS) return mine.found;
    const key = `${config.baseUrl}\n${config.backendModelName}`;
    let kept = this.lookups.get(key);
    if (!kept || now - kept.at >= LOOKUP_TTL_MS) {
      kept = { found: lookUp(config.baseUrl, config.backendModelName), at: now };
      if (this.lookups.size >= MAX_LOOKUPS) this.lookups.clear();
      this.lookups.set(key, kept);
    }
    this.byRow.set(config, kept);
    return kept.found;
  }
}

/** A config's own prices: any one set prices it (the others 0; cached input at the input price). */
function ownRates(config: ConfigRow): Rates | null {
  if (config.inputPrice === null && config.cachedInputPrice === null && config.outputPrice === null) return null;
  const input = config.inputPrice ?? 0;
  return { input, cachedInput: config.cachedInputPrice ?? input, output: config.outputPrice ?? 0 };
}

function linear(rates: Rates, use: TokenUse): number {
  const prompt = Math.max(0, use.promptTokens ?? 0);
  const cached = Math.min(prompt, Math.max(0, use.cachedTokens ?? 0));
  const output = Math.max(0, use.completionTokens ?? 0);
  return ((prompt - cached) * rates.input + cached * rates.cachedInput + output * rates.output) / 1e6;
}

const PROBE = { input_tokens: 1_000_000, output_tokens: 0 };

/** The list's price for a model: by the provider the URL names, else by the model name alone. */
function lookUp(baseUrl: string, model: string): Found {
  let priced: PriceCalculation | null = null;
  try {
    const provider = findProvider({ providerApiUrl: baseUrl });
    priced = provider ? calcPrice(PROBE, model, { provider }) : calcPrice(PROBE, model);
  } catch {
    priced = null;
  }
  if (!priced) return { kind: 'none' };
  const p = priced.model_price;
  const rates: Rates = {
    input: tierBase(p.input_mtok),
    cachedInput: p.cache_read_mtok === undefined ? tierBase(p.input_mtok) : tierBase(p.cache_read_mtok),
    output: tierBase(p.output_mtok),
  };
  const names = { provider: priced.provider.name, model: priced.model.name ?? priced.model.id };
  const plain = !Array.isArray(priced.model.prices) && isPlain(p.input_mtok) && isPlain(p.cache_read_mtok) && isPlain(p.output_mtok);
  return plain ? { kind: 'plain', rates, ...names } : { kind: 'dynamic', providerId: priced.provider.id, rates, ...names };
}

/** A tiered price's base (the rate below its first tier). */
function tierBase(v: unknown): number {
  if (v && typeof v === 'object' && 'base' in v) return num((v as { base: unknown }).base);
  return num(v);
}
