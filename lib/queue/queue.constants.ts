import type { TalktoQueueName } from './talkto-queue.port.js';

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

/** Outgoing commands. Registered under this name with `@nestjs/bull` or `@nestjs/bullmq`. */
export const TALKTO_SEND_QUEUE = 'talkto-send';
/** Received commands waiting for their handler. */
export const TALKTO_PROCESS_QUEUE = 'talkto-process';
/** Outgoing result callbacks. */
export const TALKTO_CALLBACK_QUEUE = 'talkto-callback';
/** Entity events to raise or forward. */
export const TALKTO_EVENT_QUEUE = 'talkto-event';

/** The registered (Redis) queue name of each Talkto queue. */
export const TALKTO_REGISTERED_QUEUES: Readonly<Record<TalktoQueueName, string>> = {
  send: TALKTO_SEND_QUEUE,
  process: TALKTO_PROCESS_QUEUE,
  callback: TALKTO_CALLBACK_QUEUE,
  event: TALKTO_EVENT_QUEUE,
};
