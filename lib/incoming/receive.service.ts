import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import { MessageLog } from '../persistence/message.log.js';
import { InboxLedger } from '../persistence/inbox.ledger.js';
import type { VerifiedEnvelope } from '../protocol/envelope.verifier.js';
import { encodeBodyJson } from '../protocol/json/body-json.js';
import type { TalktoHeaders } from '../protocol/talkto.headers.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TalktoFailureLog } from '../operations/failure-log.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { readTraceparent } from '../tracing/traceparent.util.js';
import { verifyCommandRequest } from './command-request.verifier.js';
import { nonceOf } from './consume-nonce.util.js';
import type { ReceivedRequest } from './received-request.interface.js';
import { receiveAnswers, type TalktoHttpAnswer } from './receive-response.js';
import { createVerifierConfig } from './verifier-config.factory.js';

/**
 * The command route's pipeline (PROTOCOL §8.1): decode, validate, verify, then the stateful steps —
 * duplicate by message id, nonce, idempotency key — and the durable insert, which records the
 * nonce in the message's own transaction. Nothing is written before verification passes.
 */
@Injectable()
export class ReceiveService {
  private readonly failures = new TalktoFailureLog();

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly messages: MessageLog,
    private readonly inbox: InboxLedger,
    private readonly dispatcher: TalktoDispatcher,
    private readonly metrics: TalktoMetrics,
  ) {}

  /** The whole route without HTTP: verification, then the stateful steps. */
  async receive(request: ReceivedRequest): Promise<TalktoHttpAnswer> {
    const verified = this.verify(request);
    return 'rejected' in verified ? verified.rejected : this.accept(verified.envelope, request.headers);
  }

  /** Steps 1–3 of §8.1; a rejection is counted and comes back as the route's answer. */
  verify(request: ReceivedRequest): { envelope: VerifiedEnvelope } | { rejected: TalktoHttpAnswer } {
    const now = this.clock.now().getTime();
    const verified = verifyCommandRequest(
      request,
      createVerifierConfig(this.options, now),
      Math.floor(now / 1000),
    );
    if ('rejected' in verified) {
      this.countReceived(null, verified.rejected);
      this.failures.rejected('command', verified.rejected.status, verified.rejected.body.error);
    }
    return verified;
  }

  /** Steps 4–7 of §8.1 for a verified envelope: duplicate, nonce, idempotency key, insert. */
  async accept(envelope: VerifiedEnvelope, headers: TalktoHeaders): Promise<TalktoHttpAnswer> {
    const answer = await this.store(envelope, readTraceparent(headers.traceparent));
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
}
