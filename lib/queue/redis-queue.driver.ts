import { Logger } from '@nestjs/common';
import { assertHandlerRegistration, assertStartable, knownQueue } from './queue-driver.rules.js';
import { assertMessageId, isMessageId } from './check-message-id.util.js';
import { describeError } from './describe-error.util.js';
import { TalktoQueueUnavailableError } from './errors/queue-unavailable.error.js';
import type { RedisQueueDriverOptions } from './interfaces/talkto-queue-options.interface.js';
import { DEFAULT_DISPATCH_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS } from './queue.constants.js';
import { settleWithin } from './settle-within.util.js';
import type {
  TalktoDispatchOptions,
  TalktoJobHandler,
  TalktoQueueDriver,
  TalktoQueueLogger,
  TalktoQueueName,
} from './talkto-queue.port.js';

/** All a job carries: the row is read from the database when the job runs. */
export interface TalktoJobData {
  messageId: number;
}

/** Where a message's immediate job stands, as far as de-duplication cares. */
export type ImmediateJobState = 'absent' | 'waiting' | 'elsewhere';

/** Every job runs once (the database decides retries) and leaves nothing behind in Redis. */
export const TALKTO_JOB_OPTIONS = { attempts: 1, removeOnComplete: true, removeOnFail: true } as const;

/** Repeated Redis connection errors are logged once per this interval, not once per reconnect. */
const REDIS_ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * What the Bull and BullMQ drivers share: queues registered the Nest way and handed in, jobs that
 * carry a message id and run once, bounded waits on Redis, and the de-duplication rule.
 *
 * De-duplication: an immediate dispatch uses the job id `message-<id>`, so dispatching a message
 * that is already waiting is a no-op. A message whose job is running gets a second job with a
 * random id (the running job may have read the row before the new state was committed). Delayed
 * jobs always get random ids, so they never hold back an immediate dispatch. Any duplicate that
 * slips through is harmless: the ledger's conditional claim lets only one run act.
 */
export abstract class RedisQueueDriver<Queue> implements TalktoQueueDriver {
  private readonly handlers = new Map<TalktoQueueName, { handler: TalktoJobHandler; concurrency: number }>();
  private readonly consuming = new Set<TalktoQueueName>();
  private readonly stopTimeoutMs: number;
  private readonly dispatchTimeoutMs: number;
  private started = false;
  private stopped = false;
  private closing?: Promise<void>;
  private lastRedisError?: { message: string; at: number };

