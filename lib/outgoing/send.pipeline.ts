import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { interpretCallbackResponse } from '../callbacks/callback-delivery.interpreter.js';
import { isCallbackRow } from '../callbacks/callback-payload.js';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedOutgoingTarget, ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { activeSecrets } from '../incoming/verifier-config.factory.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { OutboxLedger } from '../persistence/outbox.ledger.js';
import { ResultCallbackLedger } from '../persistence/result-callback.ledger.js';
import type { MessageClaim } from '../persistence/message-ledger.interfaces.js';
import { TalktoEnvelopeFieldError } from '../protocol/errors/envelope-field.error.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import type { PhpValue } from '../protocol/json/php-value.js';
import { buildOutgoingRequest, type OutgoingRequest } from '../protocol/outgoing-request.builder.js';
import { payloadHash } from '../protocol/payload-hash.js';
import { formatTalktoTimestamp } from '../protocol/talkto.timestamp.js';
import { type TalktoMetricEvent, TalktoMetrics } from '../metrics/talkto-metrics.port.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { RetryPolicy, retryEventMeta } from '../retry/retry.policy.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { interpretSendResponse } from './send-response.interpreter.js';
import { TalktoTransport, type TalktoTransportResponse } from './talkto.transport.js';
import { createWorkerId } from '../queue/worker-id.util.js';
import { TalktoFailureLog } from '../operations/failure-log.js';
import { TalktoRedactor } from '../operations/talkto.redactor.js';

/** A send that failed and may be tried again; `retryAfter` is the peer's header, if it answered. */
interface RetryableSendFailure {
  error: string;
  errorClass?: string;
  httpStatus?: number;
  responseBody?: string;
  retryAfter?: string | null;
}

/** A failure found before anything was sent; retrying cannot fix it (PROTOCOL §10, last row). */
class LocalIntegrityFailure {
  constructor(
    readonly code: string,
    readonly meta: Record<string, unknown>,
  ) {}
}

/** Trace context rides outside the signature: peers that ignore it lose nothing (PROTOCOL §3). */
function withTraceparent(
  headers: Array<[string, string]>,
  message: TalktoMessageEntity,
): Array<[string, string]> {
  const custom = headers.some(([name]) => name.toLowerCase() === 'traceparent');
  return message.traceparent && !custom ? [...headers, ['traceparent', message.traceparent]] : headers;
}

/**
 * Delivers one outgoing message: claim it, rebuild and sign the request from the stored row, post
 * it, and record what the answer means. Safe to run twice for one id: the claim admits one runner.
 */
