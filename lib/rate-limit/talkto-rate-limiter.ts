/** The verdict for one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the key's window resets (for `Retry-After`). */
  retryAfterSeconds: number;
}

/** Counts hits per key; swap in a shared store (Redis...) for several processes behind one address. */
export abstract class TalktoRateLimiter {
  abstract hit(key: string, now: number): RateLimitDecision | Promise<RateLimitDecision>;
}

interface Window {
  startedAt: number;
  hits: number;
}

/**
 * Fixed windows per key, in process memory, like the PHP package's limiter. Expired windows are
 * swept once the map grows, so a flood of distinct keys cannot grow it without bound.
 */
export class InMemoryTalktoRateLimiter extends TalktoRateLimiter {
  private readonly windows = new Map<string, Window>();
  private sweepAt = 1024;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {
    super();
  }

  hit(key: string, now: number): RateLimitDecision {
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.windowMs) {
      this.sweep(now);
      window = { startedAt: now, hits: 0 };
      this.windows.set(key, window);
    }
    window.hits += 1;
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
    return { allowed: window.hits <= this.limit, retryAfterSeconds };
  }

  private sweep(now: number): void {
    if (this.windows.size < this.sweepAt) {
      return;
    }
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.windowMs) {
        this.windows.delete(key);
      }
    }
    this.sweepAt = Math.max(1024, this.windows.size * 2);
  }
}
