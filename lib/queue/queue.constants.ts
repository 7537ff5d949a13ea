/** Injection token of the active `TalktoQueueDriver`. */
export const TALKTO_QUEUE_DRIVER = 'talkto:queue-driver';

/** Redis key prefix of the Bull driver unless the host sets one. */
export const DEFAULT_QUEUE_PREFIX = 'talkto';

/** How long `stop()` waits for running jobs before giving up on them. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** How long a Bull `dispatch()` may wait for Redis before it rejects. */
export const DEFAULT_DISPATCH_TIMEOUT_MS = 5_000;

/** Name of the sweep's interval in the host's `SchedulerRegistry`, when the host has one. */
export const TALKTO_SWEEPER_INTERVAL = 'talkto-sweeper';
