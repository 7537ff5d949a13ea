import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoResult } from '../incoming/handler-result.js';
import { collectSecrets, redactSecrets } from '../incoming/redact-secrets.util.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageLog } from '../persistence/message.log.js';
import type { CreateOutgoingInput, RecordEventInput } from '../persistence/message-ledger.interfaces.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { callbackIdempotencyKey, callbackMessageId } from '../protocol/derived-ids.util.js';
import { freezePayload } from '../protocol/json/payload-freezer.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { type CallbackReport, callbackPayload, isCallbackStatus } from './callback-payload.js';
import { RetryPolicy } from '../retry/retry.policy.js';

const MAX_EXCEPTION_MESSAGE = 500;
const DEFAULT_EXCEPTION_MESSAGE = 'Unexpected handler exception.';
/** A callback row in one of these is (being) delivered already: no second job. */
const ALREADY_HANDLED = [
  S.completed,
  S.succeeded,
  S.failedFinal,
  S.destinationReceived,
  S.sending,
  S.sent,
] as string[];

/**
 * Reports the outcome of a processed incoming command back to its sender (PROTOCOL §11.1–11.3,
 * BEHAVIOR §10.1): one durable outgoing callback row per (original, status), committed by the
 * ledger with the outcome it reports and then handed to the `callback` queue; the send pipeline
 * delivers it like any message.
 */
@Injectable()
export class ResultCallbackSender {
  private readonly logger = new Logger('Talkto');
  private readonly secrets: string[];

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly messages: MessageLog,
    private readonly dispatcher: TalktoDispatcher,
    private readonly retryPolicy: RetryPolicy,
  ) {
    this.secrets = collectSecrets(options);
  }

  /**
   * The event that stands in for a result callback when this configuration sends none: callbacks
   * off (BEHAVIOR §10.1 step 1) or not dispatched automatically. The process pipeline records it
   * with the outcome, in the same write. Null when a callback is to be sent (`callbackFor`).
   */
  noteInstead(original: TalktoMessageEntity): RecordEventInput | null {
    if (!this.options.callbacks.enabled) {
      return this.noteOf(original, 'result_callback_skipped', { error: 'callbacks_disabled' });
    }
    if (!this.options.callbacks.autoDispatch) {
      return this.noteOf(original, 'result_callback_auto_dispatch_skipped', {
        reason: 'auto_dispatch_disabled',
        durable: true,
      });
    }
    return null;
  }

  /**
   * The callback row reporting `result` (BEHAVIOR §10.1 step 3), for the process pipeline to
   * create with the outcome, in the same commit; null when the result is not reported.
   */
  callbackFor(original: TalktoMessageEntity, result: TalktoResult): CreateOutgoingInput | null {
    if (!isCallbackStatus(result.status)) return null;
    const report = this.report(result);
    const frozen = freezePayload(callbackPayload(original, report));
    return {
      messageId: callbackMessageId(original.messageId, report.status),
      correlationId: original.correlationId ?? randomUUID(),
      parentMessageId: original.messageId,
      source: original.targetService,
      target: original.sourceService,
      command: this.options.callbacks.command,
      businessKey: original.businessKey,
      idempotencyKey: callbackIdempotencyKey(original.messageId, report.status),
      payload: frozen.json,
      payloadHash: frozen.hash,
      maxAttempts: this.retryPolicy.settingsFor(
        'outgoing',
        original.sourceService,
        this.options.callbacks.command,
      ).maxAttempts,
      // The report continues the command's trace, so one trace id spans command and callback.
      traceparent: original.traceparent,
      eventMeta: { result_callback: true, original_message_id: original.messageId },
      now: this.clock.now(),
    };
  }

  /**
   * Queues the callback row committed with the outcome: `createdId` when the outcome's write
   * created it, else the row of an earlier report of the same status, read first as it may be
   * handled already. Never throws: the row exists, so if this fails or the process dies first,
   * the sweeper dispatches it.
   */
  async queue(
    original: TalktoMessageEntity,
    status: string,
    created: CreateOutgoingInput,
    createdId: number | null = null,
  ): Promise<void> {
    try {
      const callback =
        createdId === null
          ? await this.unhandledEarlierRow(created.messageId)
          : { id: createdId, target: created.target, command: created.command };
      if (callback === null) return;
      const meta = {
        callback_message_id: created.messageId,
        callback_message_db_id: callback.id,
        target: callback.target,
        command: callback.command,
        callback_status: status,
        durable: true,
      };
      // Recorded before the dispatch (BEHAVIOR §10.1 step 4): a fast queue may deliver and apply the
      // callback before a later write, and the trace would show it queued after it was applied.
      await this.note(original, 'result_callback_queued', meta);
      // A row the outcome's write just created can have no job yet: Bull need not look for one.
      if (!(await this.dispatcher.dispatch('callback', callback.id, { newRow: createdId !== null }))) {
        await this.note(
          original,
          'result_callback_queue_failed',
          Object.assign({}, meta, { error: 'queue_failed' }),
        );
      }
    } catch (error) {
      this.logger.error(
        `Result callback for ${original.messageId} could not be queued now (the sweeper sends it): ${redactSecrets(
          (error as Error).message,
          this.secrets,
        )}`,
      );
    }
  }

  /** The row of an earlier report of the same status, unless it is (being) delivered already. */
  private async unhandledEarlierRow(
    messageId: string,
  ): Promise<{ id: number; target: string; command: string } | null> {
    const earlier = await this.messages.findOutgoingByMessageId(messageId);
    if (earlier === null || ALREADY_HANDLED.includes(earlier.overallStatus)) return null;
    return { id: earlier.id, target: earlier.targetService, command: earlier.command };
  }

  /** The wire report; unexpected exceptions are described without leaking secrets (BEHAVIOR §5.5). */
  private report(result: TalktoResult): CallbackReport {
    const report: CallbackReport = {
      status: result.status,
      errorClass: result.errorClass,
      errorMessage: result.errorMessage,
      result: result.result,
      meta: result.meta,
    };
    if (result.meta.unexpected_exception !== true) {
      return report;
    }
    const message = redactSecrets(result.errorMessage ?? '', this.secrets)
      .trim()
      .slice(0, MAX_EXCEPTION_MESSAGE);
    return Object.assign({}, report, {
      errorMessage: message === '' ? DEFAULT_EXCEPTION_MESSAGE : message,
      meta: {
        unexpected_exception: true,
        exception_class: result.meta.exception_class ?? result.errorClass,
        retryable: result.status === 'failed_retryable',
        source: 'handler_exception',
      },
    });
  }

  private async note(message: TalktoMessageEntity, eventType: string, meta: Record<string, unknown>) {
    await this.messages.recordEvent(
      Object.assign({}, this.noteOf(message, eventType, meta), { now: this.clock.now() }),
    );
  }

  private noteOf(
    message: TalktoMessageEntity,
    eventType: string,
    meta: Record<string, unknown>,
  ): RecordEventInput {
    return {
      talktoMessageId: message.id,
      messageId: message.messageId,
      serviceName: message.targetService,
      eventType,
      meta: { original_message_id: message.messageId, ...meta },
    };
  }
}
