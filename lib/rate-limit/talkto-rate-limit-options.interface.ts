import type { TalktoRateLimiter } from './talkto-rate-limiter.js';

/** Per-source limit on the receive and callback routes (BEHAVIOR §13.2). */
export interface TalktoRateLimitOptions {
  /** Limit requests (default `true`). */
  enabled?: boolean;
  /** Requests allowed per key and window (default 10000). */
  limit?: number;
  /** Window length in seconds (default 10). */
  windowSeconds?: number;
  /**
   * Where the windows are counted (default: in this process's memory). A `TalktoRateLimiter` of
   * your own, e.g. on Redis, shares them between instances; `limit` and `windowSeconds` are then its own.
   */
  limiter?: TalktoRateLimiter;
}
