import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { MessageLedger } from '../persistence/message.ledger.js';
import { dispatchClaimLeaseMs } from '../queue/dispatch-target.util.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { checkDirection, checkIntegerRange } from './operations-input.util.js';
import { dispatchClaimed } from './reliability-dispatch.util.js';
import type { DirectionFilter } from './report.interfaces.js';

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

/** Re-dispatches due `failed_retryable` messages now (BEHAVIOR §6.4, `talkto:retry-failed`). */
@Injectable()
export class RetryService {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly ledger: MessageLedger,
    private readonly dispatcher: TalktoDispatcher,
    private readonly policy: RetryPolicy,
  ) {}

  async retryFailed(input: RetryFailedInput = {}): Promise<RetryFailedSummary> {
    const limit = checkIntegerRange(input.limit ?? 100, 'limit', 1, 1000);
    const direction = checkDirection(input.direction ?? 'all', 'direction');
    const dryRun = input.dryRun === true;
    const now = this.clock.now();
    const rows = await this.ledger.findDueRetries(now, limit, {
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
      const claim = await this.ledger.claimRetryDispatch(row.id, 'retry-command', {
        now,
        leaseMs: dispatchClaimLeaseMs(this.options),
      });
      if (!claim) {
        skip('claim_changed');
        continue;
      }
      const deps = { ledger: this.ledger, dispatcher: this.dispatcher, options: this.options };
      if (await dispatchClaimed(deps, claim, now, 'retry_dispatch_failed')) summary.dispatched += 1;
      else skip('dispatch_failed');
    }
    return summary;
  }
}
