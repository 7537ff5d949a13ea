import { randomInt } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { retryAfterSeconds } from './retry-after.util.js';
import type { ResolvedRetryOptions, RetrySettings } from './retry-settings.interface.js';

/** Why a message may or may not be retried, in the order the checks run (BEHAVIOR §6.2). */
export type RetryDecisionReason =
  | 'retry_disabled'
  | 'direction_disabled'
  | 'non_retryable_status'
  | 'max_attempts_exhausted'
  | 'not_due'
  | 'eligible';

/** The message fields a decision reads. */
export interface RetryableMessage {
  direction: string;
  sourceService: string;
  targetService: string;
  command: string;
  overallStatus: string;
  retryCount: number;
  maxAttempts: number;
  nextRetryAt: Date | null;
}

export interface RetryDecisionInput {
  now: Date;
  /** The HTTP status of the failed attempt, if there was an answer. */
  httpStatus?: number | null;
  /** That answer's `Retry-After` header. */
  retryAfter?: string | null;
  /**
   * Decide for a failure that just happened (the row is still claimed): the stored status and due
   * time are not checked and the budget must leave room for one more attempt. Default: decide
   * whether a resting `failed_retryable` row may be re-dispatched now.
   */
  afterFailure?: boolean;
  /** Ignore `next_retry_at` (operator "retry now"). */
  ignoreDue?: boolean;
}

export interface RetryDecision {
  reason: RetryDecisionReason;
  /** The row may be re-dispatched now (redispatch mode) or another attempt may be scheduled. */
  retryable: boolean;
  /** Another attempt fits the budget: `retry_count + 1 < max_attempts`. */
  canSchedule: boolean;
  directionEnabled: boolean;
  statusRetryable: boolean;
  httpStatusRetryable: boolean | null;
  currentRetryCount: number;
  maxAttempts: number;
  /**
   * The peer pushed back (429, or 503 with `Retry-After`): the retry waits as asked, spread, and
   * does not spend the budget (the stored `max_attempts` grows with `retry_count`).
   */
  throttled: boolean;
  /** Delay of the next retry, jitter included; null when none is scheduled. */
  backoffSeconds: number | null;
  nextRetryAt: Date | null;
  finalFailureStatus: 'failed_final';
  settings: RetrySettings;
}

/** Returns a whole number of seconds in 0..maxInclusive. */
export type JitterSource = (maxInclusive: number) => number;

/** Optional provider token replacing the random jitter source (tests). */
export const RETRY_JITTER_SOURCE = 'TALKTO_RETRY_JITTER_SOURCE';

const RETRYABLE_STATUSES = ['failed_retryable'];

/**
 * Decides whether and when a failed message is tried again. Settings are layered per message:
 * base < direction < peer (target of outgoing, source of incoming) < command.
 */
