/** One layer of retry settings; a later layer overrides only the keys it sets. */
export interface TalktoRetrySettings {
  /** Retries at all (default `true`). In a direction layer it switches that direction only. */
  enabled?: boolean;
  /** Attempts per message, the first one included (default 5). Rows keep the value they were stored with. */
  maxAttempts?: number;
  /** Delay before the n-th retry; the last value repeats (default `[10, 30, 60, 120, 300]`). */
  backoffSeconds?: number[];
  /** Up to this many random seconds added to every delay (default 0). */
  jitterSeconds?: number;
  /** Non-2xx statuses worth retrying besides 5xx (default `[408, 425, 429]`). */
  retryableHttpStatuses?: number[];
  /** Retry every 500–599 answer (default `true`). */
  retryServerErrors?: boolean;
}

/**
 * Retry policy (BEHAVIOR §6.1). Precedence, lowest first: these base keys, the direction layer
 * (`outgoing`/`incoming`), the peer layer (target for outgoing, source for incoming), the command layer.
 */
export interface TalktoRetryOptions extends TalktoRetrySettings {
  /** Outgoing sends and callbacks (default `{ enabled: true }`). */
  outgoing?: TalktoRetrySettings;
  /** Handler runs (default `{ enabled: false }`: a failed handler waits for an operator). */
  incoming?: TalktoRetrySettings;
  /** Per peer service name. */
  peers?: Record<string, TalktoRetrySettings>;
  /** Per command name. */
  commands?: Record<string, TalktoRetrySettings>;
}