  constructor(
    protected readonly queues: ReadonlyMap<TalktoQueueName, Queue>,
    options: Pick<RedisQueueDriverOptions, 'stopTimeoutMs' | 'dispatchTimeoutMs'>,
    protected readonly logger: TalktoQueueLogger = new Logger('TalktoQueue'),
  ) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.dispatchTimeoutMs = options.dispatchTimeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS;
  }

  async dispatch(
    queue: TalktoQueueName,
    messageId: number,
    options: TalktoDispatchOptions = {},
  ): Promise<void> {
    assertMessageId(messageId);
    const target = this.queueOf(queue);
    if (this.closing) {
      throw new TalktoQueueUnavailableError(`The ${queue} queue is closed.`);
    }
    await this.withinDispatchTimeout(
      queue,
      this.enqueue(target, messageId, options.delayMs ?? 0, options.newRow ?? false),
    );
  }

  process(queue: TalktoQueueName, handler: TalktoJobHandler, concurrency: number): void {
    this.queueOf(queue);
    assertHandlerRegistration(queue, this.handlers.has(queue), concurrency);
    this.handlers.set(queue, { handler, concurrency });
    if (this.started) {
      this.consume(queue);
    }
  }

  async start(): Promise<void> {
    assertStartable(this.stopped);
    this.started = true;
    for (const queue of this.handlers.keys()) {
      this.consume(queue);
    }
  }

  /**
   * Stops this process's workers only (other instances keep consuming) and waits up to
   * `stopTimeoutMs` for running jobs. Jobs dispatched afterwards still go to Redis for others.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const finished = await settleWithin(this.stopConsuming([...this.consuming]), this.stopTimeoutMs);
    if (finished === 'timeout') {
      this.logger.warn(`Talkto queue stopped with jobs still running after ${this.stopTimeoutMs} ms.`);
    } else if (finished instanceof Error) {
      this.logger.warn(`Talkto queue could not stop cleanly: ${finished.message}`);
    }
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.stopped) {
        await this.stop();
      }
      // stop() already waited for running jobs; do not wait for them a second time.
      await this.release();
    })();
    return this.closing;
  }

  async depth(queue: TalktoQueueName): Promise<number> {
    return this.withinDispatchTimeout(queue, this.count(this.queueOf(queue)));
  }

  /** Adds one job; with a `jobId`, a job of that id that already exists makes it a no-op. */
  protected abstract addJob(
    queue: Queue,
    data: TalktoJobData,
    job: { jobId?: string; delay?: number },
  ): Promise<void>;
  protected abstract immediateJobState(queue: Queue, jobId: string): Promise<ImmediateJobState>;
  /** Starts taking jobs of one queue; `run` settles when the job is done. */
  protected abstract startConsuming(
    name: TalktoQueueName,
    queue: Queue,
    concurrency: number,
    run: (jobId: string | undefined, data: unknown) => Promise<void>,
  ): void;
  /** Takes no new jobs and resolves once the running ones finished. */
  protected abstract stopConsuming(names: TalktoQueueName[]): Promise<unknown>;
  /** Closes workers and queues without waiting for jobs. */
  protected abstract release(): Promise<void>;
  /** Waiting, delayed and running jobs. */
  protected abstract count(queue: Queue): Promise<number>;

  protected reportRedisError(queue: TalktoQueueName, error: unknown): void {
    const { message } = describeError(error);
    const now = Date.now();
    if (
      this.lastRedisError?.message === message &&
      now - this.lastRedisError.at < REDIS_ERROR_LOG_INTERVAL_MS
    ) {
      return;
    }
    this.lastRedisError = { message, at: now };
    this.logger.warn(`Talkto ${queue} queue: Redis error: ${message}`);
  }

  private queueOf(queue: TalktoQueueName): Queue {
    return knownQueue(this.queues as Map<TalktoQueueName, Queue>, queue);
  }

  private async enqueue(queue: Queue, messageId: number, delayMs: number, newRow: boolean): Promise<void> {
    if (delayMs > 0) {
      return this.addJob(queue, { messageId }, { delay: delayMs });
    }
    const jobId = `message-${messageId}`;
    const state = newRow ? 'absent' : await this.immediateJobState(queue, jobId);
    if (state === 'absent') {
      // Redis ignores the add if another dispatcher created this id meanwhile: still one job.
      return this.addJob(queue, { messageId }, { jobId });
    }
    if (state === 'elsewhere') {
      await this.addJob(queue, { messageId }, {});
    }
  }

  private consume(queue: TalktoQueueName): void {
    const registered = this.handlers.get(queue);
    if (!registered || this.stopped || this.consuming.has(queue)) {
      return;
    }
    this.consuming.add(queue);
    this.startConsuming(queue, this.queueOf(queue), registered.concurrency, (jobId, data) =>
      this.run(queue, registered.handler, jobId, data),
    );
  }

  private async run(
    queue: TalktoQueueName,
    handler: TalktoJobHandler,
    jobId: string | undefined,
    data: unknown,
  ): Promise<void> {
    const messageId: unknown = (data as Partial<TalktoJobData> | undefined)?.messageId;
    if (!isMessageId(messageId)) {
      this.logger.error(`Talkto ${queue} job ${String(jobId)} carries no valid message id; dropped.`);
      return;
    }
    try {
      await handler(messageId);
    } catch (error) {
      // Logged here because nothing above us will; rethrown so the queue records the job as failed.
      const { message, trace } = describeError(error);
      this.logger.error(`Talkto ${queue} job for message ${messageId} failed: ${message}`, trace);
      throw error;
    }
  }

  private async withinDispatchTimeout<T>(queue: TalktoQueueName, work: Promise<T>): Promise<T> {
    const outcome = await settleWithin(work, this.dispatchTimeoutMs);
    if (outcome === 'timeout') {
      throw new TalktoQueueUnavailableError(
        `Redis did not answer for the ${queue} queue within ${this.dispatchTimeoutMs} ms.`,
      );
    }
    if (outcome instanceof Error) {
      throw new TalktoQueueUnavailableError(
        `Redis refused the ${queue} queue operation: ${outcome.message}`,
        {
          cause: outcome,
        },
      );
    }
    return outcome.value;
  }
}
