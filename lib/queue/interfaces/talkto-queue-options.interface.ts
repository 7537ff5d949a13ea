import type { RedisOptions } from 'ioredis';

/** Connection settings handed to ioredis: a `redis://` URL or an options object. */
export type TalktoRedisConnection = string | RedisOptions;

export interface InProcessQueueDriverOptions {
  /** Longest wait in `stop()` for running jobs. Default 10000 ms. */
  stopTimeoutMs?: number;
}

/** Settings shared by the Redis drivers (`bull` through `@nestjs/bull`, `bullmq` through `@nestjs/bullmq`). */
export interface RedisQueueDriverOptions {
  /** Talkto's own Redis. Default: the connection of the host's `BullModule.forRoot()`. */
  redis?: TalktoRedisConnection;
  /** Key prefix; services sharing one Redis need distinct ones. Default `talkto` with `redis`, else the host's. */
  prefix?: string;
  /** Longest wait in `stop()` for running jobs. Default 10000 ms. */
  stopTimeoutMs?: number;
  /** Longest wait for Redis in `dispatch()` before it rejects. Default 5000 ms. */
  dispatchTimeoutMs?: number;
}

/** Which driver to run. Without Redis the in-process driver is the default. */
export type TalktoQueueOptions =
  | ({ driver: 'in-process' } & InProcessQueueDriverOptions)
  | ({ driver: 'bull' } & RedisQueueDriverOptions)
  | ({ driver: 'bullmq' } & RedisQueueDriverOptions);

/** The drivers that keep their jobs in Redis. */
export type TalktoRedisQueueDriver = 'bull' | 'bullmq';
