import { Logger } from '@nestjs/common';
import type Bull from 'bull';
import { assertHandlerRegistration, assertStartable, knownQueue } from './queue-driver.rules.js';
import { assertMessageId, isMessageId } from './check-message-id.util.js';
import { describeError } from './describe-error.util.js';
import { TalktoQueueUnavailableError } from './errors/queue-unavailable.error.js';
import type {
  BullQueueDriverOptions,
  TalktoRedisConnection,
} from './interfaces/talkto-queue-options.interface.js';
import {
  DEFAULT_DISPATCH_TIMEOUT_MS,
  DEFAULT_QUEUE_PREFIX,
  DEFAULT_STOP_TIMEOUT_MS,
} from './queue.constants.js';
import {
  TALKTO_QUEUE_NAMES,
  type TalktoDispatchOptions,
  type TalktoJobHandler,
  type TalktoQueueDriver,
  type TalktoQueueLogger,
  type TalktoQueueName,
} from './talkto-queue.port.js';

/** All a job carries: the row is read from the database when the job runs. */
interface TalktoJobData {
  messageId: number;
}

/** Repeated Redis connection errors are logged once per this interval, not once per reconnect. */
const REDIS_ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Production driver on Bull: one Bull queue per name (`talkto-send`, `talkto-process`,
 * `talkto-callback`) under the configured key prefix.
 *
 * Jobs run once (`attempts: 1`): retries and dead-lettering belong to the pipelines, which record
 * them in the database. Finished jobs are removed from Redis, which keeps it small and lets a
 * message be dispatched again under the same job id.
 *
 * De-duplication: an immediate dispatch uses the job id `message-<id>`, so dispatching a message
 * that is already waiting is a no-op. A message whose job is running gets a second job with a
 * random id (the running job may have read the row before the new state was committed). Delayed
 * jobs always get random ids, so they never hold back an immediate dispatch. Any duplicate that
 * slips through is harmless: the ledger's conditional claim lets only one run act.
 */
export class BullQueueDriver implements TalktoQueueDriver {
  private readonly queues = new Map<TalktoQueueName, Bull.Queue<TalktoJobData>>();
  private readonly handlers = new Map<TalktoQueueName, { handler: TalktoJobHandler; concurrency: number }>();
  private readonly consuming = new Set<TalktoQueueName>();
  private readonly stopTimeoutMs: number;
  private readonly dispatchTimeoutMs: number;
  private started = false;
  private stopped = false;
  private closing?: Promise<void>;
  private lastRedisError?: { message: string; at: number };

  /** `queueClass` is the `bull` package's default export, loaded only when this driver is chosen. */
  constructor(
    queueClass: typeof Bull,
    options: BullQueueDriverOptions,
    private readonly logger: TalktoQueueLogger = new Logger('TalktoQueue'),
  ) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.dispatchTimeoutMs = options.dispatchTimeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS;
    const redis = failFastRedisOptions(options.redis);
    for (const name of TALKTO_QUEUE_NAMES) {
      const queue = new queueClass<TalktoJobData>(`talkto-${name}`, {
        prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
        redis,
        defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
      });
      queue.on('error', (error: unknown) => this.reportRedisError(name, error));
      this.queues.set(name, queue);
    }
  }

  async dispatch(
    queue: TalktoQueueName,
    messageId: number,
    options: TalktoDispatchOptions = {},
  ): Promise<void> {
    assertMessageId(messageId);
    const bull = this.queueOf(queue);
    if (this.closing) {
      throw new TalktoQueueUnavailableError(`The ${queue} queue is closed.`);
    }
    await this.withinDispatchTimeout(queue, this.add(bull, messageId, options.delayMs ?? 0, options.newRow));
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
   * Pauses this process's workers only (other instances keep consuming) and waits up to
   * `stopTimeoutMs` for running jobs. Jobs dispatched afterwards still go to Redis for others.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const pausing = Promise.all([...this.consuming].map((name) => this.queueOf(name).pause(true)));
    const finished = await settleWithin(pausing, this.stopTimeoutMs);
    if (finished === 'timeout') {
      this.logger.warn(`Talkto queue stopped with jobs still running after ${this.stopTimeoutMs} ms.`);
    } else if (finished instanceof Error) {
      this.logger.warn(`Talkto queue could not pause cleanly: ${finished.message}`);
    }
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.stopped) {
        await this.stop();
      }
      // stop() already waited for running jobs; do not wait for them a second time.
      await Promise.all([...this.queues.values()].map((queue) => queue.close(true)));
    })();
    return this.closing;
  }

  async depth(queue: TalktoQueueName): Promise<number> {
    const bull = this.queueOf(queue);
    return this.withinDispatchTimeout(
      queue,
      bull.getJobCountByTypes(['waiting', 'paused', 'delayed', 'active'] as Bull.JobStatus[]),
    );
  }

  private queueOf(queue: TalktoQueueName): Bull.Queue<TalktoJobData> {
    return knownQueue(this.queues, queue);
  }

  private async add(
    bull: Bull.Queue<TalktoJobData>,
    messageId: number,
    delayMs: number,
    newRow = false,
  ): Promise<void> {
    if (delayMs > 0) {
      await bull.add({ messageId }, { delay: delayMs });
      return;
    }
    const jobId = `message-${messageId}`;
    const existing = newRow ? null : await bull.getJob(jobId);
    if (!existing) {
      // Bull ignores the add if another dispatcher created this id meanwhile: still one job.
      await bull.add({ messageId }, { jobId });
      return;
    }
    if ((await existing.isWaiting()) || (await existing.isPaused())) {
      return;
    }
    await bull.add({ messageId });
  }

  private consume(queue: TalktoQueueName): void {
    const registered = this.handlers.get(queue);
    if (!registered || this.stopped || this.consuming.has(queue)) {
      return;
    }
    this.consuming.add(queue);
    // Bull's process() promise settles only when the queue closes; failures surface as 'error' events.
    this.queueOf(queue)
      .process(registered.concurrency, (job: Bull.Job<TalktoJobData>) =>
        this.run(queue, registered.handler, job),
      )
      .catch((error: unknown) => this.reportRedisError(queue, error));
  }

  private async run(
    queue: TalktoQueueName,
    handler: TalktoJobHandler,
    job: Bull.Job<TalktoJobData>,
  ): Promise<void> {
    const messageId: unknown = job.data?.messageId;
    if (!isMessageId(messageId)) {
      this.logger.error(`Talkto ${queue} job ${String(job.id)} carries no valid message id; dropped.`);
      return;
    }
    try {
      await handler(messageId);
    } catch (error) {
      // Logged here because nothing above us will; rethrown so Bull records the job as failed.
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

  private reportRedisError(queue: TalktoQueueName, error: unknown): void {
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
}

/**
 * Bull's command client retries a queued command for minutes while Redis is away. One retry is
 * enough for us: a dispatch that cannot reach Redis should fail so the caller leaves the row to the
 * sweeper, and commands must not pile up in memory during an outage. Bull forces its blocking and
 * subscriber connections back to unlimited retries, as they require.
 */
function failFastRedisOptions(redis: TalktoRedisConnection): TalktoRedisConnection {
  const options = typeof redis === 'string' ? redisUrlToOptions(redis) : redis;
  return { maxRetriesPerRequest: 1, ...options };
}

function redisUrlToOptions(url: string): Exclude<TalktoRedisConnection, string> {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Settles `work` or gives up after `timeoutMs`, without leaving a timer behind. */
async function settleWithin<T>(
  work: Promise<T>,
  timeoutMs: number,
): Promise<{ value: T } | Error | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ value }),
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
