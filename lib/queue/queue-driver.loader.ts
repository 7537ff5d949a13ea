import type { DynamicModule } from '@nestjs/common';
import { loadOptionalPeer } from '../config/load-optional-peer.util.js';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TalktoInProcessQueueModule } from './in-process-queue.module.js';
import type { TalktoQueueOptions } from './interfaces/talkto-queue-options.interface.js';

/**
 * The module providing the queue driver. A Redis driver's packages (`bull` and `@nestjs/bull`, or
 * `bullmq` and `@nestjs/bullmq`) are optional peers, loaded only when that driver is chosen, so a
 * host installs only the packages of its own driver; a missing one fails the boot naming it.
 */
export async function loadQueueDriverModule(
  driver: TalktoQueueOptions['driver'] = 'in-process',
): Promise<DynamicModule> {
  switch (driver) {
    case 'in-process':
      return TalktoInProcessQueueModule.register();
    case 'bull':
      await loadOptionalPeer('bull', 'queue.driver', () => import('bull'));
      await loadOptionalPeer('@nestjs/bull', 'queue.driver', () => import('@nestjs/bull'));
      return (await import('./bull-queues.module.js')).TalktoBullQueuesModule.register();
    case 'bullmq':
      await loadOptionalPeer('bullmq', 'queue.driver', () => import('bullmq'));
      await loadOptionalPeer('@nestjs/bullmq', 'queue.driver', () => import('@nestjs/bullmq'));
      return (await import('./bullmq-queues.module.js')).TalktoBullMqQueuesModule.register();
    default:
      throw new TalktoConfigurationError('queue.driver', "must be 'in-process', 'bull' or 'bullmq'");
  }
}
