import type { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { ConsumeNonceInput, NonceStore } from '../persistence/nonce.store.js';
import { nonceLedgerHash } from '../protocol/derived-ids.util.js';
import type { VerifiedEnvelope } from '../protocol/envelope.verifier.js';

/**
 * The nonce step shared by the command and callback routes (§6.4): `'replay'` for a v2 request
 * without a nonce under replay protection, the row to record when replay protection is on and the
 * request carries a nonce, null when there is nothing to record.
 */
export function nonceOf(
  envelope: VerifiedEnvelope,
  clock: TalktoClock,
  options: ResolvedTalktoOptions,
): ConsumeNonceInput | 'replay' | null {
  if (envelope.nonceAction === 'reject') {
    return 'replay';
  }
  if (envelope.nonceAction !== 'consume' || !options.security.replayProtection) {
    return null;
  }
  return {
    nonceHash: nonceLedgerHash(envelope.source, envelope.target, envelope.nonce!),
    source: envelope.source,
    target: envelope.target,
    messageId: envelope.messageId,
    signedTimestamp: envelope.signedTimestamp,
    now: clock.now(),
    retentionDays: options.nonceRetentionDays,
  };
}

/** The nonce step on its own: false when the request is a replay, true once a new nonce is recorded. */
export async function consumeEnvelopeNonce(
  envelope: VerifiedEnvelope,
  nonces: NonceStore,
  clock: TalktoClock,
  options: ResolvedTalktoOptions,
): Promise<boolean> {
  const nonce = nonceOf(envelope, clock, options);
  return nonce === 'replay' ? false : nonce === null || nonces.consume(nonce);
}
