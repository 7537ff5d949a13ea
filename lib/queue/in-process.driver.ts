import { Logger } from '@nestjs/common';
import { assertHandlerRegistration, assertStartable, knownQueue } from './queue-driver.rules.js';
import { assertMessageId } from './check-message-id.util.js';
import { describeError } from './describe-error.util.js';
import { TalktoQueueUsageError } from './errors/queue-usage.error.js';
import type { InProcessQueueDriverOptions } from './interfaces/talkto-queue-options.interface.js';
import { DEFAULT_STOP_TIMEOUT_MS } from './queue.constants.js';
import {
  TALKTO_QUEUE_NAMES,
  type TalktoDispatchOptions,
  type TalktoJobHandler,
  type TalktoQueueDriver,
  type TalktoQueueLogger,
  type TalktoQueueName,
} from './talkto-queue.port.js';

interface LocalQueue {
  handler?: TalktoJobHandler;
  concurrency: number;
  /** FIFO of ids, mirrored by a set so a waiting id is queued once. */
  waiting: number[];
  waitingIds: Set<number>;
  running: number;
  delayed: Set<NodeJS.Timeout>;
}

/**
 * The embedded driver used when no Redis is configured: one in-memory FIFO per queue name.
 * Everything here dies with the process, which is fine: the rows are in the database and the
 * sweeper dispatches them again after a restart.
 */
export class InProcessQueueDriver implements TalktoQueueDriver {
  private readonly queues = new Map<TalktoQueueName, LocalQueue>();
  private readonly stopTimeoutMs: number;
  private started = false;
  private stopped = false;
  /** Resolvers of `stop()`/`drain()` callers, re-checked whenever a job settles. */
  private readonly idleWaiters = new Set<() => void>();

