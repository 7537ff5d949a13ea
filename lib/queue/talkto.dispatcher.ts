import { Inject, Injectable, Logger } from '@nestjs/common';
import { TALKTO_QUEUE_DRIVER } from './queue.constants.js';
import type { TalktoDispatchOptions, TalktoQueueDriver, TalktoQueueName } from './talkto-queue.port.js';

/**
 * Hands message ids to the queue. A failed hand-over is logged, not thrown: the row is already
 * durable and the sweeper dispatches it again, so the caller's request must not fail for it.
 */
@Injectable()
export class TalktoDispatcher {
  private readonly logger = new Logger('Talkto');

  constructor(@Inject(TALKTO_QUEUE_DRIVER) private readonly driver: TalktoQueueDriver) {}

  async dispatch(
    queue: TalktoQueueName,
    messageId: number,
    options?: TalktoDispatchOptions,
  ): Promise<boolean> {
    try {
      await this.driver.dispatch(queue, messageId, options);
      return true;
    } catch (error) {
      this.logger.warn(
        `Could not queue message #${messageId} on '${queue}' (${(error as Error).message}); the sweeper will pick it up.`,
      );
      return false;
    }
  }
}
