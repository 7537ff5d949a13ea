import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { ReceivedRequest } from '../incoming/receive.service.js';
import type { TalktoHttpAnswer } from '../incoming/receive-response.js';
import { consumeEnvelopeNonce } from '../incoming/consume-nonce.util.js';
import { decodeEnvelopeBody } from '../incoming/request-body.decoder.js';
import { createVerifierConfig } from '../incoming/verifier-config.factory.js';
import { TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageLog } from '../persistence/message.log.js';
import { ResultCallbackLedger } from '../persistence/result-callback.ledger.js';
import { NonceStore } from '../persistence/nonce.store.js';
import { type VerifiedEnvelope, verifyEnvelope } from '../protocol/envelope.verifier.js';
import { TalktoEnvelopeFieldError } from '../protocol/errors/envelope-field.error.js';
import { TalktoJsonDecodeError } from '../protocol/errors/json-decode.error.js';
import { TalktoJsonEncodeError } from '../protocol/errors/json-encode.error.js';
import { TalktoRequestValidationError } from '../protocol/errors/request-validation.error.js';
import { TalktoVerificationError } from '../protocol/errors/verification.error.js';
import { validateIdentifier } from '../protocol/identifier.validator.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { PhpArray, type PhpValue } from '../protocol/json/php-value.js';
import { toPlainValue } from '../protocol/json/plain-value.js';
import { validateEnvelopeRequest } from '../protocol/request.validator.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { callbackAnswers, type CallbackIds } from './callback-answers.js';
import { type CallbackStatus, isCallbackStatus } from './callback-payload.js';
import type { TalktoCallbackResult, TalktoOriginalMessage } from './callback-result.interface.js';
import { ResultHandlerExplorer } from './result-handler.explorer.js';
import { TalktoFailureLog } from '../operations/failure-log.js';

/** A refusal after the original was found; recorded on it as `result_callback_rejected`. */
interface LinkedRejection {
  httpStatus: number;
  error: string;
  details: Record<string, unknown>;
}

const asText = (value: PhpValue | undefined): string | null => (typeof value === 'string' ? value : null);

/** PHP's boolean rule accepts `1`/`"1"` as true; the hook gets a real boolean. */
const asFlag = (value: PhpValue | undefined): boolean => value === true || value === 1n || value === '1';

function asMap(value: PhpValue | undefined): Record<string, unknown> {
  const plain = value instanceof PhpArray ? toPlainValue(value) : null;
  return plain !== null && typeof plain === 'object' && !Array.isArray(plain)
    ? (plain as Record<string, unknown>)
    : {};
}

/**
 * The callback route's pipeline (PROTOCOL §11.4–11.6): decode, switch, validate, verify like a
 * command, check the callback's own identifiers, consume the nonce, then match the report to an
 * outgoing message of ours and apply it through the ledger. The callback itself is not stored.
 */
