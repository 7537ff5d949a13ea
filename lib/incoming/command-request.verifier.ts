import { Logger } from '@nestjs/common';
import { type VerifiedEnvelope, type VerifierConfig, verifyEnvelope } from '../protocol/envelope.verifier.js';
import { TalktoJsonDecodeError } from '../protocol/errors/json-decode.error.js';
import { TalktoJsonEncodeError } from '../protocol/errors/json-encode.error.js';
import { TalktoRequestValidationError } from '../protocol/errors/request-validation.error.js';
import { TalktoVerificationError } from '../protocol/errors/verification.error.js';
import { validateEnvelopeRequest } from '../protocol/request.validator.js';
import { decodeEnvelopeBody } from './request-body.decoder.js';
import { receiveAnswers, type TalktoHttpAnswer } from './receive-response.js';
import type { ReceivedRequest } from './received-request.interface.js';

const logger = new Logger('Talkto');

/**
 * Steps 1–3 of a command request (PROTOCOL §8.1): decode, validate, verify. Writes nothing; a
 * failure comes back as the command route's answer for it, first failure wins.
 */
export function verifyCommandRequest(
  request: ReceivedRequest,
  config: VerifierConfig,
  nowSeconds: number,
): { envelope: VerifiedEnvelope } | { rejected: TalktoHttpAnswer } {
  try {
    const body = decodeEnvelopeBody(request.headers, request.rawBody);
    validateEnvelopeRequest(body, 'command');
    return { envelope: verifyEnvelope({ body, headers: request.headers }, config, nowSeconds) };
  } catch (error) {
    return { rejected: commandRejection(error) };
  }
}

function commandRejection(error: unknown): TalktoHttpAnswer {
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
    logger.warn(`A Talkto request's payload cannot be hashed (${error.code}).`);
    return receiveAnswers.rejected(422, 'payload_hash_mismatch');
  }
  throw error;
}