@Injectable()
export class RetryPolicy {
  private readonly retry: ResolvedRetryOptions;
  private readonly random: JitterSource;

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) options: ResolvedTalktoOptions,
    @Optional() @Inject(RETRY_JITTER_SOURCE) random?: JitterSource,
  ) {
    this.retry = options.retry;
    this.random = random ?? ((max) => randomInt(0, max + 1));
  }

  settingsFor(direction: string, peer: string, command: string): RetrySettings {
    const directionLayer =
      direction === 'outgoing' ? this.retry.outgoing : direction === 'incoming' ? this.retry.incoming : {};
    // Layered in two calls: `Object.assign` with more than three sources is typed `any`.
    const settings: RetrySettings = Object.assign(
      {},
      this.retry.base,
      directionLayer,
      this.retry.peers.get(peer),
    );
    return Object.assign(settings, this.retry.commands.get(command));
  }

  settingsForMessage(message: RetryableMessage): RetrySettings {
    const peer = message.direction === 'incoming' ? message.sourceService : message.targetService;
    return this.settingsFor(message.direction, peer, message.command);
  }

  isRetryableHttpStatus(status: number, settings: RetrySettings = this.retry.base): boolean {
    return (
      settings.retryableHttpStatuses.includes(status) ||
      (settings.retryServerErrors && status >= 500 && status <= 599)
    );
  }

  /** The stored budget wins when positive (BEHAVIOR §6.2); rows always store one, so config applies at creation. */
  maxAttemptsOf(message: RetryableMessage, settings = this.settingsForMessage(message)): number {
    return message.maxAttempts > 0 ? message.maxAttempts : settings.maxAttempts;
  }

  /** Seconds before the retry that follows `retryCount` earlier ones, jitter included. */
  backoffSeconds(retryCount: number, settings: RetrySettings): number {
    const sequence = settings.backoffSeconds;
    const base = sequence[Math.min(retryCount, sequence.length - 1)] ?? 0;
    return base + (settings.jitterSeconds > 0 ? this.random(settings.jitterSeconds) : 0);
  }

  /**
   * A pushed-back retry waits `seconds` and up to as long again, at random: the messages a window
   * refused come back spread over the next window instead of all at its start.
   */
  throttledDelaySeconds(seconds: number): number {
    const wait = Math.max(1, seconds);
    return wait + this.random(wait);
  }

  decisionFor(message: RetryableMessage, input: RetryDecisionInput): RetryDecision {
    const settings = this.settingsForMessage(message);
    const maxAttempts = this.maxAttemptsOf(message, settings);
    const directionEnabled =
      settings.enabled &&
      ((message.direction === 'outgoing' && settings.outgoingEnabled) ||
        (message.direction === 'incoming' && settings.incomingEnabled));
    const httpStatusRetryable =
      input.httpStatus == null ? null : this.isRetryableHttpStatus(input.httpStatus, settings);
    const statusRetryable = input.afterFailure === true || RETRYABLE_STATUSES.includes(message.overallStatus);
    const retryAfter = retryAfterSeconds(input.retryAfter, input.now);
    const throttled =
      input.afterFailure === true &&
      httpStatusRetryable === true &&
      (input.httpStatus === 429 || (input.httpStatus === 503 && retryAfter !== null));
    const canSchedule = throttled || message.retryCount + 1 < maxAttempts;
    const withinBudget = input.afterFailure ? canSchedule : message.retryCount < maxAttempts;
    const due =
      input.afterFailure ||
      input.ignoreDue ||
      (message.nextRetryAt !== null && message.nextRetryAt <= input.now);

    let reason: RetryDecisionReason = 'eligible';
    if (!settings.enabled) reason = 'retry_disabled';
    else if (!directionEnabled) reason = 'direction_disabled';
    else if (httpStatusRetryable === false || !statusRetryable) reason = 'non_retryable_status';
    else if (!withinBudget) reason = 'max_attempts_exhausted';
    else if (!due) reason = 'not_due';

    const schedules = input.afterFailure === true && reason === 'eligible';
    const delay = !schedules
      ? null
      : throttled
        ? this.throttledDelaySeconds(retryAfter ?? this.backoffSeconds(message.retryCount, settings))
        : this.backoffSeconds(message.retryCount, settings);
    return {
      reason,
      retryable: reason === 'eligible',
      canSchedule,
      directionEnabled,
      statusRetryable,
      httpStatusRetryable,
      currentRetryCount: message.retryCount,
      maxAttempts,
      throttled,
      backoffSeconds: delay,
      nextRetryAt: delay === null ? null : new Date(input.now.getTime() + delay * 1000),
      finalFailureStatus: 'failed_final',
      settings,
    };
  }
}

/** The `meta` of retry events (BEHAVIOR §2.5). `retryCount` is the count after this failure. */
export function retryEventMeta(
  message: RetryableMessage,
  decision: RetryDecision,
  now: Date,
): Record<string, unknown> {
  const scheduled = decision.nextRetryAt !== null;
  return {
    direction: message.direction,
    retry_count: scheduled ? message.retryCount + 1 : message.retryCount,
    // A throttled retry is stored with one more attempt (see `RetryDecision.throttled`).
    max_attempts: decision.throttled && scheduled ? decision.maxAttempts + 1 : decision.maxAttempts,
    // The persisted delay, so jitter shows: next_retry_at minus the attempt time.
    backoff_seconds: scheduled ? Math.round((decision.nextRetryAt!.getTime() - now.getTime()) / 1000) : null,
    next_retry_at: decision.nextRetryAt?.toISOString() ?? null,
    reason: scheduled ? 'scheduled' : decision.reason,
    ...(decision.throttled ? { throttled: true } : {}),
  };
}
