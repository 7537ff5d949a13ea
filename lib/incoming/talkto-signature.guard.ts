import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoSignedRoute } from '../decorators/talkto-signed-route.decorator.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { SignedRequestVerifier, TalktoRoute } from './signed-request.verifier.js';
import { readSignedRequest, type SignedHttpRequest } from './signed-request.util.js';
import { TalktoRejection } from './talkto-rejection.js';
import { rememberVerified } from './verified-request.store.js';

/**
 * Lets a request through only when it is a valid Talkto-signed command, checked from the exact
 * body bytes in the protocol's order (decoding, field validation, headers and version, timestamp,
 * known source, target, allowed command, payload hash, secret, signature, then the nonce). A
 * refusal answers with the receive route's status and body; `@TalktoEnvelope()` hands the
 * verified envelope to the handler. Narrow a route with `@TalktoSignedRoute({ sources, commands })`.
 */
@Injectable()
export class TalktoSignatureGuard implements CanActivate {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly verifier: SignedRequestVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return false; // fail closed: only HTTP requests carry a signature to check
    }
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<SignedHttpRequest & object>();
    const verified = await this.verifier.verify(
      await readSignedRequest(request, this.options.security),
      this.reflector.getAllAndOverride(TalktoRoute, targets),
      this.reflector.getAllAndOverride(TalktoSignedRoute, targets) ?? {},
    );
    if ('rejected' in verified) {
      throw new TalktoRejection(verified.rejected);
    }
    rememberVerified(request, verified);
    return true;
  }
}
