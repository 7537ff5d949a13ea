/**
 * The dispatcher port. A queue only makes delivery fast: the database row is the truth, so a job
 * carries nothing but the message id and may be lost at any time (the sweeper finds the row again).
 */

/**
 * `callback` jobs are outgoing messages too; their own queue lets operators tell them apart.
 * `event` jobs carry entity event ids (rows of `talkto_entity_events`), not message ids.
 */
export type TalktoQueueName = 'send' | 'process' | 'callback' | 'event';

export const TALKTO_QUEUE_NAMES: readonly TalktoQueueName[] = ['send', 'process', 'callback', 'event'];

export interface TalktoJobHandler {
  (messageId: number): Promise<void>;
}

export interface TalktoDispatchOptions {
  /** Run no earlier than this many milliseconds from now. Default: as soon as a worker is free. */
  delayMs?: number;
  /**
   * The row was inserted just now, so no job for it can exist yet: a driver that deduplicates
   * jobs (Bull) may skip looking for one.
   */
  newRow?: boolean;
}

/** Where drivers report handler failures and lost work; Nest's `Logger` fits. */
export interface TalktoQueueLogger {
  error(message: string, trace?: string): void;
  warn(message: string): void;
}

export interface TalktoQueueDriver {
  /** Rejects when the job could not be handed over; callers leave the row to the sweeper. */
  dispatch(queue: TalktoQueueName, messageId: number, options?: TalktoDispatchOptions): Promise<void>;
  /** Registers the one handler of a queue; work begins at `start()`. */
  process(queue: TalktoQueueName, handler: TalktoJobHandler, concurrency: number): void;
  start(): Promise<void>;
  /** Stops taking work and waits (bounded) for running jobs to finish. */
  stop(): Promise<void>;
  /** Releases connections and timers; the driver is unusable afterwards. */
  close(): Promise<void>;
  /** Jobs not yet finished: waiting, delayed and running. For metrics. */
  depth(queue: TalktoQueueName): Promise<number>;
}
