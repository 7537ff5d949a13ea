/** Per-source limit on the receive and callback routes (BEHAVIOR §13.2). */
export interface TalktoRateLimitOptions {
  /** Limit requests (default `true`). */
  enabled?: boolean;
  /** Requests allowed per key and window (default 120). */
  limit?: number;
  /** Window length in seconds (default 60). */
  windowSeconds?: number;
}
