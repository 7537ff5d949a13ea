import type { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { NonceStore } from '../persistence/nonce.store.js';
import { nonceLedgerHash } from '../protocol/derived-ids.util.js';
import type { VerifiedEnvelope } from '../protocol/envelope.verifier.js';

/**
 * The nonce step shared by the command and callback routes (§6.4): false when the request is a
 * replay — a v2 request without a nonce under replay protection, or a nonce already used — and
 * true otherwise, recording a new nonce when replay protection is on.
 */
export async function consumeEnvelopeNonce(
  envelope: VerifiedEnvelope,
  nonces: NonceStore,
  clock: TalktoClock,
  options: ResolvedTalktoOptions,
): Promise<boolean> {
  if (envelope.nonceAction === 'reject') {
    return false;
  }
  if (envelope.nonceAction !== 'consume' || !options.security.replayProtection) {
    return true;
  }
  return nonces.consume({
    nonceHash: nonceLedgerHash(envelope.source, envelope.target, envelope.nonce!),
    source: envelope.source,
    target: envelope.target,
    messageId: envelope.messageId,
    signedTimestamp: envelope.signedTimestamp,
    now: clock.now(),
    retentionDays: options.nonceRetentionDays,
  });
}
