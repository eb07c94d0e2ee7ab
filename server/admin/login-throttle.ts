/**
 * Failed admin logins, throttled per client address (rate-limiter-flexible's in-memory limiter):
 * after 10 failures within a minute the address gets 429 with `retry-after` for a minute, and each
 * further block within a day lasts twice as long as the one before (at most an hour). A request
 * with the right token is never refused (an admin behind the same NAT as a noisy script still gets
 * in); other addresses are unaffected. Each block is reported once on the console.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface ThrottleOptions {
  /** Failures allowed per window (10), the window (60 s), the first block (60 s) and the longest (1 h). */
  failures?: number;
  windowSeconds?: number;
  blockSeconds?: number;
  maxBlockSeconds?: number;
  report?: (message: string) => void;
}

export class LoginThrottle {
  private readonly failures: RateLimiterMemory;
  /** Blocks per address over a day: the next block lasts 2^(blocks - 1) times the first. */
  private readonly blocks = new RateLimiterMemory({ points: 1_000_000, duration: 86_400 });
  private readonly opts: Required<ThrottleOptions>;

  constructor(opts: ThrottleOptions = {}) {
    this.opts = { failures: 10, windowSeconds: 60, blockSeconds: 60, maxBlockSeconds: 3_600, report: (m) => console.warn(m), ...opts };
    this.failures = new RateLimiterMemory({ points: this.opts.failures, duration: this.opts.windowSeconds });
  }

  /** Seconds until the address may try again; 0 when it is not blocked. */
  async blockedFor(ip: string): Promise<number> {
    const res = await this.failures.get(ip);
    return res && res.consumedPoints > this.opts.failures ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;
  }

  /** Counts a failure; returns the seconds of the block it starts, or 0. */
  async failed(ip: string): Promise<number> {
    try {
      await this.failures.consume(ip);
      return 0;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const strikes = (await this.blocks.consume(ip)).consumedPoints;
      const seconds = Math.min(this.opts.maxBlockSeconds, this.opts.blockSeconds * 2 ** (strikes - 1));
      await this.failures.block(ip, seconds);
      this.opts.report(`[admin] ${this.opts.failures} failed logins within ${this.opts.windowSeconds} s from ${ip}: refused for ${seconds} s`);
      return seconds;
    }
  }
}
