/** The defaults of BEHAVIOR §6.1; per-peer and per-command layers arrive with the retry options. */
export const DEFAULT_BACKOFF_SECONDS: readonly number[] = [10, 30, 60, 120, 300];
export const DEFAULT_RETRYABLE_HTTP_STATUSES: readonly number[] = [408, 425, 429];

/** 408/425/429 and every 5xx are worth retrying; any other answer is final (PROTOCOL §10). */
export function isRetryableHttpStatus(status: number): boolean {
  return DEFAULT_RETRYABLE_HTTP_STATUSES.includes(status) || (status >= 500 && status <= 599);
}

/** Another attempt fits the budget: attempts are counted as retries scheduled so far plus this one. */
export function canScheduleRetry(retryCount: number, maxAttempts: number): boolean {
  return retryCount + 1 < maxAttempts;
}

/** Delay before the retry that follows `retryCount` earlier retries. */
export function backoffSeconds(
  retryCount: number,
  sequence: readonly number[] = DEFAULT_BACKOFF_SECONDS,
): number {
  return sequence[Math.min(retryCount, sequence.length - 1)];
}
