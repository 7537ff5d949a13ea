import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { MessageLog } from '../persistence/message.log.js';
import { RecoveryLedger } from '../persistence/recovery.ledger.js';
import { dispatchClaimLeaseMs } from '../queue/dispatch-target.util.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { checkDirection, checkIntegerRange } from './operations-input.util.js';
import type { DirectionFilter } from './report.interfaces.js';
import type { DispatchOperation } from '../persistence/message-ledger.interfaces.js';
import { dispatchClaimed, ownsMessage } from './reliability-dispatch.util.js';

export interface RetryFailedInput {
  /** 1..1000 (default 100). */
  limit?: number;
  /** Default `all`. */
  direction?: DirectionFilter;
  /** Count only; change and dispatch nothing. */
  dryRun?: boolean;
}

export interface RetryFailedSummary {
  scanned: number;
  eligible: number;
  dispatched: number;
  skipped: number;
  /** Decision reason (or `claim_changed`, `dispatch_failed`) → count. */
  skipReasons: Record<string, number>;
  dryRun: boolean;
  direction: DirectionFilter;
}

/** Outcome of retrying one message now. */
export interface RetryNowResult {
  dispatched: boolean;
  /** `dispatched`, a decision reason, `not_found`, `wrong_service`, `claim_changed` or `dispatch_failed`. */
  reason: string;
}

/** Re-dispatches due `failed_retryable` messages now (BEHAVIOR §6.4, `talkto:retry-failed`). */
@Injectable()
export class RetryService {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly messages: MessageLog,
    private readonly recovery: RecoveryLedger,
    private readonly dispatcher: TalktoDispatcher,
    private readonly policy: RetryPolicy,
  ) {}

  async retryFailed(input: RetryFailedInput = {}): Promise<RetryFailedSummary> {
    const limit = checkIntegerRange(input.limit ?? 100, 'limit', 1, 1000);
    const direction = checkDirection(input.direction ?? 'all', 'direction');
    const dryRun = input.dryRun === true;
    const now = this.clock.now();
    const rows = await this.recovery.findDueRetries(now, limit, {
      direction: direction === 'all' ? undefined : direction,
      service: this.options.service,
    });
    const summary: RetryFailedSummary = {
      scanned: rows.length,
      eligible: 0,
      dispatched: 0,
      skipped: 0,
      skipReasons: {},
      dryRun,
      direction,
    };
    const skip = (reason: string) => {
      summary.skipped += 1;
      summary.skipReasons[reason] = (summary.skipReasons[reason] ?? 0) + 1;
    };
    for (const row of rows) {
      const decision = this.policy.decisionFor(row, { now });
      if (!decision.retryable) {
        skip(decision.reason);
        continue;
      }
      summary.eligible += 1;
      if (dryRun) continue;
      const claim = await this.recovery.claimRetryDispatch(row.id, 'retry-command', {
        now,
        leaseMs: dispatchClaimLeaseMs(this.options),
      });
      if (!claim) {
        skip('claim_changed');
        continue;
      }
      const deps = {
        messages: this.messages,
        recovery: this.recovery,
        dispatcher: this.dispatcher,
        options: this.options,
      };
      if (await dispatchClaimed(deps, claim, now, 'retry_dispatch_failed')) summary.dispatched += 1;
      else skip('dispatch_failed');
    }
    return summary;
  }

  /**
   * Re-dispatches one `failed_retryable` message at once, before its `next_retry_at` (operator
   * "retry now"); the budget and direction settings still apply.
   */
  async retryNow(messageId: string, operation: DispatchOperation = 'retry-command'): Promise<RetryNowResult> {
    const row = await this.messages.findByMessageId(messageId);
    if (!row) return { dispatched: false, reason: 'not_found' };
    if (!ownsMessage(row, this.options.service)) return { dispatched: false, reason: 'wrong_service' };
    const now = this.clock.now();
    const decision = this.policy.decisionFor(row, { now, ignoreDue: true });
    if (!decision.retryable) return { dispatched: false, reason: decision.reason };
    const claim = await this.recovery.claimRetryDispatch(row.id, operation, {
      now,
      leaseMs: dispatchClaimLeaseMs(this.options),
      ignoreDue: true,
    });
    if (!claim) return { dispatched: false, reason: 'claim_changed' };
    const deps = {
      messages: this.messages,
      recovery: this.recovery,
      dispatcher: this.dispatcher,
      options: this.options,
    };
    return (await dispatchClaimed(deps, claim, now, 'retry_dispatch_failed'))
      ? { dispatched: true, reason: 'dispatched' }
      : { dispatched: false, reason: 'dispatch_failed' };
  }
}