@Injectable()
export class SendPipeline {
  private readonly logger = new Logger('Talkto');
  private readonly workerId = createWorkerId('sender');
  private readonly failures = new TalktoFailureLog();

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly outbox: OutboxLedger,
    private readonly callbacks: ResultCallbackLedger,
    private readonly transport: TalktoTransport,
    private readonly dispatcher: TalktoDispatcher,
    private readonly retryPolicy: RetryPolicy,
    private readonly metrics: TalktoMetrics,
    private readonly redactor: TalktoRedactor,
  ) {}

  /** Final failures become dead letters unless storage is switched off (BEHAVIOR §9.1). */
  private get deadLetterOnFinal(): boolean {
    return this.options.deadLetters.enabled && this.options.deadLetters.autoStore;
  }

  async run(id: number): Promise<void> {
    const claimed = await this.outbox.claimForSend(
      id,
      this.workerId,
      this.options.workers.leaseMs,
      this.clock.now(),
    );
    if (!claimed) {
      return;
    }
    const { message, claim } = claimed;
    const target = this.options.outgoing.get(message.targetService);
    if (!target) {
      await this.retryOrFail(message, claim, {
        error: `Talkto target [${message.targetService}] is not configured.`,
      });
      return;
    }
    let request: OutgoingRequest;
    try {
      request = this.buildRequest(message, target);
    } catch (error) {
      if (error instanceof LocalIntegrityFailure) {
        await this.failLocally(message, claim, error);
        return;
      }
      throw error;
    }
    // Result callbacks go to the peer's callback route and are answered differently (§11.1, §11.7).
    const callback = isCallbackRow(message, this.options.callbacks.command);
    const url = callback ? target.callbackUrl : target.receiveUrl;
    if (url === null) {
      await this.retryOrFail(message, claim, {
        error: `Talkto callback URL for target [${target.name}] cannot be inferred.`,
        errorClass: 'callback_url_unresolved',
      });
      return;
    }
    let response;
    const startedAt = performance.now();
    try {
      response = await this.transport.post(
        url,
        withTraceparent(request.headers, message),
        request.body,
        target.timeoutMs,
      );
      this.observeLatency(message, String(response.status), startedAt);
    } catch (error) {
      this.observeLatency(message, 'transport_error', startedAt);
      await this.retryOrFail(message, claim, {
        error: `HTTP transport failed: ${(error as Error).message}`,
        errorClass: (error as Error).name ?? 'transport_error',
      });
      return;
    }
    if (callback && (await this.finishCallback(message, claim, response))) {
      return;
    }
    const outcome = interpretSendResponse(response);
    if (outcome.kind === 'success') {
      await this.outbox.markSent(claim, Object.assign({}, outcome.sent, { now: this.clock.now() }));
      this.count(message, 'sent', 'sent');
      return;
    }
    const failure = {
      error: `HTTP transport failed with status [${response.status}].`,
      errorClass: 'http_error',
      httpStatus: response.status,
      responseBody: this.redactor.redactBody(response.body),
      retryAfter: response.retryAfter,
    };
    const settings = this.retryPolicy.settingsForMessage(message);
    if (this.retryPolicy.isRetryableHttpStatus(response.status, settings)) {
      await this.retryOrFail(message, claim, failure);
    } else {
      const now = this.clock.now();
      const failed = await this.outbox.markFinalFailure(
        claim,
        Object.assign({}, failure, {
          column: 'transport_status' as const,
          deadLetter: this.deadLetterOnFinal,
          retryEvent: 'retry_not_scheduled',
          retryMeta: retryEventMeta(
            message,
            this.retryPolicy.decisionFor(message, { now, httpStatus: response.status, afterFailure: true }),
            now,
          ),
          now: this.clock.now(),
        }),
      );
      this.finallyFailed(message, failed, failure);
    }
  }

  /** Records a 2xx answer to a result callback; false leaves a non-2xx to the command rules. */
  private async finishCallback(
    message: TalktoMessageEntity,
    claim: MessageClaim,
    response: TalktoTransportResponse,
  ): Promise<boolean> {
    const answer = interpretCallbackResponse(response);
    if (answer.kind === 'http_failure') {
      return false;
    }
    const now = this.clock.now();
    if (answer.kind === 'accepted') {
      await this.callbacks.markCallbackDelivered(claim, {
        httpStatus: response.status,
        body: response.body,
        callbackStatus: answer.status,
        duplicate: answer.duplicate,
        originalMessageId: answer.originalMessageId,
        now,
      });
      this.count(message, 'sent', 'sent');
      return true;
    }
    const failure = {
      errorClass: 'callback_rejected',
      httpStatus: response.status,
      responseBody: this.redactor.redactBody(response.body),
    };
    const failed = await this.outbox.markFinalFailure(
      claim,
      Object.assign({}, failure, {
        error: `Result callback delivery rejected [${answer.code}].`,
        column: 'transport_status' as const,
        deadLetter: true,
        retryEvent: 'retry_not_scheduled',
        destination: { receiveStatus: 'received', actionStatus: answer.status ?? 'rejected' },
        now,
      }),
    );
    this.finallyFailed(message, failed, failure, true);
    return true;
  }

  private buildRequest(message: TalktoMessageEntity, target: ResolvedOutgoingTarget): OutgoingRequest {
    let payload: PhpValue = null;
    try {
      payload = message.payload === null ? null : decodeTalktoJson(message.payload);
      if (payloadHash(payload) !== message.payloadHash) {
        throw new LocalIntegrityFailure('stored_payload_hash_mismatch', { stored_hash: message.payloadHash });
      }
    } catch (error) {
      if (error instanceof LocalIntegrityFailure) {
        throw error;
      }
      throw new LocalIntegrityFailure('stored_payload_hash_unencodable', {});
    }
    const now = this.clock.now();
    const [secret] = activeSecrets(target.secrets, now.getTime());
    if (secret === undefined) {
      throw new LocalIntegrityFailure('missing_target_secret', { target: target.name });
    }
    try {
      return buildOutgoingRequest({
        messageId: message.messageId,
        correlationId: message.correlationId,
        parentMessageId: message.parentMessageId,
        source: message.sourceService,
        target: message.targetService,
        command: message.command,
        businessKey: message.businessKey,
        idempotencyKey: message.idempotencyKey,
        schemaVersion: message.schemaVersion,
        createdAt: message.createdAt ? formatTalktoTimestamp(message.createdAt) : null,
        payload,
        // The stored text is the frozen body JSON, a fixed point of decode + encode: send it as is.
        payloadJson: message.payload ?? undefined,
        payloadHash: message.payloadHash ?? '',
        secret,
        signatureVersion: target.signatureVersion,
        timestamp: formatTalktoTimestamp(now),
        nonce: randomUUID(),
        customHeaders: target.headers,
        signatureVersionHeader: this.options.security.signatureVersionHeader,
        nonceHeader: this.options.security.nonceHeader,
      });
    } catch (error) {
      if (error instanceof TalktoEnvelopeFieldError) {
        throw new LocalIntegrityFailure(error.code, { field_name: error.field, reason: error.reason });
      }
      throw error;
    }
  }

  private async failLocally(
    message: TalktoMessageEntity,
    claim: MessageClaim,
    failure: LocalIntegrityFailure,
  ) {
    this.logger.error(
      `Talkto message ${message.messageId} cannot be sent: ${failure.code} (review required).`,
    );
    const failed = await this.outbox.markFinalFailure(claim, {
      error: failure.code,
      errorClass: failure.code,
      column: 'transport_status',
      deadLetter: this.deadLetterOnFinal,
      retryEvent: 'retry_not_scheduled',
      attemptMeta: { retryable: false, review_required: true, ...failure.meta },
      now: this.clock.now(),
    });
    this.finallyFailed(message, failed, { errorClass: failure.code });
  }

  private async retryOrFail(
    message: TalktoMessageEntity,
    claim: MessageClaim,
    { retryAfter, ...failure }: RetryableSendFailure,
  ): Promise<void> {
    const now = this.clock.now();
    const decision = this.retryPolicy.decisionFor(message, {
      now,
      httpStatus: failure.httpStatus,
      retryAfter,
      afterFailure: true,
    });
    if (decision.nextRetryAt === null) {
      const failed = await this.outbox.markFinalFailure(
        claim,
        Object.assign({}, failure, {
          column: 'transport_status' as const,
          deadLetter: this.deadLetterOnFinal,
          retryEvent:
            decision.reason === 'max_attempts_exhausted' ? 'retry_exhausted' : 'retry_not_scheduled',
          retryMeta: retryEventMeta(message, decision, now),
          now,
        }),
      );
      this.finallyFailed(message, failed, failure);
      return;
    }
    const nextRetryAt = decision.nextRetryAt;
    const scheduled = await this.outbox.markRetryableFailure(
      claim,
      Object.assign({}, failure, {
        column: 'transport_status' as const,
        nextRetryAt,
        retryMeta: retryEventMeta(message, decision, now),
        throttled: decision.throttled,
        now,
      }),
    );
    this.count(message, 'sent', 'failed_retryable');
    this.count(message, 'failed', 'failed_retryable');
    this.count(message, 'retried', 'scheduled');
    if (scheduled) {
      // Fast path only: if this delayed job is lost, the sweeper finds the due row.
      await this.dispatcher.dispatch('send', message.id, {
        delayMs: nextRetryAt.getTime() - now.getTime(),
      });
    }
  }

  private count(message: TalktoMessageEntity, event: TalktoMetricEvent, status: string): void {
    this.metrics.count(event, { peer: message.targetService, command: message.command, status });
  }

  /** Counts a final failure and logs it once, when this run is the one that recorded it. */
  private finallyFailed(
    message: TalktoMessageEntity,
    recorded: boolean,
    failure: { httpStatus?: number; errorClass?: string; responseBody?: string },
    deadLettered = this.deadLetterOnFinal,
  ): void {
    this.count(message, 'sent', 'failed_final');
    this.count(message, 'failed', 'failed_final');
    if (deadLettered) this.count(message, 'dead_lettered', 'failed_final');
    if (recorded) this.failures.sendFailed(message, failure, deadLettered);
  }

  private observeLatency(message: TalktoMessageEntity, status: string, startedAt: number): void {
    const labels = { peer: message.targetService, command: message.command, status };
    this.metrics.observeSendLatency(labels, (performance.now() - startedAt) / 1000);
  }
}
