/** Retry settings after layering and validation: what the policy decides with. */
export interface RetrySettings {
  enabled: boolean;
  outgoingEnabled: boolean;
  incomingEnabled: boolean;
  maxAttempts: number;
  backoffSeconds: readonly number[];
  jitterSeconds: number;
  retryableHttpStatuses: readonly number[];
  retryServerErrors: boolean;
}

/** A layer as configured, checked but not merged; absent keys inherit. */
export type RetryLayer = Partial<Omit<RetrySettings, 'outgoingEnabled' | 'incomingEnabled'>>;

export interface ResolvedRetryOptions {
  base: RetrySettings;
  outgoing: RetryLayer;
  incoming: RetryLayer;
  peers: ReadonlyMap<string, RetryLayer>;
  commands: ReadonlyMap<string, RetryLayer>;
}

export interface ResolvedReliabilityOptions {
  retry: ResolvedRetryOptions;
  sweeper: { enabled: boolean; intervalMs: number; batchSize: number; graceMs: number };
  deadLetters: {
    enabled: boolean;
    autoStore: boolean;
    allowReprocess: boolean;
    maxReprocessAttempts: number;
  };
  recovery: { staleAfterMinutes: number };
  retention: {
    messagesDays: number;
    attemptsDays: number;
    eventsDays: number;
    deadLettersDays: number;
    noncesDays: number;
  };
}
