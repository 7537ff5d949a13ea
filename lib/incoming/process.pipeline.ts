import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ResultCallbackSender } from '../callbacks/result-callback.sender.js';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { InboxLedger } from '../persistence/inbox.ledger.js';
import type {
  CreateOutgoingInput,
  MessageClaim,
  ProcessOutcome,
} from '../persistence/message-ledger.interfaces.js';
import { runInTransaction } from '../persistence/statements/index.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { RetryPolicy, retryEventMeta } from '../retry/retry.policy.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { toPlainValue } from '../protocol/json/plain-value.js';
import { TALKTO_DATA_SOURCE, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { TalktoResult } from './handler-result.js';
import { HandlerInvoker, type InvocationInput } from './handler.invoker.js';
import type { RegisteredHandler } from './handler.registry.js';
import { createWorkerId } from '../queue/worker-id.util.js';
import { TalktoFailureLog } from '../operations/failure-log.js';

/** Rolls a transactional handler's writes back; the failure is recorded afterwards. */
class HandlerFailed extends Error {
  constructor(readonly result: TalktoResult) {
    super('handler failed');
  }
}

/** The outcome could not be recorded (the claim was lost): the handler's writes must not commit. */
class OutcomeNotRecorded extends Error {}

/** An outcome this pipeline recorded, and the result callback row committed with it. */
interface Recorded {
  result: TalktoResult;
  callback: CreateOutgoingInput | null;
  /** The callback row's id when the outcome's write created it (see `markProcessed`). */
  callbackId: number | null;
}

/** The stored row as the handler sees it. */
function toInvocationInput(message: TalktoMessageEntity): InvocationInput {
  return {
    id: message.id,
    messageId: message.messageId,
    correlationId: message.correlationId,
    parentMessageId: message.parentMessageId,
    source: message.sourceService,
    target: message.targetService,
    command: message.command,
    businessKey: message.businessKey,
    idempotencyKey: message.idempotencyKey,
    schemaVersion: message.schemaVersion,
    attempt: message.attempts,
    traceparent: message.traceparent,
    payload: message.payload === null ? null : toPlainValue(decodeTalktoJson(message.payload)),
  };
}

/** Incoming retries are off by default (BEHAVIOR §5.4): a retryable failure waits for an operator. */
function toOutcome(result: TalktoResult): ProcessOutcome {
  switch (result.status) {
    case 'succeeded':
      return { kind: 'succeeded', result: result.result, meta: result.meta };
    case 'skipped':
      return { kind: 'skipped', meta: result.meta };
    case 'failed_retryable':
      return {
        kind: 'failed_retryable',
        error: result.errorMessage ?? '',
        errorClass: result.errorClass,
        nextRetryAt: null,
      };
    case 'failed_final':
      return {
        kind: 'failed_final',
        error: result.errorMessage ?? '',
        errorClass: result.errorClass,
        deadLetter: true,
      };
  }
}

/**
 * Runs the handler of one incoming message exactly once per claim and records the outcome.
 */
@Injectable()
export class ProcessPipeline {
  private readonly workerId = createWorkerId('processor');
  private readonly failures = new TalktoFailureLog();

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly inbox: InboxLedger,
    private readonly invoker: HandlerInvoker,
    private readonly retryPolicy: RetryPolicy,
    private readonly dispatcher: TalktoDispatcher,
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly callbacks: ResultCallbackSender,
    private readonly metrics: TalktoMetrics,
  ) {}

  async run(id: number): Promise<void> {
    const claimed = await this.inbox.claimForProcessing(
      id,
      this.workerId,
      this.options.workers.leaseMs,
      this.clock.now(),
    );
    if (!claimed) {
      return;
    }
    const { message, claim } = claimed;
    let input: InvocationInput;
    try {
      input = toInvocationInput(message);
    } catch (error) {
      await this.report(message, await this.record(message, claim, this.invoker.fromException(error)));
      return;
    }
    const invocation = this.invoker.resolve(input);
    if (invocation.kind === 'builtin') {
      await this.report(message, await this.record(message, claim, invocation.result));
      return;
    }
    if (invocation.handler.transactional) {
      await this.report(message, await this.runInTransaction(message, claim, invocation.handler, input));
      return;
    }
    const result = await this.invoker.run(invocation.handler, input);
    await this.report(message, await this.record(message, claim, result));
  }

  /** After the outcome committed: its result callback, committed with it, goes to the queue. */
  private async report(message: TalktoMessageEntity, recorded: Recorded | null): Promise<void> {
    if (recorded?.callback) {
      await this.callbacks.queue(message, recorded.result.status, recorded.callback, recorded.callbackId);
    }
  }

  /**
   * Exactly-once effect: what the handler writes through `message.manager` commits together with
   * the success outcome, or not at all. A failed handler's writes are rolled back first, then the
   * failure is recorded in a transaction of its own. Null when the claim was lost meanwhile.
   */
  private async runInTransaction(
    message: TalktoMessageEntity,
    claim: MessageClaim,
    handler: RegisteredHandler,
    input: InvocationInput,
  ): Promise<Recorded | null> {
    let failure: TalktoResult;
    try {
      return await runInTransaction(
        this.dataSource,
        undefined,
        async (manager) => {
          const result = await this.invoker.run(handler, Object.assign({}, input, { manager }));
          if (result.status === 'failed_retryable' || result.status === 'failed_final') {
            throw new HandlerFailed(result);
          }
          const recorded = await this.record(message, claim, result, manager);
          if (!recorded) throw new OutcomeNotRecorded();
          return recorded;
        },
        { exclusive: true },
      );
    } catch (error) {
      if (error instanceof OutcomeNotRecorded) return null;
      failure = error instanceof HandlerFailed ? error.result : this.invoker.fromException(error);
    }
    return this.record(message, claim, failure);
  }

  /**
   * A retryable failure meets the retry policy here (BEHAVIOR §5.4): scheduled when incoming
   * retries are on and budget is left, final and dead-lettered when exhausted, resting otherwise.
   */
  private withRetryPolicy(message: TalktoMessageEntity, outcome: ProcessOutcome, now: Date): ProcessOutcome {
    const deadLetter = this.options.deadLetters.enabled && this.options.deadLetters.autoStore;
    if (outcome.kind === 'failed_final') return Object.assign({}, outcome, { deadLetter });
    if (outcome.kind !== 'failed_retryable') return outcome;
    const decision = this.retryPolicy.decisionFor(message, { now, afterFailure: true });
    const retryMeta = retryEventMeta(message, decision, now);
    if (decision.nextRetryAt !== null)
      return Object.assign({}, outcome, { nextRetryAt: decision.nextRetryAt, retryMeta });
    if (decision.reason !== 'max_attempts_exhausted') return outcome;
    return {
      kind: 'failed_final',
      error: outcome.error,
      errorClass: outcome.errorClass,
      retryExhausted: true,
      retryMeta,
      deadLetter,
    };
  }

  /**
   * Records the outcome of `result` with what follows it: the result callback row, or the note
   * saying why there is none (BEHAVIOR §10.1). Null when the claim was lost.
   */
  private async record(
    message: TalktoMessageEntity,
    claim: MessageClaim,
    result: TalktoResult,
    manager?: EntityManager,
  ): Promise<Recorded | null> {
    const now = this.clock.now();
    const outcome = this.withRetryPolicy(message, toOutcome(result), now);
    const note = this.callbacks.noteInstead(message);
    const callback = note === null ? this.callbacks.callbackFor(message, result) : null;
    const followUp = { notes: note === null ? [] : [note], callback };
    const written = await this.inbox.markProcessed(claim, outcome, now, manager, followUp);
    if (written === false) {
      return null;
    }
    if (outcome.kind === 'failed_retryable' && outcome.nextRetryAt !== null) {
      // Fast path only: the sweeper re-dispatches the due row if this delayed job is lost.
      await this.dispatcher.dispatch('process', message.id, {
        delayMs: outcome.nextRetryAt.getTime() - now.getTime(),
      });
    }
    const labels = { peer: message.sourceService, command: message.command, status: outcome.kind };
    this.metrics.count('handled', labels);
    if (outcome.kind === 'failed_retryable' || outcome.kind === 'failed_final') {
      this.metrics.count('failed', labels);
    }
    if (outcome.kind === 'failed_retryable' && outcome.nextRetryAt !== null) {
      this.metrics.count('retried', Object.assign({}, labels, { status: 'scheduled' }));
    }
    if (outcome.kind === 'failed_final' && outcome.deadLetter) {
      this.metrics.count('dead_lettered', labels);
    }
    if (outcome.kind === 'failed_final') {
      this.failures.processFailed(message, outcome.errorClass, outcome.deadLetter);
    }
    return { result, callback, callbackId: written.callbackId };
  }
}
