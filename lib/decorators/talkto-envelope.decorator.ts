import { type ExecutionContext, createParamDecorator } from '@nestjs/common';
import { verifiedOf } from '../incoming/verified-request.store.js';
import { toPlainValue } from '../protocol/json/plain-value.js';

/** The envelope of a request `TalktoSignatureGuard` verified, as host code reads it. */
export interface TalktoVerifiedEnvelope {
  messageId: string;
  source: string;
  target: string;
  command: string;
  /** The payload as plain JS data. */
  payload: unknown;
  payloadHash: string;
  correlationId: string | null;
  parentMessageId: string | null;
  businessKey: string | null;
  idempotencyKey: string | null;
  signatureVersion: string;
}

/** Injects the verified envelope into a handler guarded by `TalktoSignatureGuard`. */
export const TalktoEnvelope = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TalktoVerifiedEnvelope => {
    const { envelope } = verifiedOf(context, '@TalktoEnvelope()');
    return {
      messageId: envelope.messageId,
      source: envelope.source,
      target: envelope.target,
      command: envelope.command,
      payload: toPlainValue(envelope.payload),
      payloadHash: envelope.payloadHash,
      correlationId: envelope.correlationId,
      parentMessageId: envelope.parentMessageId,
      businessKey: envelope.businessKey,
      idempotencyKey: envelope.idempotencyKey,
      signatureVersion: envelope.signatureVersion,
    };
  },
);
