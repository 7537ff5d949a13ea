import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoQueueName } from './talkto-queue.port.js';

/** The queue whose job moves a message on: handler runs for incoming rows, sends for outgoing ones. */
export function queueFor(
  message: { direction: string; command: string },
  options: Pick<ResolvedTalktoOptions, 'callbacks'>,
): TalktoQueueName {
  if (message.direction === 'incoming') return 'process';
  return message.command === options.callbacks.command ? 'callback' : 'send';
}

/**
 * How long a dispatch claim keeps other dispatchers off a row. The job normally takes the row
 * within milliseconds; if the job is lost, the sweeper may dispatch again once this has passed.
 */
export function dispatchClaimLeaseMs(options: Pick<ResolvedTalktoOptions, 'sweeper'>): number {
  return Math.max(2 * options.sweeper.graceMs, 60_000);
}
