/** A peer's `Retry-After` beyond this is taken as this: a typo or a hostile peer cannot park a message. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * Seconds a `Retry-After` header asks to wait (RFC 9110 §10.2.3: delay-seconds or an HTTP-date),
 * at most `MAX_RETRY_AFTER_SECONDS`; null when absent or unreadable.
 */
export function retryAfterSeconds(value: string | null | undefined, now: Date): number | null {
  const text = value?.trim();
  if (!text) return null;
  const seconds = /^\d+$/.test(text) ? Number(text) : (Date.parse(text) - now.getTime()) / 1000;
  if (!Number.isFinite(seconds)) return null;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)));
}
