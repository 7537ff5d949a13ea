import { Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type VerifiedCallback, CallbackReceiveService } from '../callbacks/callback-receive.service.js';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoSignedRouteOptions } from '../decorators/talkto-signed-route.decorator.js';
import { TalktoFailureLog } from '../operations/failure-log.js';
import { NonceStore } from '../persistence/nonce.store.js';
import type { VerifierConfig } from '../protocol/envelope.verifier.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { verifyCommandRequest } from './command-request.verifier.js';
import { consumeEnvelopeNonce } from './consume-nonce.util.js';
import type { ReceivedRequest } from './received-request.interface.js';
import { receiveAnswers, type TalktoHttpAnswer } from './receive-response.js';
import { ReceiveService } from './receive.service.js';
import { createVerifierConfig } from './verifier-config.factory.js';
import type { VerifiedRequest } from './verified-request.store.js';

/** Which of Talkto's own routes a guarded handler is; a host route has none. */
export type TalktoRouteKind = 'receive' | 'callback';

/** Marks Talkto's receive and callback handlers for the guard. */
export const TalktoRoute = Reflector.createDecorator<TalktoRouteKind>();

/**
 * The checks behind `TalktoSignatureGuard`, by route. The receive route verifies (§8.1 steps 1–3)
 * and leaves the nonce to its insert: a known message id (step 4) must still answer as a duplicate
 * before the nonce is looked at. The callback route verifies and consumes the nonce (§11.4 steps
 * 0–5). A host route verifies as a command, with its own sources and commands, and consumes the
 * nonce: it stores no message, so a reused nonce is a replay.
 */
@Injectable()
export class SignedRequestVerifier {
  /** Our routes log their own refusals; a host route's are logged here, in the same words. */
  private readonly failures = new TalktoFailureLog();

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly nonces: NonceStore,
    private readonly receiver: ReceiveService,
    private readonly callbacks: CallbackReceiveService,
  ) {}

  async verify(
    request: ReceivedRequest,
    kind: TalktoRouteKind | undefined,
    route: TalktoSignedRouteOptions,
  ): Promise<VerifiedRequest | { rejected: TalktoHttpAnswer }> {
    if (kind === 'callback') {
      const verified: VerifiedCallback | { rejected: TalktoHttpAnswer } =
        await this.callbacks.verify(request);
      return 'rejected' in verified ? verified : Object.assign({}, verified, { headers: request.headers });
    }
    if (kind === 'receive') {
      const verified = this.receiver.verify(request);
      return 'rejected' in verified
        ? verified
        : { envelope: verified.envelope, headers: request.headers, ids: {} };
    }
    const now = this.clock.now().getTime();
    const verified = verifyCommandRequest(request, this.routeConfig(route, now), Math.floor(now / 1000));
    if ('rejected' in verified) {
      this.failures.rejected('command', verified.rejected.status, verified.rejected.body.error);
      return verified;
    }
    if (!(await consumeEnvelopeNonce(verified.envelope, this.nonces, this.clock, this.options))) {
      this.failures.rejected('command', 409, 'replay_nonce_reused', verified.envelope.source);
      return { rejected: receiveAnswers.rejected(409, 'replay_nonce_reused') };
    }
    return { envelope: verified.envelope, headers: request.headers, ids: {} };
  }

  /** The module's verifier settings, narrowed to the route's sources and commands. */
  private routeConfig(route: TalktoSignedRouteOptions, nowMs: number): VerifierConfig {
    const config = createVerifierConfig(this.options, nowMs);
    const { sources, commands } = route;
    const source: VerifierConfig['source'] = (name) => {
      const known = sources === undefined || sources.includes(name) ? config.source(name) : undefined;
      return known && commands
        ? Object.assign({}, known, { isCommandAllowed: (command: string) => commands.includes(command) })
        : known;
    };
    return Object.assign({}, config, { source });
  }
}
