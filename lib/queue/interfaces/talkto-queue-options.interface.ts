import type { QueueOptions } from 'bull';

/** Connection settings handed to ioredis: a `redis://` URL or an options object. */
export type TalktoRedisConnection = NonNullable<QueueOptions['redis']>;

export interface InProcessQueueDriverOptions {
  /** Longest wait in `stop()` for running jobs. Default 10000 ms. */
  stopTimeoutMs?: number;
}

export interface BullQueueDriverOptions {
  /** Redis to use. Required. */
  redis: TalktoRedisConnection;
  /** Key prefix; services (and tests) sharing one Redis need distinct prefixes. Default `talkto`. */
  prefix?: string;
  /** Longest wait in `stop()` for running jobs. Default 10000 ms. */
  stopTimeoutMs?: number;
  /** Longest wait for Redis in `dispatch()` before it rejects. Default 5000 ms. */
  dispatchTimeoutMs?: number;
}

/** Which driver to run. Without Redis the in-process driver is the default. */
export type TalktoQueueOptions =
  ({ driver: 'in-process' } & InProcessQueueDriverOptions) | ({ driver: 'bull' } & BullQueueDriverOptions);
