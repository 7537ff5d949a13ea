export const TALKTO_RATE_LIMITER = 'TALKTO_RATE_LIMITER';

/**
 * 10,000 requests per source in 10 s: above what one busy, healthy peer sends and below what one
 * receiver process can take (the arithmetic is in docs/reliability.md), so the limit stops a
 * runaway peer, not a burst. PHP's routes allow 120 a minute (PROTOCOL §2.2); a sender of ours
 * waits as a 429 asks without spending the message's attempts.
 */
export const DEFAULT_RATE_LIMIT = { limit: 10_000, windowSeconds: 10 } as const;
