import { loadOptionalPeer } from '../config/load-optional-peer.util.js';
import { BullQueueDriver } from './bull.driver.js';
import { InProcessQueueDriver } from './in-process.driver.js';
import { TalktoQueueUsageError } from './errors/queue-usage.error.js';
import type { TalktoQueueOptions } from './interfaces/talkto-queue-options.interface.js';
import type { TalktoQueueDriver, TalktoQueueLogger } from './talkto-queue.port.js';

/**
 * Picks the driver from the options; without any, the embedded in-process driver. A driver's
 * package is an optional peer, loaded here only when that driver is chosen.
 */
export async function createTalktoQueueDriver(
  options: TalktoQueueOptions = { driver: 'in-process' },
  logger?: TalktoQueueLogger,
): Promise<TalktoQueueDriver> {
  switch (options.driver) {
    case 'in-process':
      return new InProcessQueueDriver({ stopTimeoutMs: options.stopTimeoutMs }, logger);
    case 'bull': {
      if (!options.redis) {
        throw new TalktoQueueUsageError('The bull queue driver needs a redis connection.', 'queue.redis');
      }
      const bull = await loadOptionalPeer('bull', 'queue.driver', () => import('bull'));
      return new BullQueueDriver(
        bull,
        {
          redis: options.redis,
          prefix: options.prefix,
          stopTimeoutMs: options.stopTimeoutMs,
          dispatchTimeoutMs: options.dispatchTimeoutMs,
        },
        logger,
      );
    }
    default:
      throw new TalktoQueueUsageError(
        `Unknown queue driver ${JSON.stringify((options as { driver?: unknown }).driver)}.`,
        'queue.driver',
      );
  }
}
