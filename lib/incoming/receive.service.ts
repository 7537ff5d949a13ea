import { Inject, Injectable, Logger } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import { MessageLog } from '../persistence/message.log.js';
import { InboxLedger } from '../persistence/inbox.ledger.js';
import { type VerifiedEnvelope, verifyEnvelope } from '../protocol/envelope.verifier.js';
import { TalktoJsonDecodeError } from '../protocol/errors/json-decode.error.js';
import { TalktoJsonEncodeError } from '../protocol/errors/json-encode.error.js';
import { TalktoRequestValidationError } from '../protocol/errors/request-validation.error.js';
import { TalktoVerificationError } from '../protocol/errors/verification.error.js';
import { encodeBodyJson } from '../protocol/json/body-json.js';
import { validateEnvelopeRequest } from '../protocol/request.validator.js';
import type { TalktoHeaders } from '../protocol/talkto.headers.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TalktoFailureLog } from '../operations/failure-log.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { readTraceparent } from '../tracing/traceparent.util.js';
import { nonceOf } from './consume-nonce.util.js';
import { decodeEnvelopeBody } from './request-body.decoder.js';
import { receiveAnswers, type TalktoHttpAnswer } from './receive-response.js';
import { createVerifierConfig } from './verifier-config.factory.js';

export interface ReceivedRequest {
  headers: TalktoHeaders;
  /** The exact body bytes; null when the body was not JSON and no bytes were kept. */
  rawBody: Buffer | null;
}

/**
 * The command route's pipeline (PROTOCOL §8.1): decode, validate, verify, then the stateful steps —
 * duplicate by message id, nonce, idempotency key — and the durable insert, which records the
 * nonce in the message's own transaction. Nothing is written before verification passes.
 */
@Injectable()
export class ReceiveService {
  private readonly logger = new Logger('Talkto');
  private readonly failures = new TalktoFailureLog();

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly messages: MessageLog,
    private readonly inbox: InboxLedger,
    private readonly dispatcher: TalktoDispatcher,
    private readonly metrics: TalktoMetrics,
  ) {}

  async receive(request: ReceivedRequest): Promise<TalktoHttpAnswer> {
    let envelope: VerifiedEnvelope;
    try {
      envelope = this.verify(request);
    } catch (error) {
      const rejected = this.rejection(error);
      this.countReceived(null, rejected);
      this.failures.rejected('command', rejected.status, rejected.body.error);
      return rejected;
    }
    const answer = await this.store(envelope, readTraceparent(request.headers.traceparent));
    this.countReceived(envelope, answer);
    if (answer.status >= 400) {
      this.failures.rejected('command', answer.status, answer.body.error, envelope.source);
    }
    return answer;
  }

  /** Unverified requests are counted without peer or command: those values are the caller's to invent. */
  private countReceived(envelope: VerifiedEnvelope | null, answer: TalktoHttpAnswer): void {
    const status = answer.body.error ?? answer.body.status;
    this.metrics.count('received', {
      peer: envelope?.source ?? 'unverified',
      command: envelope?.command ?? 'unverified',
      status: typeof status === 'string' ? status : String(answer.status),
    });
  }

  /** Steps 1–3 of §8.1; throws the protocol's typed errors. */
  verify(request: ReceivedRequest): VerifiedEnvelope {
    const body = decodeEnvelopeBody(request.headers, request.rawBody);
    validateEnvelopeRequest(body, 'command');
    const now = this.clock.now();
    return verifyEnvelope(
      { body, headers: request.headers },
      createVerifierConfig(this.options, now.getTime()),
      Math.floor(now.getTime() / 1000),
    );
  }

  private async store(envelope: VerifiedEnvelope, traceparent: string | null): Promise<TalktoHttpAnswer> {
    const nonce = nonceOf(envelope, this.clock, this.options);
    if (nonce === 'replay') {
      // Step 4 (a known message id) still comes before the nonce step.
      const existing = await this.messages.findByMessageId(envelope.messageId);
      return existing
        ? receiveAnswers.duplicate('already_received', existing.messageId)
        : receiveAnswers.rejected(409, 'replay_nonce_reused');
    }
    const outcome = await this.inbox.insertIncoming({
      messageId: envelope.messageId,
      correlationId: envelope.correlationId,
      parentMessageId: envelope.parentMessageId,
      source: envelope.source,
      target: envelope.target,
      command: envelope.command,
      businessKey: envelope.businessKey,
      idempotencyKey: envelope.idempotencyKey,
      schemaVersion: typeof envelope.schemaVersion === 'bigint' ? Number(envelope.schemaVersion) : 1,
      payload: envelope.payload === null ? null : encodeBodyJson(envelope.payload),
      payloadHash: envelope.payloadHash,
      traceparent,
      now: this.clock.now(),
      nonce,
    });
    if (outcome.kind === 'replay') {
      return receiveAnswers.rejected(409, 'replay_nonce_reused');
    }
    if (outcome.kind === 'duplicate') {
      return receiveAnswers.duplicate(outcome.status, outcome.messageId);
    }
    await this.dispatcher.dispatch('process', outcome.message.id, { newRow: true });
    return receiveAnswers.queued(envelope.messageId);
  }

  private rejection(error: unknown): TalktoHttpAnswer {
    if (error instanceof TalktoJsonDecodeError) {
      return receiveAnswers.rejected(422, 'invalid_json');
    }
    if (error instanceof TalktoRequestValidationError) {
      return receiveAnswers.validationFailed(error.details);
    }
    if (error instanceof TalktoVerificationError) {
      return receiveAnswers.rejected(error.httpStatus, error.code, error.field);
    }
    if (error instanceof TalktoJsonEncodeError) {
      // A PHP receiver crashes here (500) and its sender retries in vain. A payload that cannot be
      // hashed (e.g. 1e400) can never match the claimed hash, so answer that, finally, instead.
      this.logger.warn(`A Talkto request's payload cannot be hashed (${error.code}).`);
      return receiveAnswers.rejected(422, 'payload_hash_mismatch');
    }
    throw error;
  }
}
