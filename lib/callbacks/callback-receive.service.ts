import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { ReceivedRequest } from '../incoming/received-request.interface.js';
import type { TalktoHttpAnswer } from '../incoming/receive-response.js';
import { consumeEnvelopeNonce } from '../incoming/consume-nonce.util.js';
import { createVerifierConfig } from '../incoming/verifier-config.factory.js';
import { TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageLog } from '../persistence/message.log.js';
import { ResultCallbackLedger } from '../persistence/result-callback.ledger.js';
import { NonceStore } from '../persistence/nonce.store.js';
import type { VerifiedEnvelope } from '../protocol/envelope.verifier.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { PhpArray, type PhpValue } from '../protocol/json/php-value.js';
import { toPlainValue } from '../protocol/json/plain-value.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { callbackAnswers, type CallbackIds } from './callback-answers.js';
import { verifyCallbackRequest } from './callback-request.verifier.js';
import { type CallbackStatus, isCallbackStatus } from './callback-payload.js';
import type { TalktoCallbackResult, TalktoOriginalMessage } from './callback-result.interface.js';
import { ResultHandlerExplorer } from './result-handler.explorer.js';
import { TalktoFailureLog } from '../operations/failure-log.js';

/** A callback that passed §11.4 steps 0–5. */
export interface VerifiedCallback {
  envelope: VerifiedEnvelope;
  ids: CallbackIds;
}

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

  /** The whole route without HTTP: verification and the nonce, then matching and applying. */
  async receive(request: ReceivedRequest): Promise<TalktoHttpAnswer> {
    const verified = await this.verify(request);
    return 'rejected' in verified ? verified.rejected : this.settle(verified);
  }

  /**
   * §11.4 steps 0–5: decode, switch, validate, verify, the callback's identifiers, then the nonce
   * (no message-id pre-check: callbacks are not stored, repeats are settled by status rules). A
   * rejection is counted and comes back as the route's answer.
   */
  async verify(request: ReceivedRequest): Promise<VerifiedCallback | { rejected: TalktoHttpAnswer }> {
    const now = this.clock.now().getTime();
    const verified = verifyCallbackRequest(
      request,
      this.options,
      createVerifierConfig(this.options, now, 'callback'),
      Math.floor(now / 1000),
    );
    if ('rejected' in verified) {
      this.conclude(undefined, verified.rejected);
      return verified;
    }
    if (!(await consumeEnvelopeNonce(verified.envelope, this.nonces, this.clock, this.options))) {
      const rejected = callbackAnswers.rejected(409, 'replay_nonce_reused', verified.ids);
      this.conclude(verified.envelope.source, rejected);
      return { rejected };
    }
    return verified;
  }

  /** §11.4 steps 6–11 for a verified callback whose nonce is consumed. */
  async settle(verified: VerifiedCallback): Promise<TalktoHttpAnswer> {
    const answer = await this.answer(verified.envelope, verified.ids);
    this.conclude(verified.envelope.source, answer);
    return answer;
  }

  /** Counts every answer; a refusal also gets its one redacted WARN line. */
  private conclude(source: string | undefined, answer: TalktoHttpAnswer): void {
    this.countCallback(source, answer);
    if (answer.body.accepted === false) {
      this.failures.rejected('callback', answer.status, answer.body.error, source);
    }
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

  private async answer(envelope: VerifiedEnvelope, ids: CallbackIds): Promise<TalktoHttpAnswer> {
    const payload = envelope.body.get('payload') as PhpArray;
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
