import type Bull from 'bull';
import {
  type ImmediateJobState,
  RedisQueueDriver,
  TALKTO_JOB_OPTIONS,
  type TalktoJobData,
} from './redis-queue.driver.js';
import type { TalktoQueueName } from './talkto-queue.port.js';

/**
 * The driver on Bull. Its queues (`talkto-send`, `talkto-process`, `talkto-callback`,
 * `talkto-event`) are registered through `@nestjs/bull`, so the host can inject and watch them;
 * this class only adds and consumes Talkto's jobs on them.
 */
export class BullQueueDriver extends RedisQueueDriver<Bull.Queue<TalktoJobData>> {
  protected async addJob(
    queue: Bull.Queue<TalktoJobData>,
    data: TalktoJobData,
    job: { jobId?: string; delay?: number },
  ): Promise<void> {
    await queue.add(data, Object.assign({}, TALKTO_JOB_OPTIONS, job));
  }

  protected async immediateJobState(
    queue: Bull.Queue<TalktoJobData>,
    jobId: string,
  ): Promise<ImmediateJobState> {
    const existing = await queue.getJob(jobId);
    if (!existing) return 'absent';
    return (await existing.isWaiting()) || (await existing.isPaused()) ? 'waiting' : 'elsewhere';
  }

  protected startConsuming(
    name: TalktoQueueName,
    queue: Bull.Queue<TalktoJobData>,
    concurrency: number,
    run: (jobId: string | undefined, data: unknown) => Promise<void>,
  ): void {
    queue.on('error', (error: unknown) => this.reportRedisError(name, error));
    // Bull's process() promise settles only when the queue closes; failures surface as 'error' events.
    queue
      .process(concurrency, (job: Bull.Job<TalktoJobData>) => run(String(job.id), job.data))
      .catch((error: unknown) => this.reportRedisError(name, error));
  }

  protected stopConsuming(names: TalktoQueueName[]): Promise<unknown> {
    // A local pause: this process takes no more jobs once its running ones are done.
    return Promise.all(names.map((name) => this.queues.get(name)!.pause(true)));
  }

  protected async release(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close(true)));
  }

  protected count(queue: Bull.Queue<TalktoJobData>): Promise<number> {
    return queue.getJobCountByTypes(['waiting', 'paused', 'delayed', 'active'] as Bull.JobStatus[]);
  }
}
