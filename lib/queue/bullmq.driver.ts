import { type ConnectionOptions, type Job, type Queue, Worker } from 'bullmq';
import {
  type ImmediateJobState,
  RedisQueueDriver,
  TALKTO_JOB_OPTIONS,
  type TalktoJobData,
} from './redis-queue.driver.js';
import type { TalktoQueueName } from './talkto-queue.port.js';

/**
 * A worker waits for jobs on a blocking connection, which must retry forever; BullMQ would say so
 * on the console and override our fail-fast setting. A connection object (not settings) is BullMQ's.
 */
function blockingConnection(connection: ConnectionOptions): ConnectionOptions {
  const isClient = typeof (connection as { duplicate?: unknown }).duplicate === 'function';
  return isClient ? connection : Object.assign({}, connection, { maxRetriesPerRequest: null });
}

/** BullMQ needs a job name; Talkto's jobs differ only by the message id they carry. */
const JOB_NAME = 'message';

/**
 * The driver on BullMQ. Its queues are registered through `@nestjs/bullmq`, so the host can inject
 * and watch them; the workers are this driver's own, created at `start()` on the queue's
 * connection and prefix, so they follow Talkto's lifecycle and concurrency options.
 */
export class BullMqQueueDriver extends RedisQueueDriver<Queue> {
  private readonly workers = new Map<TalktoQueueName, Worker>();

  protected async addJob(
    queue: Queue,
    data: TalktoJobData,
    job: { jobId?: string; delay?: number },
  ): Promise<void> {
    await queue.add(JOB_NAME, data, Object.assign({}, TALKTO_JOB_OPTIONS, job));
  }

  protected async immediateJobState(queue: Queue, jobId: string): Promise<ImmediateJobState> {
    const existing = await queue.getJob(jobId);
    if (!existing) return 'absent';
    const state = await existing.getState();
    return state === 'waiting' || state === 'prioritized' ? 'waiting' : 'elsewhere';
  }

  protected startConsuming(
    name: TalktoQueueName,
    queue: Queue,
    concurrency: number,
    run: (jobId: string | undefined, data: unknown) => Promise<void>,
  ): void {
    queue.on('error', (error: unknown) => this.reportRedisError(name, error));
    const worker = new Worker(queue.name, (job: Job) => run(job.id, job.data), {
      connection: blockingConnection(queue.opts.connection),
      prefix: queue.opts.prefix,
      concurrency,
    });
    worker.on('error', (error: unknown) => this.reportRedisError(name, error));
    this.workers.set(name, worker);
  }

  protected stopConsuming(names: TalktoQueueName[]): Promise<unknown> {
    // Closing a worker waits for its running jobs; the queue stays open for dispatches.
    return Promise.all(names.map((name) => this.workers.get(name)?.close()));
  }

  protected async release(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.close(true)));
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  protected async count(queue: Queue): Promise<number> {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return Object.values(counts).reduce((sum, value) => sum + value, 0);
  }
}
