import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { TALKTO_QUEUE_DRIVER } from '../queue/queue.constants.js';
import type { TalktoQueueDriver } from '../queue/talkto-queue.port.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TALKTO_MODULE_OPTIONS } from '../talkto.constants.js';
import { EntityEventCatalog } from './entity-event.catalog.js';
import { EntityEventPipeline } from './entity-event.pipeline.js';
import { EntityEventStore } from './entity-event.store.js';
import { isBackgroundWorkEnabled } from '../config/background-work.util.js';

const RECOVERY_BATCH = 100;

/**
 * Serves the `event` queue and, on a timer, re-queues events that should be running but have no
 * job (a crash after commit, a lost Redis job, an expired lease): the table is the truth.
 */
@Injectable()
export class EntityEventWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Talkto');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(TALKTO_MODULE_OPTIONS) private readonly options: TalktoModuleOptions,
    @Inject(TALKTO_QUEUE_DRIVER) private readonly driver: TalktoQueueDriver,
    private readonly pipeline: EntityEventPipeline,
    private readonly store: EntityEventStore,
    private readonly catalog: EntityEventCatalog,
    private readonly dispatcher: TalktoDispatcher,
    private readonly clock: TalktoClock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.catalog.hasWatches() || !isBackgroundWorkEnabled()) return;
    const delivery = this.options.entityEventDelivery ?? {};
    this.driver.process('event', (id) => this.pipeline.run(id), delivery.concurrency ?? 4);
    const everyMs = (delivery.recoveryIntervalSeconds ?? 5) * 1000;
    this.timer = setInterval(() => void this.recover(), everyMs);
    this.timer.unref();
    void this.recover();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Queues every due or abandoned event once; duplicates are harmless (the claim admits one). */
  async recover(): Promise<number> {
    try {
      const ids = await this.store.findRecoverable(this.clock.now(), RECOVERY_BATCH);
      for (const id of ids) {
        await this.dispatcher.dispatch('event', id);
      }
      return ids.length;
    } catch (error) {
      this.logger.warn(`Entity event recovery failed: ${(error as Error).message}`);
      return 0;
    }
  }
}