@Injectable()
export class CallbackReceiveService implements OnApplicationBootstrap {
  private readonly failures = new TalktoFailureLog();

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly messages: MessageLog,
    private readonly callbacks: ResultCallbackLedger,
    private readonly nonces: NonceStore,
    private readonly hooks: ResultHandlerExplorer,
    private readonly metrics: TalktoMetrics,
  ) {}

  /**
   * A peer we send commands to reports results signed with its own secret for us; without an
   * `incoming` entry for it those reports are refused, so say so once, at boot, with the fix.
   */
  onApplicationBootstrap(): void {
    if (!this.options.callbacks.enabled || !this.options.routes.enabled) {
      return;
    }
    for (const peer of this.options.outgoing.keys()) {
      if (!this.options.incoming.has(peer)) {
        new Logger('Talkto').warn(
          `Talkto sends commands to ${peer} but cannot verify the result callbacks ${peer} sends back: ` +
            `add incoming.${peer}: { secret } (the secret ${peer} signs with), or set callbacks.enabled: false.`,
        );
      }
    }
  }

  async receive(request: ReceivedRequest): Promise<TalktoHttpAnswer> {
    const verified: { source?: string } = {};
    const answer = await this.answer(request, verified);
    this.countCallback(verified.source, answer);
    if (answer.body.accepted === false) {
      this.failures.rejected('callback', answer.status, answer.body.error, verified.source);
    }
    return answer;
  }

  /**
   * `talkto_callbacks_total` by outcome. The source is a peer label only once the signature checked
   * out; anything earlier is counted under `unverified`, a value the caller cannot choose.
   */
  private countCallback(source: string | undefined, answer: TalktoHttpAnswer): void {
    const status = answer.body.error ?? answer.body.status;
    this.metrics.count('callback', {
      peer: source ?? 'unverified',
      command: this.options.callbacks.command,
      status: typeof status === 'string' ? status : String(answer.status),
    });
  }

  private async answer(request: ReceivedRequest, verified: { source?: string }): Promise<TalktoHttpAnswer> {
    let body: PhpArray;
    try {
      body = decodeEnvelopeBody(request.headers, request.rawBody);
    } catch (error) {
      if (error instanceof TalktoJsonDecodeError) {
        return callbackAnswers.invalidJson();
      }
      throw error;
    }
    if (!this.options.callbacks.enabled) {
      return callbackAnswers.rejected(403, 'callbacks_disabled');
    }
    try {
      validateEnvelopeRequest(body, 'callback');
    } catch (error) {
      if (error instanceof TalktoRequestValidationError) {
        return callbackAnswers.rejected(422, 'validation_failed');
      }
      throw error;
    }
    const payload = body.get('payload') as PhpArray;
    const ids: CallbackIds = {
      messageId: asText(body.get('message_id')),
      originalMessageId: asText(payload.get('original_message_id')),
    };
    let envelope: VerifiedEnvelope;
    try {
      envelope = this.verify(body, request);
      verified.source = envelope.source;
    } catch (error) {
      if (error instanceof TalktoVerificationError) {
        // Field errors name the field, not the ids (PROTOCOL §11.5).
        return error.code === 'invalid_envelope_field'
          ? callbackAnswers.rejected(error.httpStatus, error.code, {}, error.field)
          : callbackAnswers.rejected(error.httpStatus, error.code, ids, error.field);
      }
      if (error instanceof TalktoJsonEncodeError) {
        // Like the command route: an unhashable payload (e.g. 1e400) can never match its hash.
        return callbackAnswers.rejected(422, 'payload_hash_mismatch', ids);
      }
      throw error;
    }
    // No message-id pre-check here: callbacks are not stored, repeats are settled by status rules.
    if (!(await consumeEnvelopeNonce(envelope, this.nonces, this.clock, this.options))) {
      return callbackAnswers.rejected(409, 'replay_nonce_reused', ids);
    }
    const status = payload.get('status');
    if (!isCallbackStatus(status)) {
      return callbackAnswers.rejected(422, 'invalid_callback_status', ids);
    }
    const originalMessageId = payload.get('original_message_id') as string;
    const original = await this.messages.findOutgoingByMessageId(originalMessageId);
    if (!original) {
      return callbackAnswers.rejected(404, 'original_message_not_found', ids);
    }
    const mismatch = this.mismatch(envelope, payload, original);
    if (mismatch) {
      await this.messages.recordEvent({
        talktoMessageId: original.id,
        messageId: original.messageId,
        serviceName: original.sourceService,
        eventType: 'result_callback_rejected',
        meta: { callback_message_id: envelope.messageId, error: mismatch.error, ...mismatch.details },
        now: this.clock.now(),
      });
      return callbackAnswers.rejected(mismatch.httpStatus, mismatch.error, ids);
    }
    return this.apply(envelope, payload, status, original);
  }

  /** §11.4 steps 3–4: the command verifier, then the identifier rule on the callback's own ids. */
  private verify(body: PhpArray, request: ReceivedRequest): VerifiedEnvelope {
    const now = this.clock.now();
    const envelope = verifyEnvelope(
      { body, headers: request.headers },
      createVerifierConfig(this.options, now.getTime(), 'callback'),
      Math.floor(now.getTime() / 1000),
    );
    const payload = body.get('payload') as PhpArray;
    try {
      validateIdentifier(payload.get('original_message_id') as string, 'original_message_id');
      validateIdentifier(payload.get('original_command') as string, 'original_command');
    } catch (error) {
      if (error instanceof TalktoEnvelopeFieldError) {
        throw new TalktoVerificationError('invalid_envelope_field', error.field, { cause: error });
      }
      throw error;
    }
    return envelope;
  }

  /** §11.4 steps 8–10: the report must be about that command and come from where it was sent. */
  private mismatch(
    envelope: VerifiedEnvelope,
    payload: PhpArray,
    original: TalktoMessageEntity,
  ): LinkedRejection | null {
    const originalCommand = payload.get('original_command');
    if (originalCommand !== original.command) {
      return {
        httpStatus: 403,
        error: 'callback_original_command_mismatch',
        details: { expected_command: original.command, received_command: originalCommand },
      };
    }
    if (envelope.parentMessageId !== null && envelope.parentMessageId !== original.messageId) {
      return {
        httpStatus: 403,
        error: 'callback_parent_message_mismatch',
        details: { parent_message_id: envelope.parentMessageId },
      };
    }
    if (envelope.source !== original.targetService || envelope.target !== original.sourceService) {
      return {
        httpStatus: 403,
        error: 'callback_relationship_mismatch',
        details: {
          callback_source: envelope.source,
          callback_target: envelope.target,
          original_source: original.sourceService,
          original_target: original.targetService,
        },
      };
    }
    return null;
  }

  private async apply(
    envelope: VerifiedEnvelope,
    payload: PhpArray,
    status: CallbackStatus,
    original: TalktoMessageEntity,
  ): Promise<TalktoHttpAnswer> {
    const report: TalktoCallbackResult = {
      callbackMessageId: envelope.messageId,
      originalMessageId: original.messageId,
      originalCommand: original.command,
      status,
      succeeded: asFlag(payload.get('succeeded')),
      retryable: asFlag(payload.get('retryable')),
      skipped: asFlag(payload.get('skipped')),
      errorClass: asText(payload.get('error_class')),
      errorMessage: asText(payload.get('error_message')),
      result: asMap(payload.get('result')),
      meta: asMap(payload.get('meta')),
    };
    const applied = await this.callbacks.applyCallback({
      original,
      callbackMessageId: envelope.messageId,
      status,
      source: envelope.source,
      command: envelope.command,
      errorMessage: report.errorMessage,
      result: report.result,
      meta: report.meta,
      now: this.clock.now(),
    });
    if (applied.application === 'applied') {
      await this.hooks.notify(report, toOriginalView(applied.original));
    }
    return callbackAnswers.accepted(applied.application, envelope.messageId, original.messageId);
  }
}

function toOriginalView(message: TalktoMessageEntity): TalktoOriginalMessage {
  return {
    id: message.id,
    messageId: message.messageId,
    correlationId: message.correlationId,
    businessKey: message.businessKey,
    target: message.targetService,
    command: message.command,
    overallStatus: message.overallStatus,
    destinationActionStatus: message.destinationActionStatus,
    payload: message.payload === null ? null : toPlainValue(decodeTalktoJson(message.payload)),
  };
}
