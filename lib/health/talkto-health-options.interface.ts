/**
 * Thresholds of `TalktoHealthIndicator`; a count above its threshold marks Talkto down, a count
 * within it is listed under `attention`.
 */
export interface TalktoHealthOptions {
  /** Claims whose lease ran out (default 0). */
  maxStaleClaims?: number;
  /**
   * Open and failed-reprocess dead letters (default none: they never mark Talkto down, since a
   * handler's `finalFailure` is a business outcome, not an outage).
   */
  maxOpenDeadLetters?: number;
  /** Retries overdue by more than `dueRetryGraceMinutes` (default 0). */
  maxDueRetries?: number;
  /** How late a due retry may be before it counts as backlog, in minutes (default 5). */
  dueRetryGraceMinutes?: number;
  /** Timeout of the database and Redis pings, in milliseconds (default 2000). */
  pingTimeoutMs?: number;
}
