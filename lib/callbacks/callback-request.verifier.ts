import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { ReceivedRequest } from '../incoming/received-request.interface.js';
import type { TalktoHttpAnswer } from '../incoming/receive-response.js';
import { decodeEnvelopeBody } from '../incoming/request-body.decoder.js';
import { type VerifiedEnvelope, type VerifierConfig, verifyEnvelope } from '../protocol/envelope.verifier.js';
import { TalktoEnvelopeFieldError } from '../protocol/errors/envelope-field.error.js';
import { TalktoJsonDecodeError } from '../protocol/errors/json-decode.error.js';
import { TalktoJsonEncodeError } from '../protocol/errors/json-encode.error.js';
import { TalktoRequestValidationError } from '../protocol/errors/request-validation.error.js';
import { TalktoVerificationError } from '../protocol/errors/verification.error.js';
import { validateIdentifier } from '../protocol/identifier.validator.js';
import type { PhpArray, PhpValue } from '../protocol/json/php-value.js';
import { validateEnvelopeRequest } from '../protocol/request.validator.js';
import { callbackAnswers, type CallbackIds } from './callback-answers.js';

const asText = (value: PhpValue | undefined): string | null => (typeof value === 'string' ? value : null);

/**
 * Steps 0–4 of a result callback (PROTOCOL §11.4): decode, the callbacks switch, validation, the
 * command verifier, then the identifier rule on the callback's own ids. Writes nothing; a failure
 * comes back as the callback route's answer for it.
 */
export function verifyCallbackRequest(
  request: ReceivedRequest,
  options: ResolvedTalktoOptions,
  config: VerifierConfig,
  nowSeconds: number,
): { envelope: VerifiedEnvelope; ids: CallbackIds } | { rejected: TalktoHttpAnswer } {
  let body: PhpArray;
  try {
    body = decodeEnvelopeBody(request.headers, request.rawBody);
  } catch (error) {
    if (error instanceof TalktoJsonDecodeError) {
      return { rejected: callbackAnswers.invalidJson() };
    }
    throw error;
  }
  if (!options.callbacks.enabled) {
    return { rejected: callbackAnswers.rejected(403, 'callbacks_disabled') };
  }
  try {
    validateEnvelopeRequest(body, 'callback');
  } catch (error) {
    if (error instanceof TalktoRequestValidationError) {
      return { rejected: callbackAnswers.rejected(422, 'validation_failed') };
    }
    throw error;
  }
  const payload = body.get('payload') as PhpArray;
  const ids: CallbackIds = {
    messageId: asText(body.get('message_id')),
    originalMessageId: asText(payload.get('original_message_id')),
  };
  try {
    const envelope = verifyEnvelope({ body, headers: request.headers }, config, nowSeconds);
    checkCallbackIdentifiers(payload);
    return { envelope, ids };
  } catch (error) {
    if (error instanceof TalktoVerificationError) {
      // Field errors name the field, not the ids (PROTOCOL §11.5).
      return {
        rejected:
          error.code === 'invalid_envelope_field'
            ? callbackAnswers.rejected(error.httpStatus, error.code, {}, error.field)
            : callbackAnswers.rejected(error.httpStatus, error.code, ids, error.field),
      };
    }
    if (error instanceof TalktoJsonEncodeError) {
      // Like the command route: an unhashable payload (e.g. 1e400) can never match its hash.
      return { rejected: callbackAnswers.rejected(422, 'payload_hash_mismatch', ids) };
    }
    throw error;
  }
}

/** §11.4 step 4: the identifier rule on the ids the callback reports about. */
function checkCallbackIdentifiers(payload: PhpArray): void {
  try {
    validateIdentifier(payload.get('original_message_id') as string, 'original_message_id');
    validateIdentifier(payload.get('original_command') as string, 'original_command');
  } catch (error) {
    if (error instanceof TalktoEnvelopeFieldError) {
      throw new TalktoVerificationError('invalid_envelope_field', error.field, { cause: error });
    }
    throw error;
  }
}
