import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { ProcessPipeline } from '../incoming/process.pipeline.js';
import { SendPipeline } from '../outgoing/send.pipeline.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { TALKTO_QUEUE_DRIVER } from './queue.constants.js';
import type { TalktoQueueDriver } from './talkto-queue.port.js';
import { isBackgroundWorkEnabled } from '../config/background-work.util.js';

/** Connects the queues to the pipelines and follows the application's lifecycle. */
@Injectable()
export class TalktoWorkers
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    @Inject(TALKTO_QUEUE_DRIVER) private readonly driver: TalktoQueueDriver,
    private readonly sendPipeline: SendPipeline,
    private readonly processPipeline: ProcessPipeline,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!isBackgroundWorkEnabled()) return;
    const { sendConcurrency, processConcurrency } = this.options.workers;
    this.driver.process('send', (id) => this.sendPipeline.run(id), sendConcurrency);
    this.driver.process('callback', (id) => this.sendPipeline.run(id), sendConcurrency);
    this.driver.process('process', (id) => this.processPipeline.run(id), processConcurrency);
    await this.driver.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.driver.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.driver.close();
  }
}
