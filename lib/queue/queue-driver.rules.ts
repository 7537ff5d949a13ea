import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TalktoQueueUsageError } from './errors/queue-usage.error.js';
import type { TalktoQueueOptions } from './interfaces/talkto-queue-options.interface.js';
import type { TalktoQueueName } from './talkto-queue.port.js';

// The rules every queue driver applies alike, so both refuse misuse with the same error.

/** A driver's per-queue state; an unknown name is a caller's mistake. */
export function knownQueue<T>(queues: Map<TalktoQueueName, T>, queue: TalktoQueueName): T {
  const known = queues.get(queue);
  if (known === undefined) {
    throw new TalktoQueueUsageError(`Unknown queue ${String(queue)}.`, 'queue');
  }
  return known;
}

/** One handler per queue, with a positive whole concurrency. */
export function assertHandlerRegistration(
  queue: TalktoQueueName,
  alreadyHandled: boolean,
  concurrency: number,
): void {
  if (alreadyHandled) {
    throw new TalktoQueueUsageError(`The ${queue} queue already has a handler.`, 'queue');
  }
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new TalktoQueueUsageError('Queue concurrency must be a positive integer.', 'concurrency');
  }
}

/** A stopped driver stays stopped. */
export function assertStartable(stopped: boolean): void {
  if (stopped) {
    throw new TalktoQueueUsageError('A stopped queue driver cannot be started again.');
  }
}

/**
 * The driver's module is imported before `forRootAsync`'s factory runs, so the driver is chosen
 * statically; the factory's `queue` settings must name the same one.
 */
export function assertStaticDriver(
  chosen: TalktoQueueOptions['driver'],
  configured: TalktoQueueOptions['driver'],
): void {
  if (chosen !== configured) {
    throw new TalktoConfigurationError(
      'queue.driver',
      `is '${configured}' but the module was set up for '${chosen}': with forRootAsync, also pass queue: { driver: '${configured}' } beside useFactory`,
    );
  }
}
