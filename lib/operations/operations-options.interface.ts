/** The background sweeper that re-dispatches due retries, lost jobs and expired claims. */
export interface TalktoSweeperOptions {
  /** Run the sweeper in this process (default `true`). Several processes may run it at once. */
  enabled?: boolean;
  /** Pause between two sweeps in milliseconds (default 5000). */
  intervalMs?: number;
  /** Rows looked at per kind and sweep (default 100). */
  batchSize?: number;
  /** How long a row must have waited before the sweeper treats its job as lost, in ms (default 15000). */
  graceMs?: number;
}

/** Dead-letter storage and reprocessing (BEHAVIOR §9). */
export interface TalktoDeadLetterOptions {
  /** Store and reprocess dead letters at all (default `true`). */
  enabled?: boolean;
  /** Store a dead letter on every final failure (default `true`). */
  autoStore?: boolean;
  /** Allow reprocessing without `force` (default `true`). */
  allowReprocess?: boolean;
  /** Reprocess runs allowed per dead letter without `force` (default 3). */
  maxReprocessAttempts?: number;
}

/** Operator recovery of claims whose worker died (BEHAVIOR §7). */
export interface TalktoRecoveryOptions {
  /** A claim older than this many minutes counts as stale (default 15). */
  staleAfterMinutes?: number;
}

/** Days rows are kept before `PruneService` may delete them (BEHAVIOR §8). */
export interface TalktoRetentionOptions {
  /** Terminal messages with their attempts, events and dead letters (default 90). */
  messagesDays?: number;
  /** Attempts (default 90). */
  attemptsDays?: number;
  /** Events (default 30). */
  eventsDays?: number;
  /** Dead letters, any status (default 180). */
  deadLettersDays?: number;
  /** Nonces (default `nonceRetentionDays`, 7). */
  noncesDays?: number;
}
