import { Injectable } from '@nestjs/common';
import { DeadLetterService } from '../operations/dead-letter.service.js';
import { RetryService } from '../operations/retry.service.js';
import { type PanelActionResult, TalktoPanelOperations } from './panel-operations.port.js';

const RETRY_REFUSALS: Record<string, string> = {
  not_found: 'No such message.',
  wrong_service: 'The message belongs to another service.',
  retry_disabled: 'Retries are disabled.',
  direction_disabled: 'Retries are disabled for this direction.',
  non_retryable_status: 'The message is not waiting for a retry.',
  max_attempts_exhausted: 'The message has used all its attempts.',
  claim_changed: 'Another worker took the message first.',
  dispatch_failed: 'The queue refused the job; the sweeper will try again.',
};

/**
 * The panel's actions on the operator services the CLI uses: `RetryService.retryNow` and
 * `DeadLetterService.reprocess`, claimed as `panel-retry` / `panel-dlq-reprocess`.
 */
@Injectable()
export class ReliabilityPanelOperations extends TalktoPanelOperations {
  constructor(
    private readonly retries: RetryService,
    private readonly deadLetters: DeadLetterService,
  ) {
    super();
  }

  async retryNow(messageId: string): Promise<PanelActionResult> {
    const outcome = await this.retries.retryNow(messageId, 'panel-retry');
    return outcome.dispatched
      ? { success: true, message: 'Retry queued.' }
      : { success: false, message: RETRY_REFUSALS[outcome.reason] ?? `Not retried (${outcome.reason}).` };
  }

  async reprocessDeadLetter(deadLetterId: number, force: boolean): Promise<PanelActionResult> {
    if (!Number.isSafeInteger(deadLetterId) || deadLetterId < 1) {
      return { success: false, message: 'No such dead letter.' };
    }
    const summary = await this.deadLetters.reprocess({
      ids: [deadLetterId],
      limit: 1,
      force,
      operation: 'panel-dlq-reprocess',
    });
    if (summary.dispatched === 1)
      return { success: true, message: `Dead letter #${deadLetterId} queued for reprocessing.` };
    if (summary.scanned === 0) return { success: false, message: 'No such dead letter, or it is closed.' };
    if (summary.missingOriginal > 0) return { success: false, message: 'The original message is gone.' };
    const reason =
      Object.keys(summary.skipReasons)[0] ?? (summary.failedDispatch ? 'dispatch_failed' : 'refused');
    return { success: false, message: `Dead letter #${deadLetterId} not reprocessed (${reason}).` };
  }
}
