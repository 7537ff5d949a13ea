import { MessageStatus as S } from './message.statuses.js';

/** What a result callback does to the original outgoing message (PROTOCOL §11.6). */
export type CallbackApplication = 'applied' | 'duplicate' | 'stale_ignored';

/** The (destination action, overall) pair a callback status asks for. */
export function callbackStatusPair(status: string): { destination: string; overall: string } {
  switch (status) {
    case S.succeeded:
    case S.skipped:
      return { destination: status, overall: S.completed };
    default:
      return { destination: status, overall: status };
  }
}

/**
 * Decides a callback against the original's current statuses: repeats are duplicates, and late
 * reports never turn a success into a failure or a final failure back into a retryable one.
 */
export function decideCallbackApplication(
  current: { overallStatus: string; destinationActionStatus: string | null },
  status: string,
): CallbackApplication {
  const wanted = callbackStatusPair(status);
  if (current.destinationActionStatus === wanted.destination && current.overallStatus === wanted.overall) {
    return 'duplicate';
  }
  if (status === S.succeeded) {
    return 'applied';
  }
  const successful =
    current.overallStatus === S.completed ||
    current.overallStatus === S.succeeded ||
    current.destinationActionStatus === S.succeeded;
  if (successful) {
    return 'stale_ignored';
  }
  const final = current.overallStatus === S.failedFinal || current.destinationActionStatus === S.failedFinal;
  return final && status === S.failedRetryable ? 'stale_ignored' : 'applied';
}
