import { TalktoFailureLog } from '../operations/failure-log.js';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { RecoveryLedger } from '../persistence/recovery.ledger.js';
import type { DispatchClaim } from '../persistence/message-ledger.interfaces.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { dispatchClaimLeaseMs, queueFor } from './dispatch-target.util.js';
import { TALKTO_SWEEPER_INTERVAL } from './queue.constants.js';
import { findSchedulerRegistry } from './scheduler-registry.loader.js';
import { TalktoDispatcher } from './talkto.dispatcher.js';
import { isBackgroundWorkEnabled } from '../config/background-work.util.js';

/** What one sweep did. */
export interface SweepSummary {
  /** Expired worker claims taken back and re-dispatched, or closed when their result was already applied. */
  staleClaims: number;
  /** Expired worker claims whose budget was spent: now `failed_final`. */
  staleExhausted: number;
  /** `failed_retryable` rows whose retry time had come, re-dispatched. */
  dueRetries: number;
  /** Dispatchable rows nobody held (lost or never queued jobs), re-dispatched. */
  lostJobs: number;
  /** Hand-overs the queue refused; the rows wait for the next sweep. */
  failedDispatches: number;
}

/**
 * The safety net under the queue. Every `intervalMs` it re-dispatches what the queue should have
 * delivered but did not: due retries, rows whose job was lost (crash between commit and dispatch,
 * Redis data loss) and claims whose worker died. Every re-dispatch goes through a conditional
 * dispatch claim, so sweepers in several processes queue one job per row.
 *
 * When the host imported `ScheduleModule`, the sweep is the interval `talkto-sweeper` in its
 * `SchedulerRegistry`, so the host lists, deletes and re-adds it like its own jobs. Otherwise it is
 * a plain timer, re-armed after each sweep. Either way the timer is unref'd (never keeps the
 * process alive), sweeps never overlap, and it stops before the queues shut down. The library
 * never imports `ScheduleModule.forRoot()` itself: a second import mounts the host's jobs twice.
 */
@Injectable()
export class TalktoSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Talkto');
  private readonly failures = new TalktoFailureLog();
  private timer: NodeJS.Timeout | null = null;
  private registry: SchedulerRegistry | null = null;
  private running: Promise<SweepSummary> | null = null;
  private stopped = false;

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly recovery: RecoveryLedger,
    private readonly dispatcher: TalktoDispatcher,
    private readonly retryPolicy: RetryPolicy,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.sweeper.enabled || !isBackgroundWorkEnabled()) return;
    this.registry = await findSchedulerRegistry(this.moduleRef);
    if (this.registry) {
      this.timer = setInterval(() => void (this.running ?? this.tick()), this.options.sweeper.intervalMs);
      this.timer.unref();
      this.registry.addInterval(TALKTO_SWEEPER_INTERVAL, this.timer);
    } else {
      this.arm();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // Only our own handle: the host may have replaced it with one it drives itself.
    if (this.registry?.doesExist('interval', TALKTO_SWEEPER_INTERVAL) && this.ownsInterval()) {
      this.registry.deleteInterval(TALKTO_SWEEPER_INTERVAL);
    }
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One sweep now. A call during a running sweep joins it instead of starting another. */
  sweep(): Promise<SweepSummary> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private ownsInterval(): boolean {
    return this.registry?.getInterval(TALKTO_SWEEPER_INTERVAL) === this.timer;
  }

  private arm(): void {
    this.timer = setTimeout(
      () => void this.tick().then(() => this.stopped || this.arm()),
      this.options.sweeper.intervalMs,
    );
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.sweep();
    } catch (error) {
      this.logger.warn(`Talkto sweep failed: ${(error as Error).message}`);
    }
  }

  private async pass(): Promise<SweepSummary> {
    const summary: SweepSummary = {
      staleClaims: 0,
      staleExhausted: 0,
      dueRetries: 0,
      lostJobs: 0,
      failedDispatches: 0,
    };
    const now = this.clock.now();
    const { batchSize, graceMs } = this.options.sweeper;
    // The regular dispatch (after commit, or the delayed retry job) gets `graceMs` to win first.
    const waitedBefore = new Date(now.getTime() - graceMs);
    const filter = { service: this.options.service };
    const claimOptions = { now, leaseMs: dispatchClaimLeaseMs(this.options) };
    const deadLetter = this.options.deadLetters.enabled && this.options.deadLetters.autoStore;

    for (const row of await this.recovery.findStaleClaims(now, batchSize, filter)) {
      if (this.stopped || row.lockedBy === null) continue;
      const lockedBy = row.lockedBy;
      await this.perRow(row.id, async () => {
        const release = await this.recovery.releaseStaleClaim(row.id, lockedBy, now, { deadLetter });
        if (release === 'exhausted') {
          summary.staleExhausted += 1;
          this.failures.staleClaimExhausted(row.id, deadLetter);
        }
        if (release !== 'released') return;
        const claim = await this.recovery.claimOrphanDispatch(
          row.id,
          'sweeper',
          Object.assign({}, claimOptions, { waitedBefore: now }),
        );
        if (claim && (await this.hand(claim, summary))) summary.staleClaims += 1;
      });
    }

    summary.staleClaims += await this.recovery.closeAbandonedSends(now, batchSize, filter);

    for (const row of await this.recovery.findDueRetries(waitedBefore, batchSize, filter)) {
      if (this.stopped || !this.retryPolicy.decisionFor(row, { now }).retryable) continue;
      await this.perRow(row.id, async () => {
        const claim = await this.recovery.claimRetryDispatch(row.id, 'sweeper', claimOptions);
        if (claim && (await this.hand(claim, summary))) summary.dueRetries += 1;
      });
    }

    for (const row of await this.recovery.findDispatchable(
      now,
      batchSize,
      Object.assign({}, filter, { waitedBefore }),
    )) {
      if (this.stopped) continue;
      await this.perRow(row.id, async () => {
        const claim = await this.recovery.claimOrphanDispatch(
          row.id,
          'sweeper',
          Object.assign({}, claimOptions, { waitedBefore }),
        );
        if (claim && (await this.hand(claim, summary))) summary.lostJobs += 1;
      });
    }
    return summary;
  }

  /**
   * One row's recovery. A failure there (a deadlock with a worker touching the same row, say)
   * must not cost the rest of the pass: the row is simply tried again on the next sweep.
   */
  private async perRow(id: number, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn(`Talkto sweep skipped message #${id} this time: ${(error as Error).message}`);
    }
  }

  private async hand(claim: DispatchClaim, summary: SweepSummary): Promise<boolean> {
    if (await this.dispatcher.dispatch(queueFor(claim, this.options), claim.id)) {
      return true;
    }
    summary.failedDispatches += 1;
    await this.recovery.releaseDispatchClaim(claim, this.clock.now());
    return false;
  }
}
