import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { ResultCallbackSender } from '../callbacks/result-callback.sender.js';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageLedger } from '../persistence/message.ledger.js';
import type { MessageClaim, ProcessOutcome } from '../persistence/message-ledger.interfaces.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { toPlainValue } from '../protocol/json/plain-value.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { TalktoResult } from './handler-result.js';
import { HandlerInvoker, type InvocationInput } from './handler.invoker.js';

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
  private readonly workerId = `processor:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly ledger: MessageLedger,
    private readonly invoker: HandlerInvoker,
    private readonly callbacks: ResultCallbackSender,
    private readonly metrics: TalktoMetrics,
  ) {}

  async run(id: number): Promise<void> {
    const claimed = await this.ledger.claimForProcessing(
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
      const result = this.invoker.fromException(error);
      await this.record(message, claim, toOutcome(result));
      await this.callbacks.afterProcessing(message, result);
      return;
    }
    const invocation = this.invoker.resolve(input);
    if (invocation.kind === 'builtin') {
      await this.record(message, claim, toOutcome(invocation.result));
      await this.callbacks.afterProcessing(message, invocation.result);
      return;
    }
    const result = await this.invoker.run(invocation.handler, input);
    await this.record(message, claim, toOutcome(result));
    await this.callbacks.afterProcessing(message, result);
  }

  private async record(message: TalktoMessageEntity, claim: MessageClaim, outcome: ProcessOutcome) {
    await this.ledger.markProcessed(claim, outcome, this.clock.now());
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
  }
}