  constructor(
    options: InProcessQueueDriverOptions = {},
    private readonly logger: TalktoQueueLogger = new Logger('TalktoQueue'),
  ) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    for (const name of TALKTO_QUEUE_NAMES) {
      this.queues.set(name, {
        concurrency: 1,
        waiting: [],
        waitingIds: new Set(),
        running: 0,
        delayed: new Set(),
      });
    }
  }

  async dispatch(
    queue: TalktoQueueName,
    messageId: number,
    options: TalktoDispatchOptions = {},
  ): Promise<void> {
    assertMessageId(messageId);
    const local = this.queueOf(queue);
    if (this.stopped) {
      this.logger.warn(`Talkto ${queue} job for message ${messageId} dropped: the queue is stopped.`);
      return;
    }
    const delayMs = options.delayMs ?? 0;
    if (delayMs > 0) {
      this.schedule(queue, local, messageId, Date.now() + delayMs);
      return;
    }
    this.enqueue(local, messageId);
  }

  process(queue: TalktoQueueName, handler: TalktoJobHandler, concurrency: number): void {
    const local = this.queueOf(queue);
    assertHandlerRegistration(queue, local.handler !== undefined, concurrency);
    local.handler = handler;
    local.concurrency = concurrency;
    this.pump(local);
  }

  async start(): Promise<void> {
    assertStartable(this.stopped);
    this.started = true;
    for (const local of this.queues.values()) {
      this.pump(local);
    }
  }

  /**
   * Takes no more work: waiting and delayed jobs are dropped (their rows stay dispatchable in the
   * database) and running jobs get up to `stopTimeoutMs` to finish.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.dropPendingWork();
    }
    const finished = await this.waitUntil(() => this.runningCount() === 0, this.stopTimeoutMs);
    if (!finished) {
      this.logger.warn(
        `Talkto queue stopped with ${this.runningCount()} job(s) still running after ${this.stopTimeoutMs} ms.`,
      );
    }
  }

  async close(): Promise<void> {
    await this.stop();
  }

  async depth(queue: TalktoQueueName): Promise<number> {
    const local = this.queueOf(queue);
    return local.waiting.length + local.delayed.size + local.running;
  }

  /**
   * Resolves once no job is waiting or running in any queue, including jobs that handlers dispatch
   * meanwhile. Delayed jobs that are not yet due do not count: a test that needs them advances to
   * them on purpose. Rejects instead of hanging when waiting work can never run (not started,
   * stopped, or a queue without a handler).
   */
  async drain(): Promise<void> {
    const stuck = this.stuckQueue();
    if (stuck) {
      throw new TalktoQueueUsageError(`Cannot drain: the ${stuck} queue holds jobs that nothing will run.`);
    }
    await this.waitUntil(() => this.isIdle() || this.stuckQueue() !== undefined);
    const stuckNow = this.stuckQueue();
    if (stuckNow) {
      throw new TalktoQueueUsageError(
        `Cannot drain: the ${stuckNow} queue holds jobs that nothing will run.`,
      );
    }
  }

  private queueOf(queue: TalktoQueueName): LocalQueue {
    return knownQueue(this.queues, queue);
  }

  private schedule(queue: TalktoQueueName, local: LocalQueue, messageId: number, dueAt: number): void {
    const timer = setTimeout(() => {
      local.delayed.delete(timer);
      // Timers may fire a millisecond early; a delayed job must never run before it is due.
      const remaining = dueAt - Date.now();
      if (remaining > 0) {
        this.schedule(queue, local, messageId, dueAt);
        return;
      }
      this.enqueue(local, messageId);
    }, dueAt - Date.now());
    // A pending delay must not keep the process alive; the database remembers the message.
    timer.unref();
    local.delayed.add(timer);
  }

  private enqueue(local: LocalQueue, messageId: number): void {
    if (this.stopped || local.waitingIds.has(messageId)) {
      return;
    }
    local.waiting.push(messageId);
    local.waitingIds.add(messageId);
    this.pump(local);
  }

  private pump(local: LocalQueue): void {
    const handler = local.handler;
    if (!this.started || this.stopped || !handler) {
      return;
    }
    while (local.running < local.concurrency && local.waiting.length > 0) {
      const messageId = local.waiting.shift() as number;
      local.waitingIds.delete(messageId);
      local.running += 1;
      void this.run(local, handler, messageId);
    }
  }

  private async run(local: LocalQueue, handler: TalktoJobHandler, messageId: number): Promise<void> {
    try {
      await handler(messageId);
    } catch (error) {
      // The pipelines own retries and dead-lettering; reaching here means they could not record the
      // failure themselves, so the row stays claimed and stale recovery takes it back.
      const { message, trace } = describeError(error);
      this.logger.error(`Talkto job for message ${messageId} failed: ${message}`, trace);
    } finally {
      local.running -= 1;
      this.pump(local);
      this.notifyIdleWaiters();
    }
  }

  private dropPendingWork(): void {
    let dropped = 0;
    for (const local of this.queues.values()) {
      dropped += local.waiting.length + local.delayed.size;
      local.delayed.forEach((timer) => clearTimeout(timer));
      local.delayed.clear();
      local.waiting.length = 0;
      local.waitingIds.clear();
    }
    if (dropped > 0) {
      this.logger.warn(
        `Talkto queue stopped with ${dropped} job(s) not started; the sweeper will dispatch them again.`,
      );
    }
  }

  private runningCount(): number {
    let running = 0;
    for (const local of this.queues.values()) {
      running += local.running;
    }
    return running;
  }

  private isIdle(): boolean {
    for (const local of this.queues.values()) {
      if (local.running > 0 || local.waiting.length > 0) {
        return false;
      }
    }
    return true;
  }

  private stuckQueue(): TalktoQueueName | undefined {
    for (const [name, local] of this.queues) {
      if (local.waiting.length > 0 && (!this.started || this.stopped || !local.handler)) {
        return name;
      }
    }
    return undefined;
  }

  /** Resolves true once `condition` holds (checked after every job), false after `timeoutMs`. */
  private waitUntil(condition: () => boolean, timeoutMs?: number): Promise<boolean> {
    if (condition()) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        if (condition()) {
          this.idleWaiters.delete(check);
          clearTimeout(timer);
          resolve(true);
        }
      };
      this.idleWaiters.add(check);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.idleWaiters.delete(check);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  private notifyIdleWaiters(): void {
    for (const check of [...this.idleWaiters]) {
      check();
    }
  }
}
