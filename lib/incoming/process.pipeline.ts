import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ResultCallbackSender } from '../callbacks/result-callback.sender.js';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { InboxLedger } from '../persistence/inbox.ledger.js';
import type {
  MessageClaim,
  ProcessOutcome,
  RecordEventInput,
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
    // Without a callback to send, the note saying so is written with the outcome.
    const note = this.callbacks.noteInstead(message);
    const report = (result: TalktoResult, recorded: boolean) =>
      note === null ? this.callbacks.afterProcessing(message, result, recorded) : undefined;
    let input: InvocationInput;
    try {
      input = toInvocationInput(message);
    } catch (error) {
      const result = this.invoker.fromException(error);
      await report(result, await this.record(message, claim, toOutcome(result), note));
      return;
    }
    const invocation = this.invoker.resolve(input);
    if (invocation.kind === 'builtin') {
      await report(invocation.result, await this.record(message, claim, toOutcome(invocation.result), note));
      return;
    }
    if (invocation.handler.transactional) {
      const outcome = await this.runInTransaction(message, claim, note, invocation.handler, input);
      if (outcome) await report(outcome, true);
      return;
    }
    const result = await this.invoker.run(invocation.handler, input);
    await report(result, await this.record(message, claim, toOutcome(result), note));
  }

  /**
   * Exactly-once effect: what the handler writes through `message.manager` commits together with
   * the success outcome, or not at all. A failed handler's writes are rolled back first, then the
   * failure is recorded in a transaction of its own. Null when the claim was lost meanwhile.
   */
  private async runInTransaction(
    message: TalktoMessageEntity,
    claim: MessageClaim,
    note: RecordEventInput | null,
    handler: RegisteredHandler,
    input: InvocationInput,
  ): Promise<TalktoResult | null> {
    let failure: TalktoResult;
    try {
      return await runInTransaction(
        this.dataSource,
        undefined,
        async (manager) => {
          const result = await this.invoker.run(handler, { ...input, manager });
          if (result.status === 'failed_retryable' || result.status === 'failed_final') {
            throw new HandlerFailed(result);
          }
          if (!(await this.record(message, claim, toOutcome(result), note, manager))) {
            throw new OutcomeNotRecorded();
          }
          return result;
        },
        { exclusive: true },
      );
    } catch (error) {
      if (error instanceof OutcomeNotRecorded) return null;
      failure = error instanceof HandlerFailed ? error.result : this.invoker.fromException(error);
    }
    return (await this.record(message, claim, toOutcome(failure), note)) ? failure : null;
  }

  /**
   * A retryable failure meets the retry policy here (BEHAVIOR §5.4): scheduled when incoming
   * retries are on and budget is left, final and dead-lettered when exhausted, resting otherwise.
   */
  private withRetryPolicy(message: TalktoMessageEntity, outcome: ProcessOutcome, now: Date): ProcessOutcome {
    const deadLetter = this.options.deadLetters.enabled && this.options.deadLetters.autoStore;
    if (outcome.kind === 'failed_final') return { ...outcome, deadLetter };
    if (outcome.kind !== 'failed_retryable') return outcome;
    const decision = this.retryPolicy.decisionFor(message, { now, afterFailure: true });
    const retryMeta = retryEventMeta(message, decision, now);
    if (decision.nextRetryAt !== null) return { ...outcome, nextRetryAt: decision.nextRetryAt, retryMeta };
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

  private async record(
    message: TalktoMessageEntity,
    claim: MessageClaim,
    handlerOutcome: ProcessOutcome,
    note: RecordEventInput | null,
    manager?: EntityManager,
  ): Promise<boolean> {
    const now = this.clock.now();
    const outcome = this.withRetryPolicy(message, handlerOutcome, now);
    if (!(await this.inbox.markProcessed(claim, outcome, now, manager, note === null ? [] : [note]))) {
      return false;
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
      this.metrics.count('retried', { ...labels, status: 'scheduled' });
    }
    if (outcome.kind === 'failed_final' && outcome.deadLetter) {
      this.metrics.count('dead_lettered', labels);
    }
    if (outcome.kind === 'failed_final') {
      this.failures.processFailed(message, outcome.errorClass, outcome.deadLetter);
    }
    return true;
  }
}
